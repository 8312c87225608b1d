import FunctionRuntime
import ServiceClients
import SMSCore

/// Carries out `sms-inbound`: reads the facts through the service clients, asks `InboundRules`,
/// executes the decision. Stateless: duplicates and races are settled through Zendesk.
///
/// - A handled message is recorded in the audit of the write that added it
///   (`metadata.custom.sms_message_id`); every write re-checks that record first.
/// - Comments are collision-guarded (`safe_update` + `updated_stamp`): of two writers racing,
///   one gets 409, re-reads, and then sees the other's message (duplicate) or retries.
/// - Tickets are created with an `Idempotency-Key` derived from the customer, the brand number
///   and the ticket it follows: a repeated delivery is replayed (duplicate); a different first
///   text racing it is refused and re-routed onto the ticket that won. Should two tickets still
///   exist, the lowest id wins and the other one's text is moved there and the ticket merged.
public struct SMSInboundHandler {
    public let zendesk: Zendesk
    public let klaviyo: Klaviyo?
    /// Sends the auto-responder's text (Twilio provider with `SMS_AUTORESPONDER_TEXT`).
    public let twilio: Twilio?
    public let settings: SMSSettings
    public let log: EventLog?
    /// Seconds left of the invocation's time budget: a write that lost a race is decided again
    /// (after a short random pause) for as long as the budget allows, so a burst of texts all
    /// land instead of ending 503 — Twilio does not re-deliver an inbound webhook.
    public let remaining: @Sendable () -> Double

    public init(
        zendesk: Zendesk, klaviyo: Klaviyo?, twilio: Twilio? = nil, settings: SMSSettings, log: EventLog? = nil,
        remaining: @escaping @Sendable () -> Double = { 8 }
    ) {
        self.zendesk = zendesk
        self.klaviyo = klaviyo
        self.twilio = twilio
        self.settings = settings
        self.log = log
        self.remaining = remaining
    }

    /// The attempts of a write that may lose races: true while another is worth making, after a
    /// pause that grows with the attempt, randomised so that racing writers spread out.
    func another(_ attempt: inout Int) -> Bool {
        attempt += 1
        if attempt == 1 { return true }
        guard attempt <= 60, remaining() > 1.0 else { return false }
        Clock.sleep(Double.random(in: 0.01...0.05) * Double(min(attempt, 8)))
        return true
    }

    /// Handles one item and returns its result object (without `function`).
    public func handle(_ item: InboundItem) throws -> JSON {
        switch item {
        case .message(let m): return try handle(m)
        case .campaign(let c): return try handle(c)
        case .undelivered(let u): return try handle(u)
        case .otherTopic(let id, let topic):
            return result(.ignore(.topic), messageID: id, extra: ["topic": .string(topic)])
        case .conversationReply(let r): return try handle(r)
        case .invalid(_, let error):
            // Only batches hold unreadable items: the batch turns this into the item's error entry.
            throw error
        }
    }

    // MARK: - Customer texts

    /// A customer's text: screened, checked for consent, landed on the conversation's ticket, then
    /// enriched (attribution, customer context). A text ignored as `not_consented` may get the
    /// auto-responder's answer.
    func handle(_ message: InboundMessage) throws -> JSON {
        var m = message
        var profile: KlaviyoProfile?
        // The consent read also brings the predictive analytics the context note shows: one call.
        let predictive = settings.contextNote
        if m.from.isEmpty {
            // A Klaviyo item naming the customer only by profile: one read gives phone and consent.
            guard let klaviyo, let id = m.profileID else {
                throw SMSError(.invalidMessage, "the message names no sender phone number")
            }
            profile = try klaviyo.profile(id: id, predictive: predictive)
            guard let phone = profile?.phoneNumber.map(PhoneNumber.normalize) else {
                return result(
                    .ignore(.notConsented, detail: "profile \(id) has no phone number"), messageID: m.messageID)
            }
            m.from = phone
        }
        if let early = InboundRules.screen(m, settings: settings) { return result(early, messageID: m.messageID) }
        if profile == nil, let klaviyo, settings.hasKlaviyo {
            profile =
                try m.profileID.flatMap { try klaviyo.profile(id: $0, predictive: predictive) }
                ?? klaviyo.profile(phone: m.from, predictive: predictive)
        }
        if let refused = InboundRules.consent(profile: profile, settings: settings) {
            return try autoRespond(to: m, profile: profile, decision: refused)
        }
        let landed = try land(m, profile: profile)
        return try enrich(landed, message: m, profile: profile)
    }

