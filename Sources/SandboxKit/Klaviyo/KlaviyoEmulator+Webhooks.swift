import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// System webhooks (`GET`/`POST /api/webhooks`, `GET`/`DELETE /api/webhooks/{id}`) and
/// `GET /api/accounts`.
///
/// A webhook is created with `data.type` "webhook", `attributes` {name, endpoint_url (https),
/// secret_key} and `relationships.webhook-topics.data` [{type "webhook-topic", id}]. The sandbox
/// posts the SMS topics it emulates (`KlaviyoEmulator+SMSEvents.swift`) to the subscribed
/// webhooks, signed with `Klaviyo-Signature`.
extension KlaviyoEmulator {
    func webhookResource(_ hook: JSON, request: ServerRequest) -> JSON {
        let id = hook["id"].string ?? ""
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        return [
            "type": "webhook", "id": .string(id),
            "attributes": [
                "name": hook["name"], "description": hook["description"], "endpoint_url": hook["endpoint_url"],
                "enabled": hook["enabled"], "created_at": hook["created_at"], "updated_at": hook["updated_at"],
            ],
            "relationships": [
                "webhook-topics": [
                    "data": .array(
                        EmulatorSupport.strings(hook["topics"]).map { ["type": "webhook-topic", "id": .string($0)] })
                ]
            ],
            "links": ["self": .string("\(base)/api/webhooks/\(id)/")],
        ]
    }

    func listWebhooks(_ request: ServerRequest) -> ServerResponse {
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        return Self.document(
            200,
            [
                "data": .array(webhooks.map { webhookResource($0, request: request) }),
                "links": ["self": .string("\(base)/api/webhooks/"), "next": .null, "prev": .null],
            ])
    }

    func getWebhook(_ request: ServerRequest, id: String) throws -> ServerResponse {
        guard let hook = webhooks.first(where: { $0["id"].string == id }) else {
            throw KlaviyoError(404, "A webhook with id \(id) does not exist.")
        }
        return Self.document(200, ["data": webhookResource(hook, request: request)])
    }

    func deleteWebhook(id: String) throws -> ServerResponse {
        guard webhooks.contains(where: { $0["id"].string == id }) else {
            throw KlaviyoError(404, "A webhook with id \(id) does not exist.")
        }
        webhooks.removeAll { $0["id"].string == id }
        return ServerResponse(status: 204)
    }

    func createWebhook(_ request: ServerRequest, context: EmulatorContext) throws -> ServerResponse {
        let data = try document(of: request)["data"]
        try Self.expectType(data, "webhook", pointer: "/data/type")
        for key in ["name", "endpoint_url", "secret_key"] where data["attributes"][key].nonEmptyString == nil {
            throw KlaviyoError(400, "'\(key)' is a required property.", pointer: "/data/attributes/\(key)")
        }
        let url = data["attributes"]["endpoint_url"].string ?? ""
        guard url.hasPrefix("https://") else {
            throw KlaviyoError(400, "endpoint_url must be an https URL.", pointer: "/data/attributes/endpoint_url")
        }
        guard let topics = data.at("relationships.webhook-topics.data").array else {
            throw KlaviyoError(
                400, "'webhook-topics' is a required relationship.", pointer: "/data/relationships/webhook-topics")
        }
        var ids: [String] = []
        for topic in topics {
            guard topic["type"].string == "webhook-topic", let id = topic["id"].string else {
                throw KlaviyoError(
                    400, "Each webhook topic needs type 'webhook-topic' and an id.",
                    pointer: "/data/relationships/webhook-topics/data")
            }
            ids.append(id)
        }
        let hook = try newWebhook(
            [
                "name": data["attributes"]["name"], "description": data["attributes"]["description"],
                "endpoint_url": .string(url), "secret_key": data["attributes"]["secret_key"], "topics": JSON(ids),
            ],
            context: context)
        webhooks.append(hook)
        return Self.document(201, ["data": webhookResource(hook, request: request)])
    }

    func newWebhook(_ spec: JSON, context: EmulatorContext) throws -> JSON {
        guard spec["endpoint_url"].nonEmptyString != nil, spec["secret_key"].nonEmptyString != nil else {
            throw RuntimeError(.usage, "a Klaviyo webhook needs endpoint_url and secret_key")
        }
        var hook = spec
        hook["id"] = .string(spec["id"].string ?? EmulatorSupport.klaviyoID())
        hook["enabled"] = spec["enabled"].isNull ? true : spec["enabled"]
        hook["created_at"] = .string(context.nowISO)
        hook["updated_at"] = .string(context.nowISO)
        if hook["topics"].isNull { hook["topics"] = [] }
        return hook
    }

    /// Enabled webhooks subscribed to `topic`: id, endpoint and secret.
    public func webhookTargets(topic: String) -> [(id: String, endpoint: String, secret: String)] {
        webhooks.compactMap { hook in
            guard hook["enabled"].bool != false, EmulatorSupport.strings(hook["topics"]).contains(topic),
                let id = hook["id"].string, let url = hook["endpoint_url"].string,
                let secret = hook["secret_key"].string
            else { return nil }
            return (id, url, secret)
        }
    }

    /// The conversation that a customer at `phone` has with the Klaviyo number `number`.
    public func conversation(number: String, customerPhone phone: String) -> (conversation: JSON, profile: JSON)? {
        for c in conversations where c["number"].string == number {
            if let p = profile(id: c["profile_id"].string ?? ""), p["phone_number"].string == phone { return (c, p) }
        }
        return nil
    }

}
