import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing
import TestSupport

/// Klaviyo Inbox parity end to end (seed 003): reply attribution, the customer-context note and the
/// auto-responder, through the invoker and the built `sms-inbound` against the sandbox — Klaviyo's
/// signed system webhooks for the Klaviyo provider, Twilio's signed webhook for the Twilio one.
@Suite struct E2EInboxTests: Sendable {
    typealias B = SMSBench
    static let patNumber = "+15550001111"
    static let kimNumber = "+15550002222"
    static let secret = "kl-webhook-secret"
    static let patProfile = "01PATPROFILE0000000000000A"
    static let kimProfile = "01KIMPROFILE0000000000000A"

    /// A bench on the Klaviyo provider: Pat and Kim have conversations on Klaviyo numbers, the
    /// sandbox's Klaviyo posts its SMS topics to the invoker, the context note is on.
    func klaviyoBench(seed extra: JSON = [:], env: [String: String] = [:]) throws -> SMSBench {
        let seed = B.seed([
            "klaviyo": [
                "conversations": [
                    ["id": "CONV-PAT", "profile_id": .string(Self.patProfile), "number": .string(Self.patNumber)],
                    ["id": "CONV-KIM", "profile_id": .string(Self.kimProfile), "number": .string(Self.kimNumber)],
                ]
            ]
        ])
        let bench = try SMSBench(seed: SMSBench.merging(seed, extra))
        try bench.subscribeKlaviyoWebhook(secret: Self.secret)
        var environment = ["SMS_PROVIDER": "klaviyo", "KLAVIYO_WEBHOOK_SECRET": Self.secret, "SMS_CONTEXT_NOTE": "1"]
        for (k, v) in env { environment[k] = v }
        bench.configure(environment)
        return bench
    }

    /// A campaign or flow SMS that reached `phone` `secondsAgo` ago; returns its event id.
    @discardableResult
    func marketingSMS(
        _ bench: SMSBench, phone: String, campaign: String? = nil, flow: String? = nil, secondsAgo: Double
    ) throws -> String {
        var spec: JSON = ["phone": .string(phone), "body": "Our news", "seconds_ago": .double(secondsAgo)]
        if let campaign { spec["campaign"] = .string(campaign) }
        if let flow { spec["flow"] = .string(flow) }
        let r = try bench.sandboxCall("POST", "/_ctl/klaviyo/sms", json: spec)
        #expect(r.status == 200, "\(r.text)")
        #expect(bench.sandbox.waitForDeliveries(timeout: 10))
        let id = r.json["event_id"].string ?? ""
        #expect(!id.isEmpty, "\(r.text)")
        return id
    }

    /// The customer texts their Klaviyo number; the sandbox's Klaviyo delivers the webhook.
    func klaviyoText(_ bench: SMSBench, from: String, to: String, _ body: String) throws {
        let r = try bench.sandboxCall(
            "POST", "/_ctl/phone/text", json: ["from": .string(from), "to": .string(to), "body": .string(body)])
        #expect(r.status == 200 && r.json["delivered"].bool == true, "\(r.text) \(bench.accessLines.value.suffix(3))")
    }

    func notes(_ bench: SMSBench, _ id: Int64) -> [String] {
        bench.comments(id).filter { $0["public"].bool == false }.compactMap { $0["body"].string }
    }

    func publicTexts(_ bench: SMSBench, _ id: Int64) -> [String] {
        bench.comments(id).filter { $0["public"].bool == true }.compactMap { $0["body"].string }
    }

    // MARK: - Reply attribution

