/// The one error type of the runtime and of every function built on it.
///
/// Each code fixes the process exit status (BSD sysexits) and the HTTP status the invoker or a
/// CGI server answers with, so a caller such as Zendesk's webhook dispatcher retries exactly the
/// failures a retry can fix.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        /// Wrong command-line usage. Exit 64, HTTP 500.
        case usage
        /// The event cannot be read or lacks what the function needs. Exit 65, HTTP 400.
        case invalidEvent = "invalid_event"
        /// Missing, malformed, wrong or stale webhook signature. Exit 77, HTTP 401.
        case badSignature = "bad_signature"
        /// A service stayed unavailable after the retries the time budget allowed. Exit 75, HTTP 503.
        case upstreamUnavailable = "upstream_unavailable"
        /// A required configuration variable is missing or malformed. Exit 78, HTTP 500.
        case configMissing = "config_missing"
        /// A bug or an unexpected answer. Exit 70, HTTP 500.
        case `internal`

        /// The process exit status (sysexits.h).
        public var exitStatus: Int32 {
            switch self {
            case .usage: return 64
            case .invalidEvent: return 65
            case .badSignature: return 77
            case .upstreamUnavailable: return 75
            case .configMissing: return 78
            case .internal: return 70
            }
        }

        /// The code for an exit status; nil for 0 and unknown statuses.
        public init?(exitStatus: Int32) {
            guard let c = Code.allCases.first(where: { $0.exitStatus == exitStatus }) else { return nil }
            self = c
        }
    }

    /// A finer cause within a code, for callers that decide on it (never on the message's wording).
    public enum Detail: String, Sendable {
        /// The signature does not match (another secret of a list may still match).
        case signatureMismatch = "signature_mismatch"
        /// OpenSSL's libcrypto could not be loaded or failed: nothing can be signed or verified.
        case cryptoUnavailable = "crypto_unavailable"
        /// A service answered 401/403: the configured credentials were refused (exit 78 like any
        /// configuration error, but nothing is missing — the token, key or account is wrong).
        case credentialsRefused = "credentials_refused"
        /// A `NAME_FILE` variable names a file that cannot be read.
        case unreadableFile = "unreadable_file"
        /// A URL variable lacks its `https://` (or `http://`) scheme.
        case urlWithoutScheme = "url_without_scheme"
    }

    public let code: Code
    public let message: String
    /// Seconds after which a retry may succeed (for `.upstreamUnavailable`).
    public let retryAfter: Int?
    /// True when a write may or may not have taken effect (the request was sent, the answer was lost).
    public let outcomeUnknown: Bool
    public let detail: Detail?

    public init(
        _ code: Code, _ message: String, retryAfter: Int? = nil, outcomeUnknown: Bool = false, detail: Detail? = nil
    ) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.outcomeUnknown = outcomeUnknown
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `{"error":{"code":…,"message":…}}`, plus `"detail"` when the error has one.
    public var json: JSON {
        var error: JSON = ["code": .string(code.rawValue), "message": .string(message)]
        if let detail { error["detail"] = .string(detail.rawValue) }
        return ["error": error]
    }
}

/// Exit status ↔ HTTP status, shared by the CGI output of the runtime and by the invoker.
public enum ExitStatus {
    /// The HTTP status for a function's exit status: 0 → 200, 65 → 400, 77 → 401, 75 → 503,
    /// everything else → 500.
    public static func httpStatus(for exit: Int32) -> Int {
        switch exit {
        case 0: return 200
        case 65: return 400
        case 77: return 401
        case 75: return 503
        default: return 500
        }
    }

    /// The reason phrase of the HTTP statuses the bundle produces.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// An error of another module that knows which `RuntimeError` it amounts to (and so which exit
/// status and HTTP status the invocation ends with).
public protocol RuntimeErrorConvertible: Error {
    var runtimeError: RuntimeError { get }
}

extension RuntimeError {
    /// What any thrown error amounts to: itself, its own `RuntimeError` when it knows one
    /// (`RuntimeErrorConvertible`), else an internal error naming it.
    public static func from(_ error: any Error) -> RuntimeError {
        (error as? RuntimeError) ?? (error as? RuntimeErrorConvertible)?.runtimeError
            ?? RuntimeError(.internal, "\(error)")
    }
}
