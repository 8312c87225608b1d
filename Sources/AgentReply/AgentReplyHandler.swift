import FunctionRuntime
import ServiceClients
import SMSCore

/// Carries out `agent-reply`: reads the ticket, the comment and the people involved, asks
/// `ReplyRules`, and relays the comment as SMS at most once.
///
/// Exactly-once without state of its own:
/// 1. Before sending, the relay is claimed on the ticket: tag `sms_reply_<comment id>` added with
///    `safe_update`. Of two deliveries racing, one gets 409, re-reads and finds the claim.
/// 2. A delivery that finds the claim does not send: it answers `duplicate`, after asking
///    Twilio (messages To/From, newest first) whether the text went out (`provider_confirmed`).
/// 3. A send whose answer was lost is checked the same way: found → `sent`; not found → `failed`
///    with reason `outcome_unknown` and the claim kept (no double text; the agent can re-send).
/// 4. Provider unavailable before anything went out: the claim is released and the invocation
///    ends with exit 75, so Zendesk's re-delivery tries again. If releasing fails too, the
///    re-delivery answers `duplicate` with `provider_confirmed: false` (never a double text).
/// 5. Provider refusals (opted out, invalid number, …) → `failed` with the provider's code, claim
///    kept (a retry cannot help).
public struct AgentReplyHandler {
    public let zendesk: Zendesk
    public let klaviyo: Klaviyo?
    public let twilio: Twilio?
    public let settings: SMSSettings
    public let log: EventLog?
    /// Makes the client each send goes through. A send gets a client of its own (a fresh
    /// connection): libcurl silently repeats a request whose reused keep-alive connection died
    /// before an answer, which for a send whose answer was lost means a double text.
    public let senders: (@Sendable () throws -> (twilio: Twilio?, klaviyo: Klaviyo?))?

    public init(zendesk: Zendesk, klaviyo: Klaviyo?, twilio: Twilio?, settings: SMSSettings, log: EventLog? = nil,
                senders: (@Sendable () throws -> (twilio: Twilio?, klaviyo: Klaviyo?))? = nil) {
        self.zendesk = zendesk
        self.klaviyo = klaviyo
        self.twilio = twilio
        self.settings = settings
        self.log = log
        self.senders = senders
    }

    public func handle(_ e: ReplyEvent) throws -> JSON {
        var doc = try zendesk.ticket(id: e.ticketID, include: ["users"])
        var ticket = doc.ticket
        let comments = try zendesk.comments(ticketID: e.ticketID, sortOrder: .descending)
        let found = e.commentID.map { id in comments.first { $0["id"].int == id } } ?? comments.first { $0["public"].bool == true }
        guard let comment = found, let commentID = comment["id"].int else {
            return ["outcome": "skipped", "reason": .string(SkipReason.noComment.rawValue), "ticket_id": .int(e.ticketID)]
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
            requesterID: requesterID, requesterEmail: requester?["email"].nonEmptyString, requesterPhone: requester?["phone"].nonEmptyString,
            tags: (ticket["tags"].array ?? []).compactMap(\.string), externalID: ticket["external_id"].string)
        var base: JSON = ["ticket_id": .int(e.ticketID), "comment_id": .int(commentID)]

        // The rules that need no Klaviyo first; then the profile (consent, same email).
        var noKlaviyo = settings
        noKlaviyo.hasKlaviyo = false
        if case .skip(let reason) = ReplyRules.decide(facts, settings: noKlaviyo) { return skipped(reason, base) }
        if settings.hasKlaviyo, let klaviyo,
           let conv = ReplyRules.conversation(tags: facts.tags, externalID: facts.externalID, requesterPhone: facts.requesterPhone) {
            facts.profile = try klaviyo.profile(phone: conv.customer)
        }
        guard case .send(let plan) = ReplyRules.decide(facts, settings: settings) else {
            if case .skip(let reason) = ReplyRules.decide(facts, settings: settings) { return skipped(reason, base) }
            return skipped(.noComment, base)
        }
        base["provider"] = .string(settings.provider.rawValue)
        base["segments"] = .int(Int64(plan.segments))
        base["encoding"] = .string(plan.encoding.rawValue)
        base["parts"] = .int(Int64(plan.parts.count))
        if plan.attachmentsNotSent > 0 { base["attachments_not_sent"] = .int(Int64(plan.attachmentsNotSent)) }
        if settings.provider == .twilio && plan.brandNumber == nil {
            return failed(base, reason: "no_brand_number", code: nil)
        }

        // Claim the relay on the ticket (collision-guarded), or find it already claimed.
        let tag = ReplyRules.claimTag(commentID: commentID)
        var claimed = false
        for _ in 0..<4 {
            let tags = (ticket["tags"].array ?? []).compactMap(\.string)
            if tags.contains(tag) { return try alreadyClaimed(plan, commentCreatedAt: comment["created_at"].string, base) }
            do {
                try zendesk.addTags(ticketID: e.ticketID, [tag], safeUpdateStamp: ticket["updated_at"].string ?? "")
                claimed = true
                break
            } catch let err as ServiceError where err.code == .conflict {
                doc = try zendesk.ticket(id: e.ticketID)
                ticket = doc.ticket
            } catch let err as ServiceError where err.isClosedTicketError {
                return skipped(.notSMSTicket, base.merging(["detail": "ticket closed"]))
            }
        }
        guard claimed else { throw SMSError(.unsettled, "the ticket kept changing while claiming the reply") }

        let outcome: JSON
        switch settings.provider {
        case .twilio: outcome = try sendTwilio(plan, commentID: commentID, createdAt: comment["created_at"].string, ticketID: e.ticketID, claim: tag, base)
        case .klaviyo: outcome = try sendKlaviyo(plan, profile: facts.profile, ticketID: e.ticketID, claim: tag, base)
        }
        return outcome
    }

