import FoundationEssentials
import FunctionRuntime
import HTTPServer
import TestSupport
import Testing

/// A stand-in for Lambda's Runtime API (version 2018-06-01), written from AWS's documented
/// contract: `GET …/runtime/invocation/next` answers the next queued event with
/// `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
/// `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`; `POST …/{id}/response`,
/// `…/{id}/error` and `…/init/error` answer 202 and are recorded. With the queue empty `next`
/// answers 500 (the Runtime API failed), which ends the runtime — so a test's run ends.
final class RuntimeAPIStandIn: Sendable {
    struct Invocation: Sendable {
        var id: String
        var deadlineMS: Double
        var event: JSON
        /// `Lambda-Runtime-Trace-Id` (nil: the header is left out, as without X-Ray tracing).
        var traceID: String? = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
    }

    private let queue: Locked<[Invocation]>
    let responses = Locked<[String: JSON]>([:])
    let errors = Locked<[String: (type: String?, body: JSON)]>([:])
    let initErrors = Locked<[(type: String?, body: JSON)]>([])
    private let server: HTTPServer

    init(_ invocations: [Invocation]) throws {
        let queue = Locked(invocations)
        self.queue = queue
        let responses = self.responses, errors = self.errors, initErrors = self.initErrors
        server = HTTPServer { request in
            let base = "/2018-06-01/runtime"
            let type = request.headerList.last { $0.0.lowercased() == "lambda-runtime-function-error-type" }?.1
            let body = (try? JSON.parse(request.body)) ?? .null
            switch (request.method, request.path) {
            case ("GET", base + "/invocation/next"):
                guard let next = queue.withValue({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                    return .respond(.json(500, ["errorMessage": "no more invocations", "errorType": "Test.Done"]))
                }
                var headers = [
                    ("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", next.id),
                    ("Lambda-Runtime-Deadline-Ms", String(Int64(next.deadlineMS))),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:t"),
                ]
                if let trace = next.traceID { headers.append(("Lambda-Runtime-Trace-Id", trace)) }
                return .respond(ServerResponse(status: 200, headers: headers, body: next.event.serializedBytes()))
            case ("POST", base + "/init/error"):
                initErrors.append((type, body))
                return .respond(.json(202, ["status": "OK"]))
            case ("GET", "/slow"):
                Clock.sleep(3)
                return .respond(.json(200, ["slow": true]))
            default:
                let parts = request.path.split(separator: "/").map(String.init)
                // ["2018-06-01", "runtime", "invocation", id, "response"|"error"]
                guard request.method == "POST", parts.count == 5, parts[2] == "invocation" else {
                    return .respond(.json(404, ["errorMessage": .string("unknown path \(request.path)")]))
                }
                if parts[4] == "response" { responses.withValue { $0[parts[3]] = body } }
                if parts[4] == "error" { errors.withValue { $0[parts[3]] = (type, body) } }
                return .respond(.json(202, ["status": "OK"]))
            }
        }
        try server.start(host: "127.0.0.1", port: 0)
    }

    func enqueue(_ invocation: Invocation) { queue.withValue { $0.append(invocation) } }

    var address: String { "127.0.0.1:\(server.port)" }
    var slowURL: String { "http://\(address)/slow" }

    func stop() { _ = server.stop(deadline: 2) }

    static func inAMinute() -> Double { (Date().timeIntervalSince1970 + 60) * 1000 }
}

extension Locked where Value == [(type: String?, body: JSON)] {
    func append(_ item: (type: String?, body: JSON)) { withValue { $0.append(item) } }
}

@Suite struct LambdaRuntimeTests {
    static let secret = "zd-lambda-secret"

    /// An HTTP event of a Function URL (payload format 2.0), signed as Zendesk signs.
    func httpEvent(_ payload: JSON, base64: Bool, signature: String? = nil) throws -> JSON {
        let bytes = payload.serializedBytes()
        let timestamp = Clock.iso8601(Date())
        let signed = try signature ?? WebhookSignature.zendesk(secret: Self.secret, timestamp: timestamp, body: bytes)
        return [
            "version": "2.0", "routeKey": "$default", "rawPath": "/zendesk/tickets", "rawQueryString": "",
            "headers": [
                "content-type": "application/json", "x-zendesk-webhook-signature": .string(signed),
                "x-zendesk-webhook-signature-timestamp": .string(timestamp),
            ],
            "requestContext": [
                "http": [
                    "method": "POST", "path": "/zendesk/tickets", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1",
                ],
                "requestId": "r1",
            ],
            "body": .string(base64 ? Crypto.base64(bytes) : String(decoding: bytes, as: UTF8.self)),
            "isBase64Encoded": .bool(base64),
        ]
    }

