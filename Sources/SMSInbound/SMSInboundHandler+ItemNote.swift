import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// What `noteOnce` found or did.
enum ItemNote {
    /// The customer has no open SMS ticket.
    case noTicket
    /// `skip` answered for this ticket: nothing written.
    case skipped(JSON)
    /// The item is already on the ticket (`afterConflict`: seen only after a 409 of this call, so
    /// the note may be this call's own, repeated by the HTTP client after a lost answer).
    case found(ticketID: Int64, afterConflict: Bool)
    case written(ticketID: Int64, reopened: Bool)
}

extension SMSInboundHandler {
    /// Puts the internal note of an outbound Klaviyo item on the customer's open SMS ticket, once:
    /// recorded with `messageID` in the audit's metadata (`sms_message_id`, `sms_direction`) and
    /// checked there before every write; written with `safe_update` (a 409, a ticket closed
    /// meanwhile or one found full looks again); an answer lost after the request went out is settled by the audits.
    /// With `reopen` the ticket goes back to `open` when it was pending, on hold or solved.
    /// `skip` may answer for a ticket before anything is written.
    func noteOnce(
        phone: String, messageID: String, direction: String, note: String, reopen: Bool,
        skip: (ConversationTicket) throws -> JSON? = { _ in nil }
    ) throws -> ItemNote {
        let metadata: JSON = ["sms_message_id": .string(messageID), "sms_direction": .string(direction)]
        var conflicted = false
        var attempt = 0
        while another(&attempt) {
            guard let active = try openSMSTicket(customer: phone) else { return .noTicket }
            if let answer = try skip(active) { return .skipped(answer) }
            if InboundRules.records(try zendesk.audits(ticketID: active.id), messageID: messageID) {
                return .found(ticketID: active.id, afterConflict: conflicted)
            }
            var fields: JSON = ["comment": ["body": .string(note), "public": false], "metadata": metadata]
            let status = reopen ? SMSDeliveryFailure.reopenedStatus(active.status) : nil
            if let status { fields["status"] = .string(status) }
            do {
                try zendesk.updateTicket(id: active.id, fields: fields, safeUpdateStamp: active.updatedAt)
            } catch let e as ServiceError where e.code == .conflict || e.isClosedTicketError {
                conflicted = true
                continue
            } catch let e as ServiceError where e.code == .rejected {
                // A full ticket is tagged and left: the next open SMS ticket, if any, takes the note.
                guard try markedFull(active.id, after: e) else { throw e }
                continue
            } catch let e as RuntimeError where e.code == .upstreamUnavailable && e.outcomeUnknown {
                guard
                    (try? zendesk.audits(ticketID: active.id)).map({ InboundRules.records($0, messageID: messageID) })
                        == true
                else { throw e }
            }
            return .written(ticketID: active.id, reopened: status != nil)
        }
        throw SMSError(.unsettled, "the SMS ticket kept changing; giving up for now so the delivery is retried")
    }
}