    /// Puts the text on the conversation's ticket (comment, reopen, follow-up or new ticket).
    func land(_ m: InboundMessage, profile: KlaviyoProfile?) throws -> JSON {
        let key = m.conversation
        let comment = SMSText.inboundComment(body: m.body, mediaCount: m.mediaCount)
        var metadata: JSON = ["sms_message_id": .string(m.messageID), "sms_direction": "inbound"]
        // The provider's time of the text, when it gives one (the burst rule orders texts by it);
        // never "now", which would make a repeated delivery's creation body differ.
        if let at = m.receivedAt.flatMap(Clock.parse) { metadata["sms_received_at"] = .string(Clock.iso8601(at)) }
        var requesterID: Int64?
        var attempt = 0
        while another(&attempt) {
            let (tickets, handledBy) = try conversationFacts(key, messageID: m.messageID)
            let decision = InboundRules.route(tickets: tickets, handledBy: handledBy)
            switch decision {
            case .duplicate, .ignore, .note:
                return result(decision, messageID: m.messageID)
            case .comment(let id, let stamp, let reopen):
                let author = tickets.first { $0.id == id }?.requesterID
                var fields: JSON = [
                    "comment": (["body": .string(comment), "public": true, "author_id": JSON(author)] as JSON)
                        .droppingNulls,
                    "metadata": metadata,
                ]
                if reopen { fields["status"] = "open" }
                do {
                    try zendesk.updateTicket(id: id, fields: fields, safeUpdateStamp: stamp)
                    return result(decision, messageID: m.messageID, ticketID: id)
                } catch let e as ServiceError where e.code == .conflict || e.isClosedTicketError {
                    log?.note("ticket \(id) changed or closed while commenting (\(e.status)); re-reading")
                    continue
                } catch let e as ServiceError where e.code == .rejected {
                    guard try markedFull(id, after: e) else { throw e }
                    // This text may be the comment that filled it, its answer lost: the newest audits say.
                    if InboundRules.records(try zendesk.recentAudits(ticketID: id), messageID: m.messageID) {
                        return result(.duplicate(ticketID: id), messageID: m.messageID)
                    }
                    continue
                }
            case .followUp, .create, .continuation:
                if requesterID == nil { requesterID = try requester(for: m, profile: profile) }
                var predecessor: Int64?
                var full: Int64?
                if case .followUp(let closed) = decision { predecessor = closed }
                if case .continuation(let filled) = decision { predecessor = filled; full = filled }
                let subject = InboundRules.subject(customerName: profile?.displayName, phone: m.from, continuing: full)
                var fields: JSON = [
                    "subject": .string(subject),
                    "comment": ["body": .string(comment), "public": true, "author_id": JSON(requesterID)],
                    "requester_id": JSON(requesterID),
                    "submitter_id": JSON(requesterID),
                    "tags": ["sms"],
                    "external_id": .string(key.externalID),
                    "metadata": metadata,
                ]
                if let brand = settings.brandID { fields["brand_id"] = .int(brand) }
                if case .followUp(let closed) = decision { fields["via_followup_source_id"] = .int(closed) }
                let created: ZendeskCreatedTicket
                do {
                    created = try zendesk.createTicket(fields, idempotencyKey: key.idempotencyKey(after: predecessor))
                } catch let e as ServiceError where e.cause == .idempotencyKeyReused {
                    log?.note("another text created this conversation's ticket first; re-routing")
                    continue
                }
                guard let id = created.ticket["id"].int else {
                    throw SMSError(.unsettled, "Zendesk created a ticket without an id")
                }
                if created.replayed { return result(.duplicate(ticketID: id), messageID: m.messageID, ticketID: id) }
                return try settleRace(
                    created: id, decision: decision, message: m, comment: comment, metadata: metadata,
                    authorID: requesterID)
            }
        }
        throw SMSError(
            .unsettled, "the conversation's ticket kept changing; giving up for now so the delivery is retried")
    }