    /// 23 h 59 after a campaign the first text is attributed (tag + note), the second of the burst
    /// is not; 24 h 01 after one, nothing is.
    @Test func attributionWindowAndBurst() throws {
        let bench = try klaviyoBench()
        try marketingSMS(bench, phone: B.pat, campaign: "Black Friday", secondsAgo: 23 * 3600 + 59 * 60)
        try marketingSMS(bench, phone: B.kim, campaign: "Black Friday", secondsAgo: 24 * 3600 + 60)

        try klaviyoText(bench, from: B.pat, to: Self.patNumber, "Is the 40% on shoes too?")
        try klaviyoText(bench, from: B.pat, to: Self.patNumber, "and on bags?")
        let pat = bench.tickets(customer: B.pat, brand: Self.patNumber)
        #expect(pat.count == 1, "\(bench.tickets.map { $0["external_id"] })")
        let patID = pat.first?["id"].int ?? -1
        #expect(publicTexts(bench, patID) == ["Is the 40% on shoes too?", "and on bags?"])
        let patNotes = notes(bench, patID).filter { $0.hasPrefix("Reply to ") }
        #expect(patNotes.count == 1, "\(notes(bench, patID))")
        #expect(patNotes.first?.hasPrefix("Reply to Campaign: Black Friday (sent ") == true)
        #expect(patNotes.first?.hasSuffix(", 23 h 59 min before)") == true, "\(patNotes)")
        #expect(bench.ticket(patID)["tags"].array?.contains("sms_attributed") == true)

        try klaviyoText(bench, from: B.kim, to: Self.kimNumber, "What sale?")
        let kimID = bench.tickets(customer: B.kim, brand: Self.kimNumber).first?["id"].int ?? -1
        #expect(publicTexts(bench, kimID) == ["What sale?"])
        #expect(notes(bench, kimID).filter { $0.hasPrefix("Reply to ") }.isEmpty, "\(notes(bench, kimID))")
        #expect(bench.ticket(kimID)["tags"].array?.contains("sms_attributed") == false)
    }

    /// A flow after a campaign: the text answers the flow.
    @Test func campaignThenFlowAttributesToTheFlow() throws {
        let bench = try klaviyoBench()
        try marketingSMS(bench, phone: B.pat, campaign: "Black Friday", secondsAgo: 7200)
        try marketingSMS(bench, phone: B.pat, flow: "Abandoned Cart", secondsAgo: 600)
        try klaviyoText(bench, from: B.pat, to: Self.patNumber, "I forgot my cart!")
        let id = bench.tickets(customer: B.pat, brand: Self.patNumber).first?["id"].int ?? -1
        let attribution = notes(bench, id).filter { $0.hasPrefix("Reply to ") }
        #expect(attribution.count == 1 && attribution.first?.hasPrefix("Reply to Flow: Abandoned Cart (sent ") == true)
        #expect(attribution.first?.hasSuffix(", 10 min before)") == true, "\(attribution)")
    }

    /// The signed batch of a text (Klaviyo's Get-Event shape, naming the profile), posted directly
    /// so the test reads the function's result.
    func textItem(
        id: String, body: String, profile: String = E2EInboxTests.patProfile, attribution: JSON? = nil
    )
        -> JSON
    {
        var payload: JSON = [
            "data": [
                "type": "event", "id": .string(id),
                "attributes": [
                    "datetime": .string(Clock.iso8601(Date())), "event_properties": ["Message Body": .string(body)],
                ],
                "relationships": ["profile": ["data": ["type": "profile", "id": .string(profile)]]],
            ]
        ]
        if let attribution { payload["included"] = [attribution] }
        return ["external_id": .string(id), "topic": "event:klaviyo.sent_sms", "payload": payload]
    }

    func postBatch(_ bench: SMSBench, _ items: [JSON]) throws -> SMSBench.Answer {
        try bench.postKlaviyoBatch(items, secret: Self.secret)
    }

    /// No campaign at all, and Klaviyo's events unreadable: the text lands unattributed and the
    /// result says why.
    @Test func noCampaignAndKlaviyoUnavailable() throws {
        let bench = try klaviyoBench()
        let none = try postBatch(bench, [textItem(id: "EVNONE", body: "Hello")])
        #expect(none.status == 200, "\(none.text)")
        let first = none.json["results"][0]
        #expect(first["outcome"] == "created" && first["attribution"]["reason"] == "no_message", "\(none.text)")
        #expect(first["attributed_to"].isNull)

        try marketingSMS(bench, phone: B.kim, campaign: "Black Friday", secondsAgo: 60)
        try bench.faults([
            [
                "service": "klaviyo", "method": "GET", "path_regex": "^/api/(events|metrics)", "times": 0,
                "mode": "status", "status": 503,
            ]
        ])
        let down = try postBatch(bench, [textItem(id: "EVDOWN", body: "Is it on?", profile: Self.kimProfile)])
        try bench.faults([])
        #expect(down.status == 200, "\(down.text)")
        let r = down.json["results"][0]
        #expect(r["outcome"] == "created", "\(down.text)")
        #expect(r["attribution"]["reason"] == "klaviyo_unavailable", "\(down.text)")
        let id = r["ticket_id"].int ?? -1
        #expect(publicTexts(bench, id) == ["Is it on?"])
        #expect(notes(bench, id).filter { $0.hasPrefix("Reply to ") }.isEmpty)
    }

