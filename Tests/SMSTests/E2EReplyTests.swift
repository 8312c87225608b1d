import FoundationEssentials
import FunctionRuntime
import SandboxKit
import AgentReply
import Testing
import TestSupport

/// `agent-reply` end to end: signed Zendesk `ticket.comment_added` events through the invoker,
/// against the sandbox.
@Suite struct E2EReplyTests {
    typealias B = SMSBench

    /// Pat's conversation on brand number B (601) and on brand number A (602), a ticket that is
    /// not an SMS conversation (603), and an agent whose email is Pat's (3001).
    static func seed(_ extra: JSON = [:]) -> JSON {
        func sms(_ id: Int64, _ brand: String) -> JSON {
            [
                "id": .int(id), "status": "open", "requester_id": .int(B.patID),
                "subject": "SMS conversation with Pat Doe",
                "external_id": .string("sms:\(B.pat):\(brand)"), "tags": ["sms"],
                "comments": [["author_id": .int(B.patID), "body": "Where is my order?", "public": true]],
            ]
        }
        var doc = B.seed([
            "zendesk": [
                "tickets": [
                    sms(601, B.brandB), sms(602, B.brandA),
                    [
                        "id": 603, "status": "open", "requester_id": .int(B.patID), "subject": "Web form",
                        "comments": [["author_id": .int(B.patID), "body": "Email question", "public": true]],
                    ],
                ],
                "users": [
                    ["id": 3001, "name": "Pat the agent", "email": .string(B.patEmail), "role": "agent"],
                    ["id": 3002, "name": "Alex Agent", "email": "alex@brand.example", "role": "agent"],
                ],
            ]
        ])
        for (section, value) in extra.object ?? [:] {
            var merged = doc[section].object ?? [:]
            for (k, v) in value.object ?? [:] { merged[k] = .array((merged[k]?.array ?? []) + (v.array ?? [v])) }
            doc[section] = .object(merged)
        }
        return doc
    }

    /// GSM-7 segments of a text of `n` basic characters (160 in one part, else 153 per part).
    func gsmSegments(_ n: Int) -> Int { n <= 160 ? 1 : (n + 152) / 153 }

    @Test func agentReplyGoesOutFromTheNumberTheCustomerTexted() throws {
        let bench = try SMSBench(seed: Self.seed())
        let c1 = try bench.addComment(ticket: 601, body: "Your order ships today.")
        let r = try bench.commentAdded(ticket: 601, comment: c1)
        #expect(r.status == 200)
        #expect(r.exit == "0")
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(r.json["encoding"].string == "GSM-7")
        #expect(r.json["segments"].int == 1)
        #expect(bench.sentSMS.count == 1)
        let sms = bench.sentSMS.first ?? .null
        #expect(sms["from"].string == B.brandB)
        #expect(sms["to"].string == B.pat)
        #expect(sms["body"].string == "Your order ships today.")
        #expect(r.json["message_ids"] == [sms["sid"]])

        // The other conversation of the same customer answers from the other number.
        let c2 = try bench.addComment(ticket: 602, body: "We got your text.", author: 3002)
        let r2 = try bench.commentAdded(ticket: 602, comment: c2)
        #expect(r2.outcome == "sent", "\(r2.text)")
        #expect(bench.sentSMS.count == 2)
        #expect(bench.sentSMS.last?["from"].string == B.brandA)
        #expect(bench.sentSMS.last?["to"].string == B.pat)

        // The reply is recorded in Klaviyo as an event (Twilio provider with a Klaviyo key).
        #expect(bench.klaviyoEvents.contains { $0["metric"].string == "Zendesk SMS Reply" }, "\(bench.klaviyoEvents)")
    }

