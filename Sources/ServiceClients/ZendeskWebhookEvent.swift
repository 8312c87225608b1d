import FunctionRuntime

/// The one reading of a Zendesk webhook body, shared by every function that Zendesk calls.
///
/// Two shapes reach the bundle:
/// 1. An event-subscription payload (Zendesk "webhooks for Zendesk events"):
///    `{"type":"zen:event-type:ticket.created","subject":"zen:ticket:123","time":"…",
///    "detail":{"id":"123","brand_id":"…",…},"event":{…}}` — ids are strings, `detail` is the
///    ticket snapshot, `event` what changed (`event.current`, `event.comment.id`).
/// 2. A trigger/automation webhook whose JSON body the admin wrote with placeholders, e.g.
///    `{"type":"ticket.created","ticket_id":"{{ticket.id}}","brand_id":"{{ticket.brand.id}}"}`;
///    `ticket.id` / `ticket.brand_id` nested under `"ticket"` work too.
///
/// Each field is read from the first place that has it, in the order documented on the field.
public struct ZendeskWebhookEvent: Sendable, Equatable {
    /// The event type without Zendesk's `zen:event-type:` prefix (`ticket.created`,
    /// `ticket.status_changed`, `ticket.comment_added`, …); nil when the body has none (a trigger
    /// body that only names a ticket).
    public var type: String?
    /// `detail.id`, the `subject` `zen:ticket:ID`, `ticket_id`, `ticket.id`, then `id`; nil when
    /// none is a number. Never ≤ 0 (refused by `parse`).
    public var ticketID: Int64?
    /// `event.comment.id`, `comment_id`, then `comment.id`.
    public var commentID: Int64?
    /// The brand as a decimal string: see `brandID(of:)`.
    public var brandID: String?
    /// `time` (when it happened according to Zendesk), as sent.
    public var time: String?
    /// The ticket snapshot of a subscription payload (`detail`); `.null` for trigger bodies.
    public var detail: JSON
    /// What changed (`event`); `.null` when absent.
    public var change: JSON

    /// Where a ticket id may be, in the order it is looked for (for error messages and docs).
    public static let ticketIDSources = "detail.id, subject zen:ticket:ID, ticket_id, ticket.id or id"
    /// Where a brand id may be, in the order it is looked for.
    public static let brandPaths = ["detail.brand_id", "ticket.brand_id", "ticket.brand.id", "brand_id"]

    public init(
        type: String?, ticketID: Int64?, commentID: Int64? = nil, brandID: String? = nil, time: String? = nil,
        detail: JSON = .null, change: JSON = .null
    ) {
        self.type = type
        self.ticketID = ticketID
        self.commentID = commentID
        self.brandID = brandID
        self.time = time
        self.detail = detail
        self.change = change
    }

    /// Reads either shape. `.invalidEvent` when the body is not an object or names a ticket id
    /// that is not a Zendesk id (≤ 0); a missing id is left to the caller (`requireTicketID`).
    public static func parse(_ json: JSON) throws -> ZendeskWebhookEvent {
        guard json.object != nil else {
            throw RuntimeError(.invalidEvent, "expected a JSON object (a Zendesk event or a trigger body)")
        }
        let rawType = json["type"].nonEmptyString ?? json["event_type"].nonEmptyString
        let type = rawType.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        let detail = json["detail"]
        let ticketID =
            detail["id"].int ?? subjectTicketID(json["subject"]) ?? json["ticket_id"].int
            ?? json.at("ticket.id").int ?? json["id"].int
        if let ticketID, ticketID <= 0 {
            throw RuntimeError(.invalidEvent, "ticket id \(ticketID) is not a Zendesk id")
        }
        let change = json["event"]
        return ZendeskWebhookEvent(
            type: type, ticketID: ticketID,
            commentID: change.at("comment.id").int ?? json["comment_id"].int ?? json.at("comment.id").int,
            brandID: brandID(of: json), time: json["time"].nonEmptyString, detail: detail, change: change)
    }

    /// The ticket id, or `.invalidEvent` naming where it was looked for.
    public func requireTicketID() throws -> Int64 {
        guard let ticketID else { throw RuntimeError(.invalidEvent, "no ticket id (\(Self.ticketIDSources))") }
        return ticketID
    }

    /// The brand id of a body, from the first of `brandPaths` that holds one. Null, empty and `0`
    /// mean "no brand" (the next place is tried).
    public static func brandID(of json: JSON) -> String? {
        for path in brandPathMembers {
            var node = json
            for member in path { node = node[member] }
            // A plain decimal id (the usual case) needs no white-space trimming.
            let text: String?
            if case .string(let s) = node, !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                text = s
            } else {
                text = node.nonEmptyString
            }
            guard let s = text else { continue }
            guard let n = Int64(s) else { return s }
            if n > 0 { return String(n) }
        }
        return nil
    }

    /// `brandPaths` as member names, split once.
    public static let brandPathMembers = brandPaths.map { $0.split(separator: ".").map(String.init) }

    static let prefix = "zen:event-type:"

    static func subjectTicketID(_ subject: JSON) -> Int64? {
        guard let s = subject.string, s.hasPrefix("zen:ticket:") else { return nil }
        return Int64(s.dropFirst("zen:ticket:".count))
    }
}
