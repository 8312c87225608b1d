import BundleCore

/// A request received by `HTTPServer`.
public struct ServerRequest: Sendable {
    public var method: String
    /// The request target as sent (`/path?query`).
    public var target: String {
        didSet { (path, query) = Self.split(target) }
    }
    public var version: String
    /// Headers in arrival order, names as sent.
    public var headerList: [(String, String)]
    public var body: [UInt8]
    /// The peer's address (IP text).
    public var remoteAddress: String
    public var remotePort: Int
    /// The path part of the target, percent-escapes kept.
    public private(set) var path: String
    /// The query part of the target (without `?`), or "".
    public private(set) var query: String

    public init(
        method: String, target: String, version: String = "HTTP/1.1", headerList: [(String, String)] = [],
        body: [UInt8] = [], remoteAddress: String = "127.0.0.1", remotePort: Int = 0
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headerList = headerList
        self.body = body
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        (path, query) = Self.split(target)
    }

    /// `/path?query` → (`/path`, `query`), split at the first `?` (read once per request, not
    /// at every use).
    private static func split(_ target: String) -> (String, String) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }
    /// Query parameters, decoded.
    public var queryItems: [(String, String)] { FormDecoding.pairs(Array(query.utf8)) }
    public func queryValue(_ name: String) -> String? { queryItems.last(where: { $0.0 == name })?.1 }

    /// The value of a header (case-insensitive); repeated headers merged with ", ".
    public func header(_ name: String) -> String? {
        var values: [String] = []
        for (key, value) in headerList where key.equalsIgnoringASCIICase(name) { values.append(value) }
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The body as JSON (`.null` when empty or invalid).
    public var json: JSON { body.isEmpty ? .null : ((try? JSON.parse(body)) ?? .null) }
}

/// A response to send.
public struct ServerResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// The body. A `json` response's bytes are written when first read — by the connection, after
    /// the handler returned, so outside any lock the handler held (the value is immutable, so
    /// when it is written changes nothing but where the time is spent). Read it once.
    public var body: [UInt8] {
        get { bytes ?? deferred.map { $0.serializedBytes() + [0x0A] } ?? [] }
        set {
            bytes = newValue
            deferred = nil
        }
    }
    private var bytes: [UInt8]?
    private var deferred: JSON?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.bytes = body
    }

    /// A JSON response (`Content-Type: application/json`), the value written on first read of `body`.
    public static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> ServerResponse {
        var r = ServerResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers)
        r.bytes = nil
        r.deferred = value
        return r
    }

    /// A plain-text response.
    public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
    }

    public func header(_ name: String) -> String? { headers.last(where: { $0.0.equalsIgnoringASCIICase(name) })?.1 }
}

/// What a handler may do beyond answering: drop the connection without a response (used by the
/// sandbox's fault injection to play a lost response or a reset).
public enum ServerAction: Sendable {
    case respond(ServerResponse)
    /// Close the connection at once with TCP RST, sending nothing.
    case reset
}
