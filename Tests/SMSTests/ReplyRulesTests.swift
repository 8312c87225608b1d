import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore
import AgentReply
import Testing

@Suite struct ReplyRulesTests {
    let settings = SMSSettings(provider: .twilio)
    let consented = KlaviyoProfile(id: "P", email: "pat@example.com", smsMarketingConsent: "SUBSCRIBED")

    func facts(
        public isPublic: Bool = true, author: Int64 = 1, role: String = "agent",
        agentEmail: String = "agent@example.com",
        text: String = "It ships tomorrow.", tags: [String] = ["sms"],
        externalID: String? = "sms:+15551230000:+15559870000",
        profile: KlaviyoProfile? = nil
    ) -> ReplyFacts {
        ReplyFacts(
            commentPublic: isPublic, commentAuthorID: author, commentText: text, authorRole: role,
            authorEmail: agentEmail,
            requesterID: 2001, requesterEmail: nil, requesterPhone: "+15551230000", tags: tags, externalID: externalID,
            profile: profile ?? consented)
    }

    @Test func sendsAnAgentsPublicReplyFromTheRecordedNumber() {
        guard case .send(let plan) = ReplyRules.decide(facts(), settings: settings) else {
            Issue.record("expected send"); return
        }
        #expect(plan.customer == "+15551230000")
        #expect(plan.brandNumber == "+15559870000")
        #expect(plan.parts == ["It ships tomorrow."])
        #expect(plan.segments == 1 && plan.encoding == .gsm7)
    }