    @Test func duplicateCommentEventsSendOneSMS() throws {
        let bench = try SMSBench(seed: Self.seed())
        let c = try bench.addComment(ticket: 601, body: "Sequential duplicate check")
        #expect(try bench.commentAdded(ticket: 601, comment: c).outcome == "sent")
        let again = try bench.commentAdded(ticket: 601, comment: c)
        #expect(again.status == 200)
        #expect(again.outcome == "duplicate", "\(again.text)")
        #expect(again.json["provider_confirmed"].bool == true)
        #expect(bench.sentSMS.count == 1)

        // Four deliveries of one event at the same moment.
        let c2 = try bench.addComment(ticket: 601, body: "Concurrent duplicate check")
        let event = try bench.zendeskEvent(ticket: 601, comment: c2)
        // Claims are held back a moment so that every delivery has read the ticket before the first claim lands.
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "/tags\\.json$", "mode": "delay", "ms": 300,
                    "times": 0,
                ]
            ]
        ])
        let answers = simultaneously(
            (0..<4).map { _ in { @Sendable in try? bench.postZendesk("/zendesk/comments", event) } })
        let outcomes = answers.compactMap { $0?.outcome }
        #expect(outcomes.count == 4, "\(answers.map { $0?.text ?? "no answer" })")
        #expect(outcomes.filter { $0 == "sent" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "duplicate" }.count == 3, "\(outcomes)")
        #expect(bench.sentSMS.filter { $0["body"].string == "Concurrent duplicate check" }.count == 1)
        #expect(bench.sentSMS.count == 2)
        let claims = bench.requests.filter {
            $0["method"].string == "PUT" && ($0["path"].string ?? "").hasSuffix("/tags.json")
        }
        #expect(
            claims.filter { $0["status"].int == 409 }.count >= 1,
            "deliveries raced for the claim (refused by safe_update)")
    }

    @Test func sameEmailPrivateRequesterAndNonSMSCommentsAreNotSent() throws {
        let bench = try SMSBench(seed: Self.seed())
        // The agent's email equals the customer's (Klaviyo profile) email: seed rule.
        let same = try bench.addComment(
            ticket: 601, body: "Reply from an agent sharing the customer's email", author: 3001)
        let r1 = try bench.commentAdded(ticket: 601, comment: same)
        #expect(r1.status == 200)
        #expect(r1.outcome == "skipped" && r1.reason == "same_email", "\(r1.text)")

        // A private note.
        let note = try bench.addComment(ticket: 601, body: "Internal: customer is VIP", public: false)
        let r2 = try bench.commentAdded(ticket: 601, comment: note)
        #expect(r2.outcome == "skipped" && r2.reason == "private", "\(r2.text)")

        // The customer's own text (added by sms-inbound, authored by the requester) is not echoed.
        let inbound = try bench.text("Thanks, and one more thing", from: B.pat, to: B.brandB)
        #expect(inbound.outcome == "commented" && inbound.json["ticket_id"].int == 601, "\(inbound.text)")
        let customer = bench.comments(601).last?["id"].int ?? -1
        let r3 = try bench.commentAdded(ticket: 601, comment: customer)
        #expect(r3.outcome == "skipped" && r3.reason == "requester", "\(r3.text)")

        // A public agent reply on a ticket that is not an SMS conversation.
        let web = try bench.addComment(ticket: 603, body: "Answered by email")
        let r4 = try bench.commentAdded(ticket: 603, comment: web)
        #expect(r4.outcome == "skipped" && r4.reason == "not_sms_ticket", "\(r4.text)")

        #expect(bench.sentSMS.isEmpty, "\(bench.sentSMS)")
    }

    @Test func nonConsentedProfileIsNotTexted() throws {
        let bench = try SMSBench(
            seed: Self.seed([
                "zendesk": [
                    "users": [["id": 2003, "name": "Lee", "phone": .string(B.lee), "role": "end-user"]],
                    "tickets": [
                        [
                            "id": 604, "status": "open", "requester_id": 2003,
                            "external_id": .string("sms:\(B.lee):\(B.brandA)"),
                            "tags": ["sms"], "comments": [["author_id": 2003, "body": "hi", "public": true]],
                        ]
                    ],
                ]
            ]))
        let c = try bench.addComment(ticket: 604, body: "Hello Lee")
        #expect(try bench.zendesk("PUT", "/api/v2/tickets/604.json", ["ticket": ["status": "pending"]]).status == 200)
        let r = try bench.commentAdded(ticket: 604, comment: c)
        // Not a quiet skip: the agent is told on the ticket, and a person sees it in the list.
        #expect(r.outcome == "failed" && r.reason == "not_consented", "\(r.text)")
        #expect(r.json["noted"] == true && r.json["attention"].string != nil, "\(r.text)")
        #expect(bench.sentSMS.isEmpty)
        let notes = bench.comments(604).filter { $0["public"].bool == false }
        #expect(notes.count == 1)
        #expect(notes.first?["body"].string?.contains("not subscribed to SMS") == true, "\(notes)")
        #expect(bench.ticket(604)["status"].string == "open", "reopened for the agent")
        #expect((bench.ticket(604)["tags"].array ?? []).contains(.string("sms_reply_\(c)_refused")))
        // Zendesk re-delivers: nothing more is written.
        let again = try bench.commentAdded(ticket: 604, comment: c)
        #expect(again.outcome == "duplicate" && again.reason == "not_sent", "\(again.text)")
        #expect(bench.comments(604).filter { $0["public"].bool == false }.count == 1)
    }

    /// A public reply of attachments only has nothing an SMS can carry: the agent is told.
    @Test func aReplyWithoutTextIsNotedNotQuietlySkipped() throws {
        let imageOnly: JSON = [
            "id": 605, "status": "open", "requester_id": .int(B.patID), "subject": "SMS conversation with Pat Doe",
            "external_id": .string("sms:\(B.pat):\(B.brandA)"), "tags": ["sms"],
            "comments": [
                ["author_id": .int(B.patID), "body": "Can you show me?", "public": true],
                ["author_id": 3002, "body": "", "public": true, "attachments": [["file_name": "label.png"]]],
            ],
        ]
        let bench = try SMSBench(seed: Self.seed(["zendesk": ["tickets": [imageOnly]]]))
        let c = bench.comments(605).last?["id"].int ?? -1
        let r = try bench.commentAdded(ticket: 605, comment: c)
        #expect(r.outcome == "failed" && r.reason == "empty", "\(r.text)")
        #expect(bench.sentSMS.isEmpty)
        let notes = bench.comments(605).filter { $0["public"].bool == false }.compactMap { $0["body"].string }
        #expect(notes.count == 1 && notes.first?.contains("has no text") == true, "\(notes)")
    }

    @Test func longReplyIsSplitIntoOrderedParts() throws {
        let bench = try SMSBench(seed: Self.seed())
        let words = (1...222).map { "word\(String(format4: $0))" }  // 222 × 8 characters + 221 spaces + "!!!"
        let text = words.joined(separator: " ") + "!!!"
        #expect(text.count == 2000)
        let c = try bench.addComment(ticket: 601, body: text)
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(r.json["parts"].int == 2)
        let sent = bench.sentSMS.map { $0["body"].string ?? "" }
        #expect(sent.count == 2)
        #expect(sent.allSatisfy { $0.count <= 1600 })
        #expect(sent.first?.hasPrefix("word0001 word0002") == true, "parts go out in order")
        #expect(sent.last?.hasSuffix("word0222!!!") == true)
        #expect(sent.joined(separator: " ") == text, "split at word boundaries, nothing lost")
        #expect(sent.allSatisfy { !$0.hasPrefix(" ") && !$0.hasSuffix(" ") })
        let expected = sent.map { gsmSegments($0.count) }.reduce(0, +)
        #expect(r.json["segments"].int == Int64(expected))
        #expect(r.json["encoding"].string == "GSM-7")
        #expect(bench.sentSMS.compactMap { Int($0["num_segments"].string ?? "") }.reduce(0, +) == expected)
        #expect((r.json["message_ids"].array ?? []) == bench.sentSMS.map { $0["sid"] })
    }

    @Test func emojiReplyIsCountedInUCS2Segments() throws {
        let bench = try SMSBench(seed: Self.seed())
        let short = try bench.addComment(ticket: 601, body: "Thanks! 😊")
        let r1 = try bench.commentAdded(ticket: 601, comment: short)
        #expect(r1.outcome == "sent", "\(r1.text)")
        #expect(r1.json["encoding"].string == "UCS-2")
        #expect(r1.json["segments"].int == 1)

        // 40 emoji = 80 UTF-16 units: over 70, so parts of 67 units with no surrogate pair split.
        let party = String(repeating: "🎉", count: 40)
        let long = try bench.addComment(ticket: 601, body: party)
        let r2 = try bench.commentAdded(ticket: 601, comment: long)
        #expect(r2.outcome == "sent", "\(r2.text)")
        #expect(r2.json["encoding"].string == "UCS-2")
        #expect(r2.json["segments"].int == 2)
        #expect(bench.sentSMS.last?["body"].string == party, "the emoji are sent verbatim")
        #expect(bench.sentSMS.last?["num_segments"].string == "2")

        // One non-GSM accent switches the whole text to UCS-2; GSM accents do not.
        let gsm = try bench.addComment(ticket: 601, body: "Café à Zürich")
        #expect(try bench.commentAdded(ticket: 601, comment: gsm).json["encoding"].string == "GSM-7")
        let ucs = try bench.addComment(ticket: 601, body: "Crème brûlée")
        #expect(try bench.commentAdded(ticket: 601, comment: ucs).json["encoding"].string == "UCS-2")
    }

    @Test func providerOptedOutIsAFinalFailure() throws {
        let bench = try SMSBench(seed: Self.seed(["twilio": ["opted_out": [.string(B.pat)]]]))
        let c = try bench.addComment(ticket: 601, body: "Are you still there?")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 200, "a retry cannot help: \(r.text)")
        #expect(r.exit == "0")
        #expect(r.outcome == "failed", "\(r.text)")
        #expect(r.json["provider_code"].int == 21610)
        #expect(bench.sentSMS.isEmpty)
        // The agent is told on the ticket, once; the ticket stays with an agent.
        #expect(r.json["noted"].bool == true, "\(r.text)")
        let notes = { bench.comments(601).filter { $0["public"].bool == false } }
        #expect(notes().count == 1, "\(notes())")
        let note = notes().first?["body"].string ?? ""
        #expect(note.hasPrefix("SMS not sent: Twilio refused the reply in comment \(c) — error 21610"), "\(note)")
        #expect(bench.ticket(601)["status"].string == "open")
        // A re-delivery does not try again, nor note again.
        let again = try bench.commentAdded(ticket: 601, comment: c)
        #expect(again.status == 200)
        #expect(again.outcome != "sent")
        #expect(bench.requests.filter { $0["service"].string == "twilio" && $0["method"].string == "POST" }.count == 1)
        #expect(notes().count == 1)
    }

    @Test func lostSendResponseIsNotSentTwice() throws {
        let bench = try SMSBench(seed: Self.seed())
        try bench.faults([
            "rules": [
                [
                    "service": "twilio", "method": "POST", "path_regex": "Messages\\.json$", "mode": "lose_response",
                    "times": 1,
                ]
            ]
        ])
        let c = try bench.addComment(ticket: 601, body: "Your refund was issued.")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 200, "\(r.text)")
        #expect(bench.sentSMS.count == 1, "the lost send went out once and was not repeated")
        #expect(r.outcome == "sent", "found in Twilio's message list: \(r.text)")
        #expect(r.json["message_ids"] == [bench.sentSMS.first?["sid"] ?? .null])
        let posts = bench.requests.filter { $0["service"].string == "twilio" && $0["method"].string == "POST" }
        #expect(posts.count == 1)
        #expect(posts.first?["fault"].string == "lose_response")

        // Zendesk re-delivers the event: still one text.
        let again = try bench.commentAdded(ticket: 601, comment: c)
        #expect(again.outcome == "duplicate", "\(again.text)")
        #expect(bench.sentSMS.count == 1)
    }

    /// Loss 1: the claim lands but its answer is lost. The retry meets 409, finds its own nonce
    /// and sends — it must not take its own claim for another delivery's.
    @Test func aLostClaimAnswerStillSends() throws {
        let bench = try SMSBench(seed: Self.seed())
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "/tickets/601/tags\\.json$",
                    "mode": "lose_response", "times": 1,
                ]
            ]
        ])
        let c = try bench.addComment(ticket: 601, body: "Your parcel is at the depot.")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(bench.sentSMS.map { $0["body"].string } == ["Your parcel is at the depot."])
        #expect(bench.requests.contains { $0["fault"].string == "lose_response" }, "the fault fired")
        let tags = (bench.ticket(601)["tags"].array ?? []).compactMap(\.string)
        #expect(tags.contains("sms_reply_\(c)"))
        #expect(
            !tags.contains { $0.hasPrefix("sms_reply_\(c)_claim_") }, "the claim was replaced by the done tag: \(tags)")
        #expect(try bench.commentAdded(ticket: 601, comment: c).outcome == "duplicate")
        #expect(bench.sentSMS.count == 1)
    }

    /// Loss 2 (Twilio): the connection is reset before Twilio processed the send. Twilio's list
    /// proves nothing went out, so the text is sent.
    @Test func aSendResetBeforeProcessingIsSentOnce() throws {
        let bench = try SMSBench(seed: Self.seed())
        try bench.faults([
            "rules": [
                ["service": "twilio", "method": "POST", "path_regex": "Messages\\.json$", "mode": "reset", "times": 1]
            ]
        ])
        let c = try bench.addComment(ticket: 601, body: "Reset check")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 200 && r.outcome == "sent", "\(r.text)")
        #expect(bench.sentSMS.map { $0["body"].string } == ["Reset check"])
        let posts = bench.requests.filter { $0["service"].string == "twilio" && $0["method"].string == "POST" }
        #expect(posts.count == 2 && posts.first?["fault"].string == "reset", "\(posts.map { $0["fault"] })")
    }

    /// Loss 2 (Klaviyo): Klaviyo records every SMS a profile receives as "Received SMS": a lost
    /// answer is settled from those events; a reset before processing leaves no event, so the
    /// function ends with 75 keeping its claim, and the re-delivery after the lease sends it.
    @Test func klaviyoLostAnswersAreSettledFromTheProfilesEvents() throws {
        let bench = try SMSBench(
            seed: Self.seed([
                "klaviyo": [
                    "conversations": [
                        ["id": "CONV-PAT", "profile_id": "01PATPROFILE0000000000000A", "number": .string(B.brandB)]
                    ]
                ]
            ]),
            env: ["SMS_PROVIDER": "klaviyo"])
        try bench.faults([
            "rules": [
                [
                    "service": "klaviyo", "method": "POST", "path_regex": "conversation-messages",
                    "mode": "lose_response", "times": 1,
                ]
            ]
        ])
        let c1 = try bench.addComment(ticket: 601, body: "Lost answer through Klaviyo")
        let r1 = try bench.commentAdded(ticket: 601, comment: c1)
        #expect(r1.outcome == "sent", "\(r1.text)")
        #expect(bench.klaviyoMessages.count == 1)

        try bench.faults([
            "rules": [
                [
                    "service": "klaviyo", "method": "POST", "path_regex": "conversation-messages", "mode": "reset",
                    "times": 1,
                ]
            ]
        ])
        let c2 = try bench.addComment(ticket: 601, body: "Reset through Klaviyo")
        let r2 = try bench.commentAdded(ticket: 601, comment: c2)
        #expect(r2.status == 503 && r2.exit == "75", "not known yet: Zendesk re-delivers: \(r2.text)")
        #expect(bench.klaviyoMessages.count == 1)
        let claim = (bench.ticket(601)["tags"].array ?? []).compactMap(\.string).first {
            $0.hasPrefix("sms_reply_\(c2)_claim_")
        }
        #expect(claim != nil, "the claim stays")
        // The lease passes (the claim is re-dated as if a minute had gone by), then Zendesk re-delivers.
        if let claim, let parsed = ReplyClaim(tag: claim, commentID: c2) {
            let old = ReplyClaim(commentID: c2, time: parsed.time - 120, nonce: parsed.nonce)
            #expect(
                try bench.zendesk(
                    "PUT", "/api/v2/tickets/601.json",
                    ["ticket": ["additional_tags": [.string(old.tag)], "remove_tags": [.string(claim)]]]
                ).status == 200)
        }
        let again = try bench.commentAdded(ticket: 601, comment: c2)
        #expect(again.outcome == "sent", "\(again.text)")
        #expect(
            bench.klaviyoMessages.map { $0["body"].string } == ["Lost answer through Klaviyo", "Reset through Klaviyo"])
        #expect(try bench.commentAdded(ticket: 601, comment: c2).outcome == "duplicate")
        #expect(bench.klaviyoMessages.count == 2)
    }

    /// Loss 3: the SMS went out but the "Zendesk SMS Reply" event could not be recorded. The
    /// delivery ends with 75; the re-delivery finds the claim and the sent message, records the
    /// event and finishes — without texting again.
    @Test func theReplyEventIsCompletedByTheRedelivery() throws {
        let bench = try SMSBench(seed: Self.seed())
        try bench.faults([
            "rules": [
                [
                    "service": "klaviyo", "method": "POST", "path_regex": "^/api/events", "mode": "status",
                    "status": 503,
                    "retry_after": 0, "times": 0,
                ]
            ]
        ])
        let c = try bench.addComment(ticket: 601, body: "Event check")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 503 && r.exit == "75", "\(r.text)")
        #expect(bench.sentSMS.count == 1)
        #expect(!bench.klaviyoEvents.contains { $0["metric"].string == "Zendesk SMS Reply" })
        try bench.faults(["rules": []])
        let again = try bench.commentAdded(ticket: 601, comment: c)
        #expect(again.outcome == "duplicate", "\(again.text)")
        #expect(again.json["klaviyo_event"].string == "recorded")
        #expect(bench.sentSMS.count == 1)
        #expect(bench.klaviyoEvents.filter { $0["metric"].string == "Zendesk SMS Reply" }.count == 1)
        #expect((bench.ticket(601)["tags"].array ?? []).contains(.string("sms_reply_\(c)")))
    }

    /// A missing or unknown ticket is a skip (Zendesk's 404), never an internal error.
    @Test func anUnknownTicketIsSkipped() throws {
        let bench = try SMSBench(seed: Self.seed())
        let r = try bench.postZendesk(
            "/zendesk/comments",
            [
                "type": "zen:event-type:ticket.comment_added", "detail": ["id": "999999"],
                "event": ["comment": ["id": "1", "is_public": true]],
            ])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.reason == "ticket_not_found")
    }

    @Test func providerUnavailableEndsWith75AndTheRedeliverySends() throws {
        let bench = try SMSBench(seed: Self.seed())
        try bench.faults([
            "rules": [
                [
                    "service": "twilio", "method": "POST", "path_regex": "Messages\\.json$", "mode": "status",
                    "status": 503, "retry_after": 1, "times": 0,
                ]
            ]
        ])
        let c = try bench.addComment(ticket: 601, body: "We are on it.")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 503, "\(r.text)")
        #expect(r.exit == "75")
        #expect(r.headers["retry-after"] != nil)
        #expect(bench.sentSMS.isEmpty)
        #expect(
            bench.requests.filter { $0["service"].string == "twilio" && $0["method"].string == "POST" }.count >= 2,
            "retried first")
        #expect(
            !(bench.ticket(601)["tags"].array ?? []).contains { ($0.string ?? "").hasPrefix("sms_reply_\(c)") },
            "the claim was released")

        try bench.faults(["rules": []])
        let again = try bench.commentAdded(ticket: 601, comment: c)
        #expect(again.outcome == "sent", "\(again.text)")
        #expect(bench.sentSMS.count == 1)
    }

    @Test func zendeskUnavailableEndsWith75() throws {
        let bench = try SMSBench(seed: Self.seed())
        let c = try bench.addComment(ticket: 601, body: "Checking in")
        try bench.faults([
            "rules": [["service": "zendesk", "mode": "status", "status": 503, "retry_after": 1, "times": 0]]
        ])
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.status == 503, "\(r.text)")
        #expect(r.exit == "75")
        #expect(Int(r.headers["retry-after"] ?? "") ?? 0 >= 1)
        #expect(bench.requests.filter { $0["service"].string == "zendesk" }.count >= 2, "retried before giving up")
        #expect(bench.sentSMS.isEmpty)
    }

    @Test func klaviyoProviderRepliesInTheConversation() throws {
        let bench = try SMSBench(
            seed: Self.seed([
                "klaviyo": [
                    "conversations": [
                        ["id": "CONV-PAT", "profile_id": "01PATPROFILE0000000000000A", "number": .string(B.brandB)]
                    ]
                ]
            ]),
            env: ["SMS_PROVIDER": "klaviyo"])
        let c = try bench.addComment(ticket: 601, body: "Replying through Klaviyo")
        let r = try bench.commentAdded(ticket: 601, comment: c)
        #expect(r.outcome == "sent", "\(r.text)")
        #expect(r.json["provider"].string == "klaviyo")
        let sent = bench.klaviyoMessages
        #expect(sent.count == 1)
        #expect(sent.first?["conversation_id"].string == "CONV-PAT")
        #expect(sent.first?["body"].string == "Replying through Klaviyo")
        #expect(sent.first?["from_number"].string == B.brandB)
        #expect(bench.sentSMS.isEmpty, "nothing through Twilio")
        #expect(try bench.commentAdded(ticket: 601, comment: c).outcome == "duplicate")
        #expect(bench.klaviyoMessages.count == 1)
    }

    /// The sandbox's Zendesk delivers the signed event-subscription webhook itself.
    @Test func zendeskWebhookDeliveryEndToEnd() throws {
        let bench = try SMSBench(seed: Self.seed())
        let created = try bench.zendesk(
            "POST", "/api/v2/webhooks",
            [
                "webhook": [
                    "name": "SMS agent replies", "endpoint": .string(bench.invokerURL + "/zendesk/comments"),
                    "http_method": "POST",
                    "request_format": "json", "status": "active",
                    "subscriptions": ["zen:event-type:ticket.comment_added"],
                ]
            ])
        #expect(created.status == 201, "\(created.text)")
        let id = created.json.at("webhook.id").string ?? ""
        let secret =
            try bench.zendesk("GET", "/api/v2/webhooks/\(id)/signing_secret").json.at("signing_secret.secret").string
            ?? ""
        #expect(!secret.isEmpty)
        bench.configure(zendeskSecret: secret)

        // The customer texts (delivered, skipped as the requester's), then an agent answers.
        #expect(try bench.text("Hi, any update?", from: B.pat, to: B.brandB).outcome == "commented")
        _ = try bench.addComment(ticket: 601, body: "Yes: it arrives tomorrow.", author: 3002)
        #expect(bench.sandbox.waitForDeliveries(timeout: 20))
        let deliveries = bench.sandbox.deliveryLog()
        #expect(deliveries.count == 2, "\(deliveries)")
        #expect(
            deliveries.allSatisfy { $0["outcome"].string == "delivered" && $0["status"].int == 200 }, "\(deliveries)")
        #expect(deliveries.allSatisfy { $0["webhook_id"].string == id })
        #expect(bench.sentSMS.count == 1)
        #expect(bench.sentSMS.first?["body"].string == "Yes: it arrives tomorrow.")
        #expect(bench.sentSMS.first?["from"].string == B.brandB)
        #expect(bench.sentSMS.first?["to"].string == B.pat)

        // A webhook signed with another secret is refused.
        let c = bench.comments(601).last?["id"].int ?? -1
        let forged = try bench.postZendesk(
            "/zendesk/comments", try bench.zendeskEvent(ticket: 601, comment: c), secret: "not-the-secret")
        #expect(forged.status == 401)
        #expect(bench.sentSMS.count == 1)
    }
}

