import FunctionRuntime
import ServiceClients

/// The Klaviyo administration calls setup and check make: the account and system webhooks.
extension Klaviyo {
    /// `GET /api/accounts`: a harmless read proving the key works.
    public func account() throws -> JSON { try client.json("GET", "/api/accounts") }

    /// Managed webhooks (name starting with the marker), with their topics.
    public func managedWebhooks() throws -> [ExistingObject] {
        let body = try client.json("GET", "/api/webhooks?include=webhook-topics")
        return (body["data"].array ?? []).compactMap { item in
            let name = item["attributes"]["name"].string ?? ""
            guard name.hasPrefix(ManagedObject.marker), let id = item["id"].string else { return nil }
            let topics = (item["relationships"]["webhook-topics"]["data"].array ?? []).compactMap { $0["id"].string }
            return ExistingObject(
                kind: .klaviyoWebhook, id: id, name: name,
                body: [
                    "name": .string(name), "endpoint_url": item["attributes"]["endpoint_url"], "topics": JSON(topics),
                ])
        }
    }

    /// Creates a system webhook signed with `secret`; returns its id.
    public func createWebhook(_ object: ManagedObject, secret: String) throws -> String {
        let topics: [JSON] = (object.body["topics"].array ?? []).map { topic -> JSON in
            ["type": "webhook-topic", "id": topic]
        }
        let body: JSON = [
            "data": [
                "type": "webhook",
                "attributes": [
                    "name": object.body["name"], "endpoint_url": object.body["endpoint_url"],
                    "secret_key": .string(secret),
                ],
                "relationships": ["webhook-topics": ["data": .array(topics)]],
            ]
        ]
        let created = try client.json("POST", "/api/webhooks", body: body, contentType: Klaviyo.mediaType)
        guard let id = created["data"]["id"].string else {
            throw SetupError(.refused, "Klaviyo created the webhook but sent no id")
        }
        return id
    }

    public func deleteWebhook(id: String) throws {
        let response = try client.send("DELETE", "/api/webhooks/\(id)")
        guard response.isSuccess || response.status == 404 else {
            throw ServiceError(service: "klaviyo", method: "DELETE", path: "/api/webhooks/\(id)", response: response)
        }
    }
}

extension Twilio {
    /// `GET /2010-04-01/Accounts/{sid}.json`: a harmless read proving the credentials work.
    public func account() throws -> JSON { try client.json("GET", "/2010-04-01/Accounts/\(accountSID).json") }
}

extension Twilio {
    /// The account's numbers (`GET …/IncomingPhoneNumbers.json`, every page).
    public func incomingNumbers() throws -> [TwilioNumberPlan.Number] {
        var found: [TwilioNumberPlan.Number] = []
        var path: String? = "/2010-04-01/Accounts/\(accountSID)/IncomingPhoneNumbers.json?PageSize=100"
        var pages = 0
        while let p = path, pages < 20 {
            let body = try client.json("GET", p)
            for item in body["incoming_phone_numbers"].array ?? [] {
                guard let sid = item["sid"].string, let number = item["phone_number"].string else { continue }
                found.append(.init(sid: sid, phoneNumber: number, smsURL: item["sms_url"].string ?? ""))
            }
            path = body["next_page_uri"].nonEmptyString
            pages += 1
        }
        return found
    }

    /// Points a number's incoming texts at `url` (empty clears it), posted as a form.
    public func setSMSURL(numberSID: String, url: String) throws {
        let form = FormDecoding.body([("SmsUrl", url), ("SmsMethod", "POST")])
        let path = "/2010-04-01/Accounts/\(accountSID)/IncomingPhoneNumbers/\(numberSID).json"
        let response = try client.send(
            "POST", path, body: Array(form.utf8), contentType: "application/x-www-form-urlencoded", retrySafe: true)
        guard response.isSuccess else {
            throw ServiceError(service: "twilio", method: "POST", path: path, response: response)
        }
    }
}
