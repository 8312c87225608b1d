import CShims
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An outbound HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// The service name for logs ("zendesk", "klaviyo", …).
    public var service: String
    /// True when sending the request twice has the same effect as once. Defaults to true for
    /// GET, HEAD, PUT and DELETE. A request that is not idempotent is retried only when it surely
    /// did not reach the service (connection refused, 429, 503), unless `retrySafe` is set.
    public var idempotent: Bool
    /// The caller guarantees a repeat is harmless (e.g. an `Idempotency-Key` or a `unique_id`).
    public var retrySafe: Bool

    public init(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                service: String = "http", retrySafe: Bool = false) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.service = service
        self.idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(self.method)
        self.retrySafe = retrySafe
    }

    /// A request with a JSON body and `Content-Type: application/json` (unless given).
    public init(_ method: String, _ url: String, json: JSON, headers: [(String, String)] = [],
                service: String = "http", retrySafe: Bool = false, contentType: String = "application/json") {
        var h = headers
        if !h.contains(where: { $0.0.lowercased() == "content-type" }) { h.append(("Content-Type", contentType)) }
        self.init(method, url, headers: h, body: json.serializedBytes(), service: service, retrySafe: retrySafe)
    }

    var isWrite: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }
}

/// A response from a service.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]
    /// True when the request was a write suppressed by `--dry-run` (no service saw it).
    public var dryRun: Bool

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], dryRun: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dryRun = dryRun
    }

    /// The body as JSON (`.null` when empty or not JSON).
    public var json: JSON { body.isEmpty ? .null : ((try? JSON.parse(body)) ?? .null) }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var isSuccess: Bool { (200..<300).contains(status) || dryRun }

    /// `Retry-After` in whole seconds (delta-seconds form; an HTTP date is converted).
    public var retryAfter: Double? {
        guard let v = headers["retry-after"]?.trimmed() else { return nil }
        if let s = Double(v) { return max(0, s) }
        return nil
    }
}

/// Retry and timing policy of the client.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 4
    public var baseDelay = 0.25
    public var maxDelay = 4.0
    public var connectTimeout = 3.0
    /// Statuses worth retrying.
    public var retryStatuses: Set<Int> = [429, 502, 503, 504]

    public init() {}
}

/// A time budget shared by every call of one invocation (Zendesk waits about 10 s for a webhook
/// answer, so the default is 8 s).
public struct Deadline: Sendable {
    public let start: Double
    public let budget: Double

    public init(seconds: Double) {
        start = Clock.monotonicMS()
        budget = seconds
    }

    /// Seconds left, never negative.
    public var remaining: Double { max(0, budget - (Clock.monotonicMS() - start) / 1000) }
}

/// HTTP client over libcurl (loaded on first use), with retries, backoff with jitter,
/// `Retry-After`, a per-invocation time budget, connection reuse and dry-run.
public final class HTTPClient: @unchecked Sendable {
    public var deadline: Deadline
    public let policy: RetryPolicy
    public let log: EventLog?
    public let dryRun: Bool
    /// Writes that `--dry-run` suppressed, in order: `{method, url, body}`.
    public private(set) var plan: [JSON] = []
    private var handle: UnsafeMutableRawPointer?
    private let lock = Lock()
    private let sleeper: (Double) -> Void

    public init(deadline: Deadline, policy: RetryPolicy = RetryPolicy(), log: EventLog? = nil, dryRun: Bool = false,
                sleeper: @escaping (Double) -> Void = Clock.sleep) {
        self.deadline = deadline
        self.policy = policy
        self.log = log
        self.dryRun = dryRun
        self.sleeper = sleeper
    }

    deinit { if let handle { ccurl_handle_free(handle) } }

    /// Clears the dry-run plan (between stream events).
    public func resetPlan() { lock.withLock { plan = [] } }

