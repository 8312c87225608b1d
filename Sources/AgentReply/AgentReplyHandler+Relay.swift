import FoundationEssentials
import FunctionRuntime
import ServiceClients
import SMSCore

/// One comment's relay: what to send, and where it is recorded.
struct Relay {
    var plan: ReplyPlan
    var ticketID: Int64
    var commentID: Int64
    /// The customer's Klaviyo profile (needed by the Klaviyo provider).
    var profile: KlaviyoProfile?
}

/// Seconds of clock difference allowed between this process and the provider when a provider's
/// record is matched against a claim's time.
let providerClockSkew: Double = 10

extension AgentReplyHandler {
    // MARK: - Claim

    /// Claims the relay (or finds where it stands) and carries it out; see the type's comment.
    func claimAndSend(_ relay: Relay, ticket first: JSON, base: JSON) throws -> JSON {
        let mine = ReplyClaim.new(commentID: relay.commentID, at: Clock.now())
        var ticket = first
        for _ in 0..<40 {
            let tags = (ticket["tags"].array ?? []).compactMap(\.string)
            switch ReplyClaimState(tags: tags, commentID: relay.commentID) {
            case .done:
                return try finishEffects(
                    relay, messageIDs: [:], base: base.merging(["outcome": "duplicate", "provider_confirmed": true]))
            case .refused:
                return base.merging(["outcome": "duplicate", "reason": "not_sent"])
            case .claimed(let claims):
                if claims.contains(mine) { return try send(relay, claim: mine, replacing: [], found: [:], base: base) }
                let oldest = claims[0]
                let found = try providerRecord(relay, since: oldest.date)
                switch ReplyRules.foreignClaim(
                    oldest, partsFound: found.count, partsTotal: relay.plan.parts.count, now: Clock.now(),
                    leaseSeconds: settings.replyLeaseSeconds)
                {
                case .complete:
                    log?.note(
                        "comment \(relay.commentID) was claimed by another delivery and its SMS is in the provider's record: finishing its effects"
                    )
                    return try commit(
                        relay, claims: claims, messageIDs: found,
                        base: base.merging(["outcome": "duplicate", "provider_confirmed": true]))
                case .wait(let left):
                    // The other delivery is probably sending right now: give it time within our budget.
                    if remaining() > 1.5 {
                        Clock.sleep(0.25)
                        ticket = try zendesk.ticket(id: relay.ticketID).ticket
                        continue
                    }
                    throw RuntimeError(
                        .upstreamUnavailable,
                        "comment \(relay.commentID) is being relayed by another delivery (claimed \(Int(Clock.now().timeIntervalSince(oldest.date))) s ago); retry later",
                        retryAfter: max(1, min(left, 30)))
                case .takeOver:
                    log?.warn(
                        "claim \(oldest.tag) outlived its lease and the provider's record lacks \(relay.plan.parts.count - found.count) part(s): taking the relay over"
                    )
                    do {
                        try zendesk.updateTicket(
                            id: relay.ticketID,
                            fields: ["additional_tags": [.string(mine.tag)], "remove_tags": JSON(claims.map(\.tag))],
                            safeUpdateStamp: ticket["updated_at"].string ?? "")
                    } catch let err as ServiceError where err.code == .conflict {
                        ticket = try zendesk.ticket(id: relay.ticketID).ticket
                        continue
                    }
                    return try send(relay, claim: mine, replacing: [], found: found, base: base)
                }
            case .free:
                switch try takeClaim(mine, relay: relay, stamp: ticket["updated_at"].string ?? "") {
                case .taken: return try send(relay, claim: mine, replacing: [], found: [:], base: base)
                case .closed: return skipped(.notSMSTicket, base.merging(["detail": "ticket closed"]))
                case .conflict: ticket = try zendesk.ticket(id: relay.ticketID).ticket
                }
            }
        }
        throw SMSError(.unsettled, "the ticket kept changing while claiming the reply")
    }

    enum ClaimWrite { case taken, conflict, closed }