    /// When the item carries Klaviyo's own attribution it wins over the bundle's rule (which would
    /// pick the later campaign).
    @Test func klaviyosOwnAttributionIsPreferred() throws {
        let bench = try klaviyoBench()
        let winback = try marketingSMS(bench, phone: B.pat, flow: "Winback", secondsAgo: 1800)
        try marketingSMS(bench, phone: B.pat, campaign: "Black Friday", secondsAgo: 300)
        let attribution: JSON = [
            "type": "attribution", "id": "925e385b52fb405715f3616c337cc65c",
            "relationships": [
                "attributed-event": ["data": ["type": "event", "id": .string(winback)]],
                "flow": ["data": ["type": "flow", "id": "FLW1"]],
            ],
        ]
        let answer = try postBatch(bench, [textItem(id: "EVATTR", body: "Back!", attribution: attribution)])
        let r = answer.json["results"][0]
        #expect(r["attributed_to"]["name"] == "Winback" && r["attributed_to"]["by"] == "klaviyo", "\(answer.text)")
        #expect(r["attributed_to"]["minutes_before"] == 30)
        let id = r["ticket_id"].int ?? -1
        let attributionNotes = notes(bench, id).filter { $0.hasPrefix("Reply to ") }
        #expect(attributionNotes == [attributionNotes.first ?? "?"])
        #expect(attributionNotes.first?.hasPrefix("Reply to Flow: Winback (sent ") == true)
        #expect(
            attributionNotes.first?.hasSuffix("30 min before; attributed by Klaviyo)") == true, "\(attributionNotes)")
    }

    /// One attribution note and one tag whatever the deliveries do: a re-delivery and two
    /// concurrent deliveries of the same text add nothing.
    @Test func attributionOnceAcrossRetriesAndRaces() throws {
        let bench = try klaviyoBench(env: ["SMS_CONTEXT_NOTE": "0"])
        try marketingSMS(bench, phone: B.pat, campaign: "Black Friday", secondsAgo: 180)
        let item = textItem(id: "EVRACE", body: "Do you ship to Canada?")
        let answers = simultaneously([
            { @Sendable in try? postBatch(bench, [item]) }, { @Sendable in try? postBatch(bench, [item]) },
        ])
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers.map { $0?.text ?? "-" })")
        let again = try postBatch(bench, [item])
        let r = again.json["results"][0]
        #expect(r["outcome"] == "duplicate" && r["notes"]["attribution"] == "exists", "\(again.text)")
        #expect(r["attributed_to"]["name"] == "Black Friday" && r["attributed_to"]["minutes_before"] == 3)
        let id = r["ticket_id"].int ?? -1
        #expect(publicTexts(bench, id) == ["Do you ship to Canada?"])
        #expect(notes(bench, id).count == 1, "\(notes(bench, id))")
        #expect(notes(bench, id).first?.hasSuffix(", 3 min before)") == true)
        #expect(bench.ticket(id)["tags"].array?.filter { $0 == "sms_attributed" }.count == 1)
    }

    /// Texts through Twilio (Klaviyo has no "Sent SMS" for them): the ticket's own record orders
    /// the burst, so only the first is attributed to the campaign Klaviyo sent.
    @Test func twilioTextsAreAttributedFromTheTicket() throws {
        let bench = try SMSBench()
        bench.configure(["SMS_CONTEXT_NOTE": "0"])
        try marketingSMS(bench, phone: B.pat, campaign: "Black Friday", secondsAgo: 120)
        let first = try bench.text("Is it still on?", from: B.pat)
        #expect(first.outcome == "created" && first.json["attributed_to"]["name"] == "Black Friday", "\(first.text)")
        let second = try bench.text("Hello??", from: B.pat)
        #expect(second.outcome == "commented", "\(second.text)")
        #expect(second.json["attribution"]["reason"] == "not_first_text", "\(second.text)")
        let id = first.json["ticket_id"].int ?? -1
        #expect(
            notes(bench, id).count == 1 && notes(bench, id).first?.hasPrefix("Reply to Campaign: Black Friday") == true)
    }

    // MARK: - Customer context

    /// A new ticket gets one context note with what the Inbox shows; a re-delivery and two
    /// concurrent deliveries add nothing.
    @Test func contextNoteOnceAcrossRetriesAndRaces() throws {
        let bench = try klaviyoBench(seed: [
            "zendesk": [
                "tickets": [
                    ["id": 41, "status": "closed", "requester_id": .int(B.patID), "subject": "Old order"],
                    ["id": 42, "status": "solved", "requester_id": .int(B.patID), "subject": "Refund"],
                ]
            ]
        ])
        // Predictive analytics and activity for Pat.
        let seeded = try bench.sandboxCall(
            "POST", "/_ctl/seed",
            json: [
                "klaviyo": [
                    "profiles": [
                        [
                            "id": "01QPROFILE00000000000000AA", "phone_number": "+15551234444", "first_name": "Quinn",
                            "email": "quinn@example.com",
                            "subscriptions": ["sms": ["marketing": ["consent": "SUBSCRIBED"]]],
                            "predictive_analytics": [
                                "historic_clv": 93.87, "predicted_clv": 27.24, "churn_probability": 0.12,
                                "expected_date_of_next_order": "2026-12-20T00:00:00+00:00",
                                "historic_number_of_orders": 2, "average_order_value": 46.94,
                            ],
                        ]
                    ]
                ]
            ])
        #expect(seeded.status == 200, "\(seeded.text)")
        let history = try bench.sandboxCall(
            "POST", "/_ctl/seed",
            json: [
                "klaviyo": [
                    "events": [
                        [
                            "profile_id": .string(Self.patProfile), "metric": "Viewed Product",
                            "time": .string(Clock.iso8601(Date().addingTimeInterval(-3 * 86400))),
                        ],
                        [
                            "profile_id": .string(Self.patProfile), "metric": "Placed Order",
                            "time": .string(Clock.iso8601(Date().addingTimeInterval(-2 * 86400))),
                        ],
                    ]
                ]
            ])
        #expect(history.status == 200, "\(history.text)")

        let item = textItem(id: "EVCTX", body: "Where is my order?")
        let first = try postBatch(bench, [item])
        #expect(first.json["results"][0]["outcome"] == "created", "\(first.text)")
        #expect(first.json["results"][0]["notes"]["context"] == "added", "\(first.text)")
        let again = try postBatch(bench, [item])
        #expect(again.json["results"][0]["outcome"] == "duplicate", "\(again.text)")
        #expect(again.json["results"][0]["notes"]["context"] == "exists", "\(again.text)")
        let id = first.json["results"][0]["ticket_id"].int ?? -1
        let context = notes(bench, id).filter { $0.hasPrefix("Customer context from Klaviyo") }
        #expect(context.count == 1, "\(notes(bench, id))")
        let note = context.first ?? ""
        #expect(note.contains("Name: Pat Doe\nEmail: pat@example.com\n"), "\(note)")
        #expect(note.contains("SMS consent: marketing subscribed, transactional never subscribed"))
        #expect(note.contains("Predictive analytics: not available"))
        #expect(note.contains("Earlier Zendesk tickets: 2"), "\(note)")
        #expect(note.contains("Placed Order ("), "\(note)")
        #expect(note.contains("Viewed Product ("), "\(note)")

        // Quinn qualifies for predictive analytics; two identical deliveries race.
        let quinn = textItem(id: "EVQ", body: "Hi there", profile: "01QPROFILE00000000000000AA")
        let answers = simultaneously([
            { @Sendable in try? postBatch(bench, [quinn]) }, { @Sendable in try? postBatch(bench, [quinn]) },
        ])
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers.map { $0?.text ?? "-" })")
        let qTickets = bench.tickets.filter { $0["external_id"].string == "sms:+15551234444:klaviyo" }
        #expect(qTickets.count == 1, "\(qTickets.map { $0["id"] })")
        let qID = qTickets.first?["id"].int ?? -1
        #expect(publicTexts(bench, qID) == ["Hi there"])
        let qNotes = notes(bench, qID).filter { $0.hasPrefix("Customer context from Klaviyo") }
        #expect(qNotes.count == 1, "\(notes(bench, qID))")
        #expect(
            qNotes.first?.contains(
                "Predictive analytics: historic CLV 93.87, predicted CLV 27.24, churn probability 12 %, expected next order 2026-12-20, orders 2, average order 46.94"
            ) == true, "\(qNotes)")
        #expect(qNotes.first?.contains("Earlier Zendesk tickets: 0") == true)
    }

    /// `SMS_CONTEXT_NOTE=0` turns the note off; without a Klaviyo key it is skipped, saying why.
    @Test func contextNoteOffOrWithoutKlaviyo() throws {
        let bench = try klaviyoBench(env: ["SMS_CONTEXT_NOTE": "0"])
        let off = try postBatch(bench, [textItem(id: "EVOFF", body: "Hello")])
        #expect(off.json["results"][0]["outcome"] == "created", "\(off.text)")
        #expect(off.json["results"][0]["notes"]["context"] == "skipped: SMS_CONTEXT_NOTE=0", "\(off.text)")
        #expect(notes(bench, off.json["results"][0]["ticket_id"].int ?? -1).isEmpty)

        let twilioOnly = try SMSBench()
        twilioOnly.configure(["KLAVIYO_API_KEY": "", "SMS_CONTEXT_NOTE": "1"])
        let r = try twilioOnly.text("Hello from Twilio", from: B.pat)
        #expect(r.outcome == "created", "\(r.text)")
        #expect(r.json["notes"]["context"].string?.hasPrefix("skipped: Klaviyo is not configured") == true, "\(r.text)")
        #expect(r.json["attribution"]["reason"] == "klaviyo_not_configured")
        #expect(notes(twilioOnly, r.json["ticket_id"].int ?? -1).isEmpty)
    }

    // MARK: - Auto-responder

    static let autoText =
        "{{organization}}: we cannot reply because you have not agreed to receive SMS. Write to {{email}}."
    static let rendered = "Acme: we cannot reply because you have not agreed to receive SMS. Write to help@acme.test."

    func autoResponderBench() throws -> SMSBench {
        let bench = try SMSBench()
        bench.configure([
            "SMS_AUTORESPONDER_TEXT": Self.autoText, "SMS_ORGANIZATION": "Acme", "SMS_SUPPORT_EMAIL": "help@acme.test",
        ])
        return bench
    }

    func autoReplies(_ bench: SMSBench, to phone: String) -> [JSON] {
        bench.sentSMS.filter { $0["to"].string == phone && $0["body"].string == Self.rendered }
    }

    /// A non-consented sender gets the text once per brand number and 24 h — not again for a
    /// second text, nor for a re-delivery — and never for a keyword.
    @Test func autoResponderOncePerSenderAndNumber() throws {
        let bench = try autoResponderBench()
        let sid = B.messageSID()
        let first = try bench.text("hello?", from: B.lee, sid: sid)
        #expect(first.outcome == "ignored" && first.reason == "not_consented", "\(first.text)")
        #expect(first.json["autoresponder"]["sent"] == true, "\(first.text)")
        let replies = autoReplies(bench, to: B.lee)
        #expect(replies.count == 1 && replies.first?["from"].string == B.brandA, "\(bench.sentSMS)")

        let redelivered = try bench.text("hello?", from: B.lee, sid: sid)
        #expect(redelivered.json["autoresponder"]["sent"] == true, "\(redelivered.text)")
        #expect(redelivered.json["autoresponder"]["duplicate"] == true, "\(redelivered.text)")
        let second = try bench.text("anyone?", from: B.lee)
        #expect(second.json["autoresponder"]["reason"] == "already_sent", "\(second.text)")
        #expect(autoReplies(bench, to: B.lee).count == 1)

        // The other brand number is its own conversation; a keyword never gets an answer.
        let other = try bench.text("hi", from: B.lee, to: B.brandB)
        #expect(other.json["autoresponder"]["sent"] == true, "\(other.text)")
        let keyword = try bench.text("JOIN", from: B.stranger)
        #expect(keyword.reason == "keyword" && keyword.json["autoresponder"].isNull, "\(keyword.text)")
        #expect(autoReplies(bench, to: B.stranger).isEmpty)
        // The claims are on Lee's Klaviyo timeline.
        #expect(bench.klaviyoEvents.filter { $0["metric"] == "Zendesk SMS Auto-Reply" }.count == 2)
    }

    /// Two deliveries of the same text at the same moment: one answer.
    @Test func twoDeliveriesOfOneTextGetOneAnswer() throws {
        let bench = try autoResponderBench()
        let sid = B.messageSID()
        let answers = simultaneously([
            { @Sendable in try? bench.text("hello?", from: B.lee, sid: sid) },
            { @Sendable in try? bench.text("hello?", from: B.lee, sid: sid) },
        ])
        #expect(answers.allSatisfy { $0?.reason == "not_consented" }, "\(answers.map { $0?.text ?? "-" })")
        #expect(autoReplies(bench, to: B.lee).count == 1, "\(answers.map { $0?.text ?? "-" })")
    }

    /// Two texts of a stranger (no Klaviyo profile yet) at the same moment: one answer.
    @Test func concurrentTextsGetOneAnswer() throws {
        let bench = try autoResponderBench()
        let answers = simultaneously([
            { @Sendable in try? bench.text("first", from: B.stranger) },
            { @Sendable in try? bench.text("second", from: B.stranger) },
            { @Sendable in try? bench.text("third", from: B.stranger) },
        ])
        #expect(answers.allSatisfy { $0?.reason == "not_consented" }, "\(answers.map { $0?.text ?? "-" })")
        #expect(autoReplies(bench, to: B.stranger).count == 1, "\(answers.map { $0?.text ?? "-" })")
        #expect(answers.filter { $0?.json["autoresponder"]["sent"] == true }.count == 1)
    }

    /// A number Twilio has opted out is never answered; the Klaviyo provider leaves it to Klaviyo.
    @Test func optedOutAndKlaviyoProvider() throws {
        let bench = try autoResponderBench()
        // Lee texts from the sandbox's phone: Twilio records the STOP in its opt-out list.
        try bench.routeTwilioNumber(B.brandA)
        let stop = try bench.sandboxCall(
            "POST", "/_ctl/phone/text", json: ["from": .string(B.lee), "to": .string(B.brandA), "body": "STOP"])
        #expect(stop.status == 200, "\(stop.text)")
        #expect(stop.json.at("response_headers.x-function-outcome") == "ignored", "\(stop.text)")
        #expect(autoReplies(bench, to: B.lee).isEmpty)
        // The next text, its JSON result asked for, says why nobody answered.
        let after = try bench.text("why no answer", from: B.lee).json
        #expect(after["reason"] == "not_consented", "\(after)")
        #expect(after["autoresponder"]["sent"] == false, "\(after)")
        #expect(after["autoresponder"]["reason"] == "opted_out", "\(after)")
        #expect(autoReplies(bench, to: B.lee).isEmpty)

        let klaviyo = try klaviyoBench(env: [
            "SMS_AUTORESPONDER_TEXT": "Please subscribe", "SMS_ORGANIZATION": "Acme",
        ])
        let leeProfile = "01LEEPROFILE0000000000000A"
        let r = try postBatch(klaviyo, [textItem(id: "EVLEE", body: "hi", profile: leeProfile)])
        #expect(r.json["results"][0]["reason"] == "not_consented", "\(r.text)")
        #expect(r.json["results"][0]["autoresponder"]["reason"] == "klaviyo_provider", "\(r.text)")
        #expect(klaviyo.sentSMS.isEmpty)
    }
}