    /// After creating a ticket: when another non-closed ticket of the same conversation has a
    /// lower id, it wins. The text moves there (unless already recorded) and the new ticket is
    /// merged into it.
    func settleRace(
        created id: Int64, decision: InboundDecision, message m: InboundMessage, comment: String, metadata: JSON,
        authorID: Int64?
    ) throws -> JSON {
        let tickets = try zendesk.tickets(externalID: m.conversation.externalID).compactMap(
            ConversationTicket.init(ticket:))
        guard let winner = InboundRules.activeTicket(tickets), winner.id < id else {
            return result(decision, messageID: m.messageID, ticketID: id)
        }
        log?.note("ticket \(id) lost a creation race to ticket \(winner.id); moving the text and merging")
        if !InboundRules.records(try zendesk.audits(ticketID: winner.id), messageID: m.messageID) {
            try zendesk.updateTicket(
                id: winner.id,
                fields: [
                    "comment": (["body": .string(comment), "public": true, "author_id": JSON(authorID)] as JSON)
                        .droppingNulls,
                    "metadata": metadata,
                ])
        }
        try zendesk.merge(
            into: winner.id, sourceIDs: [id],
            targetComment: "Duplicate SMS ticket #\(id) merged into this conversation.",
            sourceComment: "Merged into #\(winner.id) (same SMS conversation).")
        return result(
            .comment(ticketID: winner.id, stamp: nil, reopen: false), messageID: m.messageID, ticketID: winner.id,
            extra: ["merged_ticket_id": .int(id)])
    }

    /// The conversation's tickets, live (each re-read by id), and the ticket whose audits already
    /// record `messageID`.
    func conversationFacts(_ key: SMSConversationKey, messageID: String) throws -> ([ConversationTicket], Int64?) {
        let listed = try zendesk.tickets(externalID: key.externalID).compactMap(ConversationTicket.init(ticket:))
        var tickets = listed
        var handledBy: Int64?
        if let active = InboundRules.activeTicket(listed) {
            // Re-read by id: the live status and updated_at decide the write.
            let live = try zendesk.ticket(id: active.id).ticket
            if let fresh = ConversationTicket(ticket: live) {
                tickets = listed.map { $0.id == fresh.id ? fresh : $0 }
            }
            if InboundRules.records(try zendesk.audits(ticketID: active.id), messageID: messageID) {
                handledBy = active.id
            }
        }
        // A text that filled the newest full ticket (its answer lost) is among that ticket's
        // newest audits, beyond what a full listing reads.
        if handledBy == nil, let full = listed.filter(\.isFull).max(by: { $0.id < $1.id }),
            InboundRules.records(try zendesk.recentAudits(ticketID: full.id), messageID: messageID)
        {
            handledBy = full.id
        }
        return (tickets, handledBy)
    }

    /// After Zendesk refused a write with a comment on `ticketID` (a 4xx other than the closed
    /// ticket's 422): true when the ticket holds Zendesk's maximum of comments
    /// (`Zendesk.commentLimit`). It is then tagged `InboundRules.fullTag`, so the conversation's
    /// texts go to a new ticket from then on (the tags endpoint takes no comment).
    func markedFull(_ ticketID: Int64, after error: ServiceError) throws -> Bool {
        guard error.status == 422, !error.isClosedTicketError,
            let count = try zendesk.commentCount(ticketID: ticketID), InboundRules.isFull(commentCount: count)
        else { return false }
        try zendesk.addTags(ticketID: ticketID, [InboundRules.fullTag], safeUpdateStamp: nil)
        log?.note(
            "ticket \(ticketID) holds Zendesk's maximum of \(Zendesk.commentLimit) comments: tagged "
                + "\(InboundRules.fullTag); the conversation goes on in a new ticket")
        return true
    }

