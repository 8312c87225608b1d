import Foundation
import Testing
import FunctionRuntime
import SandboxKit
import DemoKit

/// `serve`: the stack with a state file, the printed instructions, a restart.
@Suite struct ServeTests {
    @Test func servesHealthzAndThePrintedTextCommandOpensATicket() throws {
        let dir = try DemoTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let statePath = dir + "/state.json"
        let stack = try DemoStack.start(DemoTestSupport.options(statePath: statePath))
        let health = try DemoTestSupport.get(stack.invokerURL + "/healthz")
        #expect(health.status == 200)
        #expect(health.json["status"] == "ok")

        let instructions = stack.instructions(statePath: statePath)
        let printed = instructions.text
        let lines = printed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let textCurl = try #require(lines.first { $0.hasPrefix("curl ") && $0.contains("/_ctl/phone/text") })
        #expect(textCurl.contains(stack.sandboxURL))
        #expect(printed.contains(stack.invokerURL))
        #expect(printed.contains(statePath))
        let replyCurl = try #require(lines.first { $0.hasPrefix("curl ") && $0.contains("\"comment\"") })

        // The printed command, run by a shell exactly as printed.
        let (status, output) = try DemoTestSupport.shell(textCurl)
        #expect(status == 0, "\(output)")
        let answer = try JSON.parse(Array(output.utf8))
        #expect(answer["delivered"].bool == true, "\(output)")
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        let facts = SandboxFacts(stack.sandbox.state())
        let tickets = facts.smsTickets(customer: DemoAccount.customerPhone, brandNumber: DemoAccount.brandNumber)
        #expect(tickets.count == 1)
        let ticketID = try #require(tickets.first?["id"].int)
        #expect(ticketID == instructions.ticketID)  // the ticket the printed look/reply commands name
        #expect(facts.comments(ticketID).first?["body"].string == instructions.message)
        #expect(facts.comments(ticketID).first?["author_id"].int == DemoAccount.customerID)

        // The printed agent reply → one SMS to the customer.
        let (replyStatus, replyOutput) = try DemoTestSupport.shell(replyCurl)
        #expect(replyStatus == 0, "\(replyOutput)")
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        let sent = SandboxFacts(stack.sandbox.state()).sentSMS
        #expect(sent.count == 1)
        #expect(sent.first?["body"].string == instructions.reply)
        #expect(sent.first?["to"].string == DemoAccount.customerPhone)
        stack.stop()

        // A restart finds the ticket again and does not duplicate the webhooks.
        let again = try DemoStack.start(DemoTestSupport.options(statePath: statePath))
        defer { again.stop() }
        let state = SandboxFacts(again.sandbox.state())
        #expect(state.ticket(ticketID) != nil)
        let hooks = state.state.at("zendesk.webhooks").array ?? []
        #expect(hooks.count == 3)
        #expect(hooks.allSatisfy { ($0["endpoint"].string ?? "").hasPrefix(again.invokerURL + "/") })
        #expect(again.instructions(statePath: statePath).ticketID == ticketID)
        #expect(try DemoTestSupport.get(again.invokerURL + "/healthz").status == 200)
    }

    @Test func commandLine() throws {
        let serve = try DemoCommand.parse(["serve", "--port", "9000", "--state", "s.json"])
        #expect(serve.action == .serve)
        #expect(serve.port == 9000)
        #expect(serve.effectiveSandboxPort == 9001)
        #expect(serve.statePath == "s.json")
        #expect(try DemoCommand.parse(["serve", "--port", "0"]).effectiveSandboxPort == 0)
        #expect(try DemoCommand.parse(["serve", "--no-state"]).statePath == nil)
        #expect(try DemoCommand.parse(["serve", "--sandbox-port", "7000"]).effectiveSandboxPort == 7000)
        #expect(try DemoCommand.parse(["demo", "--verbose"]).verbose)
        #expect(try DemoCommand.parse([]).action == .help)
        for bad in [
            ["bogus"], ["serve", "--port", "70000"], ["serve", "--port"], ["demo", "--port", "1"], ["serve", "--x"],
        ] {
            #expect(throws: DemoError.self, "\(bad)") { try DemoCommand.parse(bad) }
        }
    }
}
