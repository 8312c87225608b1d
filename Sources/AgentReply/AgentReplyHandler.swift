import FunctionRuntime
import ServiceClients
import SMSCore

/// Carries out `agent-reply`: reads the ticket, the comment and the people involved, asks
/// `ReplyRules`, and relays the comment as SMS at most once.
///
/// Exactly once, never lost, without state of its own (see `ReplyClaim`):
/// 1. **Claim**: tag `sms_reply_<comment>_claim_<time>_<nonce>` added with `safe_update`. Of two
///    deliveries racing, one gets 409 and re-reads. A delivery whose claim landed but whose answer
///    was lost recognises its own nonce and goes on.
/// 2. **Send** each part. A send whose answer was lost is looked up in the provider's own record
///    (Twilio's message list; Klaviyo's "Received SMS" events of the profile): found → sent; not
///    in Twilio's list → Twilio never created it, so it is sent again; not (yet) in Klaviyo's
///    events → exit 75 with the claim kept, and the re-delivery settles it.
/// 3. **Commit**: the reply's Klaviyo event (Twilio provider), then the tag `sms_reply_<comment>`
///    replacing the claim. When either fails the SMS is out but the relay is not finished: exit 75,
///    and the re-delivery, finding the claim and the sent message, finishes it.
/// 4. A delivery that finds **another's claim** asks the provider's record: all parts out →
///    finish the effects and commit (`duplicate`); else, while the claim is younger than the lease
///    (`SMS_REPLY_LEASE_SECONDS`), the other delivery may be sending: wait within the budget, then
///    exit 75; once the lease is over, take the relay over and send what did not go out.
/// 5. Provider unavailable before anything went out: the claim is released, exit 75. Provider
///    refusals (opted out 21610, invalid number 21211, …) → `failed`, recorded with the tag
///    `sms_reply_<comment>_refused`, and listed for a person (a retry cannot help).
public struct AgentReplyHandler {
    public let zendesk: Zendesk
    public let klaviyo: Klaviyo?
    public let twilio: Twilio?
    public let settings: SMSSettings
    public let log: EventLog?
    /// Seconds left of the invocation's time budget (waiting for another delivery stops short of it).
    public let remaining: @Sendable () -> Double

    public init(
        zendesk: Zendesk, klaviyo: Klaviyo?, twilio: Twilio?, settings: SMSSettings, log: EventLog? = nil,
        remaining: @escaping @Sendable () -> Double = { 8 }
    ) {
        self.zendesk = zendesk
        self.klaviyo = klaviyo
        self.twilio = twilio
        self.settings = settings
        self.log = log
        self.remaining = remaining
    }

