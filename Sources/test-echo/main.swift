import FunctionRuntime

/// Test-only function: echoes the event, or behaves as asked by its fields, so that tests can
/// drive every path of the runtime and the invoker:
/// - `{"fail":"invalid_event"|"upstream_unavailable"|…}` throws that error code;
/// - `{"sleep_ms":N}` sleeps first; `{"filter":true}` filters, `{"pass":true}` passes through;
/// - `{"fetch":"URL"}` GETs the URL through the runtime's HTTP client and reports the status.
FunctionRunner.main(FunctionDefinition(
    name: "test-echo",
    summary: "test-only echo function for the runtime and invoker tests",
    signatures: [.zendesk, .twilio, .klaviyo]
) { event, context in
    if let ms = event.json["sleep_ms"].int { HTTPClient.sleep(Double(ms) / 1000) }
    if let code = event.json["fail"].string {
        throw RuntimeError(RuntimeError.Code(rawValue: code) ?? .internal, "asked to fail with \(code)", retryAfter: 2)
    }
    if event.json["filter"].bool == true { return .filtered(result: ["outcome": "filtered"]) }
    if event.json["pass"].bool == true { return .passthrough(result: ["outcome": "passed"]) }
    var result: JSON = ["outcome": "echoed", "event": event.json, "mode": .string(event.mode.rawValue)]
    if let url = event.json["fetch"].string {
        let response = try context.http.send(HTTPRequest("GET", url, service: "test"))
        result["fetch_status"] = .int(Int64(response.status))
        result["fetch_body"] = .string(response.text)
    }
    if let request = event.request {
        result["method"] = .string(request.method)
        result["path"] = .string(request.path)
        result["query"] = .string(request.query)
        result["headers"] = .object(request.headers.mapValues { .string($0) })
    }
    return .result(result)
})
