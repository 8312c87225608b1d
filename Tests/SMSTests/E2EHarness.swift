import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
import SandboxKit

/// End-to-end harness of the SMS functions: an in-process sandbox (Zendesk, Klaviyo, Twilio) and
/// the invoker's HTTP mode (`Invoker` on an `HTTPServer`, the code `invoker --serve` runs) serving
/// the product's `functions.json`, which spawns the built `sms-inbound` / `agent-reply`
/// executables per request. Every request the tests send is signed for real: Twilio's
/// `X-Twilio-Signature` over `PUBLIC_URL` + path + sorted form parameters, Zendesk's
/// `X-Zendesk-Webhook-Signature` over timestamp + body.
///
/// The invoker's listener starts first so that its own address can be its `PUBLIC_URL` (the URL
/// Twilio signs), and a Zendesk webhook registered in the sandbox can name it; the function
/// environment can be replaced later (`configure`), e.g. with that webhook's signing secret.
final class SMSBench: @unchecked Sendable {
    static let brandA = "+15559870000"
    static let brandB = "+15559870001"
    /// Pat: a US customer, Zendesk end-user 2001, consented Klaviyo profile.
    static let pat = "+15551230000"
    static let patID: Int64 = 2001
    static let patEmail = "pat@example.com"
    /// Kim: a UK customer, Zendesk end-user 2002, consented Klaviyo profile.
    static let kim = "+447700900123"
    static let kimID: Int64 = 2002
    /// Lee: a US customer with a Klaviyo profile that unsubscribed from SMS.
    static let lee = "+15551239999"
    /// Max: a customer Klaviyo does not know at all.
    static let stranger = "+15551238888"
    /// Sam: consented in Klaviyo (with a name), unknown to Zendesk.
    static let sam = "+15551237777"
    /// The sandbox's Twilio auth token (the Twilio webhook secret).
    static let twilioToken = "tw-token"

    let sandbox: Sandbox
    let file: FunctionsFile
    private let server: HTTPServer
    private let box = Locked<Invoker?>(nil)
    /// The invoker's access-log lines (status, exit, notes such as a crash signal).
    let accessLines = Locked<[String]>([])
    /// The Zendesk webhook secret the invoker's functions verify with (see `configure`).
    private(set) var zendeskSecret = "zd-webhook-secret-" + SMSBench.randomHex(8)

    /// The standard people and numbers, plus `extra` seed sections merged over them.
    static func seed(_ extra: JSON = [:]) -> JSON {
        let consented: JSON = ["sms": ["marketing": ["consent": "SUBSCRIBED"]]]
        let doc: JSON = [
            "zendesk": [
                "users": [
                    ["id": .int(patID), "name": "Pat Doe", "phone": .string(pat), "role": "end-user"],
                    ["id": .int(kimID), "name": "Kim Lee", "phone": .string(kim), "role": "end-user"],
                ]
            ],
            "klaviyo": [
                "profiles": [
                    [
                        "id": "01PATPROFILE0000000000000A", "phone_number": .string(pat), "first_name": "Pat",
                        "last_name": "Doe",
                        "email": .string(patEmail), "subscriptions": consented,
                    ],
                    [
                        "id": "01KIMPROFILE0000000000000A", "phone_number": .string(kim), "first_name": "Kim",
                        "subscriptions": consented,
                    ],
                    [
                        "id": "01LEEPROFILE0000000000000A", "phone_number": .string(lee), "first_name": "Lee",
                        "subscriptions": ["sms": ["marketing": ["consent": "UNSUBSCRIBED"]]],
                    ],
                    [
                        "id": "01SAMPROFILE0000000000000A", "phone_number": .string(sam), "first_name": "Sam",
                        "last_name": "Stone",
                        "email": "sam@example.com",
                        "subscriptions": ["sms": ["transactional": ["consent": "SUBSCRIBED"]]],
                    ],
                ]
            ],
            "twilio": ["numbers": [.string(brandA), .string(brandB)]],
        ]
        return merging(doc, extra)
    }

    /// `doc` with the lists of `extra`'s sections appended (`{"zendesk":{"users":[…]}}`).
    static func merging(_ doc: JSON, _ extra: JSON) -> JSON {
        var doc = doc
        for (section, value) in extra.object ?? [:] {
            var merged = doc[section].object ?? [:]
            for (key, list) in value.object ?? [:] {
                merged[key] = .array((merged[key]?.array ?? []) + (list.array ?? [list]))
            }
            doc[section] = .object(merged)
        }
        return doc
    }

