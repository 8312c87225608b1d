import FoundationEssentials
import FunctionRuntime
import HTTPServer
import SandboxKit

/// A sandbox on a free port, stopped by `defer { sandbox.stop() }`.
func startSandbox(_ options: SandboxOptions = SandboxOptions()) throws -> Sandbox {
    let sandbox = Sandbox(options: options)
    try sandbox.start(host: "127.0.0.1", port: 0)
    return sandbox
}

/// Calls a sandbox over real HTTP with the runtime's client, retries off, so every status and
/// every dropped connection is seen as it happened.
struct Caller {
    let base: String

    init(_ sandbox: Sandbox) { base = sandbox.baseURL }

    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) throws -> HTTPResponse {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let client = HTTPClient(deadline: Deadline(seconds: 10), policy: policy)
        return try client.send(HTTPRequest(method, base + path, headers: headers, body: body))
    }

    func json(
        _ method: String, _ path: String, _ value: JSON, headers: [(String, String)] = [],
        contentType: String = "application/json"
    ) throws -> HTTPResponse {
        try send(method, path, headers: headers + [("Content-Type", contentType)], body: value.serializedBytes())
    }

    func form(_ path: String, _ pairs: [(String, String)], headers: [(String, String)]) throws -> HTTPResponse {
        try send(
            "POST", path, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(FormDecoding.body(pairs).utf8))
    }

    func ctl(_ method: String, _ path: String, _ value: JSON? = nil) throws -> HTTPResponse {
        if let value { return try json(method, "/_ctl" + path, value) }
        return try send(method, "/_ctl" + path)
    }

    static func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Crypto.base64(Array("\(user):\(password)".utf8)))
    }

    static let klaviyoHeaders: [(String, String)] = [
        ("Authorization", "Klaviyo-API-Key pk_test"), ("revision", "2026-07-15"),
        ("Accept", "application/vnd.api+json"),
    ]
    static let twilioAuth = basic("AC_test", "tw-token")
    static let surveyAuth = basic("survey@example.com/token", "sv-token")
}

/// A small HTTP endpoint standing in for the bundle: records what it receives and answers with
/// scripted statuses (the last one repeats).
final class Receiver: @unchecked Sendable {
    struct Received: Sendable {
        var target: String
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers.last { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    final class Log: @unchecked Sendable {
        let lock = Lock()
        var script: [(Int, [(String, String)])]
        var got: [Received] = []
        init(_ script: [(Int, [(String, String)])]) { self.script = script }

        func answer(_ request: ServerRequest) -> ServerResponse {
            lock.withLock {
                got.append(Received(target: request.target, headers: request.headerList, body: request.body))
                let (status, headers) = script.count > 1 ? script.removeFirst() : script[0]
                return .json(status, ["ok": .bool(status < 300)], headers: headers)
            }
        }
    }

    let log: Log
    let server: HTTPServer

    init(statuses: [(Int, [(String, String)])] = [(200, [])]) throws {
        let log = Log(statuses)
        self.log = log
        server = HTTPServer { request in .respond(log.answer(request)) }
        try server.start(host: "127.0.0.1", port: 0)
    }

    var url: String { "http://127.0.0.1:\(server.port)" }
    var received: [Received] { log.lock.withLock { log.got } }

    func stop() { server.stop(deadline: 1) }
}

/// Waits until `condition` holds or `seconds` pass.
func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let until = Clock.monotonicMS() + seconds * 1000
    while Clock.monotonicMS() < until {
        if condition() { return true }
        Clock.sleep(0.02)
    }
    return condition()
}

extension Caller {
    /// The sandbox's default Zendesk agent (API token auth).
    static let zendeskAgent = Caller.basic("agent@example.com/token", "zd-token")

    /// Registers an active JSON webhook in the sandbox's Zendesk as the default agent and reads its
    /// signing secret: the creation status, the webhook id and the secret ("" when absent).
    func zendeskWebhook(
        name: String, endpoint: String, subscriptions: [String]
    ) throws -> (status: Int, id: String, secret: String) {
        let hook = try json(
            "POST", "/zendesk/api/v2/webhooks",
            [
                "webhook": [
                    "name": .string(name), "endpoint": .string(endpoint), "http_method": "POST",
                    "request_format": "json", "status": "active", "subscriptions": JSON(subscriptions),
                ]
            ],
            headers: [Caller.zendeskAgent])
        let id = hook.json["webhook"]["id"].string ?? ""
        let secret =
            try send("GET", "/zendesk/api/v2/webhooks/\(id)/signing_secret", headers: [Caller.zendeskAgent])
            .json["signing_secret"]["secret"].string ?? ""
        return (hook.status, id, secret)
    }
}
