import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// The Zendesk emulator and the sandbox's webhook delivery together, over real HTTP.
@Suite struct SandboxZendeskWebhookTests {
    static let agent = Caller.zendeskAgent

    @Test func aTicketCreatedThroughTheAPIReachesTheRegisteredWebhookSigned() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var options = SandboxOptions()
        options.webhookRetryDelay = 0.05
        let sandbox = try startSandbox(options)
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let (status, hookID, secret) = try c.zendeskWebhook(
            name: "bundle", endpoint: receiver.url + "/zendesk/events",
            subscriptions: ["zen:event-type:ticket.created"])
        #expect(status == 201)
        #expect(!secret.isEmpty)
        let ticket = try c.json(
            "POST", "/zendesk/api/v2/tickets.json",
            [
                "ticket": [
                    "subject": "Hi", "comment": ["body": "Help", "public": true],
                    "requester": ["name": "Ana", "email": "ana@example.com"],
                ]
            ], headers: [Self.agent])
        #expect(ticket.status == 201)
        let ticketID = ticket.json["ticket"]["id"].int ?? -1
        #expect(sandbox.waitForDeliveries(timeout: 10))
        #expect(eventually { receiver.received.count == 1 })
        guard let r = receiver.received.first else { return }
        let payload = (try? JSON.parse(r.body)) ?? .null
        #expect(payload["type"].string == "zen:event-type:ticket.created")
        #expect(payload["detail"]["id"].string == String(ticketID))
        #expect(r.header("x-zendesk-webhook-id") == hookID)
        #expect(r.header("x-zendesk-account-id") == payload["account_id"].string)
        #expect(throws: Never.self) {
            try WebhookSignature.verifyZendesk(
                secret: secret, signature: r.header("x-zendesk-webhook-signature"),
                timestamp: r.header("x-zendesk-webhook-signature-timestamp"), body: r.body)
        }
        let delivery = sandbox.deliveryLog().first
        #expect(delivery?["webhook_id"].string == hookID)
        #expect(delivery?["status"].int == 200)
        // The control API renders the same event from the state.
        let rendered = try c.ctl("GET", "/zendesk-event?type=ticket.created&ticket=\(ticketID)")
        #expect(rendered.status == 200)
        #expect(rendered.json["detail"]["id"].string == String(ticketID))
        #expect(try c.ctl("GET", "/zendesk-event?type=ticket.created&ticket=999").status == 404)
        #expect(try c.ctl("GET", "/zendesk-event?type=ticket.created").status == 400)
    }
}

@Suite struct SandboxAutomationTests {
    @Test func movingTheClockRunsAutomationsAndDeliversTheirWebhookCalls() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var options = SandboxOptions()
        options.webhookRetryDelay = 0.05
        let sandbox = try startSandbox(options)
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let agent = SandboxZendeskWebhookTests.agent
        let (_, hookID, secret) = try c.zendeskWebhook(
            name: "survey", endpoint: receiver.url + "/survey",
            subscriptions: ["conditional_ticket_events"])
        let automation: JSON = [
            "automation": [
                "title": "Survey",
                "conditions": [
                    "all": [
                        ["field": "status", "operator": "is", "value": "solved"],
                        ["field": "SOLVED", "operator": "greater_than", "value": "1"],
                        ["field": "current_tags", "operator": "not_includes", "value": "survey_sent"],
                    ]
                ],
                "actions": [
                    [
                        "field": "notification_webhook",
                        "value": [.string(hookID), "{\"ticket_id\":\"{{ticket.id}}\"}"],
                    ],
                    ["field": "current_tags", "value": "survey_sent"],
                ],
            ]
        ]
        #expect(try c.json("POST", "/zendesk/api/v2/automations.json", automation, headers: [agent]).status == 201)
        let ticket = try c.json(
            "POST", "/zendesk/api/v2/tickets.json",
            [
                "ticket": [
                    "comment": ["body": "x", "public": true], "status": "solved",
                    "requester": ["name": "Ana", "email": "ana@example.com"],
                ]
            ], headers: [agent])
        let id = ticket.json["ticket"]["id"].int ?? -1
        #expect(try c.ctl("POST", "/clock", ["advance_seconds": 600]).json["automation_webhooks"].int == 0)
        let moved = try c.ctl("POST", "/clock", ["advance_seconds": 7200])
        #expect(moved.json["automation_webhooks"].int == 1)
        #expect(sandbox.waitForDeliveries(timeout: 10))
        #expect(receiver.received.count == 1)
        guard let r = receiver.received.first else { return }
        #expect((try? JSON.parse(r.body))?["ticket_id"].string == String(id))
        #expect(throws: Never.self) {
            try WebhookSignature.verifyZendesk(
                secret: secret, signature: r.header("x-zendesk-webhook-signature"),
                timestamp: r.header("x-zendesk-webhook-signature-timestamp"), body: r.body)
        }
        #expect(sandbox.deliveryLog().first?["type"].string?.hasPrefix("automation:") == true)
        // Fires once.
        #expect(try c.ctl("POST", "/zendesk/run-automations").json["automation_webhooks"].int == 0)
    }
}
