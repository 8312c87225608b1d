import FoundationEssentials

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
    /// The caller guarantees more: a repeat the caller never sees is harmless and answered the
    /// same way as the first (a Klaviyo event with a `unique_id`: recorded once, 202 either way).
    /// Such a write may ride a reused connection, although libcurl re-sends a request whose
    /// reused connection dies before any answer without telling (see `HTTPTransport`).
    public var resendable = false
    /// The JSON value `body` was written from, when it was: a dry run's plan shows it as it is
    /// instead of reading the bytes back (the writer's output parses back to the same value).
    public var bodyJSON: JSON?

    public init(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        service: String = "http", retrySafe: Bool = false
    ) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.service = service
        self.idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(self.method)
        self.retrySafe = retrySafe
    }

    /// A request with a JSON body and `Content-Type: application/json` (unless given).
    public init(
        _ method: String, _ url: String, json: JSON, headers: [(String, String)] = [],
        service: String = "http", retrySafe: Bool = false, contentType: String = "application/json"
    ) {
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

    /// `Retry-After` in seconds from now: the delta-seconds form, or an HTTP-date (RFC 9110
    /// §10.2.3, `Wed, 21 Oct 2015 07:28:00 GMT`) converted against this host's clock. Nil when
    /// absent or unreadable.
    public var retryAfter: Double? {
        guard let v = headers["retry-after"]?.trimmed() else { return nil }
        if let s = Double(v) { return s.isFinite ? max(0, s) : nil }
        if let date = Clock.parseRFC2822(v) { return max(0, date.timeIntervalSince(Clock.now())) }
        return nil
    }
}
