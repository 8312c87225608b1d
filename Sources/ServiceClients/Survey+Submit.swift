import FunctionRuntime

extension Survey {
    /// POSTs one survey request (JSON) to the configured endpoint and returns the response,
    /// whatever its status: the caller must tell "refused" from "accepted".
    ///
    /// The request is not marked safe to retry: 2listen documents no idempotency, so the runtime
    /// repeats it only when the service surely did not process it (connection refused, 429, 503)
    /// and otherwise throws `RuntimeError` with `outcomeUnknown`.
    public func submit(_ body: JSON) throws -> HTTPResponse {
        try client.send("POST", "", body: body.serializedBytes(), contentType: "application/json")
    }
}
