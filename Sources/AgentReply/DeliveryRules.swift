import FunctionRuntime
import SMSCore

extension ReplyRules {
    /// The `StatusCallback` of one part of a reply: `base` (`SMS_STATUS_CALLBACK_URL`) with the
    /// ticket, the comment and, for a reply of several parts, the part (1-based) in its query —
    /// Twilio's signature covers the query, so the callback names them authentically. Nil
    /// without a base.
    public static func statusCallback(_ base: String?, ticketID: Int64, commentID: Int64, part: Int?) -> String? {
        guard let base else { return nil }
        var url = base + "?ticket=\(ticketID)&comment=\(commentID)"
        if let part { url += "&part=\(part)" }
        return url
    }
}

/// What a reply's delivery status means, as pure functions of the report.
public enum DeliveryRules {
    /// The statuses that mean the customer will not get the message: `undelivered` (the carrier
    /// reported it was not delivered) and `failed` (Twilio could not send it). Every other status
    /// (`sent`, `delivered`, `read`, …) needs nothing. Source: Twilio's Message resource, "Message
    /// status values".
    public static func isFailure(_ status: String) -> Bool { status == "undelivered" || status == "failed" }

    /// The tag that records on the ticket that a person was told the reply of `commentID` did not
    /// arrive: `sms_reply_<comment id>_undelivered` (one note per comment, whichever part failed).
    public static func undeliveredTag(commentID: Int64) -> String { "sms_reply_\(commentID)_undelivered" }

    /// Twilio's words for the delivery errors it reports most (Twilio Docs, Error and Warning
    /// Dictionary, 30001–30034); nil for others.
    public static func errorDescription(_ code: Int) -> String? {
        switch code {
        case 30001: return "queue overflow"
        case 30002: return "account suspended"
        case 30003: return "unreachable destination handset"
        case 30004: return "message blocked"
        case 30005: return "unknown destination handset"
        case 30006: return "landline or unreachable carrier"
        case 30007: return "message filtered by the carrier"
        case 30008: return "unknown error"
        case 30009: return "missing segment"
        case 30010: return "message price exceeds max price"
        case 30034: return "message from an unregistered number (US A2P 10DLC)"
        default: return nil
        }
    }

    /// `error 30003 (unreachable destination handset)`, `error 30099`, or `no error code`.
    public static func errorText(_ code: Int?) -> String {
        guard let code else { return "no error code" }
        return errorDescription(code).map { "error \(code) (\($0))" } ?? "error \(code)"
    }

    /// The internal note that tells the agent the customer did not get the reply.
    public static func note(_ report: DeliveryReport) -> String {
        let part = report.part.map { " (part \($0))" } ?? ""
        return """
            SMS not delivered: the reply in comment \(report.commentID)\(part) did not reach the customer. \
            Twilio reported the message \(report.messageSID) \(report.status), \(errorText(report.errorCode)). \
            \(SMSDeliveryFailure.advice)
            """
    }
}
