import FunctionRuntime
import ServiceClients

/// The Zendesk administration calls setup and check make: webhooks, automations, views, the
/// current user and brands.
extension Zendesk {
    /// Where each managed kind lives: collection path, envelope key (singular), list key.
    static func collection(_ kind: ManagedObject.Kind) -> (path: String, one: String, many: String) {
        switch kind {
        case .zendeskWebhook: return ("/api/v2/webhooks", "webhook", "webhooks")
        case .zendeskAutomation: return ("/api/v2/automations", "automation", "automations")
        case .zendeskTrigger: return ("/api/v2/triggers", "trigger", "triggers")
        case .zendeskView: return ("/api/v2/views", "view", "views")
        case .klaviyoWebhook: preconditionFailure("not a Zendesk object")
        }
    }

    /// Every object of `kind` whose name (webhooks) or title (rules) starts with the marker.
    public func managedObjects(_ kind: ManagedObject.Kind) throws -> [ExistingObject] {
        let c = Self.collection(kind)
        var found: [ExistingObject] = []
        var query = kind == .zendeskWebhook ? "?page%5Bsize%5D=100" : "?per_page=100&page=1"
        for page in 1...50 {
            let body = try client.json("GET", c.path + query)
            for item in body[c.many].array ?? [] {
                let name = (kind == .zendeskWebhook ? item["name"] : item["title"]).string ?? ""
                guard name.hasPrefix(ManagedObject.marker), let id = item["id"].string else { continue }
                found.append(ExistingObject(kind: kind, id: id, name: name, body: item))
            }
            if kind == .zendeskWebhook {
                guard body["meta"]["has_more"].bool == true, let after = body["meta"]["after_cursor"].string else {
                    break
                }
                query = "?page%5Bsize%5D=100&page%5Bafter%5D=" + ServiceClient.query(after)
            } else {
                guard let next = body["next_page"].string, !next.isEmpty else { break }
                query = "?per_page=100&page=\(page + 1)"
            }
        }
        return found
    }

    /// Creates the object; returns its id.
    public func createManaged(_ object: ManagedObject, body: JSON) throws -> String {
        let c = Self.collection(object.kind)
        let created = try client.json("POST", c.path, body: [c.one: body])
        guard let id = created[c.one]["id"].string else {
            throw SetupError(.refused, "Zendesk created the \(object.kind.rawValue) \"\(object.name)\" but sent no id")
        }
        return id
    }

    /// Replaces the owned fields of an existing object.
    public func updateManaged(_ kind: ManagedObject.Kind, id: String, body: JSON) throws {
        let c = Self.collection(kind)
        try client.json("PUT", "\(c.path)/\(id)", body: [c.one: body])
    }

    public func deleteManaged(_ kind: ManagedObject.Kind, id: String) throws {
        let c = Self.collection(kind)
        let response = try client.send("DELETE", "\(c.path)/\(id)")
        guard response.isSuccess || response.status == 404 else {
            throw ServiceError(service: "zendesk", method: "DELETE", path: "\(c.path)/\(id)", response: response)
        }
    }

    /// The signing secret of a webhook.
    public func webhookSigningSecret(id: String) throws -> String {
        let body = try client.json("GET", "/api/v2/webhooks/\(id)/signing_secret")
        guard let secret = body["signing_secret"]["secret"].string else {
            throw SetupError(.refused, "Zendesk sent no signing secret for webhook \(id)")
        }
        return secret
    }

    /// The authenticated user (`GET /api/v2/users/me`).
    public func currentUser() throws -> JSON { try client.json("GET", "/api/v2/users/me.json")["user"] }

    /// The account's brand ids.
    public func brandIDs() throws -> [String] {
        (try client.json("GET", "/api/v2/brands.json")["brands"].array ?? []).compactMap { $0["id"].string }
    }
}