    /// Adds the claim tag with `safe_update`. A 409 means the ticket changed — or our own write
    /// landed and its answer was lost: the caller re-reads and sees which.
    func takeClaim(_ claim: ReplyClaim, relay: Relay, stamp: String) throws -> ClaimWrite {
        do {
            try zendesk.addTags(ticketID: relay.ticketID, [claim.tag], safeUpdateStamp: stamp)
            return .taken
        } catch let err as ServiceError where err.code == .conflict {
            return .conflict
        } catch let err as ServiceError where err.isClosedTicketError {
            return .closed
        } catch let err as RuntimeError where err.code == .upstreamUnavailable {
            // The claim may have landed: if it did, it is ours to carry out.
            guard (try? zendesk.tags(ticketID: relay.ticketID))?.contains(claim.tag) == true else { throw err }
            return .taken
        }
    }

    // MARK: - Send

    /// Sends the parts the provider's record does not already show (`found`: part index →
    /// message id), then commits.
    func send(_ relay: Relay, claim: ReplyClaim, replacing: [ReplyClaim], found: [Int: JSON], base: JSON) throws -> JSON
    {
        var ids = found
        var conversation: String?
        if settings.provider == .klaviyo {
            guard let klaviyo, let profile = relay.profile else {
                return notSent(
                    ticketID: relay.ticketID, commentID: relay.commentID, claim: claim,
                    failed(base, reason: "no_profile", code: nil),
                    why: "the customer has no Klaviyo profile",
                    action: "the customer has no Klaviyo profile: reply by another channel")
            }
            guard let id = try klaviyo.conversationID(profileID: profile.id) else {
                return notSent(
                    ticketID: relay.ticketID, commentID: relay.commentID, claim: claim,
                    failed(base, reason: "no_conversation", code: nil),
                    why: "the customer's Klaviyo profile has no SMS conversation",
                    action:
                        "the profile has no Klaviyo SMS conversation: reply from Klaviyo's inbox or by another channel")
            }
            conversation = id
        }
        for i in relay.plan.parts.indices where ids[i] == nil {
            let outcome: PartOutcome
            do {
                outcome = try sendPart(relay, index: i, claim: claim, conversation: conversation, alreadySent: ids)
            } catch let err as RuntimeError where err.code == .upstreamUnavailable && !err.outcomeUnknown && ids.isEmpty
            {
                // Nothing went out: free the relay so the re-delivery sends it.
                release(claim, ticketID: relay.ticketID)
                throw err
            }
            switch outcome {
            case .sent(let id): ids[i] = id
            case .refused(let code, let message):
                let noted = recordNotSent(
                    ticketID: relay.ticketID, commentID: relay.commentID, claim: claim,
                    note: ReplyRules.refusalNote(
                        commentID: relay.commentID, provider: settings.provider.rawValue,
                        code: code.string ?? code.serialized(), message: message, partsSent: ids.count,
                        parts: relay.plan.parts.count))
                var r = failed(
                    base.merging(["parts_sent": .int(Int64(ids.count))]), reason: "provider_refused", code: code,
                    message: message)
                if noted { r["noted"] = true }
                return needsPerson(
                    ticketID: relay.ticketID, commentID: relay.commentID, r,
                    action:
                        "the provider refused the reply (\(code.serialized())): check the customer's number or opt-out, then reply by another channel"
                )
            }
        }
        let ordered = (0..<relay.plan.parts.count).compactMap { ids[$0] }
        return try commit(
            relay, claims: [claim] + replacing, messageIDs: ids,
            base: base.merging(["outcome": "sent", "message_ids": .array(ordered)]))
    }

    enum PartOutcome {
        case sent(JSON)
        case refused(code: JSON, message: String)
    }