@Suite struct InboxDryRunTests {
    typealias B = SMSBench

    /// A dry run plans the claim and the auto-reply and sends nothing; it never says it sent.
    @Test func aDryRunPlansTheAutoReply() throws {
        let bench = try SMSBench()
        var env = bench.sandbox.functionEnvironment()
        env["SMS_PROVIDER"] = "twilio"
        env["SMS_AUTORESPONDER_TEXT"] = "Please subscribe first"
        let event: JSON = ["message_id": "SMDRY", "from": .string(B.lee), "to": .string(B.brandA), "body": "hello"]
        let started = Date()
        let r = try Exec.run("sms-inbound", ["--dry-run"], env: env, stdin: event.serialized())
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 2.5, "no read-back wait in a dry run")
        let plan = r.json["plan"].array ?? []
        #expect(plan.contains { $0["url"].string?.hasSuffix("/api/events") == true }, "\(r.json)")
        #expect(plan.contains { $0["url"].string?.hasSuffix("/Messages.json") == true }, "\(r.json)")
        #expect(r.json["autoresponder"]["sent"] == false && r.json["autoresponder"]["planned"] == true, "\(r.json)")
        #expect(bench.sentSMS.isEmpty)
        #expect(bench.klaviyoEvents.filter { $0["metric"] == "Zendesk SMS Auto-Reply" }.isEmpty)
    }
}