    @Test func httpEventsRunTheHTTPModeWithSignaturesOverTheDecodedBody() throws {
        let ticket: JSON = [
            "type": "zen:event-type:ticket.created", "detail": ["id": "5", "brand_id": "1", "status": "NEW"],
        ]
        let api = try RuntimeAPIStandIn([
            .init(id: "inv-1", deadlineMS: RuntimeAPIStandIn.inAMinute(), event: try httpEvent(ticket, base64: true)),
            .init(id: "inv-2", deadlineMS: RuntimeAPIStandIn.inAMinute(), event: try httpEvent(ticket, base64: false)),
            .init(
                id: "inv-3", deadlineMS: RuntimeAPIStandIn.inAMinute(),
                event: try httpEvent(ticket, base64: true, signature: "forged")),
            .init(
                id: "inv-4", deadlineMS: RuntimeAPIStandIn.inAMinute(),
                event: try httpEvent(ticket, base64: true).merging(["body": "not base64 !!"])),
        ])
        defer { api.stop() }
        let r = try Exec.run(
            "brand-filter",
            env: [
                "AWS_LAMBDA_RUNTIME_API": api.address, "ZENDESK_WEBHOOK_SECRET": Self.secret, "ZENDESK_BRANDS": "1",
            ], stdin: "")
        #expect(r.status == 70, "the runtime ends when the Runtime API fails: \(r.stderr)")
        let answers = api.responses.value
        for id in ["inv-1", "inv-2"] {
            #expect(answers[id]?["statusCode"] == 200, "\(id): \(answers[id] ?? .null)")
            #expect(answers[id]?["headers"]["x-function-exit"] == "0")
            let body = (try? JSON.parse(Array((answers[id]?["body"].string ?? "").utf8))) ?? .null
            #expect(body["outcome"] == "passed", "\(body)")
        }
        #expect(answers["inv-3"]?["statusCode"] == 401, "a forged signature: \(answers["inv-3"] ?? .null)")
        #expect(answers["inv-4"]?["statusCode"] == 400, "a body that is not base64: \(answers["inv-4"] ?? .null)")
        #expect(api.errors.value.isEmpty)
    }

    /// Twilio's inbound-message webhook through a Function URL gets what Twilio reads: empty
    /// TwiML as `text/xml`, the outcome in `x-function-outcome` (a JSON body would be Twilio's
    /// error 12300).
    @Test func aTwilioWebhookIsAnsweredWithTwiML() throws {
        let form = "MessageSid=SM0123456789abcdef0123456789abcdef&From=%2B15551230000&To=%2B15559870000&Body=STOP"
        let event: JSON = [
            "version": "2.0", "rawPath": "/sms/inbound", "rawQueryString": "",
            "headers": ["content-type": "application/x-www-form-urlencoded"],
            "requestContext": ["http": ["method": "POST", "path": "/sms/inbound"]],
            "body": .string(Crypto.base64(Array(form.utf8))), "isBase64Encoded": true,
        ]
        let api = try RuntimeAPIStandIn([.init(id: "sms-1", deadlineMS: RuntimeAPIStandIn.inAMinute(), event: event)])
        defer { api.stop() }
        let r = try Exec.run(
            "sms-inbound",
            env: [
                "AWS_LAMBDA_RUNTIME_API": api.address, "ALLOW_UNSIGNED": "1", "SMS_PROVIDER": "twilio",
                "ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "agent@example.com", "ZENDESK_API_TOKEN": "t",
            ], stdin: "")
        #expect(r.status == 70, "\(r.stderr)")
        let answer = api.responses.value["sms-1"] ?? .null
        #expect(answer["statusCode"] == 200, "\(answer) \(r.stderr)")
        #expect(answer["headers"]["content-type"].string?.hasPrefix("text/xml") == true, "\(answer)")
        #expect(answer["headers"]["x-function-outcome"] == "ignored", "\(answer)")
        #expect(answer["body"].string?.contains("<Response></Response>") == true, "\(answer)")
    }

