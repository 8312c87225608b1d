import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

extension AgentReplyHandler {
    /// Settles one delivery status of a reply Twilio sent.
    ///
    /// A status that is not a failure is `ignored` without any call. A failure (`undelivered`,
    /// `failed`) puts an internal note on the ticket, the tag `sms_reply_<comment>_undelivered`
    /// and, when the ticket was pending, on hold or solved, the status `open` — one update with
    /// `safe_update`, so two failing parts of one reply race to one note — and is listed for a
    /// person (`undelivered`). A ticket that already has the tag answers `duplicate`; a closed
    /// ticket (no update possible) or a deleted one is listed for a person only. A Zendesk that
    /// is unavailable, or whose answer was lost before the tag is seen, ends with exit 75: the
    /// invoker's spool (Twilio does not re-post a status callback) runs it again.
    public func handle(_ report: DeliveryReport) throws -> JSON {
        var base: JSON = [
            "ticket_id": .int(report.ticketID), "comment_id": .int(report.commentID),
            "message_sid": .string(report.messageSID), "delivery_status": .string(report.status),
        ]
        if let part = report.part { base["part"] = .int(Int64(part)) }
        guard DeliveryRules.isFailure(report.status) else {
            return base.merging(["outcome": "ignored", "reason": "delivery_status"])
        }
        if let code = report.errorCode { base["provider_code"] = .int(Int64(code)) }
        base["detail"] = .string(DeliveryRules.errorText(report.errorCode))
        let tag = DeliveryRules.undeliveredTag(commentID: report.commentID)
        let action = "the customer did not get the SMS reply of comment \(report.commentID): reply by another channel"
        let written: TaggedNote
        do {
            written = try writeTaggedNote(
                ticketID: report.ticketID, tag: tag, note: DeliveryRules.note(report), reopen: true)
        } catch let err as ServiceError where err.code == .notFound {
            return listed(report, base.merging(["outcome": "undelivered", "reason": "ticket_not_found"]), action)
        }
        switch written {
        case .written(let reopened):
            var r = base.merging(["outcome": "undelivered", "noted": true])
            if reopened { r["reopened"] = true }
            return listed(report, r, action)
        case .found(let afterConflict):
            // After a 409 the note may be this delivery's own: its text names this message.
            if afterConflict, try noteNames(report) {
                return listed(report, base.merging(["outcome": "undelivered", "noted": true]), action)
            }
            return base.merging(["outcome": "duplicate", "reason": "already_noted"])
        case .closed:
            return listed(report, base.merging(["outcome": "undelivered", "reason": "ticket_closed"]), action)
        }
    }

    /// True when an internal note of the ticket names the report's message.
    func noteNames(_ report: DeliveryReport) throws -> Bool {
        try zendesk.comments(ticketID: report.ticketID, sortOrder: .descending).contains { c in
            c["public"].bool == false && (c["body"].string ?? "").contains(report.messageSID)
        }
    }

    /// Lists a failed delivery for a person (counted, logged as a warning, `./invoke attention`).
    func listed(_ report: DeliveryReport, _ result: JSON, _ action: String) -> JSON {
        listed(
            result, kind: "reply_undelivered", ticketID: report.ticketID,
            detail: "comment \(report.commentID): message \(report.messageSID) \(report.status), "
                + DeliveryRules.errorText(report.errorCode),
            action: action)
    }
}