    /// The Zendesk end-user for the sender: found by phone, else created (or matched by email)
    /// with the Klaviyo profile's name.
    func requester(for m: InboundMessage, profile: KlaviyoProfile?) throws -> Int64 {
        if let user = try zendesk.user(phone: m.from), let id = user["id"].int { return id }
        var fields: JSON = [
            "name": .string(profile?.displayName ?? m.from), "phone": .string(m.from), "role": "end-user",
        ]
        if let email = profile?.email {
            fields["email"] = .string(email); fields["skip_verify_email"] = true
        } else {
            fields["external_id"] = .string("sms:" + m.from)
        }
        guard let id = try zendesk.createOrUpdateUser(fields)["id"].int else {
            throw SMSError(.unsettled, "Zendesk answered a user creation without an id")
        }
        return id
    }

    // MARK: - Campaign and flow SMS

    /// The customer's phone of an outbound Klaviyo item: as the payload names it, or read from
    /// the profile it names.
    func customerPhone(_ customer: String?, profileID: String?) throws -> String? {
        if let customer { return customer }
        guard let id = profileID, let klaviyo else { return nil }
        return try klaviyo.profile(id: id)?.phoneNumber
    }

    func handle(_ c: CampaignSMS) throws -> JSON {
        guard let phone = try customerPhone(c.customer, profileID: c.profileID) else {
            return result(.ignore(.noOpenTicket, detail: "no customer phone"), messageID: c.messageID)
        }
        let metadata: JSON = ["sms_message_id": .string(c.messageID), "sms_direction": "campaign"]
        var attempt = 0
        while another(&attempt) {
            let active = try openSMSTicket(customer: phone)
            let noted =
                try active.map { InboundRules.records(try zendesk.audits(ticketID: $0.id), messageID: c.messageID) }
                ?? false
            let decision = InboundRules.routeCampaign(active: active, alreadyNoted: noted)
            guard case .note(let id, let stamp) = decision else { return result(decision, messageID: c.messageID) }
            do {
                try zendesk.updateTicket(
                    id: id,
                    fields: [
                        "comment": ["body": .string(InboundRules.campaignNote(c)), "public": false],
                        "metadata": metadata,
                    ], safeUpdateStamp: stamp)
                return result(decision, messageID: c.messageID, ticketID: id)
            } catch let e as ServiceError where e.code == .conflict || e.isClosedTicketError {
                continue
            } catch let e as ServiceError where e.code == .rejected {
                guard try markedFull(id, after: e) else { throw e }
                continue
            }
        }
        throw SMSError(.unsettled, "the SMS ticket kept changing; giving up for now so the delivery is retried")
    }

    /// The customer's open SMS ticket on any brand number: requested by the end-user with that
    /// phone, tagged `sms`, taking texts — neither closed nor full (found by search, then re-read
    /// by id).
    func openSMSTicket(customer phone: String) throws -> ConversationTicket? {
        guard let user = try zendesk.user(phone: phone), let userID = user["id"].int else { return nil }
        let found = try zendesk.searchTickets("type:ticket tags:sms requester:\(userID) status<closed", limit: 100)
            .tickets
        let candidates = found.compactMap(ConversationTicket.init(ticket:)).filter(\.takesTexts).sorted {
            $0.id < $1.id
        }
        for c in candidates {
            if let live = ConversationTicket(ticket: try zendesk.ticket(id: c.id).ticket), live.takesTexts {
                return live
            }
        }
        return nil
    }

    // MARK: - Results

    func result(_ decision: InboundDecision, messageID: String?, ticketID: Int64? = nil, extra: JSON = [:]) -> JSON {
        var r: JSON = ["outcome": .string(decision.outcome), "message_id": JSON(messageID)]
        switch decision {
        case .ignore(let reason, let detail):
            r["reason"] = .string(reason.rawValue)
            if let detail { r["detail"] = .string(detail) }
        case .duplicate(let id): r["ticket_id"] = .int(id)
        case .comment(let id, _, _), .note(let id, _): r["ticket_id"] = .int(id)
        case .followUp(let closed): r["followup_source_id"] = .int(closed)
        case .continuation(let full): r["continues_ticket_id"] = .int(full)
        case .create: break
        }
        if let ticketID { r["ticket_id"] = .int(ticketID) }
        return r.droppingNulls.merging(extra)
    }
}
