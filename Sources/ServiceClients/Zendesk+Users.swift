import FunctionRuntime

extension Zendesk {
    /// Users matching a search query (`GET /api/v2/users/search.json?query=`), e.g. `phone:+15551230000`
    /// (the `+` is sent percent-encoded).
    public func searchUsers(query: String) throws -> [JSON] {
        try client.json("GET", "/api/v2/users/search.json?query=" + ServiceClient.query(query))["users"].array ?? []
    }

    /// The end-user whose `phone` is exactly `phone` (E.164), if any; the lowest id wins when
    /// several share it.
    public func user(phone: String) throws -> JSON? {
        let users = try searchUsers(query: "phone:\(phone)")
        return users.filter { $0["phone"].string == phone }.min { ($0["id"].int ?? .max) < ($1["id"].int ?? .max) }
            ?? users.first
    }

    /// `POST /api/v2/users/create_or_update.json`: matches an existing user by `email` or
    /// `external_id` (never by phone), else creates one. Safe to repeat.
    public func createOrUpdateUser(_ fields: JSON) throws -> JSON {
        try client.json("POST", "/api/v2/users/create_or_update.json", body: ["user": fields], retrySafe: true)["user"]
    }
}

extension Zendesk {
    /// `GET /api/v2/users/{id}.json` → the `user` object (role, email, phone, …).
    public func user(id: Int64) throws -> JSON {
        try client.json("GET", "/api/v2/users/\(id).json")["user"]
    }
}
