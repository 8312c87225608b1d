import FunctionRuntime

extension Zendesk {
    /// `GET /api/v2/groups/{id}.json` → the `group` object. A missing group throws `ServiceError`
    /// `.notFound`.
    public func group(id: Int64) throws -> JSON {
        try client.json("GET", "/api/v2/groups/\(id).json")["group"]
    }
}
