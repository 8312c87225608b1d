import Testing
import FunctionRuntime
import SandboxKit
import DemoKit

/// The demo conversation, in process: the stack (sandbox + invoker + setup + seed) on free
/// ports, the script through the invoker, then the sandbox's state checked independently.
@Suite struct DemoScriptTests {
    @Test func conversationRunsEndToEnd() throws {
        let stack = try DemoStack.start(DemoTestSupport.options())
        defer { stack.stop() }
        let transcript = Locked<[String]>([])
        let result = try DemoScript(stack: stack, write: { transcript.append($0) }).run()
        #expect(result.steps.count == 4)

        let facts = SandboxFacts(stack.sandbox.state())
        // Customer texts → one SMS ticket, its first comment by the requester (the customer).
        let tickets = facts.smsTickets(customer: DemoAccount.customerPhone, brandNumber: DemoAccount.brandNumber)
        #expect(tickets.count == 1)
        let ticket = try #require(facts.ticket(result.ticketID))
        #expect(ticket["requester_id"].int == DemoAccount.customerID)
        let first = try #require(facts.comments(result.ticketID).first)
        #expect(first["author_id"].int == DemoAccount.customerID)
        #expect(first["body"].string?.contains("order #1001") == true)
        // Agent replies → exactly one SMS, from the number the customer texted, to the customer.
        #expect(facts.sentSMS.count == 1)
        #expect(facts.sentSMS.first?["from"].string == DemoAccount.brandNumber)
        #expect(facts.sentSMS.first?["to"].string == DemoAccount.customerPhone)
        // Solved → one 2listen survey to the requester, the ticket tagged.
        #expect(facts.surveys.count == 1)
        #expect(facts.surveys.first?["body"]["email"].string == DemoAccount.customerEmail)
        #expect(facts.tags(result.ticketID).contains("pesquisa2listen_disparada"))
        // Closed → "Resolved Ticket"; created → "Opened Ticket"; each once.
        #expect(ticket["status"].string == "closed")
        #expect(facts.klaviyoEvents("Opened Ticket", ticket: result.ticketID).count == 1)
        #expect(facts.klaviyoEvents("Resolved Ticket", ticket: result.ticketID).count == 1)
        // Every function call was a signed webhook the invoker accepted.
        #expect(!facts.deliveries.isEmpty)
        #expect(
            facts.deliveries.allSatisfy { $0["outcome"].string == "delivered" && $0["status"].int == 200 },
            "\(facts.deliveries)")
        let paths = Set(facts.deliveries.compactMap { $0["endpoint"].string.map(HTTPClient.pathOf) })
        #expect(paths == ["/zendesk/tickets", "/zendesk/comments", "/survey/dispatch"])
        // The transcript tells each step.
        let text = transcript.value.joined(separator: "\n")
        for needle in ["Opened Ticket", "one SMS", "2listen survey", "Resolved Ticket", "Demo passed"] {
            #expect(text.contains(needle), "transcript lacks \(needle)")
        }
    }

    /// A step that does not happen stops the demo with an error naming it.
    @Test func aMissingSurveyFailsNamingTheStep() throws {
        let stack = try DemoStack.start(DemoTestSupport.options())
        defer { stack.stop() }
        // 2listen now refuses the bundle's token: survey-dispatch cannot send.
        try stack.sandbox.configure(["survey": ["token": "another-token"]])
        let transcript = Locked<[String]>([])
        var caught: DemoError?
        do { _ = try DemoScript(stack: stack, write: { transcript.append($0) }).run() } catch let e as DemoError {
            caught = e
        }
        let error = try #require(caught)
        #expect(error.code == .step)
        #expect(error.code.exitStatus != 0)
        #expect(error.message.hasPrefix("step 3 (solved → survey after the delay)"), "\(error.message)")
        #expect(SandboxFacts(stack.sandbox.state()).surveys.isEmpty)
        #expect(!transcript.value.joined().contains("Demo passed"))
    }
}
