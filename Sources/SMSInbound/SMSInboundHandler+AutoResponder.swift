import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// The auto-responder for senders without SMS consent (Twilio provider).
///
/// Functions keep no state, and Twilio takes no idempotency key, so the claim lives in Klaviyo:
/// an event of the auto-reply metric (`KLAVIYO_SMS_AUTOREPLY_METRIC`) on the sender's profile with
/// `unique_id` = brand number + 24 h bucket, recorded before the text goes out and read back. The
/// earliest record within 24 h holds the claim; only the delivery that wrote it (its random
/// `Claim` nonce) sends. Another delivery of the same text finds the claim: younger than the lease
/// (60 s) it leaves the sending to the holder, older it takes over; either way Twilio's message
/// list says first whether the reply went out. The record also shows the auto-reply on the
/// customer's Klaviyo timeline.
extension SMSInboundHandler {
    /// The result of the ignored text (`decision`), with an `autoresponder` member when the
    /// auto-responder applies: `{"sent": true, "sid"}`, or `{"sent": false, "reason"}`.
    func autoRespond(to m: InboundMessage, profile: KlaviyoProfile?, decision: InboundDecision) throws -> JSON {
        let ignored = result(decision, messageID: m.messageID)
        guard let responder = settings.autoResponder else { return ignored }
        if let skip = InboundRules.autoReplySkip(decision, message: m, settings: settings) {
            return ignored.merging(["autoresponder": ["sent": false, "reason": .string(skip)]])
        }
        guard let klaviyo, let twilio else {
            return ignored.merging(["autoresponder": ["sent": false, "reason": "twilio_or_klaviyo_not_configured"]])
        }
        let now = Clock.now()
        let answer = try autoReply(
            m, responder: responder, profile: profile, klaviyo: klaviyo, twilio: twilio, now: now)
        if answer["attention"].string != nil {
            log?.needsPerson(
                "autoresponder_unsettled", ticketID: nil,
                detail: "auto-reply to \(m.from) for text \(m.messageID): \(answer["detail"].string ?? "")",
                action: answer["attention"].string ?? "")
        }
        return ignored.merging(["autoresponder": answer])
    }

    func autoReply(
        _ m: InboundMessage, responder: SMSAutoResponder, profile: KlaviyoProfile?, klaviyo: Klaviyo, twilio: Twilio,
        now: Date
    ) throws -> JSON {
        let interval = responder.intervalSeconds
        let nonce = String(UInt64.random(in: .min ... .max), radix: 16)
        func claim(profileID: String?) throws -> AutoReplyClaim {
            guard let profileID, let metric = try klaviyo.metricID(named: responder.metric) else { return .free }
            let records = try klaviyo.events(
                profileID: profileID, metricID: metric, since: now.addingTimeInterval(-interval - 1)
            ).compactMap { KlaviyoListedEvent(resource: $0) }
            return InboundRules.autoReplyClaim(
                records: records, brandNumber: m.to, messageID: m.messageID, nonce: nonce, now: now,
                interval: interval)
        }
        var state = try claim(profileID: profile?.id)
        if state == .free {
            try klaviyo.createEvent(
                KlaviyoEvent(
                    metric: responder.metric, phoneNumber: m.from,
                    properties: [
                        InboundRules.autoReplyBrandNumber: .string(m.to),
                        InboundRules.autoReplyMessageID: .string(m.messageID),
                        InboundRules.autoReplyClaimNonce: .string(nonce), "Text": .string(responder.text),
                    ],
                    time: Clock.iso8601(now),
                    uniqueID: InboundRules.autoReplyUniqueID(brandNumber: m.to, now: now, interval: interval)))
            // A dry run only plans the claim: nothing to read back, the send is planned next.
            if klaviyo.client.http.dryRun {
                return try sendAutoReply(m, responder: responder, twilio: twilio, now: now)
            }
            // Klaviyo records events asynchronously: read the claim back for up to ~3 s.
            var profileID = profile?.id
            for attempt in 0..<6 {
                if attempt > 0 { Clock.sleep(0.5) }
                if profileID == nil { profileID = try klaviyo.profile(phone: m.from)?.id }
                state = try claim(profileID: profileID)
                if state != .free || remaining() < 2 { break }
            }
        }
        switch state {
        case .taken(let holder):
            return ["sent": false, "reason": "already_sent", "detail": .string("claimed by text \(holder)")]
        case .free:
            return [
                "sent": false, "reason": "claim_unconfirmed",
                "detail": "Klaviyo did not show the auto-reply record in time; not sent, to never send it twice",
                "attention": "send the auto-responder text by hand if the sender still needs it",
            ]
        case .ours, .stale:
            return try sendAutoReply(m, responder: responder, twilio: twilio, now: now)
        case .inFlight:
            // Another delivery of this text holds a fresh claim: it sends. Twilio's list tells
            // whether it already did.
            if let found = try sentAlready(m, responder: responder, twilio: twilio, now: now) { return found }
            return ["sent": false, "reason": "in_flight", "detail": "another delivery of this text is sending it"]
        }
    }

    /// Sends the auto-reply unless Twilio's list shows it went out already (a repeated delivery, or
    /// an answer lost on the way); a send whose answer is lost is settled the same way.
    /// The auto-reply to this sender from this number within the interval, as Twilio's message
    /// list shows it (`{"sent": true, "duplicate": true, "sid"}`), or nil.
    func sentAlready(_ m: InboundMessage, responder: SMSAutoResponder, twilio: Twilio, now: Date) throws -> JSON? {
        let since = now.addingTimeInterval(-responder.intervalSeconds)
        let found = try twilio.messages(to: m.from, from: m.to).first { msg in
            guard msg["body"].string == responder.text,
                let created = msg["date_created"].string.flatMap(Clock.parseRFC2822)
            else { return false }
            return created >= since.addingTimeInterval(-5)
        }
        return found.map { ["sent": true, "duplicate": true, "sid": $0["sid"]] }
    }

    func sendAutoReply(_ m: InboundMessage, responder: SMSAutoResponder, twilio: Twilio, now: Date) throws -> JSON {
        func sentAlready() throws -> JSON? { try self.sentAlready(m, responder: responder, twilio: twilio, now: now) }
        if let found = try sentAlready() { return found }
        for attempt in 1...2 {
            do {
                switch try twilio.sendMessage(to: m.from, from: m.to, body: responder.text) {
                case .success(let message):
                    // A dry run planned the send: it never says it sent.
                    if twilio.client.http.dryRun { return ["sent": false, "planned": true] }
                    return ["sent": true, "sid": message["sid"]]
                case .failure(let refusal) where refusal.code == 21610:
                    return ["sent": false, "reason": "opted_out", "code": .int(Int64(refusal.code))]
                case .failure(let refusal):
                    log?.warn(
                        "Twilio refused the auto-reply to text \(m.messageID): \(refusal.code) \(refusal.message)")
                    return [
                        "sent": false, "reason": "refused", "code": .int(Int64(refusal.code)),
                        "detail": .string(refusal.message),
                    ]
                }
            } catch {
                let e = RuntimeError.from(error)
                if let found = try sentAlready() { return found }
                if attempt == 2 || remaining() < 2 {
                    return [
                        "sent": false, "reason": "send_failed", "detail": .string(e.message),
                        "attention": "send the auto-responder text by hand if the sender still needs it",
                    ]
                }
                log?.note("auto-reply to text \(m.messageID) not in Twilio's list after \(e.message); sending again")
            }
        }
        return ["sent": false, "reason": "send_failed"]
    }
}
