import FoundationEssentials
import FunctionRuntime

/// Plain HTTP calls a person (or the demo script) makes against the running stack: the
/// sandbox's control API and its Zendesk API as the demo agent.
extension DemoStack {
    /// One request, sent once (no retries: the demo must see what happened), 30 s at most.
    public func call(
        _ method: String, _ url: String, json: JSON? = nil, headers: [(String, String)] = []
    ) throws -> HTTPResponse {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let client = HTTPClient(deadline: Deadline(seconds: 30), policy: policy)
        if let json { return try client.send(HTTPRequest(method, url, json: json, headers: headers)) }
        return try client.send(HTTPRequest(method, url, headers: headers))
    }

    /// A call to the sandbox's control API (`path` after `/_ctl`).
    public func control(_ method: String, _ path: String, _ body: JSON? = nil) throws -> HTTPResponse {
        try call(method, sandboxURL + "/_ctl" + path, json: body)
    }

    /// A call to the sandbox's Zendesk API (`path` after `/zendesk`) with the API user's token.
    public func zendesk(_ method: String, _ path: String, _ body: JSON? = nil) throws -> HTTPResponse {
        try call(
            method, sandboxURL + "/zendesk" + path, json: body,
            headers: [("Authorization", "Basic " + Crypto.base64(Array(zendeskCredentials.utf8)))])
    }

    /// `email/token:token` of the sandbox's Zendesk API user.
    public var zendeskCredentials: String {
        let env = sandbox.functionEnvironment()
        return "\(env[ConfigKey.zendeskEmail] ?? "")/token:\(env[ConfigKey.zendeskAPIToken] ?? "")"
    }

    /// `sid:token` of the sandbox's Twilio account.
    public var twilioCredentials: String {
        let env = sandbox.functionEnvironment()
        return "\(env[ConfigKey.twilioAccountSID] ?? ""):\(env[ConfigKey.twilioAuthToken] ?? "")"
    }
}
