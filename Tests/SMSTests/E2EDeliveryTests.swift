import BundleCore
import Foundation
import FunctionRuntime
import InvokerKit
import SandboxKit
import AgentReply
import Testing
import TestSupport

/// A reply Twilio accepted but could not deliver, end to end: `agent-reply` sends each part with
/// a `StatusCallback` (`PUBLIC_URL` + `/sms/status?ticket=…&comment=…`), the sandbox's Twilio
/// posts the message's later statuses there, signed, and an `undelivered` one comes back to the
/// agent as an internal note on a reopened ticket, listed for a person.
@Suite struct E2EDeliveryTests {
    typealias B = SMSBench

    /// E2EReplyTests' tickets (601: Pat's conversation on brand number B), Pat's handset seeded
    /// as unreachable when `unreachable`.
    static func bench(unreachable: Bool, env: [String: String] = [:]) throws -> (SMSBench, String) {
        let extra: JSON =
            unreachable ? ["twilio": ["unreachable": [["number": .string(B.pat), "error_code": 30003]]]] : [:]
        let bench = try SMSBench(seed: E2EReplyTests.seed(extra))
        let attention = FileManager.default.temporaryDirectory.path + "/attention-\(SMSBench.randomHex(6)).jsonl"
        var e = env
        e[ConfigKey.attentionLog] = attention
        bench.configure(e)
        return (bench, attention)
    }

    /// The agent answers on ticket 601 and sets it pending, then the comment event is delivered.
    static func replyAndPend(_ bench: SMSBench, body: String) throws -> (comment: Int64, answer: SMSBench.Answer) {
        let r = try bench.zendesk(
            "PUT", "/api/v2/tickets/601.json",
            ["ticket": ["comment": ["body": .string(body), "public": true, "author_id": 3002], "status": "pending"]])
        guard r.status == 200, let c = bench.comments(601).last?["id"].int else {
            throw RuntimeError(.internal, "reply: \(r.status) \(r.text)")
        }
        return (c, try bench.commentAdded(ticket: 601, comment: c))
    }

    /// Waits until the sandbox's Twilio has posted `count` status callbacks (at most 10 s).
    static func callbacks(_ bench: SMSBench, count: Int) -> [JSON] {
        for _ in 0..<200 {
            let posted = bench.state().at("twilio.status_callbacks").array ?? []
            if posted.count >= count { return posted }
            Clock.sleep(0.05)
        }
        return bench.state().at("twilio.status_callbacks").array ?? []
    }

    /// The form parameters of the sandbox's logged Twilio sends.
    static func sends(_ bench: SMSBench) -> [[(String, String)]] {
        bench.requests.filter { $0["service"].string == "twilio" && $0["method"].string == "POST" }.map {
            FormDecoding.pairs(Array(($0["body"].string ?? "").utf8))
        }
    }

