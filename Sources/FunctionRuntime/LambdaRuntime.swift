import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Every function executable is also an AWS Lambda `bootstrap` for the `provided.al2023` runtime:
/// when `AWS_LAMBDA_RUNTIME_API` is set it loops on Lambda's Runtime API (version 2018-06-01,
/// "AWS Lambda runtime API" in the Lambda developer guide):
///
/// - `GET /2018-06-01/runtime/invocation/next` waits for an event; the answer carries
///   `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` (Unix milliseconds) and, with
///   X-Ray tracing, `Lambda-Runtime-Trace-Id`, which is `_X_AMZN_TRACE_ID` in the process's
///   environment while that event runs (AWS: "Propagate the tracing header");
/// - `POST /2018-06-01/runtime/invocation/{id}/response` with the answer (202);
/// - `POST /2018-06-01/runtime/invocation/{id}/error` with `{"errorMessage","errorType","stackTrace"}`
///   and `Lambda-Runtime-Function-Error-Type` (202);
/// - `POST /2018-06-01/runtime/init/error` when the function cannot start (a configuration file
///   that cannot be read), then the process exits.
///
/// A Function URL or API Gateway HTTP event (payload format 2.0: `rawPath`, `rawQueryString`,
/// `headers`, `body`, `isBase64Encoded`, `requestContext.http.method`) runs the function's HTTP
/// mode — the body decoded from base64 before its signature is verified — and is answered with
/// `{"statusCode","headers","body"}`, the status from the exit-status table (as under CGI). Any
/// other event is a direct invocation (authenticated by AWS): it runs as in pipeline mode, and an
/// exit status other than 0 is reported on `/error`. The event's budget is the smaller of
/// `FUNCTION_BUDGET_MS` and the time left before the invocation's deadline (less 300 ms to
/// answer). The process ends (exit 70) when the Runtime API itself fails.
enum LambdaRuntime {
    static let apiVariable = "AWS_LAMBDA_RUNTIME_API"
    /// Where a custom runtime puts the invocation's X-Ray tracing header (the X-Ray SDKs read it).
    static let traceVariable = "_X_AMZN_TRACE_ID"
    static let version = "2018-06-01"
    /// Kept back from the invocation's deadline to send the answer.
    static let answerMargin = 0.3

    static func run(_ definition: FunctionDefinition, api: String, context: FunctionContext) -> Int32 {
        let base = "http://\(api)/\(version)/runtime"
        let transport = context.http.transport
        func post(_ path: String, _ body: JSON, errorType: String? = nil) -> Bool {
            var headers = [("Content-Type", "application/json")]
            if let errorType { headers.append(("Lambda-Runtime-Function-Error-Type", errorType)) }
            let request = HTTPRequest(
                "POST", base + path, headers: headers, body: body.serializedBytes(), service: "lambda-runtime",
                retrySafe: true)
            if case .response(let r) = transport.perform(request, timeout: 10, connectTimeout: 2), r.isSuccess {
                return true
            }
            StandardStreams.writeError("\(definition.name): the Lambda Runtime API refused POST \(path)\n")
            return false
        }
        if let problem = context.configProblem {
            _ = post("/init/error", errorBody(problem), errorType: "Runtime.\(problem.code.rawValue)")
            return problem.code.exitStatus
        }
        while true {
            let next = transport.perform(
                HTTPRequest("GET", base + "/invocation/next", service: "lambda-runtime"), timeout: 86_400,
                connectTimeout: 2)
            guard case .response(let invocation) = next, invocation.status == 200,
                let id = invocation.headers["lambda-runtime-aws-request-id"], !id.isEmpty
            else {
                StandardStreams.writeError("\(definition.name): the Lambda Runtime API gave no invocation; exiting\n")
                return RuntimeError.Code.internal.exitStatus
            }
            let budget = invocation.headers["lambda-runtime-deadline-ms"].flatMap(Double.init).map {
                max(0.05, ($0 / 1000 - Date().timeIntervalSince1970) - answerMargin)
            }
            propagateTrace(invocation.headers["lambda-runtime-trace-id"])
            let event = (try? JSON.parse(invocation.body)) ?? .null
            let path = "/invocation/\(id)"
            if let http = LambdaHTTPEvent(event) {
                _ = post(path + "/response", answer(definition, http, context: context, budget: budget))
                continue
            }
            let (bytes, result, status, _) = FunctionRunner.handle(
                definition, raw: invocation.body, request: nil, mode: .pipeline, context: context, budget: budget)
            if status == 0 {
                let body = (try? JSON.parse(bytes)) ?? result
                _ = post(path + "/response", body)
            } else {
                let code = result["error"]["code"].string ?? "exit_\(status)"
                _ = post(
                    path + "/error",
                    [
                        "errorMessage": .string(result["error"]["message"].string ?? "exit status \(status)"),
                        "errorType": .string("Function.\(code)"), "stackTrace": [],
                    ], errorType: "Function.\(code)")
            }
        }
    }

