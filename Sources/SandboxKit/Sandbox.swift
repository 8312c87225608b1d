import BundleCore
import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// A local Zendesk + Klaviyo + Twilio + 2listen on one HTTP server.
///
/// The four emulators are mounted under `/zendesk`, `/klaviyo`, `/twilio` and `/survey`; the
/// control API lives under `/_ctl` (see `Sandbox+Control.swift`), and the conversation view a
/// person opens in a browser at `/` (see `Sandbox+View.swift`). One lock serialises every call
/// into the emulators. Every service request is recorded (`{seq, time, service, method, path,
/// query, headers (Authorization redacted), body, status, fault}`) and printed as one readable,
/// redacted line on the event log. Faults (`Sandbox+Faults.swift`) can make a request answer
/// 429/503, wait, reset the connection, or lose its response. Zendesk event-subscription webhooks
/// are delivered in the background with Zendesk's retry rules (`Sandbox+Deliveries.swift`).
public final class Sandbox: @unchecked Sendable {
    public let options: SandboxOptions
    public let zendesk = ZendeskEmulator()
    public let klaviyo = KlaviyoEmulator()
    public let twilio = TwilioEmulator()
    public let survey = SurveyEmulator()
    /// The clock, event hook and log shared with the emulators.
    public let context = EmulatorContext()

    var emulators: [Emulator] { [zendesk, klaviyo, twilio, survey] }
    /// Serialises every access to emulator state, the request log, faults and deliveries.
    let lock = Lock()
    var server: HTTPServer?
    var host = "127.0.0.1"
    public private(set) var port = 0
    var requests: [JSON] = []
    /// The request log as readers see it: its last `requestLogLimit` entries. Call with the lock held.
    var loggedRequests: [JSON] { Array(requests.suffix(Self.requestLogLimit)) }
    /// Answers per "service status" since the last reset (`GET /_ctl/counts`), beyond the log's 5,000.
    var statusCounts: [String: Int] = [:]
    var nextSeq = 1
    /// Service requests answered and faults injected since start (the request log keeps only
    /// the last entries; these count them all).
    var counters = (requests: 0, faults: 0)
    var faults: [FaultRule] = []
    var deliveries: [JSON] = []
    /// The configuration applied so far, per service, over the defaults.
    var config: JSON = Sandbox.defaultConfig {
        didSet { redactor = Self.redactor(for: config) }
    }
    let deliveryQueue = DeliveryQueue()

    /// The most service requests kept in the log (the oldest are dropped beyond it).
    static let requestLogLimit = 5000
    /// Request bodies larger than this are logged by size only.
    static let loggedBodyLimit = 64 * 1024

    static let defaultConfig: JSON = [
        "zendesk": [
            "email": "agent@example.com", "token": "zd-token", "account_id": 10001, "rate_limit": 0,
            "export_rate_limit": 10,
        ],
        "klaviyo": KlaviyoEmulator.defaultConfig,
        "twilio": TwilioEmulator.defaultConfig,
        "survey": SurveyEmulator.defaultConfig,
    ]

    var loaded = false
    /// Bumped by each start and stop, so a periodic automation runner knows when to end.
    var serving = 0

    /// Creates the sandbox. With `options.statePath`, the state is loaded by `start` (or
    /// `loadState()`).
    public init(options: SandboxOptions = SandboxOptions()) {
        self.options = options
        let log = options.eventLog
        context.log = { [weak self] line in
            guard let self, let log else { return }
            log(self.redactor.redact(line))
        }
        context.emitZendeskEvent = { [weak self] type, payload in
            self?.enqueueZendeskEvent(type: type, payload: payload)
        }
        context.deliverRuleWebhooks = { [weak self] calls in self?.queueRuleDeliveries(calls) }
        context.emitKlaviyoWebhook = { [weak self] item in self?.queueKlaviyoWebhook(item) }
        context.emitTwilioStatusCallback = { [weak self] sid, url in
            self?.queueTwilioStatusCallbacks(sid: sid, url: url)
        }
    }

