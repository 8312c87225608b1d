import FunctionRuntime
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
        if let type = json["type"].string {
            guard type.hasSuffix("ticket.comment_added") else { return nil }
            let subjectID = json["subject"].string.flatMap { s in s.split(separator: ":").last.flatMap { Int64($0) } }
            guard let ticket = json["detail"]["id"].int ?? subjectID else { throw SMSError(.invalidMessage, "the event names no ticket") }
            return try ReplyEvent(ticketID: checked(ticket), commentID: json["event"]["comment"]["id"].int)
        }
        guard let ticket = json["ticket_id"].int ?? json["ticket"]["id"].int else {
            throw SMSError(.invalidMessage, "expected a ticket.comment_added event or {\"ticket_id\":…}")
        }
        return try ReplyEvent(ticketID: checked(ticket), commentID: json["comment_id"].int ?? json["comment"]["id"].int)
    }

    /// Zendesk ids are positive.
    static func checked(_ id: Int64) throws -> Int64 {
        guard id > 0 else { throw SMSError(.invalidMessage, "ticket id \(id) is not a Zendesk id") }
        return id
    }
}
