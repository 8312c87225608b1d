import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

extension SMSInboundHandler {
    /// A message of the brand Klaviyo could not deliver ("Failed to Deliver SMS").
    ///
    /// A campaign or flow message is `ignored` (`not_a_reply`): marketing deliverability is not an
    /// agent's matter. A conversation reply — an agent's answer, sent from Zendesk or Klaviyo's
    /// inbox — becomes one internal note on the customer's open SMS ticket ("SMS not delivered",
    /// the reply's text and Klaviyo's `Failure Type`), recorded with the event id in the audit's
    /// metadata (`sms_message_id`), the ticket back to `open` when it was pending, on hold or solved,
    /// and an `attention` entry (`undelivered`). The same event again → `duplicate`; a customer
    /// without an open SMS ticket → the `attention` entry only.
    func handle(_ u: UndeliveredSMS) throws -> JSON {
        var base: JSON = ["message_id": .string(u.messageID)]
        if let type = u.failureType { base["failure_type"] = .string(type) }
        if let source = u.source {
            return base.merging(["outcome": "ignored", "reason": "not_a_reply", "detail": .string(source)])
        }
        let phone = try customerPhone(u.customer, profileID: u.profileID)
        let action = "Klaviyo could not deliver an SMS reply to the customer: reply by another channel"
        guard let phone else {
            return listed(
                u, ticketID: nil, base.merging(["outcome": "undelivered", "reason": "no_customer_phone"]), action)
        }
        switch try noteOnce(
            phone: phone, messageID: u.messageID, direction: "undelivered", note: InboundRules.undeliveredNote(u),
            reopen: true)
        {
        case .noTicket:
            return listed(
                u, ticketID: nil, base.merging(["outcome": "undelivered", "reason": "no_open_ticket"]), action)
        case .skipped(let answer):
            return answer
        case .found(let id, let afterConflict):
            // After a 409 the note may be this delivery's own (a PUT repeated after a lost answer).
            if afterConflict {
                return listed(
                    u, ticketID: id, base.merging(["outcome": "undelivered", "ticket_id": .int(id), "noted": true]),
                    action)
            }
            return base.merging(["outcome": "duplicate", "ticket_id": .int(id)])
        case .written(let id, let reopened):
            var r = base.merging(["outcome": "undelivered", "ticket_id": .int(id), "noted": true])
            if reopened { r["reopened"] = true }
            return listed(u, ticketID: id, r, action)
        }
    }

    /// Lists an undelivered reply for a person (counted, logged as a warning, `./invoke attention`).
    func listed(_ u: UndeliveredSMS, ticketID: Int64?, _ result: JSON, _ action: String) -> JSON {
        log?.needsPerson(
            "reply_undelivered", ticketID: ticketID,
            detail: "Klaviyo event \(u.messageID): \(u.failureType ?? "no failure type")", action: action)
        return result.merging(["attention": .string(action)])
    }
}
