import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SurveyDispatch
import Testing

let solvedTime = Clock.parse("2026-05-01T10:00:00Z")!

func surveyFacts(
    status: String = "solved", tags: [String] = [], publicComment: Bool = true, email: String? = "pat@example.com",
    hoursAfterSolve: Double = 3, solvedAt: Date? = solvedTime
) -> SurveyFacts {
    var requester: JSON = ["id": 200, "name": "Pat \"PJ\" Doe"]
    if let email { requester["email"] = .string(email) }
    return SurveyFacts(
        ticket: [
            "id": 9, "status": .string(status), "tags": JSON(tags), "subject": "Late order",
            "updated_at": "2026-05-01T10:00:00Z", "requester_id": 200,
        ],
        requester: requester, hasPublicComment: publicComment, solvedAt: solvedAt,
        now: solvedTime.addingTimeInterval(hoursAfterSolve * 3600), agentURL: "https://acme.zendesk.com/agent/tickets/9"
    )
}

func reason(_ d: SurveyRules.Decision) -> String? {
    if case .skip(let r, _) = d { return r }
    return nil
}

@Suite struct SurveyRulesTests {
    let settings = SurveySettings()

    @Test func dueTicketIsDispatchedWithNameEmailAndTicket() {
        guard case .dispatch(let body) = SurveyRules.decide(surveyFacts(), settings: settings) else {
            Issue.record("expected dispatch"); return
        }
        #expect(body == ["name": "Pat \"PJ\" Doe", "email": "pat@example.com", "ticket_id": 9])
    }

