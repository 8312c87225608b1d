import FunctionRuntime

/// A message Twilio refused (4xx with a Twilio error code): retrying cannot help.
public struct TwilioRefusal: Error, Sendable, Equatable {
    public let status: Int
    /// Twilio's error code (21610 opted out, 21211 invalid To, 21606 From not owned, 21617 too long).
    public let code: Int
    public let message: String

    /// 21609: the `StatusCallback` is not a URL Twilio accepts (a host name, no underscore).
    public static let invalidStatusCallback = 21609
}

extension Twilio {
    /// Sends one SMS (`POST …/Messages.json`, form-encoded `To`, `From`, `Body`, and
    /// `StatusCallback`: where Twilio posts the message's later statuses). Returns the
    /// message resource (`sid`, `num_segments`, …) or the refusal. Not retried once sent: a lost
    /// answer surfaces as `RuntimeError` `.upstreamUnavailable` with `outcomeUnknown`.
    public func sendMessage(
        to: String, from: String, body: String, statusCallback: String? = nil
    ) throws -> Result<JSON, TwilioRefusal> {
        var params = [("To", to), ("From", from), ("Body", body)]
        if let statusCallback { params.append(("StatusCallback", statusCallback)) }
        let form = FormDecoding.body(params)
        let response = try client.send(
            "POST", messagesPath, body: Array(form.utf8), contentType: "application/x-www-form-urlencoded")
        if response.isSuccess { return .success(response.json) }
        if (400..<500).contains(response.status), response.status != 401, response.status != 403,
            let code = response.json["code"].int
        {
            return .failure(
                TwilioRefusal(status: response.status, code: Int(code), message: response.json["message"].string ?? ""))
        }
        throw ServiceError(service: client.service, method: "POST", path: messagesPath, response: response)
    }

    /// Messages filtered by `To`, `From` and the UTC day they were sent (`DateSent=YYYY-MM-DD`),
    /// newest first (first page).
    public func messages(to: String? = nil, from: String? = nil, dateSent: String? = nil) throws -> [JSON] {
        var q: [(String, String)] = []
        if let to { q.append(("To", to)) }
        if let from { q.append(("From", from)) }
        if let dateSent { q.append(("DateSent", dateSent)) }
        let path = messagesPath + (q.isEmpty ? "" : "?" + FormDecoding.body(q))
        return try client.json("GET", path)["messages"].array ?? []
    }
}
