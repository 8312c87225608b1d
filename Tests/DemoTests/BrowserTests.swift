import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import SandboxKit
import DemoKit
import Testing
import TestSupport

/// The pages a person opens, tested as a person sees them: the stack of `./invoke serve` (spool
/// on), a conversation driven through the sandbox view's forms, and the resulting pages opened in
/// headless Chromium (Debian's `chromium`, installed by `./invoke test`). The assertions read the
/// DOM Chromium built; screenshots are kept in `Chromium.artifactDirectory`.
@Suite(.serialized) struct BrowserTests {
    static let customer = DemoAccount.customerPhone
    static let hostile = "Where is order #1001? <script>alert('x')</script>"

    /// Posts a form as a browser does and returns where the 303 sends it.
    static func submit(_ base: String, _ path: String, _ fields: [(String, String)]) throws -> String {
        let url = base + path
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        let body = fields.map { FormDecoding.encode($0.0) + "=" + FormDecoding.encode($0.1) }.joined(separator: "&")
        let response = try HTTPClient(deadline: Deadline(seconds: 60), policy: policy).send(
            HTTPRequest(
                "POST", url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8)))
        #expect(response.status == 303, "\(url): \(response.status) \(response.text)")
        let location = try #require(response.headers["location"])
        return base + location
    }

    static func flash(_ page: HTMLNode) -> String { page.first("#flash")?.textContent ?? "" }

    @Test func aConversationDrivenFromTheSandboxViewReadsRightInChromium() throws {
        try #require(Chromium.isInstalled, "chromium is missing: ./invoke test installs Debian's chromium")
        let dir = try DemoTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = DemoTestSupport.options()
        options.stateDirectory = dir + "/state"  // as ./invoke serve: /sms/inbound is spooled
        let stack = try DemoStack.start(options)
        defer { stack.stop() }
        let view = stack.sandboxURL + "/"
        #expect(stack.instructions(statePath: nil).text.contains(view), "the serve banner names the page")

        // Empty account: the page says so.
        let empty = try Chromium.dom(view)
        #expect(empty.document.first("h1")?.textContent == "Sandbox — the demo account")
        #expect(empty.document.all("section.conversation").isEmpty)
        #expect(empty.run.consoleErrors.isEmpty, "\(empty.run.consoleErrors)")

        // A campaign SMS, then the customer texts the brand (with a hostile text) through the form.
        var campaign = HTTPRequest(
            "POST", stack.sandboxURL + "/_ctl/klaviyo/sms",
            json: [
                "phone": .string(Self.customer), "body": "Black Friday: 30% off boots", "campaign": "Black Friday",
                "seconds_ago": 120,
            ])
        campaign.service = "sandbox"
        #expect(try HTTPClient(deadline: Deadline(seconds: 10)).send(campaign).status == 200)
        let afterText = try Self.submit(
            stack.sandboxURL, "/_view/text",
            [("from", Self.customer), ("to", DemoAccount.brandNumber), ("body", Self.hostile)])
        let said = try Chromium.dom(afterText).document.first("#flash")?.textContent ?? ""
        #expect(said.contains("text delivered") && said.contains("spooled") && said.contains("on ticket"), "\(said)")
        let ticketID = try #require(said.split(separator: " ").last.flatMap { Int64($0) }, "\(said)")
        // An agent gives the ticket a hostile subject.
        let subject = "<script>alert('s')</script> Order & <b>co</b>"
        let rename = HTTPRequest(
            "PUT", stack.sandboxURL + "/zendesk/api/v2/tickets/\(ticketID).json",
            json: ["ticket": ["subject": .string(subject)]],
            headers: [
                ("Authorization", "Basic " + Crypto.base64(Array(stack.zendeskCredentials.utf8))),
                ("X-Sandbox-Actor", "runner"),
            ])
        #expect(try HTTPClient(deadline: Deadline(seconds: 10)).send(rename).status == 200)
        // Under a loaded machine a webhook may be in Zendesk's retry backoff past the view's own wait.
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        var page = try Chromium.dom(afterText)
        var doc = page.document
        #expect(doc.first("#ticket-\(ticketID) h5")?.textContent == "#\(ticketID) \(subject) open")
        #expect(doc.all("b").allSatisfy { $0.textContent != "co" }, "the subject's markup stays text")
        #expect(doc.all("script").isEmpty, "the hostile text must stay text")
        let conversations = doc.all("section.conversation")
        #expect(conversations.count == 1)
        let phone = doc.all(".phone li")
        #expect(phone.map { $0.first(".body")?.textContent ?? "" } == ["Black Friday: 30% off boots", Self.hostile])
        #expect(phone.map(\.classes) == [["out"], ["in"]])
        let thread = doc.all("#ticket-\(ticketID) ol.thread li")
        #expect(thread.first?.classes == ["customer"])
        #expect(thread.first?.first(".body")?.textContent == Self.hostile)
        let notes = thread.filter { $0.classes == ["campaign-note"] }.map(\.textContent)
        #expect(
            notes.count == 1 && notes[0].contains("Reply to Campaign: Black Friday"), "\(thread.map(\.textContent))")
        #expect(thread.contains { $0.classes == ["note"] && $0.textContent.contains("Customer context from Klaviyo") })
        #expect(doc.first("#ticket-\(ticketID)")?.attributes["data-status"] == "open")
        #expect(doc.all("#ticket-\(ticketID) .tag").map(\.textContent).contains("sms"))
        #expect(page.run.consoleErrors.isEmpty, "\(page.run.consoleErrors)")

        // The agent replies through the form → one SMS from the brand's number.
        let reply = "It ships today, Casey."
        let afterReply = try Self.submit(
            stack.sandboxURL, "/_view/reply",
            [("ticket", String(ticketID)), ("agent", String(DemoAccount.agentID)), ("public", "1"), ("body", reply)])
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        doc = try Chromium.dom(afterReply).document
        #expect(
            Self.flash(doc).contains("agent-reply sent it by SMS from \(DemoAccount.brandNumber)"), "\(Self.flash(doc))"
        )
        #expect(doc.all("#ticket-\(ticketID) li.agent .body").map(\.textContent) == [reply])
        #expect(doc.all(".phone li.out .body").map(\.textContent).contains(reply))
        let metrics = doc.all("#klaviyo-events td.metric").map(\.textContent)
        #expect(metrics.contains("Opened Ticket") && metrics.contains("Zendesk SMS Reply"), "\(metrics)")

        // Solve, move the clock past the survey delay → 2listen received one survey.
        let afterSolve = try Self.submit(stack.sandboxURL, "/_view/solve", [("ticket", String(ticketID))])
        #expect(Self.flash(try Chromium.dom(afterSolve).document) == "ticket \(ticketID) solved")
        let afterClock = try Self.submit(stack.sandboxURL, "/_view/clock", [("seconds", "7500")])
        #expect(stack.sandbox.waitForDeliveries(timeout: 30))
        page = try Chromium.dom(afterClock)
        doc = page.document
        #expect(Self.flash(doc).contains("automations fired"), "\(Self.flash(doc))")
        let surveyRows = doc.all("#surveys tr").dropFirst()  // the header row
        #expect(surveyRows.count == 1)
        #expect(surveyRows.first?.all("td").map(\.textContent).dropFirst().first == String(ticketID))
        #expect(doc.first("#ticket-\(ticketID)")?.attributes["data-status"] == "solved")
        #expect(page.run.consoleErrors.isEmpty, "\(page.run.consoleErrors)")
        #expect(try Chromium.screenshot(view, to: Chromium.artifactDirectory + "/sandbox-view.png"))

        // The console of the same stack: each step's row, its upstream calls, the customer's number masked.
        let console = try Chromium.dom(stack.invokerURL + "/console")
        let rows = console.document.all("#recent tr").dropFirst()
        func outcomes(_ route: String) -> [String] {
            rows.filter { $0.all("td").dropFirst().first?.textContent.hasPrefix(route) == true }
                .map { $0.first("td.outcome")?.textContent ?? "" }
        }
        #expect(outcomes("POST /sms/inbound").contains("created"), "\(rows.map(\.textContent))")
        #expect(outcomes("POST /zendesk/comments").contains("sent"), "\(rows.map(\.textContent))")
        #expect(outcomes("POST /survey/dispatch").contains("dispatched"), "\(rows.map(\.textContent))")
        let upstream = rows.compactMap { $0.first("td.upstream")?.textContent }.joined(separator: " | ")
        #expect(upstream.contains("zendesk 200") && upstream.contains("twilio 201"), "\(upstream)")
        let everything = console.document.textContent
        #expect(!everything.contains(Self.customer) && !everything.contains(DemoAccount.customerEmail))
        #expect(console.run.consoleErrors.isEmpty, "\(console.run.consoleErrors)")
        #expect(try Chromium.screenshot(stack.invokerURL + "/console", to: Chromium.artifactDirectory + "/console.png"))
    }

    @Test func theConsoleKeepsAHostileAnswerAsTextAndMasksContacts() throws {
        try #require(Chromium.isInstalled, "chromium is missing: ./invoke test installs Debian's chromium")
        let config = """
            {"defaults": {"env": {"ALLOW_UNSIGNED": "1"}},
             "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"}]}
            """
        let file = try FunctionsFile.parse(Array(config.utf8), functionsDirectory: Exec.directory)
        let invoker = Invoker(file: file, environment: ["PATH": "/usr/bin:/bin"])
        let server = try invoker.start(host: "127.0.0.1", port: 0)
        defer { server.stop(deadline: 2) }
        let base = "http://127.0.0.1:\(server.port)"
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> texted +15551234567 as casey@example.com"
        let event: JSON = ["answer": ["outcome": "failed", "reason": .string(hostile)]]
        let response = try HTTPClient(deadline: Deadline(seconds: 10)).send(
            HTTPRequest("POST", base + "/echo", json: event))
        #expect(response.status == 200)
        let page = try Chromium.dom(base + "/console")
        let doc = page.document
        #expect(doc.all("script").isEmpty && doc.all("img").isEmpty, "markup in an answer must stay text")
        let failed = doc.all("#recent tr.fail")
        #expect(failed.count == 1)
        let reason = failed.first?.all("td")[6].textContent ?? ""
        #expect(reason.hasPrefix("<script>alert(1)</script><img src=x onerror=alert(2)> texted "), "\(reason)")
        #expect(!reason.contains("+15551234567") && !reason.contains("casey@example.com"), "\(reason)")
        #expect(page.run.consoleErrors.isEmpty, "\(page.run.consoleErrors)")
    }
}