    @Test func delayBoundaryIsTwoHoursSinceSolved() {
        #expect(
            reason(SurveyRules.decide(surveyFacts(hoursAfterSolve: 1 + 59.0 / 60), settings: settings)) == "too_soon")
        #expect(reason(SurveyRules.decide(surveyFacts(hoursAfterSolve: 2), settings: settings)) == nil)
        let custom = SurveySettings(delayHours: 0.5)
        #expect(reason(SurveyRules.decide(surveyFacts(hoursAfterSolve: 0.5), settings: custom)) == nil)
    }

    @Test func tooSoonSaysWhenItIsDue() {
        guard case .skip(_, let detail) = SurveyRules.decide(surveyFacts(hoursAfterSolve: 1), settings: settings) else {
            Issue.record("expected skip"); return
        }
        #expect(detail["due_at"] == "2026-05-01T12:00:00Z")
    }

    @Test func updatedAtIsUsedWhenSolvedTimeIsUnknown() {
        #expect(reason(SurveyRules.decide(surveyFacts(hoursAfterSolve: 2.5, solvedAt: nil), settings: settings)) == nil)
        #expect(
            reason(SurveyRules.decide(surveyFacts(hoursAfterSolve: 1.5, solvedAt: nil), settings: settings))
                == "too_soon")
    }

    @Test func onlySolvedTicketsAreSurveyed() {
        #expect(reason(SurveyRules.decide(surveyFacts(status: "open"), settings: settings)) == "not_solved")
        #expect(reason(SurveyRules.decide(surveyFacts(status: "pending"), settings: settings)) == "not_solved")
        #expect(reason(SurveyRules.decide(surveyFacts(status: "closed"), settings: settings)) == "ticket_closed")
    }

    @Test func reopenedThenSolvedAgainWaitsForTheNewSolveTime() {
        // Solved again 30 minutes ago: the earlier solve no longer counts.
        let facts = surveyFacts(hoursAfterSolve: 0.5)
        #expect(reason(SurveyRules.decide(facts, settings: settings)) == "too_soon")
    }

    @Test func needsAPublicComment() {
        #expect(
            reason(SurveyRules.decide(surveyFacts(publicComment: false), settings: settings)) == "no_public_comment")
    }

    @Test func alreadyTaggedIsNeverSurveyedAgain() {
        #expect(
            reason(SurveyRules.decide(surveyFacts(tags: ["vip", "pesquisa2listen_disparada"]), settings: settings))
                == "already_surveyed")
        let custom = SurveySettings(tag: "Survey_Sent")
        #expect(reason(SurveyRules.decide(surveyFacts(tags: ["survey_sent"]), settings: custom)) == "already_surveyed")
    }

    @Test func requesterNeedsAnEmail() {
        #expect(reason(SurveyRules.decide(surveyFacts(email: nil), settings: settings)) == "no_requester_email")
    }

    @Test func aFreshClaimMeansAnotherDeliveryIsSending() {
        let now = solvedTime.addingTimeInterval(3 * 3600)
        let claim = SurveyClaim(epoch: Int64(now.timeIntervalSince1970) - 60, nonce: "ab12").tag(for: settings.tag)
        #expect(reason(SurveyRules.decide(surveyFacts(tags: [claim]), settings: settings)) == "claimed")
    }

    @Test func aStaleClaimIsReportedNeverResent() {
        let now = solvedTime.addingTimeInterval(3 * 3600)
        let claim = SurveyClaim(epoch: Int64(now.timeIntervalSince1970) - 16 * 60, nonce: "ab12").tag(for: settings.tag)
        guard case .skip(let r, let detail) = SurveyRules.decide(surveyFacts(tags: [claim]), settings: settings) else {
            Issue.record("expected skip"); return
        }
        #expect(r == "stale_claim")
        #expect(detail["claim"] == .string(claim))
    }

    @Test func claimTagsRoundTrip() {
        let c = SurveyClaim.new(at: solvedTime)
        let tag = c.tag(for: "pesquisa2listen_disparada")
        #expect(tag.hasPrefix("pesquisa2listen_disparada_claim_\(Int64(solvedTime.timeIntervalSince1970))_"))
        #expect(
            SurveyClaim.claims(
                in: ["x", tag, "pesquisa2listen_disparada_claim_bad"], surveyTag: "pesquisa2listen_disparada") == [c])
        #expect(SurveyClaim.new(at: solvedTime).nonce != c.nonce)
    }

    @Test func templateAddsFieldsWithJSONSafeValues() throws {
        let template = try JSON.parse(
            #"{"nome":"{{ticket.requester.first_name}}","assunto":"Re: {{ ticket.title }} #{{ticket.id}}","x":["{{ticket.unknown}}"],"n":1}"#
        )
        let s = SurveySettings(template: template)
        guard case .dispatch(let body) = SurveyRules.decide(surveyFacts(), settings: s) else {
            Issue.record("expected dispatch"); return
        }
        #expect(body["nome"] == "Pat")
        #expect(body["assunto"] == "Re: Late order #9")
        #expect(body["x"] == [""])
        #expect(body["n"] == 1)
        #expect(body["email"] == "pat@example.com")
        // A value with quotes stays one JSON string.
        let nameTemplate = SurveySettings(template: ["full": "{{ticket.requester.name}}"])
        guard case .dispatch(let b2) = SurveyRules.decide(surveyFacts(), settings: nameTemplate) else {
            Issue.record("expected dispatch"); return
        }
        #expect(try JSON.parse(b2.serialized())["full"] == "Pat \"PJ\" Doe")
    }

    @Test func settingsFromConfig() throws {
        let s = try SurveySettings(
            config: Config(environment: [
                "SURVEY_TAG": "Sent2", "SURVEY_DELAY_HOURS": "1.5",
                "SURVEY_BODY_TEMPLATE": #"{"a":"{{ticket.id}}"}"#,
            ]))
        #expect(s.tag == "sent2")
        #expect(s.delayHours == 1.5)
        #expect(s.template == ["a": "{{ticket.id}}"])
        #expect(throws: RuntimeError.self) {
            try SurveySettings(config: Config(environment: ["SURVEY_BODY_TEMPLATE": "[1]"]))
        }
        #expect(throws: RuntimeError.self) {
            try SurveySettings(config: Config(environment: ["SURVEY_TAG": "two tags"]))
        }
        #expect(throws: RuntimeError.self) {
            try SurveySettings(config: Config(environment: ["SURVEY_DELAY_HOURS": "soon"]))
        }
    }

    @Test func commitRule() {
        let tag = "pesquisa2listen_disparada"
        #expect(SurveyCommitRule.effect(of: .accepted, surveyTag: tag) == .commit(addTags: [tag]))
        #expect(SurveyCommitRule.effect(of: .unknown, surveyTag: tag) == .commit(addTags: [tag, tag + "_unconfirmed"]))
        #expect(SurveyCommitRule.effect(of: .refused(status: 401), surveyTag: tag) == .release)
        #expect(SurveyCommitRule.effect(of: .notSent, surveyTag: tag) == .release)
    }

    @Test func ticketIDFromAnyEventShape() throws {
        #expect(try SurveyDispatchEvent.ticketID(in: ["detail": ["id": "5"]]) == 5)
        #expect(try SurveyDispatchEvent.ticketID(in: ["subject": "zen:ticket:6"]) == 6)
        #expect(try SurveyDispatchEvent.ticketID(in: ["ticket_id": "7"]) == 7)
        #expect(try SurveyDispatchEvent.ticketID(in: ["ticket": ["id": 8]]) == 8)
        #expect(throws: RuntimeError.self) { try SurveyDispatchEvent.ticketID(in: ["hello": 1]) }
    }

    @Test func httpDateParsing() {
        #expect(Clock.parseRFC2822("Sun, 06 Nov 1994 08:49:37 GMT") == Clock.parse("1994-11-06T08:49:37Z"))
        #expect(Clock.parseRFC2822("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
    }
}
