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
        guard response.isSuccess else { throw ServiceError(service: client.service, method: "GET", path: path, response: response) }
        return ZendeskTicketMetric(metric: response.json["ticket_metric"], serverDate: response.headers["date"].flatMap(HTTPDate.parse))
    }
}

/// The IMF-fixdate form of the HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses an IMF-fixdate; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let parts = text.trimmed().split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]),
              let month = months.firstIndex(of: String(parts[2])), parts[4].count == 8 else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return Clock.parse("\(year)-\(two(month + 1))-\(two(day))T\(parts[4])Z")
    }
}
