import FunctionRuntime
import ServiceClients
import SMSCore
import AgentReply
import Testing

@Suite struct ReplyRulesTests {
    let settings = SMSSettings(provider: .twilio)
    let consented = KlaviyoProfile(id: "P", email: "pat@example.com", smsMarketingConsent: "SUBSCRIBED")

    func facts(public isPublic: Bool = true, author: Int64 = 1, role: String = "agent", agentEmail: String = "agent@example.com",
               text: String = "It ships tomorrow.", tags: [String] = ["sms"], externalID: String? = "sms:+15551230000:+15559870000",
               profile: KlaviyoProfile? = nil) -> ReplyFacts {
        ReplyFacts(commentPublic: isPublic, commentAuthorID: author, commentText: text, authorRole: role, authorEmail: agentEmail,
                   requesterID: 2001, requesterEmail: nil, requesterPhone: "+15551230000", tags: tags, externalID: externalID,
                   profile: profile ?? consented)
    }

    @Test func sendsAnAgentsPublicReplyFromTheRecordedNumber() {
        guard case .send(let plan) = ReplyRules.decide(facts(), settings: settings) else { Issue.record("expected send"); return }
        #expect(plan.customer == "+15551230000")
        #expect(plan.brandNumber == "+15559870000")
        #expect(plan.parts == ["It ships tomorrow."])
        #expect(plan.segments == 1 && plan.encoding == .gsm7)
    }

    @Test func skipRules() {
        #expect(ReplyRules.decide(facts(public: false), settings: settings) == .skip(.private))
        #expect(ReplyRules.decide(facts(tags: [], externalID: nil), settings: settings) == .skip(.notSMSTicket))
        #expect(ReplyRules.decide(facts(tags: ["vip"], externalID: "order-1"), settings: settings) == .skip(.notSMSTicket))
        #expect(ReplyRules.decide(facts(author: 2001, role: "end-user"), settings: settings) == .skip(.requester))
        #expect(ReplyRules.decide(facts(author: 3000, role: "end-user"), settings: settings) == .skip(.notAgent))
        #expect(ReplyRules.decide(facts(agentEmail: "PAT@example.com"), settings: settings) == .skip(.sameEmail))
        let unsubscribed = KlaviyoProfile(id: "P", smsMarketingConsent: "UNSUBSCRIBED")
        #expect(ReplyRules.decide(facts(profile: unsubscribed), settings: settings) == .skip(.notConsented))
        #expect(ReplyRules.decide(facts(text: "  "), settings: settings) == .skip(.empty))
    }

    @Test func noKlaviyoMeansNoConsentCheck() {
        var twilioOnly = settings
        twilioOnly.hasKlaviyo = false
        var f = facts()
        f.profile = nil
        if case .send = ReplyRules.decide(f, settings: twilioOnly) {} else { Issue.record("expected send without Klaviyo") }
        #expect(ReplyRules.decide(f, settings: settings) == .skip(.notConsented))
    }

    @Test func longReplyIsSplitAndCounted() {
        let text = String(repeating: "abcd ", count: 400).trimmed()   // 1999 chars
        guard case .send(let plan) = ReplyRules.decide(facts(text: text), settings: settings) else { Issue.record("expected send"); return }
        #expect(plan.parts.count == 2)
        #expect(plan.parts.allSatisfy { $0.count <= 1600 })
        #expect(plan.segments == SMSSegments.count(for: plan.parts[0]).segments + SMSSegments.count(for: plan.parts[1]).segments)
        #expect(plan.segments == 11 + 3)
    }

    @Test func emojiReplyIsUCS2() {
        guard case .send(let plan) = ReplyRules.decide(facts(text: "Thanks! 😀"), settings: settings) else { Issue.record("expected send"); return }
        #expect(plan.encoding == .ucs2)
        #expect(plan.segments == 1)
    }

    @Test func tagOnlySMSTicketUsesRequesterPhone() {
        let c = ReplyRules.conversation(tags: ["sms"], externalID: nil, requesterPhone: "+15551230000")
        #expect(c?.customer == "+15551230000" && c?.brandNumber == nil)
    }

    @Test func relayMatchingUsesBodyAndTime() {
        let m: JSON = ["body": "hello", "date_created": "Sat, 21 Nov 2026 13:30:06 +0000"]
        #expect(ReplyRules.isRelay(m, of: "hello", commentCreatedAt: "2026-11-21T13:30:00Z"))
        #expect(!ReplyRules.isRelay(m, of: "hello", commentCreatedAt: "2026-11-21T15:00:00Z"))
        #expect(!ReplyRules.isRelay(m, of: "other", commentCreatedAt: "2026-11-21T13:30:00Z"))
        #expect(ReplyRules.claimTag(commentID: 5001) == "sms_reply_5001")
    }

    @Test func eventShapes() throws {
        let sub = try JSON.parse(#"{"type":"zen:event-type:ticket.comment_added","subject":"zen:ticket:7","detail":{"id":"7"},"event":{"comment":{"id":"5002","is_public":true}}}"#)
        #expect(try ReplyEvent.parse(sub) == ReplyEvent(ticketID: 7, commentID: 5002))
        #expect(try ReplyEvent.parse(["ticket_id": "8"]) == ReplyEvent(ticketID: 8, commentID: nil))
        #expect(try ReplyEvent.parse(["type": "zen:event-type:ticket.status_changed", "detail": ["id": "7"]]) == nil)
        #expect(throws: SMSError.self) { try ReplyEvent.parse(["hello": "x"]) }
    }
}
