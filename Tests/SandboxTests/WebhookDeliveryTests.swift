import FoundationEssentials
import FunctionRuntime
import HTTPServer
import SandboxKit
import Testing

@Suite struct WebhookDeliveryTests {
    static let payload: JSON = [
        "type": "zen:event-type:ticket.status_changed", "account_id": "10001", "id": "evt-1",
        "subject": "zen:ticket:1", "detail": ["id": "1", "status": "SOLVED"],
        "event": ["current": "SOLVED", "previous": "OPEN"],
    ]

    func options() -> SandboxOptions {
        var o = SandboxOptions()
        o.webhookRetryDelay = 0.05
        o.webhookTimeout = 2
        return o
    }

    @Test func deliveryIsSignedAsZendeskSignsIt() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let sandbox = try startSandbox(options())
        defer { sandbox.stop() }
        sandbox.deliverWebhooks(
            type: "ticket.status_changed", payload: Self.payload,
            targets: [(id: "01WH", endpoint: receiver.url + "/zendesk/events", secret: "s3cret")])
        #expect(sandbox.waitForDeliveries(timeout: 10))
        let got = receiver.received
        #expect(got.count == 1)
        guard let r = got.first else { return }
        #expect(r.target == "/zendesk/events")
        #expect(r.header("x-zendesk-webhook-id") == "01WH")
        #expect(r.header("x-zendesk-account-id") == "10001")
        #expect(r.header("x-zendesk-webhook-invocation-id")?.isEmpty == false)
        #expect((try? JSON.parse(r.body)) == Self.payload)
        #expect(throws: Never.self) {
            try WebhookSignature.verifyZendesk(
                secret: "s3cret", signature: r.header("x-zendesk-webhook-signature"),
                timestamp: r.header("x-zendesk-webhook-signature-timestamp"), body: r.body)
        }
        #expect(throws: RuntimeError.self) {
            try WebhookSignature.verifyZendesk(
                secret: "other", signature: r.header("x-zendesk-webhook-signature"),
                timestamp: r.header("x-zendesk-webhook-signature-timestamp"), body: r.body)
        }
        let record = sandbox.state()["deliveries"][0]
        #expect(record["webhook_id"].string == "01WH")
        #expect(record["type"].string == "ticket.status_changed")
        #expect(record["status"].int == 200)
        #expect(record["attempts"].int == 1)
    }

    @Test func retriedOn503And409ButNotOn500() throws {
        let retrying = try Receiver(statuses: [(503, [("Retry-After", "0")]), (409, []), (200, [])])
        defer { retrying.stop() }
        let failing = try Receiver(statuses: [(500, [])])
        defer { failing.stop() }
        let sandbox = try startSandbox(options())
        defer { sandbox.stop() }
        sandbox.deliverWebhooks(
            type: "ticket.created", payload: Self.payload,
            targets: [
                (id: "A", endpoint: retrying.url + "/hook", secret: "a"),
                (id: "B", endpoint: failing.url + "/hook", secret: "b"),
            ])
        #expect(sandbox.waitForDeliveries(timeout: 10))
        #expect(retrying.received.count == 3)
        let invocations = Set(retrying.received.compactMap { $0.header("x-zendesk-webhook-invocation-id") })
        #expect(invocations.count == 1)
        #expect(failing.received.count == 1)
        let records = sandbox.deliveryLog()
        let a = records.first { $0["webhook_id"].string == "A" }
        let b = records.first { $0["webhook_id"].string == "B" }
        #expect(a?["attempts"].int == 3)
        #expect(a?["status"].int == 200)
        #expect(a?["outcome"].string == "delivered")
        #expect(b?["attempts"].int == 1)
        #expect(b?["status"].int == 500)
        #expect(b?["outcome"].string == "failed")
    }

    @Test func retriesStopAfterThree() throws {
        let busy = try Receiver(statuses: [(409, [])])
        defer { busy.stop() }
        let sandbox = try startSandbox(options())
        defer { sandbox.stop() }
        sandbox.deliverWebhooks(
            type: "ticket.created", payload: Self.payload, targets: [(id: "C", endpoint: busy.url, secret: "c")])
        #expect(sandbox.waitForDeliveries(timeout: 10))
        #expect(busy.received.count == 4)
        #expect(sandbox.deliveryLog().first?["outcome"].string == "failed")
    }

    @Test func deliveriesKeepTheirOrderPerWebhook() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let sandbox = try startSandbox(options())
        defer { sandbox.stop() }
        for i in 0..<5 {
            var p = Self.payload
            p["id"] = .string("evt-\(i)")
            sandbox.deliverWebhooks(
                type: "ticket.created", payload: p, targets: [(id: "W", endpoint: receiver.url, secret: "w")])
        }
        #expect(sandbox.waitForDeliveries(timeout: 10))
        let ids = receiver.received.compactMap { (try? JSON.parse($0.body))?["id"].string }
        #expect(ids == (0..<5).map { "evt-\($0)" })
    }
}

