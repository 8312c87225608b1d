import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// How the sandbox calls out as the vendors do (webhooks, callbacks, its own agent's writes).
extension Sandbox {
    /// An HTTP client that makes one attempt and takes whatever answer comes: where a vendor
    /// retries, the caller plays its rules.
    static func oneAttemptClient(seconds: Double) -> HTTPClient {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        return HTTPClient(deadline: Deadline(seconds: seconds), policy: policy)
    }

    /// A POST of `params` form-encoded to `url` as Twilio sends its webhooks and status callbacks:
    /// `X-Twilio-Signature` over the URL as given and the parameters (with `token`), Twilio's
    /// `User-Agent` and a fresh `I-Twilio-Idempotency-Token`.
    static func twilioRequest(
        url: String, params: [(String, String)], token: String, service: String
    ) throws
        -> HTTPRequest
    {
        let signature = try WebhookSignature.twilio(authToken: token, url: url, params: params)
        return HTTPRequest(
            "POST", url,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
                ("User-Agent", "TwilioProxy/1.1"), ("I-Twilio-Idempotency-Token", EmulatorSupport.uuid()),
            ],
            body: Array(FormDecoding.body(params).utf8), service: service)
    }
}