    /// Sends `request`, retrying what a retry can fix while the budget allows.
    ///
    /// Returns any response that is final (2xx, and 4xx other than 429). Throws `RuntimeError`
    /// `.upstreamUnavailable` when retries are exhausted or the budget is spent (with
    /// `outcomeUnknown` when a non-idempotent write may have been applied).
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        if dryRun && request.isWrite {
            var step: JSON = ["method": .string(request.method), "url": .string(request.url)]
            if let body = request.body { step["body"] = (try? JSON.parse(body)) ?? .string(String(decoding: body, as: UTF8.self)) }
            lock.withLock { plan.append(step) }
            log?.record(UpstreamCall(service: request.service, method: request.method, path: Self.pathOf(request.url),
                                     status: 0, attempts: 0, milliseconds: 0, dryRun: true))
            return HTTPResponse(status: 0, dryRun: true)
        }
        let started = Clock.monotonicMS()
        var attempt = 0
        var lastError = ""
        var lastStatus = 0
        var retryAfterHint: Double?
        defer {
            log?.record(UpstreamCall(service: request.service, method: request.method, path: Self.pathOf(request.url),
                                     status: lastStatus, attempts: attempt, milliseconds: Int(Clock.monotonicMS() - started), dryRun: false))
        }
        while true {
            attempt += 1
            let remaining = deadline.remaining
            if remaining < 0.05 {
                throw RuntimeError(.upstreamUnavailable, "\(request.service) \(request.method) \(Self.pathOf(request.url)): time budget spent (\(lastError.isEmpty ? "no answer" : lastError))",
                                   retryAfter: Int((retryAfterHint ?? 1).rounded(.up)))
            }
            let result = perform(request, timeout: remaining)
            var retryable = false
            var delay = min(policy.maxDelay, policy.baseDelay * pow(2, Double(attempt - 1)))
            delay = delay / 2 + Double.random(in: 0...(delay / 2))  // jitter
            switch result {
            case .response(let response):
                lastStatus = response.status
                if policy.retryStatuses.contains(response.status) {
                    // 429 and 503 mean "not processed": safe to repeat even for a POST.
                    let notProcessed = response.status == 429 || response.status == 503
                    retryable = request.idempotent || request.retrySafe || notProcessed
                    lastError = "HTTP \(response.status)"
                    if let ra = response.retryAfter { delay = max(delay, ra); retryAfterHint = ra }
                    if !retryable {
                        throw RuntimeError(.upstreamUnavailable, "\(request.service) answered \(response.status) to \(request.method) \(Self.pathOf(request.url)); the write may have been applied",
                                           retryAfter: 1, outcomeUnknown: true)
                    }
                } else {
                    return response
                }
            case .failure(let code, let message, let sent):
                lastError = message
                retryable = !sent || request.idempotent || request.retrySafe
                if !retryable {
                    throw RuntimeError(.upstreamUnavailable, "\(request.service) \(request.method) \(Self.pathOf(request.url)) failed after the request was sent (\(message), curl \(code)); the write may have been applied",
                                       retryAfter: 1, outcomeUnknown: true)
                }
            }
            if attempt >= policy.maxAttempts || delay > deadline.remaining - 0.05 {
                throw RuntimeError(.upstreamUnavailable, "\(request.service) \(request.method) \(Self.pathOf(request.url)) unavailable after \(attempt) attempt(s): \(lastError)",
                                   retryAfter: Int((retryAfterHint ?? max(1, delay)).rounded(.up)))
            }
            sleeper(delay)
        }
    }

    enum Result {
        case response(HTTPResponse)
        case failure(code: Int32, message: String, sent: Bool)
    }

    private func perform(_ request: HTTPRequest, timeout: Double) -> Result {
        lock.withLock { performLocked(request, timeout: timeout) }
    }

    /// `perform` while holding the lock: one transfer at a time on the client's curl handle.
    private func performLocked(_ request: HTTPRequest, timeout: Double) -> Result {
        if handle == nil {
            handle = ccurl_handle_new()
            if handle == nil { return .failure(code: -1, message: String(cString: ccurl_load_error()), sent: false) }
        }
        var headerLines = request.headers.map { "\($0.0): \($0.1)" }
        if request.body != nil, !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headerLines.append("Content-Type: application/octet-stream")
        }
        var cStrings = headerLines.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var result = ccurl_result()
        let timeoutMS = max(1, Int(timeout * 1000))
        let connectMS = min(timeoutMS, Int(policy.connectTimeout * 1000))
        // A write that must not be repeated never rides a reused connection (see ccurl_perform).
        let fresh: Int32 = request.idempotent || request.retrySafe ? 0 : 1
        let rc: Int32 = cStrings.withUnsafeMutableBufferPointer { hp in
            hp.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, hp.count)) { hptr in
                if let body = request.body {
                    return body.withUnsafeBytes { bp in
                        ccurl_perform(handle, request.method, request.url, hptr, hp.count,
                                      bp.baseAddress ?? UnsafeRawPointer(bitPattern: 1), bp.count, connectMS, timeoutMS, fresh, &result)
                    }
                }
                return ccurl_perform(handle, request.method, request.url, hptr, hp.count, nil, 0, connectMS, timeoutMS, fresh, &result)
            }
        }
        defer { ccurl_result_free(&result) }
        if rc != 0 {
            let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            // "Couldn't connect"/"couldn't resolve" never reached the service.
            let sent = result.sent != 0 && rc != 6 && rc != 7
            return .failure(code: rc, message: message, sent: sent)
        }
        let headerText = String(decoding: UnsafeRawBufferPointer(start: result.headers, count: result.headers_len), as: UTF8.self)
        let body = Array(UnsafeRawBufferPointer(start: result.body, count: result.body_len))
        return .response(HTTPResponse(status: result.status, headers: Self.parseHeaders(headerText), body: body))
    }

    static func parseHeaders(_ text: String) -> [String: String] {
        var h: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmed().lowercased()
            h[name] = line[line.index(after: colon)...].trimmed()
        }
        return h
    }

    /// The path and query of a URL, for logs.
    public static func pathOf(_ url: String) -> String {
        guard let scheme = url.firstRange(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }
}
