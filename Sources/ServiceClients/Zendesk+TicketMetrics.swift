import FoundationEssentials
import FunctionRuntime

/// A ticket's metric record with the time Zendesk's server said it was when it answered.
public struct ZendeskTicketMetric: Sendable {
    /// The `ticket_metric` object (`solved_at`, `reopens`, `replies`, …).
    public let metric: JSON
    /// The response's `Date` header: Zendesk's clock, so that "hours since solved" does not
    /// depend on the local clock being right. Nil when absent or unreadable.
    public let serverDate: Date?

    /// When the ticket was (last) solved, if it was.
    public var solvedAt: Date? { metric["solved_at"].string.flatMap(Clock.parse) }
}

extension Zendesk {
    /// `GET /api/v2/tickets/{id}/metrics.json`.
    public func ticketMetric(ticketID: Int64) throws -> ZendeskTicketMetric {
        let path = "/api/v2/tickets/\(ticketID)/metrics.json"
        let response = try client.send("GET", path)
        guard response.isSuccess else {
            throw ServiceError(service: client.service, method: "GET", path: path, response: response)
        }
        return ZendeskTicketMetric(
            metric: response.json["ticket_metric"], serverDate: response.headers["date"].flatMap(Clock.parseRFC2822))
    }
}
