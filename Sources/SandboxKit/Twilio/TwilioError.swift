import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// A refusal in Twilio's error shape: `{"code","message","more_info","status"}`.
public struct TwilioError: Error, Sendable {
    public var status: Int
    public var code: Int
    public var message: String
    public var retryAfter: Int?

    public init(_ status: Int, _ code: Int, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var response: ServerResponse {
        var headers: [(String, String)] = []
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        return .json(
            status,
            [
                "code": .int(Int64(code)), "message": .string(message),
                "more_info": .string("https://www.twilio.com/docs/errors/\(code)"), "status": .int(Int64(status)),
            ],
            headers: headers)
    }

    /// The generic error of a status (used for faults and rate limits).
    public static func generic(_ status: Int, retryAfter: Int? = nil) -> TwilioError {
        switch status {
        case 401: return TwilioError(401, 20003, "Authenticate")
        case 404: return TwilioError(404, 20404, "The requested resource was not found")
        case 429: return TwilioError(429, 20429, "Too Many Requests", retryAfter: retryAfter)
        case 503: return TwilioError(503, 20503, "Service Unavailable", retryAfter: retryAfter)
        case 500...599: return TwilioError(status, 20500, "Internal Server Error", retryAfter: retryAfter)
        default: return TwilioError(status, 20001, "Request failed", retryAfter: retryAfter)
        }
    }
}
