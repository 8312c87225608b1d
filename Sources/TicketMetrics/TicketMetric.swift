/// The two metrics the integration records in Klaviyo.
public enum TicketMetric: String, Sendable, CaseIterable {
    case opened = "Opened Ticket"
    case resolved = "Resolved Ticket"

    /// The metric's part of the event's `unique_id`.
    public var key: String {
        switch self {
        case .opened: return "opened"
        case .resolved: return "resolved"
        }
    }
}
