import FunctionRuntime

extension Zendesk {
    /// The first page of a ticket search (`GET /api/v2/search.json?query=type:ticket <terms>`),
    /// tickets only, in Zendesk's order. The index lags the live state: re-read a found ticket
    /// by id before acting on it.
    public func ticketSearchFirstPage(_ terms: String) throws -> [JSON] {
        let doc = try client.json("GET", "/api/v2/search.json?query=" + ServiceClient.query("type:ticket " + terms))
        return (doc["results"].array ?? []).filter { $0["result_type"].string.map { $0 == "ticket" } ?? true }
    }
}