    /// Sends one part. An answer lost on the way is settled with the provider's record: found →
    /// sent; not in Twilio's list → not created, sent again (up to three times); not in Klaviyo's
    /// events → exit 75, the claim kept for the re-delivery to settle. The sends go through the
    /// shared clients: the HTTP client sends a non-idempotent write on a fresh connection, so
    /// libcurl never silently repeats it, and a dry run records it in the plan.
    func sendPart(
        _ relay: Relay, index: Int, claim: ReplyClaim, conversation: String?, alreadySent: [Int: JSON]
    ) throws -> PartOutcome {
        let part = relay.plan.parts[index]
        for attempt in 1...3 {
            do {
                if let conversation {
                    guard let k = klaviyo else { throw SMSError(.badConfiguration, "Klaviyo is not configured") }
                    switch try k.sendConversationMessage(conversationID: conversation, body: part) {
                    case .success(let id): return .sent(JSON(id))
                    case .failure(let r): return .refused(code: .string(r.refusal.code), message: r.refusal.detail)
                    }
                }
                guard let t = twilio, let from = relay.plan.brandNumber else {
                    throw SMSError(.badConfiguration, "Twilio is not configured")
                }
                let callback = ReplyRules.statusCallback(
                    settings.statusCallbackURL, ticketID: relay.ticketID, commentID: relay.commentID,
                    part: relay.plan.parts.count > 1 ? index + 1 : nil)
                var outcome = try t.sendMessage(
                    to: relay.plan.customer, from: from, body: part, statusCallback: callback)
                // Twilio refused the StatusCallback (21609, a 400: nothing was created): the reply
                // matters more than its delivery report, so it goes out without one.
                if case .failure(let r) = outcome, r.code == TwilioRefusal.invalidStatusCallback, callback != nil {
                    log?.warn(
                        "Twilio refused the StatusCallback \(callback ?? "") (21609): sending part \(index + 1) without it"
                    )
                    outcome = try t.sendMessage(to: relay.plan.customer, from: from, body: part)
                }
                switch outcome {
                case .success(let message): return .sent(message["sid"])
                case .failure(let r): return .refused(code: .int(Int64(r.code)), message: r.message)
                }
            } catch let err as RuntimeError where err.code == .upstreamUnavailable && err.outcomeUnknown {
                let record = try providerRecord(
                    relay, since: claim.date, excluding: Set(alreadySent.values.compactMap(\.string)))
                if let id = record[index] {
                    log?.note("the provider's answer was lost; part \(index + 1) is in its record: not re-sending")
                    return .sent(id)
                }
                if settings.provider == .klaviyo {
                    throw RuntimeError(
                        .upstreamUnavailable,
                        "Klaviyo's answer to part \(index + 1) was lost and its events do not show the reply yet; the claim stays and the re-delivery settles it",
                        retryAfter: settings.replyLeaseSeconds, outcomeUnknown: true)
                }
                log?.note(
                    "Twilio's answer was lost and its message list has no such message (attempt \(attempt)): sending again"
                )
            }
        }
        throw RuntimeError(
            .upstreamUnavailable,
            "Twilio kept losing its answers to part \(index + 1); the claim stays and the re-delivery settles it",
            retryAfter: settings.replyLeaseSeconds, outcomeUnknown: true)
    }

    /// Records a relay that cannot go out (the provider refused it, or the ticket or profile lacks
    /// what a send needs) on the ticket, in one update with `safe_update`: the tag
    /// `sms_reply_<comment>_refused` (a re-delivery answers `duplicate` and never sends), the claim
    /// (if any) removed, an internal note telling the agent the customer did not get the reply and why, and
    /// the ticket back to `open` when it was pending, on hold or solved — so the note is written
    /// once, with the tag. A 409 or a lost answer is settled by re-reading the tag. Best effort
    /// beyond that (Zendesk unavailable, a closed ticket): the refusal is listed for a person
    /// either way. Returns whether the note is on the ticket.
    func recordNotSent(ticketID: Int64, commentID: Int64, claim: ReplyClaim?, note: String) -> Bool {
        let tag = ReplyClaimState.refusedTag(commentID: commentID)
        do {
            let extra: JSON = claim.map { ["remove_tags": [.string($0.tag)]] } ?? [:]
            switch try writeTaggedNote(ticketID: ticketID, tag: tag, note: note, reopen: true, extra: extra) {
            case .written, .found: return true
            case .closed: return false
            }
        } catch {
            return (try? zendesk.tags(ticketID: ticketID))?.contains(tag) == true
        }
    }

    // MARK: - Provider record

