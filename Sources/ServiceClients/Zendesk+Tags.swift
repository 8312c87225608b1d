import FunctionRuntime

extension Zendesk {
    /// Adds `tags` (`PUT /api/v2/tickets/{id}/tags.json`); with `safeUpdateStamp` (its
    /// `updated_at` as read) only if the ticket is still at it: Zendesk answers 409, thrown as
    /// `ServiceError` `.conflict`, when it changed meanwhile. A closed ticket answers 422. Returns
    /// the ticket's tags after the change.
    @discardableResult
    public func addTags(ticketID: Int64, _ tags: [String], safeUpdateStamp: String?) throws -> [String] {
        try changeTags("PUT", ticketID: ticketID, tags, safeUpdateStamp: safeUpdateStamp)
    }

    /// Removes `tags` (`DELETE /api/v2/tickets/{id}/tags.json`), leaving the others; optionally
    /// collision-guarded like `addTags(ticketID:_:safeUpdateStamp:)`.
    @discardableResult
    public func removeTags(ticketID: Int64, _ tags: [String], safeUpdateStamp: String? = nil) throws -> [String] {
        try changeTags("DELETE", ticketID: ticketID, tags, safeUpdateStamp: safeUpdateStamp)
    }

    /// The ticket's tags (`GET /api/v2/tickets/{id}/tags.json`).
    public func tags(ticketID: Int64) throws -> [String] {
        let doc = try client.json("GET", "/api/v2/tickets/\(ticketID)/tags.json")
        return (doc["tags"].array ?? []).compactMap(\.string)
    }

    private func changeTags(
        _ method: String, ticketID: Int64, _ tags: [String], safeUpdateStamp: String?
    ) throws -> [String] {
        var body: JSON = ["tags": JSON(tags)]
        if let stamp = safeUpdateStamp {
            body["safe_update"] = true
            body["updated_stamp"] = .string(stamp)
        }
        let doc = try client.json(method, "/api/v2/tickets/\(ticketID)/tags.json", body: body)
        return (doc["tags"].array ?? []).compactMap(\.string)
    }
}
