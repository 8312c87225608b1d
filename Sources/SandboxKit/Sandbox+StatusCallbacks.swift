import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Twilio → bundle: message status callbacks.
///
/// A message created with a `StatusCallback` has its later statuses posted there, in order,
/// in the background: `sent` half a second after it was created, then `delivered` — or
/// `undelivered` with `ErrorCode` for a number seeded as unreachable — after one second (the
/// statuses `GET …/Messages/{Sid}.json` shows then). None is posted for the initial `queued`.
/// Each POST is form-encoded with the parameters Twilio sends (`MessageSid`, `SmsSid`,
/// `MessageStatus`, `SmsStatus`, `AccountSid`, `From`, `To`, `ApiVersion`, and `ErrorCode` on a
/// failure) and signed with `X-Twilio-Signature` over the callback URL as given, query
/// included. One attempt each, as Twilio makes; every post is recorded under
/// `twilio.status_callbacks` in the state. Source: Twilio Docs, "Track the Message Status of
/// Outbound Messages" and "Outbound Message Status in Status Callbacks".
extension Sandbox {
    func queueTwilioStatusCallbacks(sid: String, url: String) {
        deliveryQueue.enqueue(key: "twilio-status:" + sid) { [weak self] in
            for (wait, expected) in [(0.5, "sent"), (0.55, "final")] {
                Clock.sleep(wait)
                guard let self else { return }
                self.postStatusCallback(sid: sid, url: url, expected: expected)
            }
        }
    }

    /// Posts the message's status now (`expected` "sent", or "final": delivered/undelivered).
    func postStatusCallback(sid: String, url: String, expected: String) {
        typealias Prepared = (params: [(String, String)], token: String, status: String)
        let prepared: Prepared? = lock.withLock {
            guard let stored = twilio.messages.first(where: { $0["sid"].string == sid }) else { return nil }
            let message = twilio.laterStatus(stored, now: context.now)
            let status = expected == "sent" ? "sent" : (message["status"].string ?? "delivered")
            guard status != "queued" else { return nil }
            var params: [(String, String)] = [
                ("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", message["to"].string ?? ""),
                ("MessageSid", sid), ("AccountSid", twilio.accountSID), ("From", message["from"].string ?? ""),
                ("ApiVersion", "2010-04-01"),
            ]
            if status == "undelivered" || status == "failed", let code = message["error_code"].int {
                params.append(("ErrorCode", String(code)))
            }
            return (params, twilio.authToken, status)
        }
        guard let prepared,
            let request = try? Self.twilioRequest(
                url: url, params: prepared.params, token: prepared.token, service: "twilio-status-callback")
        else { return }
        let client = Self.oneAttemptClient(seconds: options.twilioWebhookTimeout)
        let answer = (try? client.send(request))?.status
        lock.withLock {
            twilio.statusCallbacks.append([
                "message_sid": .string(sid), "status": .string(prepared.status), "url": .string(url),
                "answer": answer.map { .int(Int64($0)) } ?? .null,
            ])
            persist()
        }
        emit(
            "twilio status \(prepared.status) of \(sid) → \(url) answered \(answer.map(String.init) ?? "nothing")",
            redactor: lock.withLock { self.redactor })
    }
}
