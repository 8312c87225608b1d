import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// What the Klaviyo Inbox knows about a text, brought onto its Zendesk ticket once the text has
/// landed: the reply attribution (tag `sms_attributed` and a private note) and, on a ticket the
/// text opened, the customer-context note.
///
/// Each note is written once: its write carries `metadata.custom.sms_note` (`attribution:<message
/// id>`, `context`), every write re-reads the audits first, and writes are collision-guarded
/// (`safe_update`), so of two deliveries racing one writes and the other then sees the note. A
/// repeated delivery (outcome `duplicate`) finishes what an earlier one left undone.
extension SMSInboundHandler {
    /// The outcomes after which the text is on a ticket.
    static let landedOutcomes: Set<String> = [
        "created", "commented", "reopened", "followup", "continued", "duplicate",
    ]

    /// Adds the attribution and context to `landed` (the text's result) and to its ticket.
    func enrich(_ landed: JSON, message m: InboundMessage, profile: KlaviyoProfile?) throws -> JSON {
        guard let outcome = landed["outcome"].string, Self.landedOutcomes.contains(outcome),
            let ticketID = landed["ticket_id"].int
        else { return landed }
        var r = landed
        var audits = try zendesk.audits(ticketID: ticketID)
        let attribution = attribute(m, profile: profile, audits: audits)
        var notes: JSON = [:]
        switch attribution {
        case .attributed(let a):
            r["attributed_to"] = InboundRules.attributionResult(attribution)
            notes["attribution"] = .string(
                try addNote(
                    ticketID: ticketID, key: "attribution:\(m.messageID)", body: InboundRules.attributionNote(a),
                    tags: [InboundRules.attributedTag], audits: &audits))
        case .unattributed(let reason, let detail):
            r["attribution"] = (["reason": .string(reason.rawValue), "detail": JSON(detail)] as JSON).droppingNulls
        }
        // The context note goes on a ticket this text opened (its first audit records the text).
        let opened = audits.first?.at("metadata.custom.sms_message_id").string == m.messageID
        if opened {
            if let skipped = contextSkipReason(profile) {
                log?.note("customer-context note skipped: \(skipped)")
                notes["context"] = .string("skipped: \(skipped)")
            } else if let profile {
                let context = try customerContext(profile, ticketID: ticketID)
                notes["context"] = .string(
                    try addNote(
                        ticketID: ticketID, key: "context", body: InboundRules.contextNote(context), tags: [],
                        audits: &audits))
            }
        }
        if notes.object?.isEmpty == false { r["notes"] = notes }
        return r
    }

    /// Why no context note is written, or nil when one is.
    func contextSkipReason(_ profile: KlaviyoProfile?) -> String? {
        if !settings.contextNote { return "SMS_CONTEXT_NOTE=0" }
        if klaviyo == nil || !settings.hasKlaviyo { return "Klaviyo is not configured (KLAVIYO_API_KEY)" }
        if profile == nil { return "the sender has no Klaviyo profile" }
        return nil
    }

    // MARK: - Attribution

    /// Attributes the text: Klaviyo's own attribution when the item carries it (and its message
    /// can be read), else the rule over the profile's "Received SMS" and "Sent SMS" events and the
    /// texts already on the ticket. Klaviyo failing leaves the text unattributed, saying why.
    func attribute(_ m: InboundMessage, profile: KlaviyoProfile?, audits: [JSON]) -> AttributionResult {
        guard let klaviyo, settings.hasKlaviyo else { return .unattributed(.klaviyoNotConfigured) }
        guard let profile else { return .unattributed(.noProfile) }
        let textAt = m.receivedAt.flatMap(Clock.parse) ?? Clock.now()
        do {
            if let ref = m.klaviyoAttribution, let eventID = ref.eventID, let e = try klaviyo.event(id: eventID),
                let message = InboundRules.deliveredSMS(id: e.id, properties: e.properties, at: e.datetime)
            {
                return .attributed(SMSAttribution(message: message, textAt: textAt, byKlaviyo: true))
            }
            let window = settings.attributionWindow
            // Twice the window: a message just outside it is reported as such, not as none.
            let since = textAt.addingTimeInterval(-2 * window - 1)
            let ids = try klaviyo.metricIDs(named: [KlaviyoSMSMetric.received, KlaviyoSMSMetric.sent])
            let delivered =
                try ids[KlaviyoSMSMetric.received].map {
                    try klaviyo.events(profileID: profile.id, metricID: $0, since: since)
                }?.compactMap { KlaviyoListedEvent(resource: $0) }.compactMap {
                    InboundRules.deliveredSMS(id: $0.id, properties: $0.properties, at: $0.datetime)
                } ?? []
            let sent =
                try ids[KlaviyoSMSMetric.sent].map {
                    try klaviyo.events(profileID: profile.id, metricID: $0, since: since)
                }?.compactMap { KlaviyoListedEvent(resource: $0) }.compactMap { e in
                    e.datetime.map { EarlierText(id: e.id, at: $0) }
                } ?? []
            let onTicket = InboundRules.inboundTexts(audits)
            return InboundRules.attribute(
                textID: m.messageID, textAt: textAt, textOrder: onTicket.first { $0.id == m.messageID }?.ticketOrder,
                delivered: delivered, texts: InboundRules.mergedTexts(klaviyo: sent, ticket: onTicket), window: window)
        } catch {
            let e = RuntimeError.from(error)
            log?.warn("attribution of \(m.messageID) skipped: Klaviyo did not answer (\(e.message))")
            return .unattributed(.klaviyoUnavailable, detail: e.message)
        }
    }

