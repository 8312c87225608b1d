import BundleCore
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

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

/// HTTP client over libcurl (loaded on first use), with retries, backoff with jitter,
/// `Retry-After`, a per-invocation time budget, connection reuse and dry-run.
///
/// A client belongs to one event: its deadline and its dry-run plan are that event's. Clients made
/// with `renewed(deadline:)` share the transport (and so the open connections) of the first.
public final class HTTPClient: Sendable {
    public let deadline: Deadline
    public let policy: RetryPolicy
    public let log: EventLog?
    public let dryRun: Bool
    public let transport: HTTPTransport
    private let recorded = PlainMutex<[JSON]>([])
    private let sleeper: @Sendable (Double) -> Void

    public init(
        deadline: Deadline, policy: RetryPolicy = RetryPolicy(), log: EventLog? = nil, dryRun: Bool = false,
        transport: HTTPTransport = HTTPTransport(), sleeper: @escaping @Sendable (Double) -> Void = Clock.sleep
    ) {
        self.deadline = deadline
        self.policy = policy
        self.log = log
        self.dryRun = dryRun
        self.transport = transport
        self.sleeper = sleeper
    }

    /// A client for the next event: a fresh deadline and an empty plan, the same transport, policy,
    /// log and dry-run setting.
    public func renewed(deadline: Deadline) -> HTTPClient {
        HTTPClient(deadline: deadline, policy: policy, log: log, dryRun: dryRun, transport: transport, sleeper: sleeper)
    }

    /// Writes that `--dry-run` suppressed, in order: `{method, url, body}`.
    public var plan: [JSON] { recorded.withLock { $0 } }

    /// Sends `request`, retrying what a retry can fix while the budget allows.
    ///
    /// Returns any response that is final (2xx, and 4xx other than 429). Throws `RuntimeError`
    /// `.upstreamUnavailable` when retries are exhausted or the budget is spent (with
    /// `outcomeUnknown` when a non-idempotent write may have been applied).
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        if dryRun && request.isWrite {
            var step: JSON = ["method": .string(request.method), "url": .string(request.url)]
            if let body = request.body {
                step["body"] =
                    request.bodyJSON ?? (try? JSON.parse(body)) ?? .string(String(decoding: body, as: UTF8.self))
            }
            recorded.withLock { [step] in $0.append(step) }
            log?.record(
                UpstreamCall(
                    service: request.service, method: request.method, path: Self.pathOf(request.url),
                    status: 0, attempts: 0, milliseconds: 0, dryRun: true))
            return HTTPResponse(status: 0, dryRun: true)
        }
        // A read the stream runner made ahead (see `FunctionDefinition.prefetch`): its answer
        // stands in for this one. An answer asking for a retry (429, 503, …) is not used: the
        // read is made anew, after the wait its `Retry-After` asked for.
        if request.method == "GET", let ahead = transport.takePrefetched(request.url) {
            if !policy.retryStatuses.contains(ahead.response.status) {
                log?.record(
                    UpstreamCall(
                        service: request.service, method: request.method, path: Self.pathOf(request.url),
                        status: ahead.response.status, attempts: 1, milliseconds: Int(ahead.milliseconds.rounded()),
                        dryRun: false))
                return ahead.response
            }
            if let wait = ahead.response.retryAfter { sleeper(max(0, min(wait, deadline.remaining - 0.05))) }
        }
        let started = Clock.monotonicMS()
        var attempt = 0
        var lastError = ""
        var lastStatus = 0
        var retryAfterHint: Double?
        defer {
            log?.record(
                UpstreamCall(
                    service: request.service, method: request.method, path: Self.pathOf(request.url),
                    status: lastStatus, attempts: attempt, milliseconds: Int(Clock.monotonicMS() - started),
                    dryRun: false))
        }
        while true {
            attempt += 1
            let remaining = deadline.remaining
            if remaining < 0.05 {
                throw RuntimeError(
                    .upstreamUnavailable,
                    "\(request.service) \(request.method) \(Self.pathOf(request.url)): time budget spent (\(lastError.isEmpty ? "no answer" : lastError))",
                    retryAfter: Int((retryAfterHint ?? 1).rounded(.up)))
            }
            let result = transport.perform(request, timeout: remaining, connectTimeout: policy.connectTimeout)
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
                        throw RuntimeError(
                            .upstreamUnavailable,
                            "\(request.service) answered \(response.status) to \(request.method) \(Self.pathOf(request.url)); the write may have been applied",
                            retryAfter: 1, outcomeUnknown: true)
                    }
                } else {
                    return response
                }
            case .failure(let code, let message, let sent):
                lastError = message
                retryable = !sent || request.idempotent || request.retrySafe
                if !retryable {
                    throw RuntimeError(
                        .upstreamUnavailable,
                        "\(request.service) \(request.method) \(Self.pathOf(request.url)) failed after the request was sent (\(message), curl \(code)); the write may have been applied",
                        retryAfter: 1, outcomeUnknown: true)
                }
            }
            if attempt >= policy.maxAttempts || delay > deadline.remaining - 0.05 {
                throw RuntimeError(
                    .upstreamUnavailable,
                    "\(request.service) \(request.method) \(Self.pathOf(request.url)) unavailable after \(attempt) attempt(s): \(lastError)",
                    retryAfter: Int((retryAfterHint ?? max(1, delay)).rounded(.up)))
            }
            sleeper(delay)
        }
    }

    /// The path and query of a URL, for logs.
    public static func pathOf(_ url: String) -> String {
        // Byte-wise: `firstRange(of:)` compares characters and cost more than the call's own log line.
        let bytes = Array(url.utf8)
        var i = 0
        while i + 2 < bytes.count && !(bytes[i] == 0x3A && bytes[i + 1] == 0x2F && bytes[i + 2] == 0x2F) { i += 1 }
        guard i + 2 < bytes.count else { return url }
        guard let slash = bytes[(i + 3)...].firstIndex(of: 0x2F) else { return "/" }
        return String(decoding: bytes[slash...], as: UTF8.self)
    }
}
