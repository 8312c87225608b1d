import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The "phone": a customer texting one of the owned Twilio numbers.
///
/// `POST /_ctl/phone/text {"from","to","body","media_urls"?}` records the inbound message and
/// posts Twilio's inbound-message webhook to the number's `sms_url`: form-encoded `MessageSid`,
/// `SmsSid`, `SmsMessageSid`, `AccountSid`, `From`, `To`, `Body`, `NumMedia`, `NumSegments`,
/// `SmsStatus` (received), `ApiVersion`, `MediaUrl{N}`, `MediaContentType{N}`, and `OptOutType`
/// when the body is an opt-out keyword (Twilio then updates its opt-out list itself), signed with
/// `X-Twilio-Signature` over the URL it posts to. It answers `{"delivered", "status", "message_sid",
/// "url", "response", "response_headers", "read_as"}` once the endpoint answered (outside the sandbox lock, so the
/// endpoint may call the sandbox back); `read_as` is how Twilio read the answer — TwiML, a
/// text/plain reply, or a Debugger alert (12300 for a JSON answer; see
/// `TwilioEmulator.readWebhookAnswer`), the alerts also in the state's `twilio.alerts`.
extension Sandbox {
    func phoneText(_ doc: JSON) throws -> ServerResponse {
        guard let from = doc["from"].string, EmulatorSupport.isE164(from) else {
            throw RuntimeError(.usage, "from must be an E.164 number")
        }
        guard let to = doc["to"].string else { throw RuntimeError(.usage, "to must be one of the owned numbers") }
        guard let text = doc["body"].string else { throw RuntimeError(.usage, "body must be a string") }
        var media: [(url: String, type: String)] = []
        for entry in doc["media_urls"].array ?? [] {
            if let url = entry.string {
                media.append((url, Self.contentType(forMedia: url)))
            } else if let url = entry["url"].string {
                media.append((url, entry["content_type"].string ?? Self.contentType(forMedia: url)))
            }
        }
        typealias Prepared = (url: String, params: [(String, String)], token: String, sid: String)
        if lock.withLock({ !twilio.owns(to) && klaviyo.conversation(number: to, customerPhone: from) != nil }) {
            return klaviyoText(from: from, to: to, body: text, mediaURLs: media.map(\.url))
        }
        let prepared: Prepared? = try lock.withLock { () throws -> Prepared? in
            guard twilio.owns(to) else {
                throw RuntimeError(
                    .usage,
                    "\(to) is neither an owned Twilio number nor the Klaviyo number of a conversation with \(from)")
            }
            guard let url = twilio.smsURL(for: to) else { return nil }
            let optOut = twilio.applyOptOutKeyword(from: from, body: text)
            let message = twilio.recordInbound(
                from: from, to: to, body: text, mediaURLs: media.map(\.url), context: context)
            let sid = message["sid"].string ?? ""
            var params: [(String, String)] = [
                ("ToCountry", "US"), ("ToState", ""), ("SmsMessageSid", sid), ("NumMedia", String(media.count)),
                ("ToCity", ""),
                ("FromZip", ""), ("SmsSid", sid), ("FromState", ""), ("SmsStatus", "received"), ("FromCity", ""),
                ("Body", text), ("FromCountry", "US"), ("To", to), ("ToZip", ""),
                ("NumSegments", message["num_segments"].string ?? "1"), ("MessageSid", sid),
                ("AccountSid", twilio.accountSID),
                ("From", from), ("ApiVersion", "2010-04-01"),
            ]
            for (i, m) in media.enumerated() {
                params.append(("MediaUrl\(i)", m.url))
                params.append(("MediaContentType\(i)", m.type))
            }
            if let optOut { params.append(("OptOutType", optOut)) }
            persist()
            return (url, params, twilio.authToken, sid)
        }
        let redactor = lock.withLock { self.redactor }
        guard let prepared else {
            emit("phone \(from) texted \(to): recorded, no sms_url configured", redactor: redactor)
            return .json(
                409,
                [
                    "error": [
                        "code": "no_sms_url",
                        "message": .string("\(to) has no sms_url; configure one with POST /_ctl/twilio/numbers"),
                    ]
                ])
        }
        let client = Self.oneAttemptClient(seconds: options.twilioWebhookTimeout)
        let request = try Self.twilioRequest(
            url: prepared.url, params: prepared.params, token: prepared.token, service: "twilio-webhook")
        /// How Twilio reads the endpoint's answer (nil: none came), recorded under the lock.
        func readAnswer(_ response: HTTPResponse?) -> JSON {
            lock.withLock {
                let read = twilio.readWebhookAnswer(
                    status: response?.status, contentType: response?.headers["content-type"],
                    body: response?.body ?? [], url: prepared.url, messageSID: prepared.sid, customer: from,
                    number: to, context: context)
                persist()
                return read
            }
        }
        do {
            let response = try client.send(request)
            emit("phone \(from) texted \(to) → \(prepared.url) answered \(response.status)", redactor: redactor)
            let answer: JSON = (try? JSON.parse(response.body)) ?? .string(response.text)
            let read = readAnswer(response)
            return .json(
                200,
                [
                    "delivered": .bool((200..<300).contains(response.status)), "status": .int(Int64(response.status)),
                    "message_sid": .string(prepared.sid), "url": .string(prepared.url), "response": answer,
                    "response_headers": .object(response.headers.mapValues { .string($0) }), "read_as": read,
                ])
        } catch {
            emit("phone \(from) texted \(to) → \(prepared.url) unreachable", redactor: redactor)
            _ = readAnswer(nil)
            return .json(
                200,
                [
                    "delivered": false, "status": .null, "message_sid": .string(prepared.sid),
                    "url": .string(prepared.url),
                    "error": .string("\(error)"),
                ])
        }
    }

