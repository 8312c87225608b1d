import FoundationEssentials
import FunctionRuntime
import HTTPServer
import SMSCore

/// Sending and listing messages.
extension TwilioEmulator {
    /// The Create Message parameters of the 2010-04-01 spec (others are ignored, as Twilio does).
    static let createParameters: Set<String> = [
        "To", "From", "Body", "MediaUrl", "MessagingServiceSid", "StatusCallback", "ApplicationSid", "MaxPrice",
        "ProvideFeedback", "Attempt", "ValidityPeriod", "ForceDelivery", "ContentRetention", "AddressRetention",
        "SmartEncoded", "PersistentAction", "TrafficType", "ShortenUrls", "ScheduleType", "SendAt", "SendAsMms",
        "ContentSid", "ContentVariables", "RiskCheck", "MessageIntent",
    ]

    func createMessage(_ request: ServerRequest, context: EmulatorContext) throws -> ServerResponse {
        let type = (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmed().lowercased() } ?? ""
        guard type == "application/x-www-form-urlencoded" else {
            throw TwilioError(400, 21000, "Request body must be form-encoded (application/x-www-form-urlencoded)")
        }
        let pairs = FormDecoding.pairs(request.body)
        func value(_ name: String) -> String? { pairs.last(where: { $0.0 == name })?.1 }
        let mediaURLs = pairs.filter { $0.0 == "MediaUrl" }.map(\.1)
        guard let to = value("To"), !to.isEmpty else { throw TwilioError(400, 21604, "A 'To' phone number is required.") }
        guard EmulatorSupport.isE164(to) else { throw TwilioError(400, 21211, "Invalid 'To' Phone Number: \(to)") }
        let from = value("From")
        let service = value("MessagingServiceSid")
        guard (from?.isEmpty == false) || (service?.isEmpty == false) else {
            throw TwilioError(400, 21603, "A 'From' phone number is required.")
        }
        if let from, !from.isEmpty, !owns(from) {
            throw TwilioError(400, 21606, "The From phone number \(from) is not a valid, SMS-capable inbound phone number or short code for your account.")
        }
        let body = value("Body") ?? ""
        guard !body.isEmpty || !mediaURLs.isEmpty || value("ContentSid") != nil else {
            throw TwilioError(400, 21602, "Message body is required.")
        }
        // Twilio counts code points, not grapheme clusters: "👍🏽" is two.
        if body.unicodeScalars.count > Self.maxBody {
            throw TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        }
        if optedOut.contains(to) { throw TwilioError(400, 21610, "Attempt to send to unsubscribed recipient") }
        let sid = "SM" + EmulatorSupport.randomHex(16)
        let now = EmulatorSupport.rfc2822(context.now)
        let uri = "/2010-04-01/Accounts/\(accountSID)/Messages/\(sid).json"
        let message: JSON = [
            "sid": .string(sid), "account_sid": .string(accountSID), "api_version": "2010-04-01",
            "from": JSON(from?.isEmpty == false ? from : nil), "to": .string(to), "body": .string(body), "status": "queued",
            "num_segments": .string(String(SMSSegments.count(for: body).segments)), "num_media": .string(String(mediaURLs.count)),
            "direction": "outbound-api", "messaging_service_sid": JSON(service), "date_created": .string(now),
            "date_updated": .string(now), "date_sent": .null, "error_code": .null, "error_message": .null,
            "price": .null, "price_unit": "USD", "uri": .string(uri),
            "subresource_uris": ["media": .string(uri.replacingAll(".json", with: "/Media.json"))],
        ]
        messages.append(message)
        context.log("twilio message queued (\(message["num_segments"].string ?? "1") segment(s))")
        return .json(201, message)
    }

    func listMessages(_ request: ServerRequest, path: String) throws -> ServerResponse {
        var found = Array(messages.reversed())
        if let to = request.queryValue("To") { found = found.filter { $0["to"].string == to } }
        if let from = request.queryValue("From") { found = found.filter { $0["from"].string == from } }
        for (key, keep) in [("DateSent", { (d: String, day: String) in d == day }),
                            ("DateSent<", { (d: String, day: String) in d <= day }),
                            ("DateSent>", { (d: String, day: String) in d >= day })] {
            guard let value = request.queryValue(key) else { continue }
            let day = String(value.prefix(10))
            guard day.count == 10, Clock.parse(day + "T00:00:00Z") != nil else {
                throw TwilioError(400, 20001, "Invalid \(key): \(value); use YYYY-MM-DD")
            }
            found = found.filter { m in
                guard let d = m["date_created"].string.flatMap(Clock.parseRFC2822) else { return false }
                return keep(EmulatorSupport.day(d), day)
            }
        }
        let pageSize = Int(request.queryValue("PageSize") ?? "") ?? 50
        let page = Array(found.prefix(max(1, min(1000, pageSize))))
        let uri = "/2010-04-01/Accounts/\(accountSID)/Messages.json"
        return .json(200, ["messages": .array(page), "start": 0, "end": .int(Int64(max(page.count - 1, 0))), "page": 0,
                           "page_size": .int(Int64(pageSize)), "first_page_uri": .string(uri), "next_page_uri": .null,
                           "previous_page_uri": .null, "uri": .string(uri)])
    }
}
