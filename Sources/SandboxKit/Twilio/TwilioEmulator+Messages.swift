import FoundationEssentials
import FunctionRuntime
import HTTPServer

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
        let type =
            (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmed().lowercased() } ?? ""
        guard type == "application/x-www-form-urlencoded" else {
            throw TwilioError(400, 21000, "Request body must be form-encoded (application/x-www-form-urlencoded)")
        }
        let pairs = FormDecoding.pairs(request.body)
        func value(_ name: String) -> String? { pairs.last(where: { $0.0 == name })?.1 }
        let mediaURLs = pairs.filter { $0.0 == "MediaUrl" }.map(\.1)
        guard let to = value("To"), !to.isEmpty else {
            throw TwilioError(400, 21604, "A 'To' phone number is required.")
        }
        guard EmulatorSupport.isE164(to) else { throw TwilioError(400, 21211, "Invalid 'To' Phone Number: \(to)") }
        let from = value("From")
        let service = value("MessagingServiceSid")
        guard (from?.isEmpty == false) || (service?.isEmpty == false) else {
            throw TwilioError(400, 21603, "A 'From' phone number is required.")
        }
        if let from, !from.isEmpty, !owns(from) {
            throw TwilioError(
                400, 21606,
                "The From phone number \(from) is not a valid, SMS-capable inbound phone number or short code for your account."
            )
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
        let callback = value("StatusCallback").flatMap { $0.isEmpty ? nil : $0 }
        if let callback, !Self.isCallbackURL(callback) {
            throw TwilioError(400, 21609, "Invalid StatusCallback: \(callback)")
        }
        let message = queueMessage(
            from: from?.isEmpty == false ? from : nil, to: to, body: body, mediaCount: mediaURLs.count,
            direction: "outbound-api", service: service, context: context)
        context.log("twilio message queued (\(message["num_segments"].string ?? "1") segment(s))")
        if let callback, let sid = message["sid"].string { context.emitTwilioStatusCallback(sid, callback) }
        return .json(201, message)
    }

    /// Records a new outbound message, `queued`, and returns its resource: `direction`
    /// `outbound-api` for one the Messages API created, `outbound-reply` for a reply to a webhook.
    func queueMessage(
        from: String?, to: String, body: String, mediaCount: Int, direction: String, service: String?,
        context: EmulatorContext
    ) -> JSON {
        let sid = "SM" + EmulatorSupport.randomHex(16)
        let now = EmulatorSupport.rfc2822(context.now)
        let uri = "/2010-04-01/Accounts/\(accountSID)/Messages/\(sid).json"
        let message: JSON = [
            "sid": .string(sid), "account_sid": .string(accountSID), "api_version": "2010-04-01",
            "from": JSON(from), "to": .string(to), "body": .string(body), "status": "queued",
            "num_segments": .string(String(TwilioSegments.count(body))), "num_media": .string(String(mediaCount)),
            "direction": .string(direction), "messaging_service_sid": JSON(service), "date_created": .string(now),
            "date_updated": .string(now), "date_sent": .null, "error_code": .null, "error_message": .null,
            "price": .null, "price_unit": "USD", "uri": .string(uri),
            "subresource_uris": ["media": .string(uri.replacingAll(".json", with: "/Media.json"))],
        ]
        messages.append(message)
        return message
    }

    /// Twilio's delivery errors the sandbox plays for unreachable handsets (Twilio Docs, Error and
    /// Warning Dictionary).
    static let deliveryErrors: [Int: String] = [
        30003: "Unreachable destination handset", 30005: "Unknown destination handset",
        30006: "Landline or unreachable carrier", 30007: "Message filtered", 30008: "Unknown error",
    ]

    /// A `StatusCallback` Twilio accepts: an http(s) URL with a host name, no underscore in it
    /// (Create Message, `StatusCallback`: "URL must contain a valid hostname and underscores are
    /// not allowed").
    static func isCallbackURL(_ url: String) -> Bool {
        guard let scheme = ["https://", "http://"].first(where: { url.lowercased().hasPrefix($0) }) else {
            return false
        }
        let rest = url.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != ":" && $0 != "#" }
        return !host.isEmpty && !host.contains("_")
    }

    /// A message's later status at `now`, as the sandbox plays it (see `lifecycle`).
    func laterStatus(_ message: JSON, now: Date) -> JSON { Self.lifecycle(message, now: now, unreachable: unreachable) }

    /// A sent message as Twilio reports it later: `queued` at first, `sent` (with `date_sent`)
    /// half a second after it was created, `delivered` after one second — the carrier's receipt —
    /// or, to a number in `unreachable`, `undelivered` with that error code.
    static func lifecycle(_ message: JSON, now: Date, unreachable: [String: Int] = [:]) -> JSON {
        guard message["direction"].string == "outbound-api", message["status"].string == "queued",
            let created = message["date_created"].string.flatMap(Clock.parseRFC2822)
        else { return message }
        let age = now.timeIntervalSince(created)
        guard age >= 0.5 else { return message }
        var m = message
        let sent = EmulatorSupport.rfc2822(created.addingTimeInterval(0.5))
        let failure = message["to"].string.flatMap { unreachable[$0] }
        m["status"] = age >= 1 ? (failure == nil ? "delivered" : "undelivered") : "sent"
        if age >= 1, let failure {
            m["error_code"] = .int(Int64(failure))
            m["error_message"] = JSON(deliveryErrors[failure])
        }
        m["date_sent"] = .string(sent)
        m["date_updated"] = .string(age >= 1 ? EmulatorSupport.rfc2822(created.addingTimeInterval(1)) : sent)
        m["price"] = "-0.00790"
        return m
    }

    /// `GET …/Messages.json`: newest first, filtered by `To`, `From` and the UTC day the message
    /// was sent (`DateSent`, `DateSent<`, `DateSent>`: messages not sent yet have no such day),
    /// in pages of `PageSize` (default 50, at most 1000) numbered by `Page` from 0, with
    /// `next_page_uri` while more remain.
    func listMessages(_ request: ServerRequest, path: String, now: Date) throws -> ServerResponse {
        var found = Array(messages.reversed()).map { laterStatus($0, now: now) }
        if let to = request.queryValue("To") { found = found.filter { $0["to"].string == to } }
        if let from = request.queryValue("From") { found = found.filter { $0["from"].string == from } }
        for (key, keep) in [
            ("DateSent", { (d: String, day: String) in d == day }),
            ("DateSent<", { (d: String, day: String) in d <= day }),
            ("DateSent>", { (d: String, day: String) in d >= day }),
        ] {
            guard let value = request.queryValue(key) else { continue }
            let day = String(value.prefix(10))
            guard day.count == 10, Clock.parse(day + "T00:00:00Z") != nil else {
                throw TwilioError(400, 20001, "Invalid \(key): \(value); use YYYY-MM-DD")
            }
            found = found.filter { m in
                guard let d = m["date_sent"].string.flatMap(Clock.parseRFC2822) else { return false }
                return keep(EmulatorSupport.day(d), day)
            }
        }
        let pageSize = max(1, min(1000, Int(request.queryValue("PageSize") ?? "") ?? 50))
        let pageNumber = max(0, Int(request.queryValue("Page") ?? "") ?? 0)
        let start = min(found.count, pageNumber * pageSize)
        let page = Array(found[start..<min(found.count, start + pageSize)])
        let uri = "/2010-04-01/Accounts/\(accountSID)/Messages.json"
        func pageURI(_ n: Int) -> String {
            var pairs = request.queryItems.filter { !["Page", "PageSize", "PageToken"].contains($0.0) }
            pairs += [("PageSize", String(pageSize)), ("Page", String(n)), ("PageToken", "PA" + String(n))]
            return uri + "?" + FormDecoding.body(pairs)
        }
        let hasMore = start + pageSize < found.count
        return .json(
            200,
            [
                "messages": .array(page), "start": .int(Int64(start)),
                "end": .int(Int64(max(start + page.count - 1, 0))),
                "page": .int(Int64(pageNumber)), "page_size": .int(Int64(pageSize)),
                "first_page_uri": .string(pageURI(0)),
                "next_page_uri": hasMore ? .string(pageURI(pageNumber + 1)) : .null,
                "previous_page_uri": pageNumber > 0 ? .string(pageURI(pageNumber - 1)) : .null,
                "uri": .string(request.target),
            ])
    }
}
