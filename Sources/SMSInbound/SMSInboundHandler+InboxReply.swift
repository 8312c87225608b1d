import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

extension SMSInboundHandler {
    /// A conversation reply Klaviyo delivered ("Received SMS" naming no campaign or flow).
    ///
    /// One relayed from Zendesk — its text is that of an agent's public comment on the customer's
    /// open SMS ticket — is `ignored` (`conversation_reply`: no echo). One typed in Klaviyo's inbox
    /// is not on the ticket, and a Zendesk agent would not know the customer was answered: it
    /// becomes an internal note ("Sent to the customer from Klaviyo"), recorded with the event id
    /// in the audit's metadata (`sms_message_id`: a re-delivery is a `duplicate`). No open SMS
    /// ticket → `ignored`, `no_open_ticket`.
    func handle(_ reply: ConversationReply) throws -> JSON {
        guard let phone = try customerPhone(reply.customer, profileID: reply.profileID) else {
            return result(.ignore(.noOpenTicket, detail: "no customer phone"), messageID: reply.messageID)
        }
        let metadata: JSON = ["sms_message_id": .string(reply.messageID), "sms_direction": "inbox_reply"]
        var attempt = 0
        while another(&attempt) {
            guard let active = try openSMSTicket(customer: phone) else {
                return result(.ignore(.noOpenTicket), messageID: reply.messageID)
            }
            let comments = try zendesk.comments(ticketID: active.id, sortOrder: .descending)
            let agents = comments.filter { $0["public"].bool == true && $0["author_id"].int != active.requesterID }
                .map { $0["plain_body"].string ?? $0["body"].string ?? "" }
            if InboundRules.sentFromZendesk(reply.body, agentComments: agents) {
                return result(.ignore(.conversationReply), messageID: reply.messageID, ticketID: active.id)
            }
            if InboundRules.records(try zendesk.audits(ticketID: active.id), messageID: reply.messageID) {
                return result(.duplicate(ticketID: active.id), messageID: reply.messageID)
            }
            do {
                try zendesk.updateTicket(
                    id: active.id,
                    fields: [
                        "comment": ["body": .string(InboundRules.inboxReplyNote(reply)), "public": false],
                        "metadata": metadata,
                    ], safeUpdateStamp: active.updatedAt)
                return result(.note(ticketID: active.id, stamp: nil), messageID: reply.messageID, ticketID: active.id)
            } catch let e as ServiceError where e.code == .conflict || e.isClosedTicketError {
                continue
            }
        }
        throw SMSError(.unsettled, "the SMS ticket kept changing; giving up for now so the delivery is retried")
    }
}
