import FunctionRuntime

/// One page of Zendesk's cursor-based incremental ticket export with its sideloads.
///
/// `GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>` (first page) or `?cursor=`
/// (the next ones): up to 1,000 tickets ordered by when they last changed, `after_cursor`, and
/// `end_of_stream` — the only stop signal (Zendesk: "stop on end_of_stream, not on a null next
/// page"). Tickets changed in the minute before the request are left out, so the last page of a
/// run can be re-read later without gaps. Sideloads: the tickets sideloads except `last_audits`
/// (docs/history.md lists the sources).
public struct ZendeskExportPage: Sendable {
    public var tickets: [JSON]
    public var users: [Int64: JSON]
    public var groups: [Int64: JSON]
    public var brands: [Int64: JSON]
    /// `metric_sets` by `ticket_id`.
    public var metricSets: [Int64: JSON]
    public var afterCursor: String?
    public var endOfStream: Bool

    /// How far the export has read with this page: its last ticket's `updated_at` (Unix seconds).
    public var position: Int64? {
        tickets.last?["updated_at"].string.flatMap(Clock.parse).map { Int64($0.timeIntervalSince1970) }
    }

    /// Reads an export answer; `.internal` when it is not an export page.
    public init(_ body: JSON) throws {
        guard let tickets = body["tickets"].array, let end = body["end_of_stream"].bool else {
            throw RuntimeError(.internal, "zendesk export answer has no tickets / end_of_stream")
        }
        func byID(_ list: JSON, _ key: String = "id") -> [Int64: JSON] {
            var out: [Int64: JSON] = [:]
            for item in list.array ?? [] { if let id = item[key].int { out[id] = item } }
            return out
        }
        self.tickets = tickets
        users = byID(body["users"])
        groups = byID(body["groups"])
        brands = byID(body["brands"])
        metricSets = byID(body["metric_sets"], "ticket_id")
        afterCursor = body["after_cursor"].nonEmptyString
        endOfStream = end
    }
}

extension Zendesk {
    /// Where an export run starts or goes on.
    public enum ExportPosition: Sendable, Equatable {
        case startTime(Int64)
        case cursor(String)
    }

    /// The request for one export page at `position`, sideloading `include`; `perPage` asks for
    /// smaller pages than Zendesk's 1,000.
    public func exportRequest(_ position: ExportPosition, include: [String], perPage: Int? = nil) -> HTTPRequest {
        var query: String
        switch position {
        case .startTime(let t): query = "start_time=\(t)"
        case .cursor(let c): query = "cursor=" + ServiceClient.query(c)
        }
        if !include.isEmpty { query += "&include=" + include.joined(separator: ",") }
        if let perPage { query += "&per_page=\(perPage)" }
        return client.request("GET", "/api/v2/incremental/tickets/cursor.json?" + query)
    }
}