    @Test func skipRules() {
        #expect(ReplyRules.decide(facts(public: false), settings: settings) == .skip(.private))
        #expect(ReplyRules.decide(facts(tags: [], externalID: nil), settings: settings) == .skip(.notSMSTicket))
        #expect(
            ReplyRules.decide(facts(tags: ["vip"], externalID: "order-1"), settings: settings) == .skip(.notSMSTicket))
        #expect(ReplyRules.decide(facts(author: 2001, role: "end-user"), settings: settings) == .skip(.requester))
        #expect(ReplyRules.decide(facts(author: 3000, role: "end-user"), settings: settings) == .skip(.notAgent))
        #expect(ReplyRules.decide(facts(agentEmail: "PAT@example.com"), settings: settings) == .skip(.sameEmail))
        let unsubscribed = KlaviyoProfile(id: "P", smsMarketingConsent: "UNSUBSCRIBED")
        #expect(ReplyRules.decide(facts(profile: unsubscribed), settings: settings) == .skip(.notConsented))
        #expect(ReplyRules.decide(facts(text: "  "), settings: settings) == .skip(.empty))
    }

    /// The skips an agent must hear of (the customer will not get the reply), and only those.
    @Test func unsentRepliesAreTheOnesTheCustomerWillNotGet() {
        #expect(ReplyRules.unsent(.notConsented, hasProfile: true)?.why.contains("not subscribed") == true)
        #expect(ReplyRules.unsent(.notConsented, hasProfile: false)?.why.contains("no profile") == true)
        #expect(ReplyRules.unsent(.empty, hasProfile: true)?.why.contains("no text") == true)
        for quiet: SkipReason in [
            .private, .notAgent, .notSMSTicket, .requester, .sameEmail, .notCommentEvent, .noComment, .ticketNotFound,
        ] {
            #expect(ReplyRules.unsent(quiet, hasProfile: true) == nil, "\(quiet)")
        }
    }

    @Test func noKlaviyoMeansNoConsentCheck() {
        var twilioOnly = settings
        twilioOnly.hasKlaviyo = false
        var f = facts()
        f.profile = nil
        if case .send = ReplyRules.decide(f, settings: twilioOnly) {
        } else {
            Issue.record("expected send without Klaviyo")
        }
        #expect(ReplyRules.decide(f, settings: settings) == .skip(.notConsented))
    }

    @Test func longReplyIsSplitAndCounted() {
        let text = String(repeating: "abcd ", count: 400).trimmed()  // 1999 chars
        guard case .send(let plan) = ReplyRules.decide(facts(text: text), settings: settings) else {
            Issue.record("expected send"); return
        }
        #expect(plan.parts.count == 2)
        #expect(plan.parts.allSatisfy { $0.count <= 1600 })
        #expect(
            plan.segments == SMSSegments.count(for: plan.parts[0]).segments
                + SMSSegments.count(for: plan.parts[1]).segments)
        #expect(plan.segments == 11 + 3)
    }

    @Test func emojiReplyIsUCS2() {
        guard case .send(let plan) = ReplyRules.decide(facts(text: "Thanks! 😀"), settings: settings) else {
            Issue.record("expected send"); return
        }
        #expect(plan.encoding == .ucs2)
        #expect(plan.segments == 1)
    }

    @Test func tagOnlySMSTicketUsesRequesterPhone() {
        let c = ReplyRules.conversation(tags: ["sms"], externalID: nil, requesterPhone: "+15551230000")
        #expect(c?.customer == "+15551230000" && c?.brandNumber == nil)
    }

    @Test func claimTagsCarryTimeAndNonce() throws {
        let claim = ReplyClaim(commentID: 5001, time: 1_795_000_000, nonce: "a1b2c3")
        #expect(claim.tag == "sms_reply_5001_claim_1795000000_a1b2c3")
        #expect(ReplyClaim(tag: claim.tag, commentID: 5001) == claim)
        #expect(ReplyClaim(tag: claim.tag, commentID: 5002) == nil)
        #expect(ReplyClaim(tag: "sms_reply_5001_claim_x_y", commentID: 5001) == nil)
        let fresh = ReplyClaim.new(commentID: 7, at: Date(timeIntervalSince1970: 100))
        #expect(
            fresh.time == 100 && fresh != ReplyClaim.new(commentID: 7, at: Date(timeIntervalSince1970: 100)),
            "nonces differ")
        #expect(ReplyClaim.doneTag(commentID: 5001) == "sms_reply_5001")
    }

    @Test func claimStateReadsTheTags() {
        let a = ReplyClaim(commentID: 5, time: 200, nonce: "b"), b = ReplyClaim(commentID: 5, time: 100, nonce: "a")
        #expect(ReplyClaimState(tags: ["sms"], commentID: 5) == .free)
        #expect(ReplyClaimState(tags: ["sms", a.tag, b.tag, "sms_reply_6"], commentID: 5) == .claimed([b, a]))
        #expect(ReplyClaimState(tags: [a.tag, "sms_reply_5"], commentID: 5) == .done)
        #expect(ReplyClaimState(tags: ["sms_reply_5_refused"], commentID: 5) == .refused)
        #expect(ReplyClaimState(tags: ["sms_reply_55"], commentID: 5) == .free)
    }

    /// Another delivery's claim: complete when the provider shows every part; wait while the
    /// claim is within its lease; take over after it.
    @Test func foreignClaims() {
        let claim = ReplyClaim(commentID: 5, time: 1000, nonce: "n")
        let at = { (s: Double) in Date(timeIntervalSince1970: s) }
        #expect(
            ReplyRules.foreignClaim(claim, partsFound: 2, partsTotal: 2, now: at(1001), leaseSeconds: 60) == .complete)
        #expect(
            ReplyRules.foreignClaim(claim, partsFound: 1, partsTotal: 2, now: at(1010), leaseSeconds: 60)
                == .wait(secondsLeft: 50))
        #expect(
            ReplyRules.foreignClaim(claim, partsFound: 0, partsTotal: 1, now: at(1059), leaseSeconds: 60)
                == .wait(secondsLeft: 1))
        #expect(
            ReplyRules.foreignClaim(claim, partsFound: 0, partsTotal: 1, now: at(1060), leaseSeconds: 60) == .takeOver)
        #expect(
            ReplyRules.foreignClaim(claim, partsFound: 1, partsTotal: 2, now: at(5000), leaseSeconds: 60) == .takeOver)
    }

    @Test func partsAreMatchedToRecordsOnceEach() {
        #expect(ReplyRules.partsFound(["a", "b", "a"], bodies: ["x", "a", "b"]) == [0: 1, 1: 2])
        #expect(ReplyRules.partsFound(["a", "a"], bodies: ["a", "a"]) == [0: 0, 1: 1])
        #expect(ReplyRules.partsFound(["hello"], bodies: []).isEmpty)
        #expect(ReplyRules.namesCampaignOrFlow(["Campaign Name": "Black Friday"]))
        #expect(ReplyRules.namesCampaignOrFlow(["$flow": "F1"]))
        #expect(!ReplyRules.namesCampaignOrFlow(["Message Body": "hi", "Campaign Name": ""]))
        #expect(ReplyRules.messageBody(["Message Body": "hi"]) == "hi")
    }

    @Test func eventShapes() throws {
        let sub = try JSON.parse(
            #"{"type":"zen:event-type:ticket.comment_added","subject":"zen:ticket:7","detail":{"id":"7"},"event":{"comment":{"id":"5002","is_public":true}}}"#
        )
        #expect(try ReplyEvent.parse(sub) == ReplyEvent(ticketID: 7, commentID: 5002))
        #expect(try ReplyEvent.parse(["ticket_id": "8"]) == ReplyEvent(ticketID: 8, commentID: nil))
        #expect(try ReplyEvent.parse(["type": "zen:event-type:ticket.status_changed", "detail": ["id": "7"]]) == nil)
        #expect(throws: SMSError.self) { try ReplyEvent.parse(["hello": "x"]) }
    }
}