    /// Starts a sandbox seeded with `seed` and an invoker whose functions get the sandbox's
    /// environment, `PUBLIC_URL` = the invoker's address, `SMS_PROVIDER=twilio` and `env`.
    init(seed: JSON = SMSBench.seed(), env: [String: String] = [:]) throws {
        sandbox = Sandbox(options: SandboxOptions())
        try sandbox.start(host: "127.0.0.1", port: 0)
        try sandbox.seed(seed)
        file = try FunctionsFile.load(
            path: Self.functionsFile, functionsDirectory: InvokerCommand.executableDirectory())
        let box = self.box
        server = HTTPServer(limits: Invoker(file: file, environment: [:]).serverLimits) { request in
            guard let invoker = box.value else { return .respond(.json(503, ["error": "invoker not configured"])) }
            return .respond(invoker.handle(request))
        }
        try server.start(host: "127.0.0.1", port: 0)
        configure(env)
    }

    deinit {
        _ = server.stop(deadline: 5)
        box.value?.stopSpool()
        box.value?.closeWorkers()
        sandbox.stop()
    }

    /// Where the invoker listens (also its `PUBLIC_URL`).
    var invokerURL: String { "http://127.0.0.1:\(server.port)" }

    /// (Re)builds the invoker with the function environment plus `env` (which may override
    /// `ZENDESK_WEBHOOK_SECRET`, `SMS_PROVIDER`, `SMS_CONTEXT_NOTE`, …).
    func configure(_ env: [String: String] = [:], zendeskSecret secret: String? = nil, state: InvokerState? = nil) {
        if let secret { zendeskSecret = secret }
        var environment = sandbox.functionEnvironment()
        environment["PATH"] = "/usr/bin:/bin"
        environment["PUBLIC_URL"] = invokerURL
        environment["SMS_PROVIDER"] = "twilio"
        environment["ZENDESK_WEBHOOK_SECRET"] = zendeskSecret
        // The routing suites count a conversation's comments; the customer-context note (on by
        // default in the product) has its own suite, E2EInboxTests, which turns it back on.
        environment["SMS_CONTEXT_NOTE"] = "0"
        // `INVOKER_MODE=warm` (the second pass of ./invoke test): the same suites on warm workers.
        if let mode = ProcessInfo.processInfo.environment["INVOKER_MODE"] { environment["INVOKER_MODE"] = mode }
        for (k, v) in env { environment[k] = v }
        let lines = accessLines
        let log = AccessLog(redactor: Redactor(secrets: []), write: { line in lines.append(line) })
        box.value?.stopSpool()
        box.value?.closeWorkers()
        box.value = Invoker(file: file, environment: environment, accessLog: log, state: state)
    }

