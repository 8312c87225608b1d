import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// The Klaviyo side end to end: system-webhook batches signed with `Klaviyo-Signature` to
/// `/klaviyo/webhooks`, replies through Klaviyo's Conversations API, campaign/flow SMS as private
/// notes that are never relayed.
@Suite struct E2EKlaviyoTests {
    typealias B = SMSBench
    static let klaviyoNumber = "+15550001111"
    static let secret = "kl-webhook-secret"
    static let patProfile = "01PATPROFILE0000000000000A"

    /// POSTs a Klaviyo system-webhook batch signed with `secret`.
    func postBatch(
        _ bench: SMSBench, _ items: [JSON], secret: String = E2EKlaviyoTests.secret, bodyWebhookID: String = "WH1"
    ) throws -> SMSBench.Answer {
        try bench.postKlaviyoBatch(items, secret: secret, bodyWebhookID: bodyWebhookID)
    }

    /// A campaign SMS that reached Pat ("Received SMS", `event:klaviyo.received_sms`).
    func campaignItem(id: String, body: String, campaign: String) -> JSON {
        [
            "external_id": .string(id), "topic": "event:klaviyo.received_sms",
            "payload": [
                "data": [
                    "type": "event", "id": .string(id),
                    "attributes": [
                        "datetime": "2026-11-21T10:00:00+00:00",
                        "event_properties": [
                            "message_body": .string(body), "campaign_name": .string(campaign),
                            "to_number": .string(B.pat),
                        ],
                    ],
                    "relationships": ["profile": ["data": ["type": "profile", "id": .string(Self.patProfile)]]],
                ]
            ],
        ]
    }

    /// The customer texts the Klaviyo number of their conversation; Klaviyo's signed batch opens
    /// the ticket, and the agent's answer goes back through the same conversation.
    @Test func klaviyoConversationRoundTrip() throws {
        let bench = try SMSBench(
            seed: B.seed([
                "klaviyo": [
                    "conversations": [
                        [
                            "id": "CONV-PAT", "profile_id": .string(Self.patProfile),
                            "number": .string(Self.klaviyoNumber),
                        ]
                    ]
                ]
            ]))
        try bench.subscribeKlaviyoWebhook(secret: Self.secret)
        bench.configure(["SMS_PROVIDER": "klaviyo", "KLAVIYO_WEBHOOK_SECRET": Self.secret])

        let r = try bench.sandboxCall(
            "POST", "/_ctl/phone/text",
            json: [
                "from": .string(B.pat), "to": .string(Self.klaviyoNumber), "body": "Hi, texting your Klaviyo number",
            ])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["delivered"].bool == true, "\(r.text) \(bench.accessLines.value)")
        #expect(r.json["webhooks"][0]["status"].int == 200)
        let tickets = bench.tickets(customer: B.pat, brand: Self.klaviyoNumber)
        #expect(tickets.count == 1, "\(bench.tickets.map { $0["external_id"] })")
        let id = tickets.first?["id"].int ?? -1
        #expect(bench.comments(id).map { $0["body"].string } == ["Hi, texting your Klaviyo number"])
        #expect(bench.comments(id).first?["author_id"].int == B.patID)

        let c = try bench.addComment(ticket: id, body: "Thanks Pat, looking into it.")
        let reply = try bench.commentAdded(ticket: id, comment: c)
        #expect(reply.outcome == "sent", "\(reply.text)")
        #expect(reply.json["provider"].string == "klaviyo")
        #expect(bench.klaviyoMessages.count == 1)
        #expect(bench.klaviyoMessages.first?["conversation_id"].string == "CONV-PAT")
        #expect(bench.klaviyoMessages.first?["from_number"].string == Self.klaviyoNumber)
        #expect(bench.klaviyoMessages.first?["body"].string == "Thanks Pat, looking into it.")
        #expect(bench.sentSMS.isEmpty)

        // Klaviyo reports the reply back as "Received SMS" naming no campaign or flow: it is the
        // reply already on the ticket, never added again (no echo).
        #expect(bench.sandbox.waitForDeliveries(timeout: 10))
        #expect(bench.klaviyoEvents.filter { $0["metric"] == "Received SMS" }.count == 1)
        #expect(bench.comments(id).count == 2, "\(bench.comments(id).map { $0["body"] })")

