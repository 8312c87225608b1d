import FoundationEssentials

/// How an event reached the function.
public enum InputMode: String, Sendable {
    /// One JSON document on standard input (empty input: no event, exit 0 with no output).
    case pipeline
    /// `--stream`: one JSON event per line, one result line per event, in order.
    case stream
    /// CGI/1.1 (RFC 3875): `REQUEST_METHOD` is set; the body is `CONTENT_LENGTH` bytes of stdin.
    case cgi
    /// OpenFaaS classic watchdog: `Http_Method` is set; headers in `Http_*`, body on stdin.
    case watchdog
    /// AWS Lambda custom runtime (`AWS_LAMBDA_RUNTIME_API` is set), an HTTP event of a Function URL
    /// or API Gateway (payload format 2.0). A direct invocation's event runs as `pipeline`.
    case lambda

    /// True when the event arrived over HTTP and must carry a webhook signature.
    public var isHTTP: Bool { self == .cgi || self == .watchdog || self == .lambda }
}

/// The HTTP request behind an event that arrived over HTTP.
public struct IncomingRequest: Sendable {
    public var method: String
    /// The path as the client called it, without the query.
    public var path: String
    public var query: String
    /// Header names in lower case with `-`; repeated headers were merged with ", ".
    public var headers: [String: String]
    public var contentType: String

    public init(
        method: String, path: String, query: String = "", headers: [String: String] = [:], contentType: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.contentType = contentType
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// One event as a function sees it.
public struct Event: Sendable {
    /// The body exactly as received.
    public let raw: [UInt8]
    /// The body parsed: a JSON document, or a form body as an object of strings.
    public let json: JSON
    /// The ordered pairs of a form-encoded body (Twilio's signature needs their order-free set).
    public let form: [(String, String)]?
    /// The HTTP request, for events that arrived over HTTP.
    public let request: IncomingRequest?
    public let mode: InputMode

    public init(
        raw: [UInt8], json: JSON, form: [(String, String)]? = nil, request: IncomingRequest? = nil,
        mode: InputMode = .pipeline
    ) {
        self.raw = raw
        self.json = json
        self.form = form
        self.request = request
        self.mode = mode
    }

    /// Parses `raw` as form data when the content type says so (or, without a content type,
    /// when the body is not JSON but looks like `a=b&c=d`), otherwise as JSON.
    public static func parse(
        raw: [UInt8], contentType: String? = nil, request: IncomingRequest? = nil, mode: InputMode
    ) throws -> Event {
        let type = (contentType ?? "").lowercased()
        let firstByte = raw.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) })
        let looksJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        let isForm =
            type.hasPrefix("application/x-www-form-urlencoded")
            || (type.isEmpty && !looksJSON && raw.contains(UInt8(ascii: "=")))
        if isForm {
            let pairs = FormDecoding.pairs(raw)
            var o: [String: JSON] = [:]
            for (k, v) in pairs { o[k] = .string(v) }
            return Event(raw: raw, json: .object(o), form: pairs, request: request, mode: mode)
        }
        if !type.isEmpty, !type.contains("json") {
            throw RuntimeError(
                .invalidEvent,
                "unsupported Content-Type \(contentType ?? ""): send application/json or application/x-www-form-urlencoded"
            )
        }
        return Event(raw: raw, json: try JSON.parse(raw), request: request, mode: mode)
    }
}

/// What a function hands back for one event.
public enum FunctionOutput: Sendable {
    /// A result object (it should carry `"outcome"`; the runtime adds `"function"`).
    case result(JSON)
    /// The input passes on unchanged (a filter). In a pipeline or stream the raw bytes are written;
    /// over plain HTTP the `result` object is answered instead.
    case passthrough(result: JSON)
    /// The event ends here (a filter dropped it): no output in a pipeline or stream; over plain
    /// HTTP the `result` object is answered.
    case filtered(result: JSON)
    /// A result object answered with the exit status of `failure` (e.g. a batch whose items were
    /// handled except some that met a transient failure: the sender re-delivers, and the handled
    /// items are recognised as duplicates).
    case partial(result: JSON, failure: RuntimeError)
}

extension FunctionOutput {
    /// The result object, whichever way the output is written.
    public var result: JSON {
        switch self {
        case .result(let r), .passthrough(let r), .filtered(let r), .partial(let r, _): return r
        }
    }
}