    /// The repository's functions.json (this file is Tests/SMSTests/E2EHarness.swift).
    static var functionsFile: String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/functions.json"
    }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in
            let b = UInt8.random(in: 0...255)
            return String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
        }.joined()
    }

    static func messageSID() -> String { "SM" + randomHex(16) }

    // MARK: Requests to the invoker

    /// One answer of the invoker.
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String]
        var json: JSON
        var text: String
        var outcome: String? { json["outcome"].string }
        var reason: String? { json["reason"].string }
        var exit: String? { headers["x-function-exit"] }
    }

    func post(_ path: String, headers: [(String, String)], body: [UInt8]) throws -> Answer {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let client = HTTPClient(deadline: Deadline(seconds: 30), policy: policy)
        let r = try client.send(HTTPRequest("POST", invokerURL + path, headers: headers, body: body))
        var lower: [String: String] = [:]
        for (k, v) in r.headers { lower[k.lowercased()] = v }
        return Answer(status: r.status, headers: lower, json: r.json, text: r.text)
    }

    /// Twilio's inbound-message webhook for a text, as Twilio posts it to `/sms/inbound`.
    static func twilioParams(sid: String, from: String, to: String, body: String, media: [String]) -> [(String, String)]
    {
        var params: [(String, String)] = [
            ("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", String(media.count)), ("SmsSid", sid),
            ("SmsStatus", "received"), ("Body", body), ("To", to), ("NumSegments", "1"), ("MessageSid", sid),
            ("AccountSid", "AC_test"), ("From", from), ("ApiVersion", "2010-04-01"),
        ]
        for (i, url) in media.enumerated() {
            params.append(("MediaUrl\(i)", url))
            params.append(("MediaContentType\(i)", url.hasSuffix(".gif") ? "image/gif" : "image/jpeg"))
        }
        return params
    }

    /// A customer's text delivered as Twilio's signed webhook to `/sms/inbound`. With `asJSON`
    /// (the default) the request's `Accept: application/json` asks for the JSON result, as an
    /// operator's curl can; without it the request is Twilio's own and is answered with TwiML.
    @discardableResult
    func text(
        _ body: String, from: String = SMSBench.pat, to: String = SMSBench.brandA, sid: String = SMSBench.messageSID(),
        media: [String] = [], signature: String? = nil, asJSON: Bool = true
    ) throws -> Answer {
        let params = Self.twilioParams(sid: sid, from: from, to: to, body: body, media: media)
        let signed =
            try signature
            ?? WebhookSignature.twilio(authToken: Self.twilioToken, url: invokerURL + "/sms/inbound", params: params)
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signed)]
        if asJSON { headers.append(("Accept", "application/json")) }
        return try post("/sms/inbound", headers: headers, body: Array(FormDecoding.body(params).utf8))
    }

    /// A Klaviyo system-webhook batch of `items`, signed with `secret` as Klaviyo signs, posted to
    /// `/klaviyo/webhooks` (`bodyWebhookID`: the webhook id the signed body names).
    func postKlaviyoBatch(_ items: [JSON], secret: String, bodyWebhookID: String = "WH1") throws -> Answer {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let body: JSON = [
            "data": .array(items),
            "meta": ["klaviyo_webhook_id": .string(bodyWebhookID), "timestamp": .string(timestamp)],
        ]
        let bytes = body.serializedBytes()
        return try post(
            "/klaviyo/webhooks",
            headers: [
                ("Content-Type", "application/json"), ("Klaviyo-Webhook-Id", "WH1"), ("Klaviyo-Timestamp", timestamp),
                ("Klaviyo-Signature", WebhookSignature.klaviyo(secret: secret, timestamp: timestamp, body: bytes)),
            ], body: bytes)
    }

    /// Subscribes the invoker's `/klaviyo/webhooks` to the sandbox Klaviyo's SMS topics (webhook
    /// `WH1`, signed with `secret`).
    func subscribeKlaviyoWebhook(secret: String) throws {
        try sandbox.seed([
            "klaviyo": [
                "webhooks": [
                    [
                        "id": "WH1", "name": "bundle", "endpoint_url": .string(invokerURL + "/klaviyo/webhooks"),
                        "secret_key": .string(secret),
                        "topics": [
                            "event:klaviyo.sent_sms", "event:klaviyo.received_sms", "event:klaviyo.failed_to_deliver_sms",
                        ],
                    ]
                ]
            ]
        ])
    }

    /// Points the sandbox Twilio number `number` at the invoker's `/sms/inbound`, so the sandbox's
    /// phone (`/_ctl/phone/text`) delivers Twilio's signed webhook.
    func routeTwilioNumber(_ number: String) throws {
        let r = try sandboxCall(
            "POST", "/_ctl/twilio/numbers",
            json: ["number": .string(number), "sms_url": .string(invokerURL + "/sms/inbound")])
        guard r.status == 200 else { throw RuntimeError(.internal, "twilio/numbers: \(r.status) \(r.text)") }
    }

    /// A Zendesk event-subscription payload signed with the invoker's Zendesk secret, posted to `path`.
    func postZendesk(
        _ path: String, _ payload: JSON, secret: String? = nil, extraHeaders: [(String, String)] = []
    ) throws -> Answer {
        let bytes = payload.serializedBytes()
        let timestamp = Clock.iso8601(Date())
        let signature = try WebhookSignature.zendesk(secret: secret ?? zendeskSecret, timestamp: timestamp, body: bytes)
        return try post(
            path,
            headers: [
                ("Content-Type", "application/json"), ("X-Zendesk-Webhook-Signature", signature),
                ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
            ] + extraHeaders, body: bytes)
    }

    /// The signed `ticket.comment_added` event of `comment` (rendered by the sandbox's Zendesk)
    /// delivered to `/zendesk/comments`.
    @discardableResult
    func commentAdded(ticket: Int64, comment: Int64) throws -> Answer {
        try postZendesk("/zendesk/comments", try zendeskEvent(ticket: ticket, comment: comment))
    }

    func zendeskEvent(ticket: Int64, comment: Int64) throws -> JSON {
        let r = try sandboxCall(
            "GET", "/_ctl/zendesk-event?type=ticket.comment_added&ticket=\(ticket)&comment=\(comment)")
        guard r.status == 200 else { throw RuntimeError(.internal, "zendesk-event: \(r.status) \(r.text)") }
        return r.json
    }

    // MARK: Acting on the sandbox

    @discardableResult
    func sandboxCall(
        _ method: String, _ path: String, json: JSON? = nil, headers: [(String, String)] = []
    ) throws -> HTTPResponse {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let client = HTTPClient(deadline: Deadline(seconds: 30), policy: policy)
        if let json {
            return try client.send(HTTPRequest(method, sandbox.baseURL + path, json: json, headers: headers))
        }
        return try client.send(HTTPRequest(method, sandbox.baseURL + path, headers: headers))
    }

    /// Calls the sandbox's Zendesk API as the API user (agent 1).
    @discardableResult
    /// A Zendesk API call as the agent — the scenario's own action, never faulted.
    func zendesk(_ method: String, _ path: String, _ body: JSON? = nil) throws -> HTTPResponse {
        let auth = "Basic " + Crypto.base64(Array("agent@example.com/token:zd-token".utf8))
        return try sandboxCall(
            method, "/zendesk" + path, json: body, headers: [("Authorization", auth), ("X-Sandbox-Actor", "runner")])
    }

    /// Adds a comment to a ticket through the Zendesk API (author: the API agent unless given);
    /// returns the new comment's id.
    func addComment(ticket: Int64, body: String, public isPublic: Bool = true, author: Int64? = nil) throws -> Int64 {
        var comment: JSON = ["body": .string(body), "public": .bool(isPublic)]
        if let author { comment["author_id"] = .int(author) }
        let r = try zendesk("PUT", "/api/v2/tickets/\(ticket).json", ["ticket": ["comment": comment]])
        guard r.status == 200 else { throw RuntimeError(.internal, "adding a comment: \(r.status) \(r.text)") }
        guard let id = self.ticket(ticket)["comments"].array?.last?["id"].int else {
            throw RuntimeError(.internal, "no comment")
        }
        return id
    }

    /// Replaces the sandbox's fault rules.
    func faults(_ rules: JSON) throws { try sandbox.setFaults(rules) }

    // MARK: Reading the sandbox

    func state() -> JSON { sandbox.state() }
    var tickets: [JSON] { state().at("zendesk.tickets").array ?? [] }
    func ticket(_ id: Int64) -> JSON { tickets.first { $0["id"].int == id } ?? .null }
    func tickets(customer: String, brand: String) -> [JSON] {
        tickets.filter { $0["external_id"].string == "sms:\(customer):\(brand)" }
    }
    func comments(_ id: Int64) -> [JSON] { ticket(id)["comments"].array ?? [] }
    var users: [JSON] { state().at("zendesk.users").array ?? [] }
    /// Messages sent through Twilio, in creation order.
    var sentSMS: [JSON] { state().at("twilio.messages").array ?? [] }
    /// Klaviyo conversation messages sent, in creation order.
    var klaviyoMessages: [JSON] { state().at("klaviyo.conversation_messages").array ?? [] }
    var klaviyoEvents: [JSON] { state().at("klaviyo.events").array ?? [] }
    /// The service requests the sandbox saw.
    var requests: [JSON] { sandbox.requestLog() }
}

/// Results of `simultaneously`, filled from several threads.
final class SimultaneousResults<T>: @unchecked Sendable {
    let lock = Lock()
    var values: [Int: T] = [:]
    var ready = 0
    var go = false
}

/// Runs `bodies` on threads of their own, released together, and returns their results in order.
func simultaneously<T>(_ bodies: [@Sendable () -> T]) -> [T] {
    let results = SimultaneousResults<T>()
    for (i, body) in bodies.enumerated() {
        Thread.detach {
            results.lock.withLock { results.ready += 1 }
            while !results.lock.withLock({ results.go }) { Clock.sleep(0.001) }
            let value = body()
            results.lock.withLock { results.values[i] = value }
        }
    }
    while results.lock.withLock({ results.ready }) < bodies.count { Clock.sleep(0.001) }
    results.lock.withLock { results.go = true }
    while results.lock.withLock({ results.values.count }) < bodies.count { Clock.sleep(0.005) }
    return (0..<bodies.count).map { i in results.lock.withLock { results.values[i]! } }
}