        // A campaign that reaches Pat while the ticket is open becomes a private note naming it.
        let sent = try bench.sandboxCall(
            "POST", "/_ctl/klaviyo/sms",
            json: ["phone": .string(B.pat), "campaign": "Black Friday", "body": "40% off everything"])
        #expect(sent.status == 200, "\(sent.text)")
        #expect(sent.json["topic"].string == "event:klaviyo.received_sms")
        #expect(bench.sandbox.waitForDeliveries(timeout: 10))
        let note = bench.comments(id).last ?? .null
        #expect(bench.comments(id).count == 3)
        #expect(note["public"].bool == false)
        #expect((note["body"].string ?? "").contains("Campaign: Black Friday"), "\(note)")
    }

    /// A text in the documented Get-Event shape whose customer is named only by the profile
    /// relationship: the profile is read (phone and consent) and the ticket opens.
    func profileOnlyText(id: String, body: String, profile: String = E2EKlaviyoTests.patProfile) -> JSON {
        [
            "external_id": .string(id), "topic": "event:klaviyo.sent_sms",
            "payload": [
                "data": [
                    "type": "event", "id": .string(id),
                    "attributes": [
                        "datetime": "2026-11-21T10:00:00+00:00", "timestamp": 1_795_000_000,
                        "event_properties": ["Message Body": .string(body)],
                    ],
                    "relationships": [
                        "profile": ["data": ["type": "profile", "id": .string(profile)]],
                        "metric": ["data": ["type": "metric", "id": "SENTSMS"]],
                    ],
                ]
            ],
        ]
    }

    @Test func customerKnownOnlyByProfileOpensTheTicket() throws {
        let bench = try SMSBench(env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let r = try postBatch(bench, [profileOnlyText(id: "EV-PROFILE-ONLY", body: "Is my parcel lost?")])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["results"][0]["outcome"].string == "created", "\(r.text)")
        let ticket = bench.tickets.first ?? .null
        #expect(bench.tickets.count == 1)
        #expect(ticket["requester_id"].int == B.patID)
        #expect(bench.comments(ticket["id"].int ?? -1).map { $0["body"].string } == ["Is my parcel lost?"])
        // A non-consented profile named the same way opens nothing.
        let lee = try postBatch(
            bench, [profileOnlyText(id: "EV-LEE", body: "hello", profile: "01LEEPROFILE0000000000000A")])
        #expect(lee.json["results"][0]["reason"].string == "not_consented", "\(lee.text)")
        #expect(bench.tickets.count == 1)
    }

    @Test func campaignWithoutAnOpenTicketCreatesNothing() throws {
        let bench = try SMSBench(env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let r = try postBatch(bench, [campaignItem(id: "EV-C1", body: "Sale", campaign: "Spring")])
        #expect(r.status == 200)
        #expect(r.json["results"][0]["outcome"].string == "ignored")
        #expect(r.json["results"][0]["reason"].string == "no_open_ticket", "\(r.text)")
        #expect(bench.tickets.isEmpty)
    }

    /// One unreadable item gets its own error entry; the others are handled, once each, also when
    /// the batch is delivered again.
    @Test func aMixedBatchDoesEachThingOnce() throws {
        let bench = try SMSBench(env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let reply: JSON = [
            "external_id": "EV-REPLY", "topic": "event:klaviyo.received_sms",
            "payload": [
                "data": [
                    "type": "event", "id": "EV-REPLY",
                    "attributes": ["event_properties": ["Message Body": "Agent text"]],
                    "relationships": ["profile": ["data": ["type": "profile", "id": .string(Self.patProfile)]]],
                ]
            ],
        ]
        let broken: JSON = [
            "external_id": "EV-BROKEN", "topic": "event:klaviyo.sent_sms",
            "payload": ["data": ["type": "event", "id": "EV-BROKEN"]],
        ]
        let batch = [
            profileOnlyText(id: "EV-T1", body: "First text"), broken,
            campaignItem(id: "EV-C2", body: "Flash sale", campaign: "Flash"), reply,
        ]
        let first = try postBatch(bench, batch)
        #expect(first.status == 200, "\(first.text)")
        let outcomes = (first.json["results"].array ?? []).map { $0["outcome"].string ?? "?" }
        // The conversation reply is no agent's comment on the ticket: it was typed in Klaviyo's
        // inbox, so it is noted (a reply relayed from Zendesk is not: klaviyoConversationRoundTrip).
        #expect(outcomes == ["created", "error", "noted", "noted"], "\(first.text)")
        #expect(first.json["results"][1]["error"]["code"].string == "invalid_event")
        let id = bench.tickets.first?["id"].int ?? -1
        #expect(bench.comments(id).count == 3)
        let inbox = bench.comments(id).last ?? .null
        #expect(inbox["public"].bool == false)
        #expect(inbox["body"].string == "Sent to the customer from Klaviyo (not from Zendesk):\n\nAgent text")

        let again = try postBatch(bench, batch)
        #expect(again.status == 200)
        #expect(
            (again.json["results"].array ?? []).map { $0["outcome"].string ?? "?" } == [
                "duplicate", "error", "duplicate", "duplicate",
            ], "\(again.text)")
        #expect(bench.tickets.count == 1)
        #expect(bench.comments(id).count == 3)
    }

    /// A transient failure of one item answers 503 after the others were handled; the
    /// re-delivery completes it and recognises the rest.
    @Test func aTransientFailureAnswers503AndTheRedeliveryCompletes() throws {
        let bench = try SMSBench(
            seed: B.seed([
                "zendesk": [
                    "tickets": [
                        [
                            "id": 701, "status": "open", "requester_id": .int(B.patID),
                            "external_id": .string("sms:\(B.pat):\(B.brandA)"),
                            "tags": ["sms"],
                            "comments": [["author_id": .int(B.patID), "body": "Hello", "public": true]],
                        ]
                    ]
                ]
            ]),
            env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "POST", "path_regex": "^/api/v2/tickets\\.json", "times": 0,
                    "mode": "status", "status": 503, "retry_after": 0,
                ]
            ]
        ])
        let batch = [
            campaignItem(id: "EV-C3", body: "Weekend deal", campaign: "Weekend"),
            profileOnlyText(id: "EV-KIM", body: "Kim here", profile: "01KIMPROFILE0000000000000A"),
        ]
        let first = try postBatch(bench, batch)
        #expect(first.status == 503, "\(first.text)")
        #expect(first.json["results"][0]["outcome"].string == "noted", "\(first.text)")
        #expect(first.json["results"][1]["outcome"].string == "error")
        #expect(first.json["results"][1]["retry"].bool == true)
        try bench.faults(["rules": []])
        let again = try postBatch(bench, batch)
        #expect(again.status == 200, "\(again.text)")
        #expect(again.json["results"][0]["outcome"].string == "duplicate")
        #expect(again.json["results"][1]["outcome"].string == "created", "\(again.text)")
        #expect(bench.comments(701).count == 2)
    }

    @Test func aBodySignedForAnotherWebhookIsRefused() throws {
        let bench = try SMSBench(env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let r = try postBatch(bench, [profileOnlyText(id: "EV-X", body: "hi")], bodyWebhookID: "WH-OTHER")
        #expect(r.status == 401, "\(r.text)")
        #expect(bench.tickets.isEmpty)
    }

    @Test func campaignSMSBecomesAPrivateNoteThatIsNeverRelayed() throws {
        let bench = try SMSBench(
            seed: B.seed([
                "zendesk": [
                    "tickets": [
                        [
                            "id": 701, "status": "open", "requester_id": .int(B.patID),
                            "external_id": .string("sms:\(B.pat):\(B.brandA)"),
                            "tags": ["sms"],
                            "comments": [["author_id": .int(B.patID), "body": "Hello", "public": true]],
                        ]
                    ]
                ]
            ]),
            env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let other: JSON = [
            "external_id": "EVT-OTHER", "topic": "event:klaviyo.opened_email",
            "payload": ["data": ["type": "event", "id": "EVT-OTHER", "attributes": ["event_properties": [:]]]],
        ]
        let r = try postBatch(
            bench, [campaignItem(id: "EVT-CAMPAIGN-1", body: "20% off today only", campaign: "Spring Sale"), other])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.outcome == "batch", "\(r.text)")
        let results = r.json["results"].array ?? []
        #expect(results.count == 2)
        #expect(results.first?["outcome"].string == "noted", "\(r.text)")
        #expect(results.first?["ticket_id"].int == 701)
        #expect(results.last?["outcome"].string == "ignored")
        #expect(results.last?["reason"].string == "topic")

        let note = bench.comments(701).last ?? .null
        #expect(note["public"].bool == false)
        #expect((note["body"].string ?? "").contains("20% off today only"))
        #expect((note["body"].string ?? "").contains("Spring Sale"))
        #expect(bench.ticket(701)["status"].string == "open")

        // The note reaches agent-reply like any comment and is not texted back.
        let relay = try bench.commentAdded(ticket: 701, comment: note["id"].int ?? -1)
        #expect(relay.outcome == "skipped" && relay.reason == "private", "\(relay.text)")
        #expect(bench.sentSMS.isEmpty)

        // A re-delivered batch adds nothing.
        let again = try postBatch(
            bench, [campaignItem(id: "EVT-CAMPAIGN-1", body: "20% off today only", campaign: "Spring Sale")])
        #expect(again.json["results"][0]["outcome"].string == "duplicate", "\(again.text)")
        #expect(bench.comments(701).count == 2)

        // A batch with a wrong signature is refused.
        let forged = try postBatch(
            bench, [campaignItem(id: "EVT-CAMPAIGN-2", body: "x", campaign: "y")], secret: "wrong")
        #expect(forged.status == 401)
        #expect(bench.comments(701).count == 2)
    }
}