    // MARK: - Customer context

    /// The context of a new ticket: the profile as read for consent (with predictive analytics),
    /// the requester's earlier tickets and the profile's recent events. A part that cannot be read
    /// shows as "not available"; the note is written regardless.
    func customerContext(_ profile: KlaviyoProfile, ticketID: Int64) throws -> CustomerContext {
        var earlier: Int?
        do {
            if let requester = try zendesk.ticket(id: ticketID).ticket["requester_id"].int {
                let found = try zendesk.searchTickets("type:ticket requester:\(requester)", limit: 1000).tickets
                earlier = InboundRules.earlierTickets(ids: found.compactMap { $0["id"].int }, current: ticketID)
            }
        } catch {
            log?.warn(
                "earlier tickets of ticket \(ticketID)'s requester not counted: \(RuntimeError.from(error).message)")
        }
        var events: [(metric: String, at: Date)] = []
        if let klaviyo {
            do {
                events = try klaviyo.recentEvents(profileID: profile.id, limit: InboundRules.contextEventCount)
                    .compactMap { e in e.datetime.map { (e.metricName ?? e.metricID ?? "event", $0) } }
            } catch {
                log?.warn(
                    "recent Klaviyo events of profile \(profile.id) not read: \(RuntimeError.from(error).message)")
            }
        }
        return CustomerContext(profile: profile, earlierTickets: earlier, recentEvents: events)
    }

    // MARK: - Notes

    /// Writes the private note `key` on the ticket once. Returns `added`, `exists` (an earlier or
    /// concurrent delivery wrote it), `ticket_closed` (a closed ticket takes no notes) or
    /// `ticket_full` (the ticket holds Zendesk's maximum of comments; it is tagged so).
    ///
    /// The stamp is read before the audits: a note written after the audits were read moved
    /// `updated_at` past the stamp, so this write gets 409 and re-reads; a note written before
    /// the stamp was read is in the audits.
    func addNote(ticketID: Int64, key: String, body: String, tags: [String], audits: inout [JSON]) throws -> String {
        var attempt = 0
        while another(&attempt) {
            let live = try zendesk.ticket(id: ticketID).ticket
            guard let ticket = ConversationTicket(ticket: live), !ticket.isClosed else { return "ticket_closed" }
            audits = try zendesk.audits(ticketID: ticketID)
            if InboundRules.hasNote(audits, key: key) { return "exists" }
            var fields: JSON = [
                "comment": ["body": .string(body), "public": false], "metadata": ["sms_note": .string(key)],
            ]
            if !tags.isEmpty { fields["additional_tags"] = JSON(tags) }
            do {
                try zendesk.updateTicket(id: ticketID, fields: fields, safeUpdateStamp: ticket.updatedAt)
                return "added"
            } catch let e as ServiceError where e.code == .conflict {
                log?.note("ticket \(ticketID) changed while adding the \(key) note; re-reading")
            } catch let e as ServiceError where e.isClosedTicketError {
                return "ticket_closed"
            } catch let e as ServiceError where e.code == .rejected {
                // The text itself filled the ticket: it is there; the note cannot be.
                guard try markedFull(ticketID, after: e) else { throw e }
                return "ticket_full"
            }
        }
        throw SMSError(.unsettled, "ticket \(ticketID) kept changing while adding the \(key) note")
    }
}