    /// The parts of the relay that the provider's own record shows since `since` (part index →
    /// message id): Twilio's messages To/From; Klaviyo's "Received SMS" (and "Failed to Deliver
    /// SMS") events of the profile that name no campaign or flow. Ids in `excluding` are not matched again.
    func providerRecord(_ relay: Relay, since: Date, excluding: Set<String> = []) throws -> [Int: JSON] {
        let from = since.addingTimeInterval(-providerClockSkew)
        var records: [(body: String, id: JSON)] = []
        switch settings.provider {
        case .twilio:
            guard let twilio, let brand = relay.plan.brandNumber else { return [:] }
            for m in try twilio.messages(to: relay.plan.customer, from: brand) {
                guard let created = m["date_created"].string.flatMap(Clock.parseRFC2822), created >= from else {
                    continue
                }
                records.append((m["body"].string ?? "", m["sid"]))
            }
        case .klaviyo:
            guard let klaviyo, let profile = relay.profile else { return [:] }
            // A reply Klaviyo sent is recorded as "Received SMS", or as "Failed to Deliver SMS" when
            // it did not reach the phone: sent either way (the failure comes back as a note).
            // One read of the metrics list for both names.
            let metrics = try klaviyo.metricIDs(named: [KlaviyoSMSMetric.received, KlaviyoSMSMetric.failed])
            var found: [JSON] = []
            for name in [KlaviyoSMSMetric.received, KlaviyoSMSMetric.failed] {
                guard let metric = metrics[name] else { continue }
                found += try klaviyo.events(profileID: profile.id, metricID: metric, since: from)
            }
            // Newest first, as each list is.
            found.sort { ($0["attributes"]["datetime"].string ?? "") > ($1["attributes"]["datetime"].string ?? "") }
            for e in found {
                let props = e["attributes"]["event_properties"]
                if ReplyRules.namesCampaignOrFlow(props) { continue }
                records.append((ReplyRules.messageBody(props) ?? "", e["id"]))
            }
        }
        records.removeAll { $0.id.string.map(excluding.contains) ?? false }
        // Oldest first, so the parts match the records in the order they were sent.
        records.reverse()
        return ReplyRules.partsFound(relay.plan.parts, bodies: records.map(\.body)).mapValues { records[$0].id }
    }

    // MARK: - Commit

    /// Finishes the relay's effects and records it: the Klaviyo reply event (Twilio provider with
    /// a Klaviyo key), then the done tag replacing the claims. A failure here ends with exit 75:
    /// the SMS is out, the claim stays, and the re-delivery finishes the effects.
    func commit(_ relay: Relay, claims: [ReplyClaim], messageIDs: [Int: JSON], base: JSON) throws -> JSON {
        var r = try finishEffects(relay, messageIDs: messageIDs, base: base)
        do {
            if relay.plan.attachmentsNotSent > 0 {
                try commitWithNote(relay, claims: claims)
                r["attachments_noted"] = true
            } else {
                try zendesk.updateTicket(
                    id: relay.ticketID,
                    fields: [
                        "additional_tags": [.string(ReplyClaim.doneTag(commentID: relay.commentID))],
                        "remove_tags": JSON(claims.map(\.tag)),
                    ])
            }
        } catch {
            throw RuntimeError(
                .upstreamUnavailable,
                "the SMS went out but recording it on ticket \(relay.ticketID) failed (\(error)); the re-delivery records it",
                retryAfter: 2)
        }
        r["provider_confirmed"] = true
        return r
    }

    /// The commit of a reply whose attachments did not go out (SMS carries text only): the done
    /// tag and an internal note telling the agent so, in one update with `safe_update` — the note
    /// is written exactly when the relay is recorded as done, so once. A 409 or a lost answer is
    /// settled by re-reading: the done tag present means the commit (this one or another
    /// delivery's) landed.
    func commitWithNote(_ relay: Relay, claims: [ReplyClaim]) throws {
        let note = ReplyRules.attachmentsNote(commentID: relay.commentID, count: relay.plan.attachmentsNotSent)
        let written = try writeTaggedNote(
            ticketID: relay.ticketID, tag: ReplyClaim.doneTag(commentID: relay.commentID), note: note, reopen: false,
            extra: ["remove_tags": JSON(claims.map(\.tag))])
        if written == .closed {
            throw SMSError(.unsettled, "ticket \(relay.ticketID) is closed: the reply cannot be recorded on it")
        }
    }