    // MARK: - Providers

    func sendTwilio(_ plan: ReplyPlan, commentID: Int64, createdAt: String?, ticketID: Int64, claim: String, _ base: JSON) throws -> JSON {
        guard let twilio, let from = plan.brandNumber else { throw SMSError(.badConfiguration, "Twilio is not configured") }
        var sids: [JSON] = []
        for (i, part) in plan.parts.enumerated() {
            do {
                let sender = try senders?().twilio ?? twilio
                switch try sender.sendMessage(to: plan.customer, from: from, body: part) {
                case .success(let message):
                    sids.append(message["sid"])
                case .failure(let refusal):
                    return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "provider_refused", code: .int(Int64(refusal.code)),
                                  message: refusal.message)
                }
            } catch let err as RuntimeError where err.code == .upstreamUnavailable {
                if err.outcomeUnknown {
                    let recent = try twilio.messages(to: plan.customer, from: from)
                    if let m = recent.first(where: { ReplyRules.isRelay($0, of: part, commentCreatedAt: createdAt) }) {
                        log?.note("Twilio's answer was lost; the message is in Twilio's list: not re-sending")
                        sids.append(m["sid"])
                        continue
                    }
                    return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "outcome_unknown", code: nil,
                                  message: "the send may or may not have gone out; not re-sending to avoid a double text")
                }
                if i == 0 { release(claim, ticketID: ticketID) ; throw err }
                return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "partial_send", code: nil, message: err.message)
            }
        }
        var r = base.merging(["outcome": "sent", "message_ids": .array(sids)])
        if settings.hasKlaviyo, let klaviyo {
            do {
                try klaviyo.createEvent(KlaviyoEvent(
                    metric: settings.replyMetric, phoneNumber: plan.customer,
                    properties: ["zendesk_ticket_id": .int(ticketID), "zendesk_comment_id": .int(commentID),
                                 "from_number": .string(from), "segments": .int(Int64(plan.segments)),
                                 "encoding": .string(plan.encoding.rawValue), "body": .string(plan.parts.joined(separator: "\n"))],
                    uniqueID: "zendesk-sms-reply-\(commentID)"))
                r["klaviyo_event"] = "recorded"
            } catch {
                log?.note("recording the reply in Klaviyo failed: \(error)")
                r["klaviyo_event"] = "failed"
            }
        }
        return r
    }

    func sendKlaviyo(_ plan: ReplyPlan, profile: KlaviyoProfile?, ticketID: Int64, claim: String, _ base: JSON) throws -> JSON {
        guard let klaviyo, let profile else { release(claim, ticketID: ticketID); return failed(base, reason: "no_profile", code: nil) }
        guard let conversation = try klaviyo.conversationID(profileID: profile.id) else {
            release(claim, ticketID: ticketID)
            return failed(base, reason: "no_conversation", code: nil)
        }
        var ids: [JSON] = []
        for (i, part) in plan.parts.enumerated() {
            do {
                let sender = try senders?().klaviyo ?? klaviyo
                switch try sender.sendConversationMessage(conversationID: conversation, body: part) {
                case .success(let id): ids.append(JSON(id))
                case .failure(let refusal):
                    return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "provider_refused", code: .string(refusal.refusal.code),
                                  message: refusal.refusal.detail)
                }
            } catch let err as RuntimeError where err.code == .upstreamUnavailable {
                if err.outcomeUnknown {
                    return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "outcome_unknown", code: nil,
                                  message: "Klaviyo's answer was lost; not re-sending to avoid a double text")
                }
                if i == 0 { release(claim, ticketID: ticketID); throw err }
                return failed(base.merging(["parts_sent": .int(Int64(i))]), reason: "partial_send", code: nil, message: err.message)
            }
        }
        return base.merging(["outcome": "sent", "message_ids": .array(ids)])
    }

    /// The relay was claimed by an earlier or concurrent delivery: never send again. With Twilio,
    /// say whether the text is confirmed in Twilio's list.
    func alreadyClaimed(_ plan: ReplyPlan, commentCreatedAt: String?, _ base: JSON) throws -> JSON {
        var r = base.merging(["outcome": "duplicate"])
        if settings.provider == .twilio, let twilio, let from = plan.brandNumber, let first = plan.parts.first {
            let recent = try twilio.messages(to: plan.customer, from: from)
            r["provider_confirmed"] = .bool(recent.contains { ReplyRules.isRelay($0, of: first, commentCreatedAt: commentCreatedAt) })
        }
        return r
    }

    /// Removes the claim tag so a re-delivery may send (best effort).
    func release(_ tag: String, ticketID: Int64) {
        do { try zendesk.removeTags(ticketID: ticketID, [tag]) } catch { log?.note("releasing the reply claim failed: \(error)") }
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
