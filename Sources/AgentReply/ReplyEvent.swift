import FunctionRuntime
import ServiceClients
import SMSCore

/// What an `agent-reply` event points at.
public struct ReplyEvent: Sendable, Equatable {
    public var ticketID: Int64
    /// The comment to relay; nil (trigger body without one): the ticket's latest public comment.
    public var commentID: Int64?

    public init(ticketID: Int64, commentID: Int64?) {
        self.ticketID = ticketID
        self.commentID = commentID
    }

    /// Reads either input shape; nil for an event of another type (answered `skipped`).
    ///
    /// - Zendesk event subscription `zen:event-type:ticket.comment_added`: the ticket from
    ///   `detail.id` (or `subject` `zen:ticket:ID`), the comment from `event.comment.id`.
    /// - A trigger/automation webhook whose JSON body is
    ///   `{"ticket_id":"{{ticket.id}}"}` (optionally `"comment_id"`): Zendesk placeholders
    ///   cannot name the comment, so the ticket's latest public comment is relayed.
    public static func parse(_ json: JSON) throws -> ReplyEvent? {
        let envelope = try ZendeskWebhookEvent.parse(json)
        if let type = envelope.type, !type.hasSuffix("ticket.comment_added") { return nil }
        guard let ticket = envelope.ticketID else {
            throw SMSError(
                .invalidMessage,
                "expected a ticket.comment_added event or {\"ticket_id\":…} (\(ZendeskWebhookEvent.ticketIDSources))")
        }
        return ReplyEvent(ticketID: ticket, commentID: envelope.commentID)
    }
}