    /// A status callback for `sid`, signed as Twilio signs it, posted to `/sms/status` + `query`.
    static func statusCallback(
        _ bench: SMSBench, sid: String, status: String, errorCode: String?, query: String,
        signedURL: String? = nil, token: String = SMSBench.twilioToken
    ) throws -> SMSBench.Answer {
        var params: [(String, String)] = [
            ("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", B.pat), ("MessageSid", sid),
            ("AccountSid", "AC_test"), ("From", B.brandB), ("ApiVersion", "2010-04-01"),
        ]
        if let errorCode { params.append(("ErrorCode", errorCode)) }
        let url = signedURL ?? bench.invokerURL + "/sms/status" + query
        let signature = try WebhookSignature.twilio(authToken: token, url: url, params: params)
        return try bench.post(
            "/sms/status" + query,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
                ("Accept", "application/json"),
            ], body: Array(FormDecoding.body(params).utf8))
    }

    /// Klaviyo's "Failed to Deliver SMS" webhook item of a reply to Pat, as Klaviyo posts it (the
    /// payload in the shape of a Get Event answer).
    static func failedItem(id: String, body: String, failure: String) -> JSON {
        [
            "external_id": .string(id), "topic": "event:klaviyo.failed_to_deliver_sms",
            "payload": [
                "data": [
                    "type": "event", "id": .string(id),
                    "attributes": [
                        "datetime": .string(Clock.iso8601(Date())),
                        "event_properties": [
                            "Message Body": .string(body), "To Number": .string(B.pat),
                            "Failure Type": .string(failure),
                        ],
                    ],
                    "relationships": ["profile": ["data": ["type": "profile", "id": "01PATPROFILE0000000000000A"]]],
                ]
            ],
        ]
    }

    @Test func anUndeliveredReplyComesBackToTheAgentAsANoteOnTheReopenedTicket() throws {
        let (bench, attention) = try Self.bench(unreachable: true)
        let before = bench.comments(601).count
        let (c, r) = try Self.replyAndPend(bench, body: "Your order ships today.")
        #expect(r.outcome == "sent", "\(r.text)")
        // The send names where Twilio reports the message's statuses.
        let callback = Self.sends(bench).last?.last { $0.0 == "StatusCallback" }?.1
        #expect(callback == bench.invokerURL + "/sms/status?ticket=601&comment=\(c)")

        let posted = Self.callbacks(bench, count: 2)
        #expect(posted.map { $0["status"].string } == ["sent", "undelivered"], "\(posted)")
        #expect(posted.allSatisfy { $0["answer"].int == 200 }, "\(posted)")

        let ticket = bench.ticket(601)
        let tags = (ticket["tags"].array ?? []).compactMap(\.string)
        #expect(tags.contains("sms_reply_\(c)_undelivered"), "\(tags)")
        #expect(tags.contains("sms_reply_\(c)"), "the relay itself stays recorded as done")
        #expect(ticket["status"].string == "open", "the failed reply comes back to an agent")
        let notes = bench.comments(601).dropFirst(before).filter { $0["public"].bool == false }
        #expect(notes.count == 1, "\(notes)")
        let note = notes.first?["body"].string ?? ""
        #expect(note.contains("SMS not delivered"), "\(note)")
        #expect(note.contains("comment \(c)"))
        #expect(note.contains("error 30003 (unreachable destination handset)"), "\(note)")
        #expect(!note.contains(B.pat), "the note needs no phone number")

        // Listed for a person, about this very comment.
        let listed = JSONLines.read(attention).lines
        #expect(
            listed.contains {
                $0["ticket_id"].int == 601 && ($0["detail"].string ?? "").contains("comment \(c)")
                    && ($0["detail"].string ?? "").contains("30003")
            }, "\(listed)")
        try? FileManager.default.removeItem(atPath: attention)

        // Twilio's callback of the same message again (or the spool's re-run): one note still.
        let sid = bench.sentSMS.last?["sid"].string ?? ""
        let again = try Self.statusCallback(
            bench, sid: sid, status: "undelivered", errorCode: "30003", query: "?ticket=601&comment=\(c)")
        #expect(again.status == 200)
        #expect(again.outcome == "duplicate", "\(again.text)")
        #expect(bench.comments(601).dropFirst(before).filter { $0["public"].bool == false }.count == 1)
    }

    @Test func aDeliveredReplyChangesNothing() throws {
        let (bench, attention) = try Self.bench(unreachable: false)
        let (c, r) = try Self.replyAndPend(bench, body: "Delivered fine.")
        #expect(r.outcome == "sent", "\(r.text)")
        let posted = Self.callbacks(bench, count: 2)
        #expect(posted.map { $0["status"].string } == ["sent", "delivered"], "\(posted)")
        #expect(posted.allSatisfy { $0["answer"].int == 200 }, "\(posted)")
        let before = bench.requests.filter { $0["service"].string == "zendesk" }.count
        // A status that is no failure is settled without a call.
        let sid = bench.sentSMS.last?["sid"].string ?? ""
        let late = try Self.statusCallback(
            bench, sid: sid, status: "delivered", errorCode: nil, query: "?ticket=601&comment=\(c)")
        #expect(late.outcome == "ignored", "\(late.text)")
        #expect(late.exit == "0")
        #expect(bench.requests.filter { $0["service"].string == "zendesk" }.count == before)
        let ticket = bench.ticket(601)
        #expect(ticket["status"].string == "pending")
        #expect(!(ticket["tags"].array ?? []).contains(.string("sms_reply_\(c)_undelivered")))
        #expect(JSONLines.read(attention).lines.isEmpty)
        try? FileManager.default.removeItem(atPath: attention)
    }

    @Test func twilioIsAnsweredWithEmptyTwiMLAndForgedOrIncompleteCallbacksAreRefused() throws {
        let (bench, _) = try Self.bench(unreachable: false)
        let sid = SMSBench.messageSID()
        // Twilio's own request (no Accept): empty TwiML, the outcome in a header.
        var params: [(String, String)] = [("MessageSid", sid), ("MessageStatus", "sent"), ("AccountSid", "AC_test")]
        let url = bench.invokerURL + "/sms/status?ticket=601&comment=1"
        let twiml = try bench.post(
            "/sms/status?ticket=601&comment=1",
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", WebhookSignature.twilio(authToken: B.twilioToken, url: url, params: params)),
            ], body: Array(FormDecoding.body(params).utf8))
        #expect(twiml.status == 200)
        #expect(twiml.headers["content-type"]?.hasPrefix("text/xml") == true, "\(twiml.headers)")
        #expect(twiml.headers["x-function-outcome"] == "ignored")

        // Signed for another ticket than the URL names: the query is part of what Twilio signs.
        let moved = try Self.statusCallback(
            bench, sid: sid, status: "undelivered", errorCode: "30003", query: "?ticket=602&comment=1",
            signedURL: bench.invokerURL + "/sms/status?ticket=601&comment=1")
        #expect(moved.status == 401, "\(moved.text)")
        // Signed with another token.
        let forged = try Self.statusCallback(
            bench, sid: sid, status: "undelivered", errorCode: "30003", query: "?ticket=601&comment=1",
            token: "not-the-token")
        #expect(forged.status == 401, "\(forged.text)")
        // No ticket in the URL: a callback this bundle did not ask for.
        let bare = try Self.statusCallback(bench, sid: sid, status: "undelivered", errorCode: "30003", query: "")
        #expect(bare.status == 400, "\(bare.text)")
        #expect(bare.json["error"]["code"].string == "invalid_event", "\(bare.text)")
        params.removeAll()
        #expect(bench.ticket(601)["comments"].array?.count == 1, "nothing was written")
    }

    @Test func aFailureWhileZendeskIsDownIsNotedOnceItIsBack() throws {
        let (bench, _) = try Self.bench(unreachable: true)
        let state = NSTemporaryDirectory() + "delivery-spool-" + SMSBench.randomHex(6)
        defer { try? FileManager.default.removeItem(atPath: state) }
        bench.configure([ConfigKey.attentionLog: state + ".attention.jsonl"], state: try InvokerState(directory: state))
        defer { try? FileManager.default.removeItem(atPath: state + ".attention.jsonl") }
        let before = bench.comments(601).count
        let (c, r) = try Self.replyAndPend(bench, body: "Sent while Zendesk is about to fail.")
        #expect(r.outcome == "spooled", "\(r.text)")
        // The spool relays the reply; once it is recorded, Zendesk answers 503 to everything
        // before the undelivered status arrives (after ~1 s).
        for _ in 0..<500 where !(bench.ticket(601)["tags"].array ?? []).contains(.string("sms_reply_\(c)")) {
            Clock.sleep(0.01)
        }
        try bench.faults([
            "rules": [["service": "zendesk", "mode": "status", "status": 503, "retry_after": 1, "times": 0]]
        ])
        let posted = Self.callbacks(bench, count: 2)
        #expect(posted.last?["status"].string == "undelivered", "\(posted)")
        #expect(posted.last?["answer"].int == 200, "the spool acknowledged it: \(posted)")
        Clock.sleep(1)
        #expect(!(bench.ticket(601)["tags"].array ?? []).contains(.string("sms_reply_\(c)_undelivered")))
        try bench.faults(["rules": []])
        var noted = false
        for _ in 0..<300 where !noted {
            noted = (bench.ticket(601)["tags"].array ?? []).contains(.string("sms_reply_\(c)_undelivered"))
            if !noted { Clock.sleep(0.1) }
        }
        #expect(noted, "the spool ran the callback again once Zendesk was back")
        #expect(bench.comments(601).dropFirst(before).filter { $0["public"].bool == false }.count == 1)
        #expect(bench.ticket(601)["status"].string == "open")
    }

    @Test func statusCallbacksCanBeTurnedOff() throws {
        let (bench, _) = try Self.bench(unreachable: true, env: ["SMS_STATUS_CALLBACK_URL": "off"])
        let (_, r) = try Self.replyAndPend(bench, body: "No callback please.")
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(Self.sends(bench).last?.contains { $0.0 == "StatusCallback" } == false)
        Clock.sleep(1.2)
        #expect((bench.state().at("twilio.status_callbacks").array ?? []).isEmpty)
    }

    /// The Klaviyo provider: Klaviyo records a reply it could not deliver as "Failed to Deliver
    /// SMS" and posts it to the system webhook; `sms-inbound` notes it on the customer's open SMS
    /// ticket, reopens it and lists it for a person, once.
    @Test func klaviyoFailedToDeliverComesBackToTheAgent() throws {
        let secret = "kl-webhook-secret"
        let bench = try SMSBench(
            seed: E2EReplyTests.seed([
                "klaviyo": [
                    "conversations": [
                        ["id": "CONV-PAT", "profile_id": "01PATPROFILE0000000000000A", "number": .string(B.brandB)]
                    ],
                    "unreachable": [["phone_number": .string(B.pat), "failure_type": "Device disconnected"]],
                ]
            ]))
        try bench.subscribeKlaviyoWebhook(secret: secret)
        let attention = FileManager.default.temporaryDirectory.path + "/attention-\(SMSBench.randomHex(6)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: attention) }
        bench.configure([
            "SMS_PROVIDER": "klaviyo", "KLAVIYO_WEBHOOK_SECRET": secret, ConfigKey.attentionLog: attention,
        ])
        let before = bench.comments(601).count
        let (c, r) = try Self.replyAndPend(bench, body: "Your refund is on its way.")
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(bench.klaviyoMessages.count == 1)
        let failed = bench.klaviyoEvents.filter { $0["metric"].string == "Failed to Deliver SMS" }
        #expect(failed.count == 1, "\(bench.klaviyoEvents.map { $0["metric"] })")
        var noted = false
        for _ in 0..<200 where !noted {
            noted = bench.comments(601).dropFirst(before).contains { $0["public"].bool == false }
            if !noted { Clock.sleep(0.05) }
        }
        let notes = bench.comments(601).dropFirst(before).filter { $0["public"].bool == false }
        #expect(notes.count == 1, "\(notes) \(bench.accessLines.value)")
        let note = notes.first?["body"].string ?? ""
        #expect(note.hasPrefix("SMS not delivered"), "\(note)")
        #expect(note.contains("Device disconnected"), "\(note)")
        #expect(note.contains("Your refund is on its way."), "\(note)")
        #expect(bench.ticket(601)["status"].string == "open")
        #expect((bench.ticket(601)["tags"].array ?? []).contains(.string("sms_reply_\(c)")), "the relay stays done")
        let listed = JSONLines.read(attention).lines
        #expect(listed.contains { $0["ticket_id"].int == 601 && $0["kind"].string == "reply_undelivered" }, "\(listed)")

        // Klaviyo re-delivers the same item: noted once.
        let id = failed.first?["id"].string ?? ""
        let item = Self.failedItem(id: id, body: "Your refund is on its way.", failure: "Device disconnected")
        let again = try bench.postKlaviyoBatch([item], secret: secret)
        #expect(again.status == 200, "\(again.text)")
        #expect(again.json["results"][0]["outcome"].string == "duplicate", "\(again.text)")
        // A campaign that failed is no agent's reply: nothing is noted.
        var campaign = item
        campaign["external_id"] = "01CAMPAIGNFAIL000000000000"
        campaign["payload"]["data"]["id"] = "01CAMPAIGNFAIL000000000000"
        campaign["payload"]["data"]["attributes"]["event_properties"]["Campaign Name"] = "Black Friday"
        let marketing = try bench.postKlaviyoBatch([campaign], secret: secret)
        #expect(marketing.json["results"][0]["reason"].string == "not_a_reply", "\(marketing.text)")
        #expect(bench.comments(601).dropFirst(before).filter { $0["public"].bool == false }.count == 1)
    }

    /// The note's own write answered nothing (processed, answer lost): the re-read or the retry's
    /// 409 finds the note, so it is listed once and never written twice — for Twilio's callback
    /// and for Klaviyo's "Failed to Deliver SMS".
    @Test func aLostAnswerToTheNoteIsSettledWithoutASecondNote() throws {
        let (bench, attention) = try Self.bench(unreachable: false)
        defer { try? FileManager.default.removeItem(atPath: attention) }
        let lose: JSON = [
            "rules": [
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "/tickets/601\\.json$",
                    "mode": "lose_response",
                    "times": 1,
                ]
            ]
        ]
        let before = bench.comments(601).count
        try bench.faults(lose)
        let twilio = try Self.statusCallback(
            bench, sid: SMSBench.messageSID(), status: "undelivered", errorCode: "30006",
            query: "?ticket=601&comment=77")
        #expect(bench.requests.contains { $0["fault"].string == "lose_response" }, "the fault fired")
        #expect(twilio.outcome == "undelivered" || twilio.exit == "75", "\(twilio.text)")
        if twilio.exit == "75" {
            // Settled by the re-run the spool (or Twilio's sender) makes.
            let again = try Self.statusCallback(
                bench, sid: SMSBench.messageSID(), status: "undelivered", errorCode: "30006",
                query: "?ticket=601&comment=77")
            #expect(again.outcome == "duplicate" || again.outcome == "undelivered", "\(again.text)")
        }
        let notes = { bench.comments(601).dropFirst(before).filter { $0["public"].bool == false } }
        #expect(notes().count == 1, "\(notes())")
        #expect(JSONLines.read(attention).lines.contains { ($0["detail"].string ?? "").contains("comment 77") })

        // Klaviyo's item for the same customer, its note's answer lost too.
        let secret = "kl-webhook-secret"
        bench.configure([
            "SMS_PROVIDER": "klaviyo", "KLAVIYO_WEBHOOK_SECRET": secret, ConfigKey.attentionLog: attention,
        ])
        try bench.faults(lose)
        let item = Self.failedItem(
            id: "01FAILEDREPLY0000000000000", body: "We shipped it.", failure: "Device unreachable")
        let first = try bench.postKlaviyoBatch([item], secret: secret)
        let outcome = first.json["results"][0]["outcome"].string
        #expect(outcome == "undelivered" || first.status == 503, "\(first.text)")
        if first.status == 503 {
            let again = try bench.postKlaviyoBatch([item], secret: secret)
            #expect(again.json["results"][0]["outcome"].string == "duplicate", "\(again.text)")
        }
        #expect(notes().filter { ($0["body"].string ?? "").contains("We shipped it.") }.count == 1, "\(notes())")
        #expect(JSONLines.read(attention).lines.contains { ($0["detail"].string ?? "").contains("01FAILEDREPLY") })
    }

    /// An agent's reply with attachments goes out as text (no MMS from Zendesk), and the agent is
    /// told so by one internal note, written with the relay's done tag — also when that write's
    /// answer is lost and when the comment event comes again.
    @Test func attachmentsThatCannotGoOutAreNotedOnce() throws {
        let seed = E2EReplyTests.seed([
            "zendesk": [
                "tickets": [
                    [
                        "id": 640, "status": "open", "requester_id": .int(B.patID), "subject": "SMS conversation",
                        "external_id": .string("sms:\(B.pat):\(B.brandB)"), "tags": ["sms"],
                        "comments": [
                            ["author_id": .int(B.patID), "body": "Can I see the invoice?", "public": true],
                            [
                                "author_id": 3002, "body": "Here it is.", "public": true,
                                "attachments": [["file_name": "invoice.pdf", "content_type": "application/pdf"]],
                            ],
                        ],
                    ]
                ]
            ]
        ])
        let bench = try SMSBench(seed: seed)
        let comment = bench.comments(640).last?["id"].int ?? -1
        #expect(bench.comments(640).last?["attachments"].array?.count == 1)
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "/tickets/640\\.json$",
                    "mode": "lose_response",
                    "times": 1,
                ]
            ]
        ])
        let r = try bench.commentAdded(ticket: 640, comment: comment)
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(r.json["attachments_not_sent"].int == 1)
        #expect(bench.requests.contains { $0["fault"].string == "lose_response" }, "the fault fired")
        #expect(bench.sentSMS.map { $0["body"].string } == ["Here it is."])
        let again = try bench.commentAdded(ticket: 640, comment: comment)
        #expect(again.outcome == "duplicate", "\(again.text)")
        let notes = bench.comments(640).filter { $0["public"].bool == false }
        #expect(notes.count == 1, "\(notes)")
        #expect(notes.first?["body"].string?.hasPrefix("SMS sent as text only") == true, "\(notes)")
        #expect(notes.first?["body"].string?.contains("comment \(comment)") == true)
        #expect((bench.ticket(640)["tags"].array ?? []).contains(.string("sms_reply_\(comment)")))
        #expect(bench.sentSMS.count == 1)
    }

    /// Twilio refusing the StatusCallback (21609; nothing created) costs the reply nothing: the
    /// part goes out without one.
    @Test func aRefusedStatusCallbackStillSendsTheReply() throws {
        let (bench, _) = try Self.bench(unreachable: false)
        try bench.faults([
            "rules": [
                [
                    "service": "twilio", "method": "POST", "path_regex": "Messages\\.json$", "mode": "status",
                    "status": 400, "code": 21609, "times": 1,
                ]
            ]
        ])
        let (_, r) = try Self.replyAndPend(bench, body: "Sent without a delivery report.")
        #expect(r.outcome == "sent", "\(r.text)")
        let sends = Self.sends(bench)
        #expect(sends.count == 2, "the refused send, then the one without a callback")
        #expect(sends.first?.contains { $0.0 == "StatusCallback" } == true)
        #expect(sends.last?.contains { $0.0 == "StatusCallback" } == false)
        #expect(bench.sentSMS.map { $0["body"].string } == ["Sent without a delivery report."])
    }

    /// A reply that cannot go out for a reason of the ticket or the profile is told to the agent
    /// on the ticket, once: no brand number recorded (Twilio), no Klaviyo SMS conversation.
    @Test func aReplyThatCannotGoOutIsNotedOnce() throws {
        let seed = E2EReplyTests.seed([
            "zendesk": [
                "tickets": [
                    [
                        "id": 650, "status": "pending", "requester_id": .int(B.patID), "subject": "SMS, number unknown",
                        "tags": ["sms"],
                        "comments": [
                            ["author_id": .int(B.patID), "body": "Hi", "public": true],
                            ["author_id": 3002, "body": "Hello Pat", "public": true],
                        ],
                    ]
                ]
            ]
        ])
        let bench = try SMSBench(seed: seed)
        let c = bench.comments(650).last?["id"].int ?? -1
        for round in 0..<2 {
            let r = try bench.commentAdded(ticket: 650, comment: c)
            #expect(r.status == 200, "\(r.text)")
            #expect(r.outcome == (round == 0 ? "failed" : "duplicate"), "\(r.text)")
            if round == 0 {
                #expect(r.reason == "no_brand_number")
                #expect(r.json["noted"].bool == true)
            } else {
                #expect(r.reason == "not_sent")
            }
        }
        let notes = bench.comments(650).filter { $0["public"].bool == false }
        #expect(notes.count == 1, "\(notes)")
        #expect(notes.first?["body"].string?.hasPrefix("SMS not sent: the reply in comment \(c)") == true, "\(notes)")
        #expect(bench.ticket(650)["status"].string == "open")
        #expect(bench.sentSMS.isEmpty)

        // Klaviyo provider, Pat's profile without an SMS conversation.
        bench.configure(["SMS_PROVIDER": "klaviyo"])
        let c2 = try bench.addComment(ticket: 601, body: "Through Klaviyo, please", author: 3002)
        let k = try bench.commentAdded(ticket: 601, comment: c2)
        #expect(k.outcome == "failed" && k.reason == "no_conversation", "\(k.text)")
        #expect(k.json["noted"].bool == true)
        #expect(try bench.commentAdded(ticket: 601, comment: c2).outcome == "duplicate")
        let kNotes = bench.comments(601).filter {
            $0["public"].bool == false && ($0["body"].string ?? "").contains("comment \(c2)")
        }
        #expect(kNotes.count == 1, "\(kNotes)")
        #expect(kNotes.first?["body"].string?.contains("no SMS conversation") == true)
        #expect(bench.klaviyoMessages.isEmpty)
    }
}
