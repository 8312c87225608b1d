import FoundationEssentials
import FunctionRuntime

/// Tickets found by a search, with Zendesk's clock at the time of the first page.
public struct ZendeskTicketSearch: Sendable {
    public let tickets: [JSON]
    /// The `Date` header of the first answer (nil when absent).
    public let serverDate: Date?
}

extension Zendesk {
    /// Tickets matching a search `query` (`GET /api/v2/search.json?query=type:ticket …`), following
    /// `next_page` up to `limit` results (Zendesk stops at 1000). The index lags live state:
    /// re-read a ticket by id before acting on it.
    public func searchTickets(_ query: String, limit: Int = 1000) throws -> ZendeskTicketSearch {
        var result: [JSON] = []
        var serverDate: Date?
        var page = 1
        while result.count < limit && page <= 10 {
            let path = "/api/v2/search.json?query=" + ServiceClient.query(query) + "&per_page=100&page=\(page)"
            let response = try client.send("GET", path)
            guard response.isSuccess else {
                throw ServiceError(service: client.service, method: "GET", path: path, response: response)
            }
            if page == 1 { serverDate = response.headers["date"].flatMap(Clock.parseRFC2822) }
            let doc = response.json
            let items = doc["results"].array ?? []
            result += items.filter { $0["result_type"].string.map { $0 == "ticket" } ?? true }
            if items.isEmpty || doc["next_page"].nonEmptyString == nil { break }
            page += 1
        }
        return ZendeskTicketSearch(tickets: Array(result.prefix(limit)), serverDate: serverDate)
    }
}
