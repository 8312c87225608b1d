import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// What `writeTaggedNote` found or did.
enum TaggedNote: Equatable {
    /// The note and its tag were written (`reopened`: the ticket was set back to `open`).
    case written(reopened: Bool)
    /// The tag was already on the ticket (`afterConflict`: seen only after a 409 of this call, so
    /// the note may be this call's own, repeated by the HTTP client after a lost answer).
    case found(afterConflict: Bool)
    /// The ticket is closed: Zendesk takes no update.
    case closed
}

extension AgentReplyHandler {
    /// Writes an internal note together with the tag that records it, once: one ticket update
    /// with `safe_update` — the note, `tag` added, `extra` fields (e.g. `remove_tags`) and, with
    /// `reopen`, the status `open` when the ticket was pending, on hold or solved. A ticket that
    /// has the tag already is `found`; a 409 re-reads; an answer lost after the request went out
    /// is settled by the tag. Other failures (Zendesk unavailable, the ticket gone) are thrown.
    func writeTaggedNote(
        ticketID: Int64, tag: String, note: String, reopen: Bool, extra: JSON = [:]
    ) throws
        -> TaggedNote
    {
        var conflicted = false
        for _ in 0..<8 {
            let ticket = try zendesk.ticket(id: ticketID).ticket
            if (ticket["tags"].array ?? []).contains(.string(tag)) { return .found(afterConflict: conflicted) }
            if ticket["status"].string == "closed" { return .closed }
            var fields = extra
            fields["comment"] = ["body": .string(note), "public": false]
            fields["additional_tags"] = .array((extra["additional_tags"].array ?? []) + [.string(tag)])
            let status = reopen ? SMSDeliveryFailure.reopenedStatus(ticket["status"].string) : nil
            if let status { fields["status"] = .string(status) }
            do {
                try zendesk.updateTicket(
                    id: ticketID, fields: fields, safeUpdateStamp: ticket["updated_at"].string ?? "")
            } catch let err as ServiceError where err.code == .conflict {
                conflicted = true
                continue  // changed meanwhile, or this write landed: the re-read tells
            } catch let err as ServiceError where err.isClosedTicketError {
                return .closed
            } catch let err as RuntimeError where err.code == .upstreamUnavailable && err.outcomeUnknown {
                guard (try? zendesk.tags(ticketID: ticketID))?.contains(tag) == true else { throw err }
            }
            return .written(reopened: status != nil)
        }
        throw SMSError(.unsettled, "ticket \(ticketID) kept changing while writing the note tagged \(tag)")
    }
}
