import FunctionRuntime

/// The result of a Klaviyo send that Klaviyo refused.
public struct KlaviyoRefusal: Sendable, Equatable {
    public let status: Int
    /// `errors[0].code` (e.g. `invalid`), or the HTTP status as text.
    public let code: String
    public let detail: String
}

extension Klaviyo {
    /// The id of the profile's SMS conversation (`GET /api/profiles/{id}/conversation`), nil when
    /// the profile has none.
    public func conversationID(profileID: String) throws -> String? {
        let path = "/api/profiles/\(ServiceClient.query(profileID))/conversation"
        let response = try client.send("GET", path)
        if response.status == 404 { return nil }  // the profile has no conversation (yet)
        guard response.isSuccess else {
            throw ServiceError(service: client.service, method: "GET", path: path, response: response)
        }
        return response.json["data"]["id"].nonEmptyString
    }

    /// Sends `body` on a conversation (`POST /api/conversation-messages`): Klaviyo texts the
    /// customer from the conversation's number and shows the reply in its inbox. Returns the new
    /// message id, or the refusal when Klaviyo answered 4xx (e.g. the profile is not subscribed).
    public func sendConversationMessage(
        conversationID: String, body: String
    ) throws -> Result<String?, KlaviyoRefusalError> {
        let payload: JSON = [
            "data": [
                "type": "conversation-message", "attributes": ["body": .string(body)],
                "relationships": ["conversation": ["data": ["type": "conversation", "id": .string(conversationID)]]],
            ]
        ]
        let response = try client.send(
            "POST", "/api/conversation-messages", body: payload.serializedBytes(), contentType: Klaviyo.mediaType)
        if response.isSuccess { return .success(response.json["data"]["id"].nonEmptyString) }
        if (400..<500).contains(response.status), response.status != 401, response.status != 403 {
            let first = response.json["errors"][0]
            return .failure(
                KlaviyoRefusalError(
                    refusal: KlaviyoRefusal(
                        status: response.status, code: first["code"].nonEmptyString ?? String(response.status),
                        detail: first["detail"].nonEmptyString ?? response.text)))
        }
        throw ServiceError(
            service: client.service, method: "POST", path: "/api/conversation-messages", response: response)
    }
}

/// A Klaviyo refusal as an error value (for `Result`).
public struct KlaviyoRefusalError: Error, Sendable, Equatable {
    public let refusal: KlaviyoRefusal
}
