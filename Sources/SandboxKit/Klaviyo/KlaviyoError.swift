import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// A refusal in Klaviyo's JSON:API error shape:
/// `{"errors":[{"id","status","code","title","detail","source":{"pointer"}}]}`.
public struct KlaviyoError: Error, Sendable {
    public var status: Int
    public var code: String
    public var title: String
    public var detail: String
    public var pointer: String?
    public var parameter: String?
    public var retryAfter: Int?

    public init(
        _ status: Int, _ detail: String, code: String? = nil, title: String? = nil,
        pointer: String? = nil, parameter: String? = nil, retryAfter: Int? = nil
    ) {
        self.status = status
        self.code = code ?? KlaviyoError.defaultCode(status)
        self.title = title ?? KlaviyoError.defaultTitle(status)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.retryAfter = retryAfter
    }

    static func defaultCode(_ status: Int) -> String {
        switch status {
        case 400: return "invalid"
        case 401: return "not_authenticated"
        case 403: return "permission_denied"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 409: return "conflict"
        case 415: return "unsupported_media_type"
        case 429: return "throttled"
        case 503: return "service_unavailable"
        default: return "error"
        }
    }

    static func defaultTitle(_ status: Int) -> String {
        switch status {
        case 400: return "Invalid input."
        case 401: return "Authentication credentials were not provided."
        case 404: return "Not found."
        case 405: return "Method not allowed."
        case 409: return "Conflict."
        case 415: return "Unsupported media type."
        case 429: return "Request was throttled."
        case 503: return "Service unavailable."
        default: return "A server error occurred."
        }
    }

    /// The error as an HTTP response (`application/vnd.api+json`; 429 and 503 carry `Retry-After`).
    public var response: ServerResponse {
        var source: [String: JSON] = [:]
        if let pointer { source["pointer"] = .string(pointer) }
        if let parameter { source["parameter"] = .string(parameter) }
        let error: JSON = [
            "id": .string(EmulatorSupport.uuid()), "status": .int(Int64(status)), "code": .string(code),
            "title": .string(title), "detail": .string(detail), "source": .object(source),
            "links": [:], "meta": [:],
        ]
        var headers: [(String, String)] = []
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        return KlaviyoEmulator.document(status, ["errors": [error]], headers: headers)
    }

    /// Klaviyo's answer to a throttled request.
    public static func throttled(_ seconds: Int) -> KlaviyoError {
        KlaviyoError(
            429, "Request was throttled. Expected available in \(seconds) second\(seconds == 1 ? "" : "s").",
            retryAfter: seconds)
    }
}
