import Testing
import FunctionRuntime
import SandboxKit
import DemoKit

/// The flow through what `setup --triggers` registered: trigger-driven webhooks and triggers, as
/// in an account without event subscriptions. The sandbox runs triggers after API changes.
@Suite struct TriggerModeTests {
    @Test func textReplyAndCloseThroughTriggers() throws {
        var options = DemoTestSupport.options()
        options.triggers = true
        let stack = try DemoStack.start(options)
        defer { stack.stop() }
        let hooks = stack.sandbox.state()["zendesk"]["webhooks"].array ?? []
        #expect(!hooks.isEmpty)
        for hook in hooks { #expect(hook["subscriptions"] == ["conditional_ticket_events"]) }

        // 1. The customer texts → ticket; the "created" trigger → Opened Ticket.
        let text = try stack.control(
            "POST", "/phone/text",
            [
                "from": .string(DemoAccount.customerPhone), "to": .string(DemoAccount.brandNumber),
                "body": "Where is my parcel?",
            ])
        #expect(text.json["delivered"] == true, "\(text.text)")
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        var facts = SandboxFacts(stack.sandbox.state())
        let ticketID = try #require(
            facts.smsTickets(customer: DemoAccount.customerPhone, brandNumber: DemoAccount.brandNumber).first?["id"].int
        )
        #expect(facts.klaviyoEvents("Opened Ticket", ticket: ticketID).count == 1)

        // 2. A public agent comment → the comment trigger → exactly one SMS from the brand number.
        let reply = try stack.zendesk(
            "PUT", "/api/v2/tickets/\(ticketID).json",
            [
                "ticket": [
                    "comment": [
                        "author_id": .int(DemoAccount.agentID), "body": "It arrives tomorrow.", "public": true,
                    ]
                ]
            ])
        #expect(reply.status == 200)
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        let sms = stack.sandbox.state()["twilio"]["messages"].array ?? []
        #expect(sms.count == 1)
        #expect(sms.first?["from"].string == DemoAccount.brandNumber)
        #expect(sms.first?["to"].string == DemoAccount.customerPhone)
        #expect(sms.first?["body"].string == "It arrives tomorrow.")

        // 3. Solved gives nothing; closed → the "closed" trigger → Resolved Ticket, once.
        _ = try stack.zendesk("PUT", "/api/v2/tickets/\(ticketID).json", ["ticket": ["status": "solved"]])
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        facts = SandboxFacts(stack.sandbox.state())
        #expect(facts.klaviyoEvents("Resolved Ticket", ticket: ticketID).isEmpty)
        _ = try stack.zendesk("PUT", "/api/v2/tickets/\(ticketID).json", ["ticket": ["status": "closed"]])
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        facts = SandboxFacts(stack.sandbox.state())
        #expect(facts.klaviyoEvents("Resolved Ticket", ticket: ticketID).count == 1)

        // Every delivery came from a trigger and was answered 200.
        let deliveries = stack.sandbox.deliveryLog()
        #expect(!deliveries.isEmpty)
        for d in deliveries {
            #expect(d["type"].string?.hasPrefix("trigger") == true, "\(d)")
            #expect(d["status"].int == 200, "\(d)")
        }
    }
}
