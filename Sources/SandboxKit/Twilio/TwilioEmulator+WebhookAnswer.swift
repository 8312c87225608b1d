import FoundationEssentials
import FunctionRuntime

/// How Twilio reads the answer to an inbound-message webhook, and the Debugger alerts it records.
///
/// Twilio reads a 2xx answer by its media type ("TwiML Message: Your Response"): `text/xml`,
/// `application/xml` and `text/html` are TwiML, whose root must be `<Response>` (else alert
/// 12100, Document parse failure) and whose `<Message>` verbs send replies to the texter;
/// `text/plain` is itself a reply, texted back; any other type, JSON included, is alert 12300
/// (Invalid Content-Type; Twilio support, "Error 12300 Invalid Content-Type for Incoming
/// Webhooks"), as is a body without a type. A 204 without a body asks for nothing. A non-2xx
/// answer or none at all is alert 11200 (HTTP retrieval failure). Alerts are kept in order as
/// Twilio's Monitor lists them (`sid` NO…, `error_code`, `log_level`, `alert_text`,
/// `request_url`, `resource_sid`, `date_created`); replies are outbound messages with direction
/// `outbound-reply`. Of TwiML only `<Message>` text (bare or in `<Body>`) is carried out.
extension TwilioEmulator {
    /// Reads the answer `status`/`contentType`/`body` (status nil: no answer) that `url` gave to
    /// the webhook of inbound message `messageSID` from `customer` to `number`; returns
    /// `{"kind": "twiml"|"reply"|"none"|"alert", "error_code"?, "replies"}`.
    func readWebhookAnswer(
        status: Int?, contentType: String?, body: [UInt8], url: String, messageSID: String, customer: String,
        number: String, context: EmulatorContext
    ) -> JSON {
        func alert(_ code: Int, _ text: String) -> JSON {
            alerts.append([
                "sid": .string("NO" + EmulatorSupport.randomHex(16)), "account_sid": .string(accountSID),
                "error_code": .string(String(code)), "log_level": "error", "alert_text": .string(text),
                "request_url": .string(url), "resource_sid": .string(messageSID),
                "date_created": .string(EmulatorSupport.rfc2822(context.now)),
            ])
            context.log("twilio alert \(code) for \(messageSID): \(text)")
            return ["kind": "alert", "error_code": .int(Int64(code)), "replies": []]
        }
        guard let status, (200..<300).contains(status) else {
            return alert(11200, "HTTP retrieval failure: \(status.map { "status \($0)" } ?? "no answer")")
        }
        let type = (contentType ?? "").split(separator: ";").first.map { $0.trimmed().lowercased() } ?? ""
        let text = String(decoding: body, as: UTF8.self)
        if status == 204 && body.isEmpty { return ["kind": "none", "replies": []] }
        switch type {
        case "text/xml", "application/xml", "text/html":
            guard let replies = Self.twimlMessages(text) else {
                return alert(12100, "Document parse failure: the answer is not a <Response> document")
            }
            return ["kind": "twiml", "replies": .array(replies.map { reply($0, to: customer, from: number, context) })]
        case "text/plain":
            let reply = text.trimmed()
            return [
                "kind": "reply",
                "replies": reply.isEmpty ? [] : [self.reply(reply, to: customer, from: number, context)],
            ]
        default:
            return alert(12300, "Invalid Content-Type: \(type.isEmpty ? "none" : type)")
        }
    }

    /// A reply Twilio sends for the webhook's answer, recorded as an outbound message.
    private func reply(_ body: String, to customer: String, from number: String, _ context: EmulatorContext) -> JSON {
        queueMessage(
            from: number, to: customer, body: body, mediaCount: 0, direction: "outbound-reply", service: nil,
            context: context)["sid"]
    }

    /// The texts of a TwiML document's `<Message>` verbs (bare text or `<Body>`), or nil when the
    /// document's root is not `<Response>`.
    static func twimlMessages(_ document: String) -> [String]? {
        var rest = Substring(document.trimmed())
        if rest.hasPrefix("<?xml") {
            guard let end = rest.firstRange(of: "?>") else { return nil }
            rest = Substring(rest[end.upperBound...].trimmed())
        }
        guard rest.hasPrefix("<Response>") || rest.hasPrefix("<Response/>") || rest.hasPrefix("<Response ") else {
            return nil
        }
        if rest.hasPrefix("<Response/>") { return [] }
        guard rest.hasSuffix("</Response>") else { return nil }
        var texts: [String] = []
        var scan = rest
        while let open = scan.firstRange(of: "<Message") {
            guard let startTag = scan[open.upperBound...].firstRange(of: ">") else { return nil }
            if scan[..<startTag.lowerBound].hasSuffix("/") {
                scan = scan[startTag.upperBound...]
                continue
            }
            guard let close = scan[startTag.upperBound...].firstRange(of: "</Message>") else { return nil }
            var inner = String(scan[startTag.upperBound..<close.lowerBound])
            if let b = inner.firstRange(of: "<Body>"), let e = inner.firstRange(of: "</Body>"),
                b.upperBound <= e.lowerBound
            {
                inner = String(inner[b.upperBound..<e.lowerBound])
            }
            let decoded = inner.replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
                .replacingAll("&quot;", with: "\"").replacingAll("&apos;", with: "'").replacingAll("&amp;", with: "&")
            if !decoded.trimmed().isEmpty { texts.append(decoded.trimmed()) }
            scan = scan[close.upperBound...]
        }
        return texts
    }
}
