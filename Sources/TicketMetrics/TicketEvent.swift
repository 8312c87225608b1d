import FunctionRuntime
import ServiceClients

/// A ticket event as `ticket-metrics` reads it, from either input shape.
///
/// 1. A Zendesk event-subscription payload (`"type":"zen:event-type:ticket.created"` or
///    `…ticket.status_changed`; `detail` is the ticket snapshot with string ids and UPPERCASE
///    enums, `event.current` the new status, `time` when it happened).
/// 2. A trigger/automation webhook body (documented shape):
///    `{"type":"ticket.created","ticket_id":"{{ticket.id}}"}` or
///    `{"type":"ticket.status_changed","ticket_id":"{{ticket.id}}","status":"{{ticket.status}}"}`
///    (`ticket.id` / `ticket.status` nested under `"ticket"` work too). Without `status` the live
///    status is read from Zendesk; the time is the ticket's `created_at` / `updated_at`.
public struct TicketEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case created
        /// `current` in lower case, nil when the body did not say (read it live).
        case statusChanged(current: String?, previous: String?)
        /// Any other event type (not tracked).
        case other(String)
    }

    public var kind: Kind
    public var ticketID: Int64
    /// When it happened according to Zendesk (ISO-8601), if the event says.
    public var time: String?
    /// The event's ticket snapshot (`detail`), `.null` for trigger bodies.
    public var detail: JSON

    public init(kind: Kind, ticketID: Int64, time: String? = nil, detail: JSON = .null) {
        self.kind = kind
        self.ticketID = ticketID
        self.time = time
        self.detail = detail
    }

    /// Reads either input shape; `.invalidEvent` when there is no ticket id or no type.
    public static func parse(_ json: JSON) throws -> TicketEvent {
        let envelope = try ZendeskWebhookEvent.parse(json)
        guard let type = envelope.type else {
            throw RuntimeError(
                .invalidEvent,
                "missing \"type\" (zen:event-type:ticket.created / ticket.status_changed, or ticket.created / ticket.status_changed in a trigger body)"
            )
        }
        let id = try envelope.requireTicketID()
        let kind: Kind
        switch type {
        case "ticket.created": kind = .created
        case "ticket.status_changed":
            let current =
                envelope.change["current"].nonEmptyString ?? json["status"].nonEmptyString
                ?? json.at("ticket.status").nonEmptyString
            let previous = envelope.change["previous"].nonEmptyString
            kind = .statusChanged(current: current?.lowercased(), previous: previous?.lowercased())
        default: kind = .other(type)
        }
        let time = envelope.time ?? (kind == .created ? envelope.detail["created_at"].nonEmptyString : nil)
        return TicketEvent(
            kind: kind, ticketID: id, time: time.flatMap(TicketEvent.normalizedTime), detail: envelope.detail)
    }

    /// An ISO-8601 time in whole seconds UTC (Zendesk event times carry nanoseconds; Klaviyo
    /// truncates to the second anyway). Nil when unreadable.
    public static func normalizedTime(_ text: String) -> String? {
        var t = text.trimmed()
        if let dot = t.firstIndex(of: "."),
            let tz = t[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" })
        {
            t = String(t[..<dot]) + String(t[tz...])
        }
        return Clock.parse(t).map(Clock.iso8601)
    }
}