    public func handle(_ e: ReplyEvent) throws -> JSON {
        let doc: ZendeskTicketDocument
        do { doc = try zendesk.ticket(id: e.ticketID, include: ["users"]) } catch let err as ServiceError
            where err.code == .notFound
        {
            return [
                "outcome": "skipped", "reason": .string(SkipReason.ticketNotFound.rawValue),
                "ticket_id": .int(e.ticketID),
            ]
        }
        let ticket = doc.ticket
        let comments = try zendesk.comments(ticketID: e.ticketID, sortOrder: .descending)
        let found =
            e.commentID.map { id in comments.first { $0["id"].int == id } }
            ?? comments.first { $0["public"].bool == true }
        guard let comment = found, let commentID = comment["id"].int else {
            return [
                "outcome": "skipped", "reason": .string(SkipReason.noComment.rawValue), "ticket_id": .int(e.ticketID),
            ]
        }
        let authorID = comment["author_id"].int
        let requesterID = ticket["requester_id"].int
        let author = try doc.user(authorID) ?? authorID.map { try zendesk.user(id: $0) }
        let requester = try doc.user(requesterID) ?? requesterID.map { try zendesk.user(id: $0) }
        var facts = ReplyFacts(
            commentPublic: comment["public"].bool ?? false, commentAuthorID: authorID,
            commentText: SMSText.plainText(comment["plain_body"].string ?? comment["body"].string ?? ""),
            attachmentCount: comment["attachments"].array?.count ?? 0,
            authorRole: author?["role"].string, authorEmail: author?["email"].nonEmptyString,
            requesterID: requesterID, requesterEmail: requester?["email"].nonEmptyString,
            requesterPhone: requester?["phone"].nonEmptyString,
            tags: (ticket["tags"].array ?? []).compactMap(\.string), externalID: ticket["external_id"].string)
        var base: JSON = ["ticket_id": .int(e.ticketID), "comment_id": .int(commentID)]

        // The rules that need no Klaviyo first; then the profile (consent, same email).
        var noKlaviyo = settings
        noKlaviyo.hasKlaviyo = false
        if case .skip(let reason) = ReplyRules.decide(facts, settings: noKlaviyo) {
            return unsent(reason, facts: facts, ticketID: e.ticketID, commentID: commentID, base: base)
        }
        if settings.hasKlaviyo, let klaviyo,
            let conv = ReplyRules.conversation(
                tags: facts.tags, externalID: facts.externalID, requesterPhone: facts.requesterPhone)
        {
            facts.profile = try klaviyo.profile(phone: conv.customer)
        }
        let plan: ReplyPlan
        switch ReplyRules.decide(facts, settings: settings) {
        case .skip(let reason):
            return unsent(reason, facts: facts, ticketID: e.ticketID, commentID: commentID, base: base)
        case .send(let p): plan = p
        }
        base["provider"] = .string(settings.provider.rawValue)
        base["segments"] = .int(Int64(plan.segments))
        base["encoding"] = .string(plan.encoding.rawValue)
        base["parts"] = .int(Int64(plan.parts.count))
        if plan.attachmentsNotSent > 0 { base["attachments_not_sent"] = .int(Int64(plan.attachmentsNotSent)) }
        let relay = Relay(plan: plan, ticketID: e.ticketID, commentID: commentID, profile: facts.profile)
        if settings.provider == .twilio && plan.brandNumber == nil {
            if let settled = settledNotSent(facts, commentID: commentID, base: base) { return settled }
            return notSent(
                ticketID: e.ticketID, commentID: commentID, claim: nil,
                failed(base, reason: "no_brand_number", code: nil),
                why: "the ticket does not say which number the customer texted (external_id sms:<customer>:<number>)",
                action:
                    "the ticket does not say which number the customer texted (external_id sms:<customer>:<number>): reply by another channel"
            )
        }
        return try claimAndSend(relay, ticket: ticket, base: base)
    }

    /// A skip rule's answer. An agent's public reply on an SMS ticket that will not reach the
    /// customer (`ReplyRules.unsent`: no SMS consent, no text) is not a quiet skip: recorded and
    /// noted on the ticket like a refusal (`notSent`: the refused tag, an internal note, the ticket
    /// reopened) and listed for a person; a re-delivery answers `duplicate`, reason `not_sent`.
    func unsent(_ reason: SkipReason, facts: ReplyFacts, ticketID: Int64, commentID: Int64, base: JSON) -> JSON {
        guard let unsent = ReplyRules.unsent(reason, hasProfile: facts.profile != nil) else {
            return skipped(reason, base)
        }
        if let settled = settledNotSent(facts, commentID: commentID, base: base) { return settled }
        return notSent(
            ticketID: ticketID, commentID: commentID, claim: nil, failed(base, reason: reason.rawValue, code: nil),
            why: unsent.why, action: unsent.action)
    }

    /// `duplicate` (reason `not_sent`) when an earlier delivery already recorded that this reply
    /// cannot go out (the refused tag): it was noted and listed once then.
    func settledNotSent(_ facts: ReplyFacts, commentID: Int64, base: JSON) -> JSON? {
        guard ReplyClaimState(tags: facts.tags, commentID: commentID) == .refused else { return nil }
        return base.merging(["outcome": "duplicate", "reason": "not_sent"])
    }

    // MARK: - Results

    func skipped(_ reason: SkipReason, _ base: JSON) -> JSON {
        base.merging(["outcome": "skipped", "reason": .string(reason.rawValue)])
    }

    func failed(_ base: JSON, reason: String, code: JSON?, message: String? = nil) -> JSON {
        var r = base.merging(["outcome": "failed", "reason": .string(reason)])
        if let code { r["provider_code"] = code }
        if let message { r["detail"] = .string(message) }
        return r
    }
}
