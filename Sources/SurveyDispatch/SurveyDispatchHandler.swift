import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// Sends one ticket's survey at most once, in this order (see README, "Survey: exactly once"):
///
/// 1. read the ticket live (with users), its metrics (solved time, Zendesk's clock) and comments;
/// 2. decide (`SurveyRules.decide`);
/// 3. claim: add the tag `<SURVEY_TAG>_claim_<time>_<nonce>` with `safe_update` and the
///    `updated_at` just read. A 409 means the ticket changed meanwhile: if the claim is there
///    anyway (our own write whose answer was lost) go on, otherwise read and decide again (a
///    concurrent delivery's claim now makes it `claimed`);
/// 4. POST the survey;
/// 5. commit (one ticket update: add `SURVEY_TAG`, remove the claim) or release the claim,
///    as `SurveyCommitRule` says.
public struct SurveyDispatchHandler {
    public let zendesk: Zendesk
    public let settings: SurveySettings
    public let context: FunctionContext

    public init(context: FunctionContext) throws {
        self.context = context
        self.zendesk = try Zendesk(config: context.config, http: context.http)
        self.settings = try SurveySettings(config: context.config)
    }

    /// Reads what the rule needs.
    public func facts(ticketID: Int64) throws -> SurveyFacts {
        let doc = try zendesk.ticket(id: ticketID, include: ["users"])
        let metric = try zendesk.ticketMetric(ticketID: ticketID)
        let comments = try zendesk.comments(ticketID: ticketID)
        let requester = try doc.ticket["requester_id"].int.map { id in try doc.user(id) ?? zendesk.user(id: id) }
        return SurveyFacts(
            ticket: doc.ticket, requester: requester, assignee: doc.user(doc.ticket["assignee_id"].int),
            hasPublicComment: comments.contains { $0["public"].bool == true },
            solvedAt: metric.solvedAt, now: metric.serverDate ?? context.now,
            agentURL: zendesk.agentURL(ticket: ticketID))
    }

    /// Runs the whole sequence for one ticket; returns the result object.
    public func run(ticketID: Int64) throws -> JSON {
        var result: JSON = ["ticket_id": .int(ticketID)]
        for _ in 1...3 {
            let facts: SurveyFacts
            do {
                facts = try self.facts(ticketID: ticketID)
            } catch let e as ServiceError where e.code == .notFound {
                return skipped(result, "ticket_not_found", [:])
            }
            switch SurveyRules.decide(facts, settings: settings) {
            case .skip(let reason, let detail):
                if reason == "stale_claim" {
                    context.log.needsPerson(
                        "stale_claim", ticketID: ticketID,
                        detail: "survey claim \(detail["claim"].string ?? "") never completed",
                        action: detail["action"].string ?? "")
                }
                return skipped(result, reason, detail)
            case .dispatch(let body):
                // Configuration problems surface before anything is written.
                let survey = try Survey(config: context.config, http: context.http)
                let claim = SurveyClaim.new(at: facts.now).tag(for: settings.tag)
                switch try takeClaim(claim, ticketID: ticketID, stamp: facts.ticket["updated_at"].string ?? "") {
                case .lost: continue
                case .closed: return skipped(result, "ticket_closed", [:])
                case .taken: break
                }
                result["claim"] = .string(claim)
                return try post(body, survey: survey, claim: claim, ticketID: ticketID, result: result)
            }
        }
        return skipped(result, "ticket_kept_changing", [:])
    }

    enum ClaimResult { case taken, lost, closed }

    func takeClaim(_ claim: String, ticketID: Int64, stamp: String) throws -> ClaimResult {
        do {
            try zendesk.addTags(ticketID: ticketID, [claim], safeUpdateStamp: stamp)
            return .taken
        } catch let e as ServiceError where e.code == .conflict {
            // Our own first attempt may have landed before its answer was lost.
            return try zendesk.tags(ticketID: ticketID).contains(claim) ? .taken : .lost
        } catch let e as ServiceError where e.isClosedTicketError {
            return .closed
        } catch let e as RuntimeError where e.code == .upstreamUnavailable {
            if (try? zendesk.tags(ticketID: ticketID))?.contains(claim) == true { return .taken }
            throw e
        }
    }

    func post(_ body: JSON, survey: Survey, claim: String, ticketID: Int64, result: JSON) throws -> JSON {
        var result = result
        let outcome: SurveyCommitRule.PostOutcome
        var failure: Error?
        do {
            let response = try survey.submit(body)
            if response.isSuccess {
                outcome = .accepted
            } else {
                outcome = .refused(status: response.status)
                failure = ServiceError(
                    service: "survey", method: "POST", path: HTTPClient.pathOf(survey.client.baseURL),
                    response: response)
            }
        } catch let e as RuntimeError {
            outcome = e.outcomeUnknown ? .unknown : .notSent
            failure = e
        }
        switch SurveyCommitRule.effect(of: outcome, surveyTag: settings.tag) {
        case .release:
            do {
                try zendesk.removeTags(ticketID: ticketID, [claim])
            } catch {
                context.log.note(
                    "could not release claim \(claim) on ticket \(ticketID) (\(error)); it turns stale after \(settings.leaseMinutes) min and --scan reports it"
                )
            }
            throw failure ?? RuntimeError(.internal, "survey refused")
        case .commit(let tags):
            result["outcome"] = "dispatched"
            result["confirmed"] = .bool(outcome == .accepted)
            if outcome == .unknown {
                // 2listen documents no idempotency key and no lookup: whether it took the survey
                // cannot be settled here. Never re-sent (a second survey is worse), never silent.
                let action =
                    "check 2listen for ticket \(ticketID): if the survey is there, remove the tag \(settings.tag)_unconfirmed; if not, remove \(settings.tag) and \(settings.tag)_unconfirmed and the next delivery or --scan sends it"
                context.log.needsPerson(
                    "survey_unconfirmed", ticketID: ticketID,
                    detail: "the survey POST's answer was lost (\(failure.map { "\($0)" } ?? "no answer"))",
                    action: action)
                result["action"] = .string(action)
            }
            do {
                try zendesk.updateTicket(
                    id: ticketID, fields: ["additional_tags": JSON(tags), "remove_tags": JSON([claim])])
                result["recorded"] = true
            } catch {
                // The survey went out: the claim stays, so no delivery sends it again.
                let warning =
                    "survey sent but tagging ticket \(ticketID) failed (\(error)); claim \(claim) stays so it is not sent again; add the tag \(settings.tag) by hand"
                context.log.needsPerson(
                    "survey_not_recorded", ticketID: ticketID, detail: warning,
                    action: "add the tag \(settings.tag) to ticket \(ticketID) and remove \(claim)")
                result["recorded"] = false
                result["warning"] = .string(warning)
            }
            return result
        }
    }

    func skipped(_ result: JSON, _ reason: String, _ detail: JSON) -> JSON {
        var r = result.merging(detail)
        r["outcome"] = "skipped"
        r["reason"] = .string(reason)
        return r
    }
}