    /// Sets `_X_AMZN_TRACE_ID` to the invocation's tracing header, or unsets it when the
    /// invocation has none (nothing of one invocation carries over to the next); the loaded
    /// libraries see the change too (`LoadedLibraries`).
    static func propagateTrace(_ header: String?) {
        if let header, !header.isEmpty { setenv(traceVariable, header, 1) } else { unsetenv(traceVariable) }
    }

    /// Runs an HTTP event in the function's HTTP mode and builds the API Gateway / Function URL
    /// answer.
    static func answer(
        _ definition: FunctionDefinition, _ http: LambdaHTTPEvent, context: FunctionContext, budget: Double?
    ) -> JSON {
        guard let body = http.body else {
            let error = RuntimeError(.invalidEvent, "the event's body is marked base64 but is not valid base64")
            return response(status: error.code.exitStatus, body: error.json.serializedBytes(), retryAfter: nil)
        }
        let (bytes, result, status, contentType) = FunctionRunner.handle(
            definition, raw: body, request: http.request, mode: .lambda, context: context, budget: budget)
        let retry = status == RuntimeError.Code.upstreamUnavailable.exitStatus ? FunctionRunner.retryAfter(result) : nil
        return response(
            status: status, body: bytes, retryAfter: retry, contentType: contentType,
            outcome: FunctionRunner.outcomeHeader(result, contentType: contentType))
    }

    /// `{"statusCode","headers","body","isBase64Encoded":false}` for an exit status.
    static func response(
        status: Int32, body: [UInt8], retryAfter: Int?, contentType: String = FunctionRunner.jsonType,
        outcome: String? = nil
    ) -> JSON {
        var headers: JSON = ["content-type": .string(contentType), "x-function-exit": .string(String(status))]
        if let outcome { headers["x-function-outcome"] = .string(outcome) }
        if let retryAfter { headers["retry-after"] = .string(String(retryAfter)) }
        return [
            "statusCode": .int(Int64(ExitStatus.httpStatus(for: status))), "headers": headers,
            "body": .string(String(decoding: body, as: UTF8.self)), "isBase64Encoded": false,
        ]
    }

    static func errorBody(_ error: RuntimeError) -> JSON {
        [
            "errorMessage": .string(error.message), "errorType": .string("Runtime.\(error.code.rawValue)"),
            "stackTrace": [],
        ]
    }
}

/// A Function URL / API Gateway HTTP API event, payload format 2.0.
struct LambdaHTTPEvent {
    var request: IncomingRequest
    /// The body's bytes (base64-decoded when `isBase64Encoded`); nil when that decoding failed.
    var body: [UInt8]?

    init?(_ event: JSON) {
        let http = event["requestContext"]["http"]
        guard let method = http["method"].string, let path = event["rawPath"].string ?? http["path"].string else {
            return nil
        }
        var headers: [String: String] = [:]
        for (name, value) in event["headers"].object ?? [:] {
            if let v = value.string { headers[name.lowercased()] = v }
        }
        // Format 2.0 moves cookies out of the headers.
        if let cookies = event["cookies"].array?.compactMap(\.string), !cookies.isEmpty {
            headers["cookie"] = cookies.joined(separator: "; ")
        }
        request = IncomingRequest(
            method: method.uppercased(), path: path, query: event["rawQueryString"].string ?? "", headers: headers,
            contentType: headers["content-type"] ?? "")
        let text = event["body"].string ?? ""
        body = event["isBase64Encoded"].bool == true ? Crypto.base64Decode(text) : Array(text.utf8)
    }
}