@Suite struct PhoneTests {
    @Test func aCustomerTextDeliversASignedTwilioWebhook() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let url = receiver.url + "/sms/inbound?brand=1"
        #expect(
            try c.ctl("POST", "/twilio/numbers", ["number": "+15559870000", "sms_url": .string(url)]).status == 200)
        let r = try c.ctl(
            "POST", "/phone/text",
            [
                "from": "+15551230000", "to": "+15559870000", "body": "Hello + olá",
                "media_urls": ["https://example.com/a.png"],
            ])
        #expect(r.status == 200)
        #expect(r.json["delivered"].bool == true)
        #expect(r.json["status"].int == 200)
        let got = receiver.received
        #expect(got.count == 1)
        guard let hook = got.first else { return }
        #expect(hook.target == "/sms/inbound?brand=1")
        #expect(hook.header("content-type") == "application/x-www-form-urlencoded")
        let params = FormDecoding.pairs(hook.body)
        let p = Dictionary(params, uniquingKeysWith: { _, b in b })
        #expect(p["From"] == "+15551230000")
        #expect(p["To"] == "+15559870000")
        #expect(p["Body"] == "Hello + olá")
        #expect(p["AccountSid"] == "AC_test")
        #expect(p["NumMedia"] == "1")
        #expect(p["MediaUrl0"] == "https://example.com/a.png")
        #expect(p["MediaContentType0"] == "image/png")
        #expect(p["MessageSid"]?.hasPrefix("SM") == true)
        #expect(p["MessageSid"] == r.json["message_sid"].string)
        #expect(throws: Never.self) {
            try WebhookSignature.verifyTwilio(
                authToken: "tw-token", signature: hook.header("x-twilio-signature"), url: url, params: params)
        }
        #expect(throws: RuntimeError.self) {
            try WebhookSignature.verifyTwilio(
                authToken: "tw-token", signature: hook.header("x-twilio-signature"), url: receiver.url + "/sms/inbound",
                params: params)
        }
        #expect(sandbox.state()["twilio"]["inbound"].array?.count == 1)
    }

    /// Twilio reads the answer to its webhook by media type: TwiML (its `<Message>` texts are sent
    /// back), `text/plain` (texted back as it is), anything else — JSON included — Debugger alert
    /// 12300; a non-2xx answer is alert 11200, a TwiML document without `<Response>` 12100.
    @Test(arguments: [
        (200, "text/xml", #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#, "twiml", 0, [String]()),
        (200, "application/xml", "<Response/>", "twiml", 0, []),
        (
            200, "text/xml", "<Response><Message><Body>Got it &amp; thanks</Body></Message></Response>", "twiml", 0,
            ["Got it & thanks"]
        ),
        (200, "text/plain", "We will call you back", "reply", 0, ["We will call you back"]),
        (200, "application/json", #"{"outcome":"created"}"#, "alert", 12300, []),
        (200, "text/xml", "<Reply>no</Reply>", "alert", 12100, []),
        (500, "application/json", #"{"error":{}}"#, "alert", 11200, []),
        (204, "", "", "none", 0, []),
    ])
    func twilioReadsTheAnswerByItsMediaType(
        status: Int, type: String, body: String, kind: String, alert: Int, replies: [String]
    ) throws {
        let endpoint = HTTPServer { _ in
            .respond(
                ServerResponse(
                    status: status, headers: type.isEmpty ? [] : [("Content-Type", type)], body: Array(body.utf8)))
        }
        try endpoint.start(host: "127.0.0.1", port: 0)
        defer { _ = endpoint.stop(deadline: 1) }
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed([
            "twilio": [
                "numbers": [["number": "+15559870000", "sms_url": .string("http://127.0.0.1:\(endpoint.port)/sms")]]
            ]
        ])
        let r = try Caller(sandbox).ctl(
            "POST", "/phone/text", ["from": "+15551230000", "to": "+15559870000", "body": "hi"])
        #expect(r.json.at("read_as.kind").string == kind, "\(r.text)")
        let twilio = sandbox.state()["twilio"]
        let alerts = twilio["alerts"].array ?? []
        if alert == 0 {
            #expect(alerts.isEmpty, "\(alerts)")
        } else {
            #expect(alerts.count == 1 && alerts.first?["error_code"] == .string(String(alert)), "\(alerts)")
            #expect(alerts.first?["resource_sid"] == r.json["message_sid"])
            #expect(alerts.first?["sid"].string?.hasPrefix("NO") == true)
        }
        let sent = (twilio["messages"].array ?? []).filter { $0["direction"] == "outbound-reply" }
        #expect(sent.compactMap { $0["body"].string } == replies)
        #expect(sent.allSatisfy { $0["from"] == "+15559870000" && $0["to"] == "+15551230000" })
    }

    @Test func stopKeywordOptsOutAndUnknownNumbersAreRefused() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed([
            "twilio": ["numbers": [["number": "+15559870000", "sms_url": .string(receiver.url + "/sms")]]]
        ])
        let c = Caller(sandbox)
        #expect(
            try c.ctl("POST", "/phone/text", ["from": "+15551230000", "to": "+15550000000", "body": "hi"]).status == 400
        )
        let stop = try c.ctl("POST", "/phone/text", ["from": "+15551230000", "to": "+15559870000", "body": " stop "])
        #expect(stop.json["delivered"].bool == true)
        let p = Dictionary(FormDecoding.pairs(receiver.received.last?.body ?? []), uniquingKeysWith: { _, b in b })
        #expect(p["OptOutType"] == "STOP")
        #expect(sandbox.state()["twilio"]["opted_out"] == ["+15551230000"])
        let send = try c.form(
            TwilioEmulatorTests.messages, [("To", "+15551230000"), ("From", "+15559870000"), ("Body", "x")],
            headers: [Caller.twilioAuth])
        #expect(send.json["code"].int == 21610)
    }

    @Test func aTextToAKlaviyoConversationNumberDeliversASignedKlaviyoWebhook() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        var seed = KlaviyoEmulatorTests.seed
        seed["klaviyo"]["webhooks"] = [
            [
                "id": "KW1", "name": "in", "endpoint_url": .string(receiver.url + "/klaviyo/webhooks"),
                "secret_key": "kl-secret", "topics": ["event:klaviyo.sent_sms"],
            ]
        ]
        try sandbox.seed(seed)
        let c = Caller(sandbox)
        let r = try c.ctl("POST", "/phone/text", ["from": "+15551230000", "to": "+15559870000", "body": "Need help"])
        #expect(r.status == 200)
        #expect(r.json["delivered"].bool == true)
        #expect(r.json["provider"].string == "klaviyo")
        guard let hook = receiver.received.first else { Issue.record("no webhook"); return }
        #expect(hook.header("klaviyo-webhook-id") == "KW1")
        #expect(throws: Never.self) {
            try WebhookSignature.verifyKlaviyo(
                secret: "kl-secret", signature: hook.header("klaviyo-signature"),
                timestamp: hook.header("klaviyo-timestamp"), body: hook.body)
        }
        let body = (try? JSON.parse(hook.body)) ?? .null
        let item = body["data"][0]
        // The customer's text is "Sent SMS" (Klaviyo names SMS metrics from the profile's side).
        #expect(item["topic"].string == "event:klaviyo.sent_sms")
        #expect(body["meta"]["klaviyo_webhook_id"].string == "KW1")
        #expect(item.at("payload.data.attributes.event_properties.Message Body").string == "Need help")
        #expect(item.at("payload.data.attributes.event_properties.From Number").string == "+15551230000")
        #expect(item.at("payload.data.relationships.profile.data.id").string == "P1")
        #expect(sandbox.state()["klaviyo"]["received_sms"].array?.count == 1)
        #expect(sandbox.state()["klaviyo"]["events"].array?.map { $0["metric"] } == ["Sent SMS"])
        #expect(sandbox.state()["klaviyo"]["conversation_messages"].array?.isEmpty == true)
    }
}
