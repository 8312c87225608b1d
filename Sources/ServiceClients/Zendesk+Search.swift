import FoundationEssentials
import FunctionRuntime

/// Tickets found by a search, with Zendesk's clock at the time of the first page.
public struct ZendeskTicketSearch: Sendable {
    public let tickets: [JSON]
    /// The `Date` header of the first answer (nil when absent).
    public let serverDate: Date?
    /// How many results match (`count` of the first page; Zendesk returns at most 1000 of them).
    public var total: Int? = nil

    /// Matching tickets that were not returned (beyond Zendesk's 1000, or beyond the limit asked).
    public var notReturned: Int { max(0, (total ?? 0) - tickets.count) }
}

extension Zendesk {
    /// Tickets matching a search `query` (`GET /api/v2/search.json?query=type:ticket …`), following
    /// `next_page` up to `limit` results (Zendesk stops at 1000). The index lags live state:
    /// re-read a ticket by id before acting on it. `newestUpdatedFirst` sorts by `updated_at`,
    /// descending (`sort_by=updated_at&sort_order=desc`), so that what lies beyond the 1000 is the
    /// oldest.
    public func searchTickets(
        _ query: String, limit: Int = 1000, newestUpdatedFirst: Bool = false
    ) throws -> ZendeskTicketSearch {
        var result: [JSON] = []
        var serverDate: Date?
        var total: Int?
        var page = 1
        let sort = newestUpdatedFirst ? "&sort_by=updated_at&sort_order=desc" : ""
        while result.count < limit && page <= 10 {
            let path = "/api/v2/search.json?query=" + ServiceClient.query(query) + sort + "&per_page=100&page=\(page)"
            let response = try client.send("GET", path)
            guard response.isSuccess else {
                throw ServiceError(service: client.service, method: "GET", path: path, response: response)
            }
            let doc = response.json
            if page == 1 {
                serverDate = response.headers["date"].flatMap(Clock.parseRFC2822)
                total = doc["count"].int.map(Int.init)
            }
            let items = doc["results"].array ?? []
            result += items.filter { $0["result_type"].string.map { $0 == "ticket" } ?? true }
            if items.isEmpty || doc["next_page"].nonEmptyString == nil { break }
            page += 1
        }
        return ZendeskTicketSearch(tickets: Array(result.prefix(limit)), serverDate: serverDate, total: total)
    }
}
