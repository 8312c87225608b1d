/// A body a function answers over HTTP in place of its JSON result, with its media type: for a
/// sender that reads the answer in a format of its own (Twilio reads an inbound-message
/// webhook's answer as TwiML).
public struct HTTPAnswerBody: Sendable, Equatable {
    public var contentType: String
    public var bytes: [UInt8]

    public init(contentType: String, bytes: [UInt8]) {
        self.contentType = contentType
        self.bytes = bytes
    }

    /// True when a request's `Accept` header names `application/json`: such a caller (an
    /// operator's curl, a test) gets the JSON result even where the sender's own format is another.
    public static func asksForJSON(_ accept: String?) -> Bool {
        accept?.lowercased().contains("application/json") == true
    }

    /// The answer to a Twilio inbound-message webhook that asks Twilio to do nothing more: an empty
    /// TwiML document, `text/xml`. Twilio reads a 2xx answer by its media type — `text/xml`,
    /// `application/xml` or `text/html` as TwiML, `text/plain` as a reply to text back — and
    /// records error 12300 (Invalid Content-Type) for any other, JSON included (Twilio docs,
    /// "Messaging Webhooks" and "TwiML Message: Your Response"; Twilio support, "Error 12300
    /// Invalid Content-Type for Incoming Webhooks").
    public static let emptyTwiML = HTTPAnswerBody(
        contentType: "text/xml; charset=utf-8",
        bytes: Array(#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#.utf8) + [0x0A])

    /// The answer to a Twilio webhook `request` (a form-encoded body: what Twilio posts) that was
    /// handled (`status` 0): `emptyTwiML`. Nil — the JSON result — for a refusal or a failure
    /// (Twilio records any non-2xx as error 11200, and its request inspector shows the JSON
    /// error), for JSON bodies, and for a caller whose `Accept` names `application/json`.
    public static func twilioAnswer(to request: IncomingRequest, status: Int32) -> HTTPAnswerBody? {
        guard status == 0, request.contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return nil
        }
        return asksForJSON(request.header("accept")) ? nil : .emptyTwiML
    }
}