    @Test func directInvocationsAnswerOrReportTheError() throws {
        let api = try RuntimeAPIStandIn([
            .init(id: "ok", deadlineMS: RuntimeAPIStandIn.inAMinute(), event: ["hello": "lambda"]),
            .init(id: "bad", deadlineMS: RuntimeAPIStandIn.inAMinute(), event: ["fail": "invalid_event"]),
        ])
        defer { api.stop() }
        let r = try Exec.run("test-echo", env: ["AWS_LAMBDA_RUNTIME_API": api.address], stdin: "")
        #expect(r.status == 70, "\(r.stderr)")
        let ok = api.responses.value["ok"] ?? .null
        #expect(ok["outcome"] == "echoed" && ok["event"]["hello"] == "lambda", "\(ok)")
        let bad = api.errors.value["bad"]
        #expect(bad?.type == "Function.invalid_event", "\(String(describing: bad))")
        #expect(bad?.body["errorType"] == "Function.invalid_event")
        #expect(bad?.body["errorMessage"].string?.isEmpty == false)
    }

    /// "Propagate the tracing header" (AWS, *Building a custom runtime*): each invocation's
    /// `Lambda-Runtime-Trace-Id` is `_X_AMZN_TRACE_ID` while it runs — for the X-Ray SDK, and for
    /// the loaded libraries too — and an invocation without one does not inherit the last one's.
    @Test func eachInvocationsTraceHeaderIsItsTraceVariable() throws {
        let names: JSON = ["_X_AMZN_TRACE_ID"]
        let first = "Root=1-65f0a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
        let api = try RuntimeAPIStandIn([
            .init(
                id: "traced", deadlineMS: RuntimeAPIStandIn.inAMinute(),
                event: ["echo_env": names, "echo_loaded_env": names], traceID: first),
            .init(
                id: "untraced", deadlineMS: RuntimeAPIStandIn.inAMinute(),
                event: ["echo_env": names, "echo_loaded_env": names], traceID: nil),
        ])
        defer { api.stop() }
        let r = try Exec.run("test-echo", env: ["AWS_LAMBDA_RUNTIME_API": api.address], stdin: "")
        #expect(r.status == 70, "\(r.stderr)")
        let traced = api.responses.value["traced"] ?? .null
        #expect(traced["env"]["_X_AMZN_TRACE_ID"].string == first, "\(traced)")
        #expect(traced["loaded_env"]["_X_AMZN_TRACE_ID"].string == first)
        let untraced = api.responses.value["untraced"] ?? .null
        #expect(untraced["env"]["_X_AMZN_TRACE_ID"] == .null, "\(untraced)")
        #expect(untraced["loaded_env"]["_X_AMZN_TRACE_ID"] == .null)
    }

    /// The invocation's deadline bounds the event's budget: a call to a service slower than the
    /// time left ends in time, reported as the transient failure it is.
    @Test func theInvocationDeadlineBoundsTheBudget() throws {
        let api = try RuntimeAPIStandIn([])
        defer { api.stop() }
        let deadline = (Date().timeIntervalSince1970 + 1.5) * 1000
        api.enqueue(.init(id: "late", deadlineMS: deadline, event: ["fetch": .string(api.slowURL)]))
        let started = Clock.monotonicMS()
        let r = try Exec.run("test-echo", env: ["AWS_LAMBDA_RUNTIME_API": api.address], stdin: "")
        #expect(r.status == 70, "\(r.stderr)")
        let error = api.errors.value["late"]
        #expect(error?.type == "Function.upstream_unavailable", "\(String(describing: error)) \(r.stderr)")
        #expect(Clock.monotonicMS() - started < 2900, "answered before the slow service would have")
    }

    @Test func aFunctionThatCannotStartReportsAnInitError() throws {
        let api = try RuntimeAPIStandIn([])
        defer { api.stop() }
        let r = try Exec.run(
            "test-echo",
            env: ["AWS_LAMBDA_RUNTIME_API": api.address, "ZENDESK_WEBHOOK_SECRET_FILE": "/nonexistent/secret"],
            stdin: "")
        #expect(r.status == 78, "\(r.stderr)")
        let errors = api.initErrors.value
        #expect(errors.count == 1)
        #expect(errors.first?.type?.hasPrefix("Runtime.") == true, "\(errors)")
        #expect(errors.first?.body["errorMessage"].string?.contains("ZENDESK_WEBHOOK_SECRET_FILE") == true)
    }
}
