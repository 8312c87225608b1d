import FunctionRuntime
import SMSCore

/// Twilio's status callback for a reply `agent-reply` sent: a later status of one message.
///
/// Twilio posts it form-encoded to the message's `StatusCallback` URL each time the message's
/// status changes after creation (`sent`, `delivered`, `undelivered`, `failed`, …), with a subset
/// of its usual webhook parameters — `MessageSid`, `MessageStatus` (and the older `SmsSid`,
/// `SmsStatus`), `AccountSid`, `From`, `To`, `ApiVersion` — plus `ErrorCode` when delivery
/// failed; new parameters appear without notice. Source: Twilio Docs, "Track the Message Status
/// of Outbound Messages" and "Outbound Message Status in Status Callbacks".
///
/// The ticket and the comment are not Twilio's: `agent-reply` puts them in the callback URL's
/// query (`?ticket=ID&comment=ID&part=N`), which Twilio's signature covers.
public struct DeliveryReport: Sendable, Equatable {
    public var messageSID: String
    public var status: String
    /// Twilio's error code of a failed or undelivered message (30003 unreachable handset, …).
    public var errorCode: Int?
    public var ticketID: Int64
    public var commentID: Int64
    /// Which part of the reply (1-based), when the URL names it.
    public var part: Int?

    public init(
        messageSID: String, status: String, errorCode: Int? = nil, ticketID: Int64, commentID: Int64, part: Int? = nil
    ) {
        self.messageSID = messageSID
        self.status = status
        self.errorCode = errorCode
        self.ticketID = ticketID
        self.commentID = commentID
        self.part = part
    }

    /// True when `json` (a form body as an object) is a message status callback: it names a
    /// `MessageSid` and a `MessageStatus` (or `SmsStatus`).
    public static func isStatusCallback(_ json: JSON) -> Bool {
        json["MessageSid"].string != nil && (json["MessageStatus"].string ?? json["SmsStatus"].string) != nil
    }

    /// Reads a status callback: the body's `MessageSid`, `MessageStatus` and `ErrorCode`; the
    /// ticket, comment and part from `query` (over HTTP) or, in a pipeline, from the body's own
    /// `ticket`, `comment` and `part`. A callback that names no ticket or comment is refused
    /// (`invalid_message`, 400).
    public static func parse(_ json: JSON, query: String?) throws -> DeliveryReport {
        let q = FormDecoding.pairs(Array((query ?? "").utf8))
        func value(_ name: String) -> String? { q.last(where: { $0.0 == name })?.1 ?? json[name].string }
        guard let sid = json["MessageSid"].nonEmptyString,
            let status = (json["MessageStatus"].string ?? json["SmsStatus"].string)?.lowercased()
        else {
            throw SMSError(.invalidMessage, "a Twilio status callback needs MessageSid and MessageStatus")
        }
        guard let ticket = value("ticket").flatMap({ Int64($0) }), ticket > 0,
            let comment = value("comment").flatMap({ Int64($0) }), comment > 0
        else {
            throw SMSError(
                .invalidMessage,
                "a Twilio status callback must name the reply: ?ticket=ID&comment=ID in its URL (agent-reply's StatusCallback)"
            )
        }
        let code = json["ErrorCode"].string.flatMap { Int($0.trimmed()) }
        return DeliveryReport(
            messageSID: sid, status: status, errorCode: code == 0 ? nil : code, ticketID: ticket, commentID: comment,
            part: value("part").flatMap { Int($0) })
    }
}
