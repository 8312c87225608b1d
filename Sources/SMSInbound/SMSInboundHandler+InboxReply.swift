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
        let written = try noteOnce(
            phone: phone, messageID: reply.messageID, direction: "inbox_reply",
            note: InboundRules.inboxReplyNote(reply), reopen: false
        ) { active in
            let comments = try zendesk.comments(ticketID: active.id, sortOrder: .descending)
            let agents = comments.filter { $0["public"].bool == true && $0["author_id"].int != active.requesterID }
                .map { $0["plain_body"].string ?? $0["body"].string ?? "" }
            guard InboundRules.sentFromZendesk(reply.body, agentComments: agents) else { return nil }
            return result(.ignore(.conversationReply), messageID: reply.messageID, ticketID: active.id)
        }
        switch written {
        case .noTicket: return result(.ignore(.noOpenTicket), messageID: reply.messageID)
        case .skipped(let answer): return answer
        case .found(let id, _): return result(.duplicate(ticketID: id), messageID: reply.messageID)
        case .written(let id, _):
            return result(.note(ticketID: id, stamp: nil), messageID: reply.messageID, ticketID: id)
        }
    }
}