extension String {
    /// `n` as four digits with leading zeros.
    init(format4 n: Int) {
        let s = String(n)
        self = String(repeating: "0", count: Swift.max(0, 4 - s.count)) + s
    }
}

/// `--dry-run` reports what would be sent, through the same clients as a real run, and changes
/// nothing: no SMS, no tag, no Klaviyo event.
@Suite struct ReplyDryRunTests {
    typealias B = SMSBench

    @Test func aDryRunPlansTheSMSAndSendsNothing() throws {
        let bench = try SMSBench(seed: E2EReplyTests.seed())
        let comment = try bench.addComment(ticket: 601, body: "Your order ships today.")
        let event = try bench.zendeskEvent(ticket: 601, comment: comment)
        var env = bench.sandbox.functionEnvironment()
        env["SMS_PROVIDER"] = "twilio"
        let tagsBefore = bench.ticket(601)["tags"]
        let r = try Exec.run("agent-reply", ["--dry-run"], env: env, stdin: event.serialized())
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let out = r.json
        let plan = out["plan"].array ?? []
        let sends = plan.filter { $0["method"] == "POST" && ($0["url"].string?.hasSuffix("/Messages.json") ?? false) }
        #expect(sends.count == 1, "the SMS is in the plan: \(out)")
        #expect(
            sends.first?["body"].string?.contains("Your+order+ships+today.") == true
                || sends.first?["body"].string?.contains("Your%20order%20ships%20today.") == true, "\(sends)")
        #expect(out["outcome"] != "sent", "a dry run never says it sent: \(out)")
        #expect(out["dry_run"] == true)
        #expect(bench.sentSMS.isEmpty)
        #expect(bench.ticket(601)["tags"] == tagsBefore)
    }
}