    /// Records the reply in Klaviyo as `KLAVIYO_SMS_REPLY_METRIC` (Twilio provider with a Klaviyo
    /// key; `unique_id` per comment, so whoever finishes the relay records it once).
    func finishEffects(_ relay: Relay, messageIDs: [Int: JSON], base: JSON) throws -> JSON {
        var r = base
        guard settings.provider == .twilio, settings.hasKlaviyo, let klaviyo, let from = relay.plan.brandNumber else {
            return r
        }
        do {
            try klaviyo.createEvent(
                KlaviyoEvent(
                    metric: settings.replyMetric, phoneNumber: relay.plan.customer,
                    properties: [
                        "zendesk_ticket_id": .int(relay.ticketID), "zendesk_comment_id": .int(relay.commentID),
                        "from_number": .string(from), "segments": .int(Int64(relay.plan.segments)),
                        "encoding": .string(relay.plan.encoding.rawValue),
                        "body": .string(relay.plan.parts.joined(separator: "\n")),
                    ],
                    uniqueID: "zendesk-sms-reply-\(relay.commentID)"))
            r["klaviyo_event"] = "recorded"
        } catch let err as RuntimeError where err.code == .upstreamUnavailable {
            throw RuntimeError(
                .upstreamUnavailable,
                "the SMS went out but recording it in Klaviyo failed (\(err.message)); the re-delivery records it",
                retryAfter: err.retryAfter ?? 2)
        } catch {
            // Klaviyo refused the event (4xx): a retry cannot help; the SMS went out.
            log?.needsPerson(
                "reply_event_refused", ticketID: relay.ticketID, detail: "\(error)",
                action:
                    "the reply was texted but Klaviyo refused the \(settings.replyMetric) event; check the metric and the profile"
            )
            r["klaviyo_event"] = "refused"
        }
        return r
    }

    /// Removes the claim so a re-delivery may send (best effort: a claim left behind is taken
    /// over once its lease is over).
    func release(_ claim: ReplyClaim, ticketID: Int64) {
        do { try zendesk.removeTags(ticketID: ticketID, [claim.tag]) } catch {
            log?.note("releasing the reply claim failed: \(error); it is taken over after its lease")
        }
    }

    /// A reply that cannot go out for a reason of the ticket or the profile: recorded and noted on
    /// the ticket (`recordNotSent`) — or, when that write fails, the claim released so a
    /// re-delivery tries again — and listed for a person.
    func notSent(
        ticketID: Int64, commentID: Int64, claim: ReplyClaim?, _ result: JSON, why: String, action: String
    ) -> JSON {
        var r = result
        let note = ReplyRules.notSentNote(commentID: commentID, why: why)
        if recordNotSent(ticketID: ticketID, commentID: commentID, claim: claim, note: note) {
            r["noted"] = true
        } else if let claim {
            release(claim, ticketID: ticketID)
        }
        return needsPerson(ticketID: ticketID, commentID: commentID, r, action: action)
    }

    /// Marks `result` as needing a person, its `reason` the kind: counted and listed
    /// (`./invoke attention`).
    func needsPerson(ticketID: Int64, commentID: Int64, _ result: JSON, action: String) -> JSON {
        listed(
            result, kind: result["reason"].string ?? "reply_failed", ticketID: ticketID,
            detail: "comment \(commentID): \(result["detail"].string ?? result["reason"].string ?? "")",
            action: action)
    }

    /// Lists `result` for a person (counted, logged as a warning, `./invoke attention`); the result
    /// says so in `attention`, naming what to do.
    func listed(_ result: JSON, kind: String, ticketID: Int64, detail: String, action: String) -> JSON {
        log?.needsPerson(kind, ticketID: ticketID, detail: detail, action: action)
        return result.merging(["attention": .string(action)])
    }
}