    /// Binds `host:port` (0 picks a free port) and starts serving; returns the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) throws -> Int {
        try loadState()
        var limits = ServerLimits()
        // Room for Klaviyo's largest request (a 5 MB bulk job); the emulators check their own limits.
        limits.maxBodyBytes = 6 * 1024 * 1024
        let server = HTTPServer(limits: limits) { [weak self] request in
            guard let self else { return .respond(.json(503, ["error": "sandbox stopped"])) }
            return self.handle(request)
        }
        try server.start(host: host, port: port)
        self.server = server
        self.host = host == "0.0.0.0" ? "127.0.0.1" : host
        self.port = server.port
        if let interval = options.automationInterval, interval > 0 {
            let generation = lock.withLock { () -> Int in
                serving += 1; return serving
            }
            Thread.detach { [weak self] in
                while true {
                    Clock.sleep(interval)
                    guard let self, self.lock.withLock({ self.serving == generation }) else { return }
                    self.runAutomations()
                }
            }
        }
        return server.port
    }

    /// `http://host:port`.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Stops serving (requests in flight finish first) and saves the state when persistent.
    public func stop() {
        server?.stop(deadline: 5)
        server = nil
        lock.withLock { serving += 1 }
        lock.withLock { persist() }
    }

    /// The environment a function needs to talk to this sandbox.
    public func functionEnvironment() -> [String: String] {
        let c = lock.withLock { config }
        let base = baseURL
        return [
            ConfigKey.zendeskURL: base + "/zendesk",
            ConfigKey.zendeskEmail: c.at("zendesk.email").string ?? "agent@example.com",
            ConfigKey.zendeskAPIToken: c.at("zendesk.token").string ?? "zd-token",
            ConfigKey.klaviyoURL: base + "/klaviyo",
            ConfigKey.klaviyoAPIKey: c.at("klaviyo.api_key").string ?? "pk_test",
            ConfigKey.klaviyoRevision: ConfigKey.defaultKlaviyoRevision,
            ConfigKey.twilioURL: base + "/twilio",
            ConfigKey.twilioAccountSID: c.at("twilio.account_sid").string ?? "AC_test",
            ConfigKey.twilioAuthToken: c.at("twilio.auth_token").string ?? "tw-token",
            ConfigKey.surveyURL: base + "/survey/s1",
            ConfigKey.surveyEmail: c.at("survey.email").string ?? "survey@example.com",
            ConfigKey.surveyToken: c.at("survey.token").string ?? "sv-token",
        ]
    }

    /// Masks the configured secrets, phone numbers and e-mail addresses in event-log lines
    /// (follows `config`).
    private(set) var redactor = Sandbox.redactor(for: Sandbox.defaultConfig)

    static func redactor(for c: JSON) -> Redactor {
        Redactor(
            secrets: [
                c.at("zendesk.token").string, c.at("klaviyo.api_key").string,
                c.at("twilio.auth_token").string, c.at("survey.token").string,
            ].compactMap { $0 })
    }

    /// Writes one line to the event log (redacted). Call with the lock held or not: it only reads
    /// the configuration snapshot it is given.
    func emit(_ line: String, redactor: Redactor) {
        options.eventLog?(redactor.redact(line))
    }

    // MARK: Requests

    func handle(_ request: ServerRequest) -> ServerAction {
        let path = request.path
        if path == "/_ctl" || path.hasPrefix("/_ctl/") {
            return .respond(control(request, path: String(path.dropFirst(5))))
        }
        if path == "/" || path.hasPrefix("/_view/"), let page = view(request) { return .respond(page) }
        // Each service under its prefix (`/zendesk/api/v2/…`), or at the vendor's own paths
        // (`/api/v2/…` Zendesk, `/2010-04-01/…` Twilio, other `/api/…` Klaviyo), so a vendor's SDK
        // only needs its host pointed here.
        let prefixed = emulators.first(where: { path == $0.prefix || path.hasPrefix($0.prefix + "/") })
        let native: Emulator? =
            path.hasPrefix("/api/v2/")
            ? zendesk
            : path.hasPrefix("/2010-04-01/")
                ? twilio
                : path.hasPrefix("/api/") ? klaviyo : nil
        guard let emulator = prefixed ?? native else {
            return .respond(
                .json(
                    404,
                    [
                        "error": "not_found",
                        "message": .string("no service at \(path); use /zendesk, /klaviyo, /twilio, /survey or /_ctl"),
                    ]))
        }
        var sub = prefixed == nil ? path : String(path.dropFirst(emulator.prefix.count))
        if sub.isEmpty { sub = "/" }
        let service = emulator.name
        // A test runner acting as a person (an agent adding a comment) is never faulted: its
        // actions are the scenario, not the system under test (`X-Sandbox-Actor: runner`).
        let isRunner = request.header("x-sandbox-actor") == "runner"
        let (rule, redactor) = lock.withLock { () -> (FaultRule?, Redactor) in
            let rule = isRunner ? nil : takeFault(service: service, method: request.method, path: sub)
            counters.requests += 1
            if rule != nil && rule?.mode != .delay { counters.faults += 1 }
            return (rule, self.redactor)
        }
        // The log entry is prepared outside the lock; only its numbering and appending need it.
        let entry = LoggedRequest(request, service: service, path: sub, redactor: redactor)
        if let rule {
            switch rule.mode {
            case .status:
                let response = Self.serviceError(
                    service, status: rule.status, retryAfter: rule.retryAfter, code: rule.code)
                lock.withLock { record(entry, status: response.status, fault: rule.mode.rawValue) }
                return .respond(response)
            case .reset:
                lock.withLock { record(entry, status: nil, fault: rule.mode.rawValue) }
                return .reset
            case .delay:
                Clock.sleep(Double(rule.ms) / 1000)
            case .loseResponse:
                break
            }
        }
        let response: ServerResponse = lock.withLock {
            var response = emulator.handle(request, path: sub, context: context)
            // The services' `Date` header tells their clock: the sandbox clock, so a moved clock
            // is what a function reading "Zendesk's time" sees.
            if response.header("date") == nil {
                response.headers.append(("Date", Clock.httpDate(context.now)))
            }
            record(entry, status: response.status, fault: rule?.mode.rawValue)
            if !["GET", "HEAD", "OPTIONS"].contains(request.method) { persist() }
            return response
        }
        if rule?.mode == .loseResponse { return .reset }
        return .respond(response)
    }

    /// Service requests answered and faults injected (other than delays) since start.
    public var traffic: (requests: Int, faults: Int) { lock.withLock { counters } }

    /// What the request log keeps of a service request, and the start of its event-log line:
    /// prepared from the request alone (headers with the credential masked, the body as JSON, the
    /// path with secrets masked, the query redacted), so outside the lock.
    struct LoggedRequest {
        let service: String
        let method: String
        let path: String
        let query: String
        let headers: JSON
        let body: JSON
        /// `service METHOD path?query`, redacted.
        let line: String

        init(_ request: ServerRequest, service: String, path: String, redactor r: Redactor) {
            var headers: [String: JSON] = [:]
            for (name, value) in request.headerList {
                let lower = name.lowercased()
                headers[lower] = .string(lower == "authorization" ? Sandbox.redactedAuthorization(value) : value)
            }
            var body: JSON = .null
            if request.body.count > Sandbox.loggedBodyLimit {
                // A bulk job or an export page: kept as its size, not as a tree (the log holds 5,000).
                body = ["omitted_bytes": .int(Int64(request.body.count))]
            } else if !request.body.isEmpty {
                if let parsed = try? JSON.parse(request.body) {
                    body = parsed
                } else {
                    body = .string(String(decoding: request.body, as: UTF8.self))
                }
            }
            // The path names resources (no customer data): only secrets are masked there; the
            // query (searches, filters) is fully redacted.
            var safePath = path
            for secret in r.secrets where safePath.includes(secret) {
                safePath = safePath.replacingAll(secret, with: "[secret]")
            }
            let query = request.query.isEmpty ? "" : "?" + r.redact(FormDecoding.decode(Array(request.query.utf8)))
            self.service = service
            self.method = request.method
            self.path = path
            self.query = request.query
            self.headers = .object(headers)
            self.body = body
            self.line = "\(service) \(request.method) \(safePath)\(query)"
        }
    }

    /// Appends a request to the log and prints its line. Call with the lock held.
    func record(_ r: LoggedRequest, status: Int?, fault: String?) {
        let entry: JSON = [
            "seq": .int(Int64(nextSeq)), "time": .string(context.nowISO), "service": .string(r.service),
            "method": .string(r.method), "path": .string(r.path), "query": .string(r.query),
            "headers": r.headers, "body": r.body, "status": status.map { .int(Int64($0)) } ?? .null,
            "fault": JSON(fault),
        ]
        nextSeq += 1
        statusCounts["\(r.service) \(status.map(String.init) ?? "none")", default: 0] += 1
        requests.append(entry)
        // Trimmed a tenth at a time (not one entry per request: that moves the whole log each
        // time); readers see the last `requestLogLimit` (`loggedRequests`).
        if requests.count > Self.requestLogLimit + Self.requestLogLimit / 10 {
            requests.removeFirst(requests.count - Self.requestLogLimit)
        }
        let outcome = status.map(String.init) ?? "connection reset"
        options.eventLog?(
            "\(Clock.iso8601(Date()).suffix(9).dropLast()) \(r.line) → \(outcome)\(fault.map { " [fault: \($0)]" } ?? "")"
        )
    }

    /// `Basic …` / `Bearer …` / `Klaviyo-API-Key …` with the credential replaced.
    static func redactedAuthorization(_ value: String) -> String {
        let scheme = value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        return scheme.isEmpty ? "[redacted]" : scheme + " [redacted]"
    }
}
