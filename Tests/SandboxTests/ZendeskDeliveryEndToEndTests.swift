import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// The Zendesk emulator and the sandbox's webhook delivery together, over real HTTP.
@Suite struct SandboxZendeskWebhookTests {
    static let agent = Caller.basic("agent@example.com/token", "zd-token")

    @Test func aTicketCreatedThroughTheAPIReachesTheRegisteredWebhookSigned() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var options = SandboxOptions()
        options.webhookRetryDelay = 0.05
        let sandbox = try startSandbox(options)
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let hook = try c.json("POST", "/zendesk/api/v2/webhooks",
                              ["webhook": ["name": "bundle", "endpoint": .string(receiver.url + "/zendesk/events"), "http_method": "POST",
                                           "request_format": "json", "status": "active",
                                           "subscriptions": ["zen:event-type:ticket.created"]]], headers: [Self.agent])
        #expect(hook.status == 201)
        let hookID = hook.json["webhook"]["id"].string ?? ""
        let secret = try c.send("GET", "/zendesk/api/v2/webhooks/\(hookID)/signing_secret", headers: [Self.agent]).json["signing_secret"]["secret"].string ?? ""
        #expect(!secret.isEmpty)
        let ticket = try c.json("POST", "/zendesk/api/v2/tickets.json",
                                ["ticket": ["subject": "Hi", "comment": ["body": "Help", "public": true],
                                            "requester": ["name": "Ana", "email": "ana@example.com"]]], headers: [Self.agent])
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
            try WebhookSignature.verifyZendesk(secret: secret, signature: r.header("x-zendesk-webhook-signature"),
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