    /// A customer texting the Klaviyo number of their conversation: Klaviyo records "Sent SMS" and
    /// posts an `event:klaviyo.sent_sms` system-webhook batch `{"data":[{"external_id","topic","payload"}],
    /// "meta":{…}}` to each webhook subscribed to that topic, with `Klaviyo-Webhook-Id`,
    /// `Klaviyo-Timestamp` (Unix seconds) and `Klaviyo-Signature` (hex HMAC-SHA256 of body + timestamp).
    func klaviyoText(from: String, to: String, body text: String, mediaURLs: [String]) -> ServerResponse {
        let (targets, item): ([(id: String, endpoint: String, secret: String)], JSON) = lock.withLock {
            let (conversation, profile) = klaviyo.conversation(number: to, customerPhone: from)!
            let item = klaviyo.recordCustomerText(
                conversation: conversation, profile: profile, body: text, mediaURLs: mediaURLs, context: context)
            persist()
            return (klaviyo.webhookTargets(topic: KlaviyoEmulator.sentSMSTopic), item)
        }
        let redactor = lock.withLock { self.redactor }
        var results: [JSON] = []
        for target in targets {
            let status = postKlaviyoWebhook(item, to: target)
            emit(
                "phone \(from) texted Klaviyo number \(to) → webhook \(target.id) answered \(status.map(String.init) ?? "nothing")",
                redactor: redactor)
            results.append(["webhook_id": .string(target.id), "status": status.map { .int(Int64($0)) } ?? .null])
        }
        if targets.isEmpty {
            emit("phone \(from) texted Klaviyo number \(to): recorded, no webhook subscribed", redactor: redactor)
        }
        let delivered =
            !results.isEmpty && results.allSatisfy { ($0["status"].int ?? 0) >= 200 && ($0["status"].int ?? 0) < 300 }
        return .json(
            200,
            [
                "delivered": .bool(delivered), "provider": "klaviyo", "event_id": item["external_id"],
                "webhooks": .array(results),
            ])
    }

    /// Posts one Klaviyo system-webhook batch holding `item` to `target`, signed as Klaviyo signs
    /// (`Klaviyo-Webhook-Id`, `Klaviyo-Timestamp` in Unix seconds, `Klaviyo-Signature` = hex
    /// HMAC-SHA256 of body + timestamp; `meta.klaviyo_webhook_id` repeats the webhook id). One
    /// attempt; returns the answer's status (nil: unreachable).
    func postKlaviyoWebhook(_ item: JSON, to target: (id: String, endpoint: String, secret: String)) -> Int? {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let payload: JSON = [
            "data": [item], "meta": ["klaviyo_webhook_id": .string(target.id), "timestamp": .string(timestamp)],
        ]
        let bytes = payload.serializedBytes()
        // Without libcrypto nothing can be signed: the delivery counts as not made.
        guard let signature = try? WebhookSignature.klaviyo(secret: target.secret, timestamp: timestamp, body: bytes)
        else { return nil }
        let client = Self.oneAttemptClient(seconds: options.twilioWebhookTimeout)
        let request = HTTPRequest(
            "POST", target.endpoint,
            headers: [
                ("Content-Type", "application/json"), ("Klaviyo-Webhook-Id", target.id),
                ("Klaviyo-Timestamp", timestamp),
                ("Klaviyo-Signature", signature),
            ],
            body: bytes, service: "klaviyo-webhook")
        return (try? client.send(request))?.status
    }

    /// Queues the delivery of a Klaviyo webhook item (an outbound "Received SMS") to every webhook
    /// subscribed to its topic, in the background. Call with the lock held.
    func queueKlaviyoWebhook(_ item: JSON) {
        let topic = item["topic"].string ?? ""
        for target in klaviyo.webhookTargets(topic: topic) {
            deliveryQueue.enqueue(key: "klaviyo:" + target.id) { [weak self] in
                guard let self else { return }
                let status = self.postKlaviyoWebhook(item, to: target)
                self.emit(
                    "klaviyo \(topic) \(item["external_id"].string ?? "") → webhook \(target.id) answered \(status.map(String.init) ?? "nothing")",
                    redactor: self.lock.withLock { self.redactor })
            }
        }
    }

    static func contentType(forMedia url: String) -> String {
        let lower = url.lowercased().split(separator: "?").first.map(String.init) ?? ""
        if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") { return "image/jpeg" }
        if lower.hasSuffix(".png") { return "image/png" }
        if lower.hasSuffix(".gif") { return "image/gif" }
        if lower.hasSuffix(".mp4") { return "video/mp4" }
        if lower.hasSuffix(".pdf") { return "application/pdf" }
        return "image/jpeg"
    }
}
