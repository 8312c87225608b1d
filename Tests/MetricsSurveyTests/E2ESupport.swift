import Foundation
import FunctionRuntime
import SandboxKit
import TestSupport

/// A sandbox on a free port plus helpers to drive it.
final class Bench {
    let sandbox: Sandbox
    let secret = "whsec-metrics-test"

    init(seed: JSON) throws {
        sandbox = Sandbox(options: SandboxOptions())
        try sandbox.start(host: "127.0.0.1", port: 0)
        try sandbox.seed(seed)
    }

    deinit { sandbox.stop() }

    var env: [String: String] { sandbox.functionEnvironment() }

    func run(
        _ function: String, _ arguments: [String] = [], event: JSON, env extra: [String: String] = [:]
    ) throws -> Exec.Output {
        try Exec.run(function, arguments, env: env.merging(extra) { _, b in b }, stdin: event.serialized())
    }

    func state() -> JSON { sandbox.state() }

    /// A Zendesk event-subscription payload rendered from the sandbox's current state.
    func zendeskEvent(_ type: String, ticket: Int, previous: String? = nil) throws -> JSON {
        var path = "/_ctl/zendesk-event?type=\(type)&ticket=\(ticket)"
        if let previous { path += "&previous=\(previous)" }
        let client = HTTPClient(deadline: Deadline(seconds: 5))
        let r = try client.send(HTTPRequest("GET", sandbox.baseURL + path))
        guard r.status == 200 else { throw RuntimeError(.internal, "zendesk-event: \(r.status) \(r.text)") }
        return r.json
    }

    /// Acts as the Zendesk agent (the API user) on the sandbox.
    @discardableResult
    func agent(_ method: String, _ path: String, _ body: JSON) throws -> HTTPResponse {
        let client = HTTPClient(deadline: Deadline(seconds: 5))
        let auth = "Basic " + Crypto.base64(Array("agent@example.com/token:zd-token".utf8))
        return try client.send(
            HTTPRequest(method, sandbox.baseURL + "/zendesk" + path, json: body, headers: [("Authorization", auth)]))
    }

    func surveySubmissions() -> [JSON] { state().at("survey.submissions").array ?? [] }
    func klaviyoEvents() -> [JSON] { state().at("klaviyo.events").array ?? [] }
    func ticket(_ id: Int) -> JSON {
        (state().at("zendesk.tickets").array ?? []).first { $0["id"].int == Int64(id) } ?? .null
    }
    func tags(_ id: Int) -> [String] { (ticket(id)["tags"].array ?? []).compactMap(\.string) }
}

/// The `invoker` executable serving the product's functions.json, pointed at a sandbox.
final class InvokerProcess {
    let process = Process()
    var baseURL = ""
    let secret: String
    /// The invoker's standard error: access log and the functions' log lines.
    let log = TextBuffer()

    /// The repository's functions.json (two levels above this file's directory).
    static var productConfig: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("functions.json").path
    }

    init(env: [String: String], secret: String) throws {
        self.secret = secret
        process.executableURL = URL(fileURLWithPath: Exec.path("invoker"))
        process.arguments = [
            "--serve", "--config", Self.productConfig, "--port", "0", "--functions-dir", Exec.directory,
        ]
        var e = env
        e["PATH"] = "/usr/bin:/bin"
        e["ZENDESK_WEBHOOK_SECRET"] = secret
        process.environment = e
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = errPipe.fileHandleForReading
        var seen = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let r = seen.range(of: "listening on "),
                let end = seen[r.upperBound...].firstIndex(where: { $0 == "\n" || $0 == " " })
            {
                baseURL = String(seen[r.upperBound..<end])
                break
            }
        }
        guard !baseURL.isEmpty else {
            process.terminate()
            throw RuntimeError(.internal, "invoker did not start: \(seen)")
        }
        // Keep draining the access log (kept for failure messages) so the invoker never blocks.
        let log = self.log
        log.append(seen)
        DispatchQueue.global().async {
            while true {
                let d = handle.availableData
                if d.isEmpty { break }
                log.append(String(decoding: d, as: UTF8.self))
            }
        }
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// POSTs `body` signed as a Zendesk webhook (`X-Zendesk-Webhook-Signature` over timestamp + body).
    func postSigned(_ path: String, _ body: JSON, signature override: String? = nil) throws -> HTTPResponse {
        let bytes = body.serializedBytes()
        let timestamp = Clock.iso8601(Date())
        let signature = try override ?? WebhookSignature.zendesk(secret: secret, timestamp: timestamp, body: bytes)
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let client = HTTPClient(deadline: Deadline(seconds: 20), policy: policy)
        return try client.send(
            HTTPRequest(
                "POST", baseURL + path,
                headers: [
                    ("Content-Type", "application/json"), ("X-Zendesk-Webhook-Signature", signature),
                    ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
                ], body: bytes))
    }
}

/// Text appended from another thread.
final class TextBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func append(_ s: String) { lock.lock(); text += s; lock.unlock() }
    var value: String { lock.lock(); defer { lock.unlock() }; return text }
}
