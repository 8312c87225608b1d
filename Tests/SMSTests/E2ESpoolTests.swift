import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import SandboxKit
import Testing
import TestSupport

/// `/sms/inbound` is spooled: a burst of first texts is acknowledged at once and every text
/// lands, also when the invoker process is killed (SIGKILL) mid-burst and started again.
@Suite struct E2ESpoolTests {
    typealias B = SMSBench

    /// The `invoker` executable serving the repository's functions.json on `port`, with the
    /// sandbox's environment and a state directory.
    final class InvokerProcess {
        let process = Process()
        let logPath: String

        /// Its standard error goes to a file (a pipe nobody reads would fill up and block it).
        init(port: Int, stateDirectory: String, environment: [String: String]) throws {
            logPath = stateDirectory + ".log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let products = InvokerCommand.executableDirectory()
            process.executableURL = URL(fileURLWithPath: products + "/invoker")
            process.arguments = [
                "--serve", "--config", SMSBench.functionsFile, "--port", String(port), "--state-dir", stateDirectory,
                "--functions-dir", products,
            ]
            process.environment = environment
            process.standardError = FileHandle(forWritingAtPath: logPath)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait until it listens.
            let until = Date().addingTimeInterval(20)
            while Date() < until {
                if let r = try? HTTPClient(deadline: Deadline(seconds: 1)).send(
                    HTTPRequest("GET", "http://127.0.0.1:\(port)/healthz")), r.status == 200
                {
                    return
                }
                Clock.sleep(0.05)
            }
            throw RuntimeError(.internal, "invoker did not start")
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A forged or wrongly signed request to a spooled route is refused at once with 401, as the
    /// function would refuse it, and never journaled; a good one is acknowledged and lands.
    @Test func aBadSignatureIsRefusedAtIntakeNotSpooled() throws {
        let bench = try SMSBench()
        let state = NSTemporaryDirectory() + "intake-spool-" + SMSBench.randomHex(6)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let invokerState = try InvokerState(directory: state)
        bench.configure([:], state: invokerState)

        let forged = try bench.text("Forged", signature: "bm90IGEgc2lnbmF0dXJl")
        #expect(forged.status == 401, "\(forged.text)")
        #expect(forged.json["error"]["code"] == "bad_signature", "\(forged.text)")
        let event: JSON = ["type": "zen:event-type:ticket.comment_added", "detail": ["id": "1"]]
        let wrongSecret = try bench.postZendesk("/zendesk/comments", event, secret: "not-the-webhook-secret")
        #expect(wrongSecret.status == 401, "\(wrongSecret.text)")
        #expect(invokerState.spool.pendingItems.isEmpty && invokerState.spool.deadLetters.isEmpty)

        let good = try bench.text("Signed for real")
        #expect(good.status == 200 && good.outcome == "spooled", "\(good.text)")
        for _ in 0..<500
        where !bench.tickets.contains(where: { t in
            (t["comments"].array ?? []).contains { $0["body"] == "Signed for real" }
        }) { Clock.sleep(0.01) }
        #expect(bench.tickets.count == 1)
        #expect(!bench.tickets.contains { t in (t["comments"].array ?? []).contains { $0["body"] == "Forged" } })
    }

    @Test func twentyFirstTextsLandOnOneTicketAcrossAKillAndRestart() throws {
        let sandbox = Sandbox(options: SandboxOptions())
        try sandbox.start(host: "127.0.0.1", port: 0)
        defer { sandbox.stop() }
        try sandbox.seed(B.seed())
        // Zendesk is slow, so texts are still being written when the invoker dies.
        try sandbox.setFaults([
            "rules": [
                ["service": "zendesk", "method": "PUT", "mode": "delay", "ms": 120, "times": 0],
                ["service": "zendesk", "method": "POST", "mode": "delay", "ms": 120, "times": 0],
            ]
        ])
        let port = try Ports.free()
        let url = "http://127.0.0.1:\(port)"
        var environment = sandbox.functionEnvironment()
        environment["PATH"] = "/usr/bin:/bin"
        environment["PUBLIC_URL"] = url
        environment["SMS_PROVIDER"] = "twilio"
        let state = NSTemporaryDirectory() + "spool-e2e-" + SMSBench.randomHex(6)
        defer {
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: state + ".log")
        }

        var invoker = try InvokerProcess(port: port, stateDirectory: state, environment: environment)
        let bodies = (1...20).map { "text \($0) of the burst" }
        let answers = simultaneously(
            bodies.map { body in
                { @Sendable () -> String in
                    let params = SMSBench.twilioParams(
                        sid: SMSBench.messageSID(), from: B.kim, to: B.brandB, body: body, media: [])
                    guard
                        let signature = try? WebhookSignature.twilio(
                            authToken: SMSBench.twilioToken, url: url + "/sms/inbound", params: params)
                    else { return "unsigned" }
                    var policy = RetryPolicy()
                    policy.maxAttempts = 1
                    let client = HTTPClient(deadline: Deadline(seconds: 10), policy: policy)
                    let r = try? client.send(
                        HTTPRequest(
                            "POST", url + "/sms/inbound",
                            headers: [
                                ("Content-Type", "application/x-www-form-urlencoded"),
                                ("X-Twilio-Signature", signature),
                            ],
                            body: Array(FormDecoding.body(params).utf8)))
                    guard let r else { return "no answer" }
                    // Twilio's own request: the acknowledgement is empty TwiML, as Twilio reads it.
                    return "\(r.status) \(r.headers["content-type"] ?? "-") \(r.headers["x-function-outcome"] ?? "-")"
                }
            })
        #expect(
            answers.allSatisfy { $0 == "200 text/xml; charset=utf-8 spooled" },
            "every text acknowledged at once: \(answers)")
        // Mid-burst: some texts are on the ticket, the rest are being written.
        let landed = sandbox.state().at("zendesk.tickets").array?.flatMap { $0["comments"].array ?? [] }.count ?? 0
        #expect(landed < 20, "the kill happens while texts are still being handled (\(landed) landed)")
        invoker.kill()
        invoker = try InvokerProcess(port: port, stateDirectory: state, environment: environment)
        defer { invoker.stop() }

        let drained = eventuallyTrue(timeout: 30) { Spool.snapshot(directory: state + "/spool").pending.isEmpty }
        #expect(
            drained,
            "the spool replayed everything: \(Spool.snapshot(directory: state + "/spool").pending.map { "\($0.id) attempts \($0.attempts) last \($0.lastStatus ?? 0)/\($0.lastExit ?? -1)" }) \(String(decoding: (FileManager.default.contents(atPath: invoker.logPath) ?? Data()).suffix(4000), as: UTF8.self))"
        )
        #expect(Spool.snapshot(directory: state + "/spool").dead.isEmpty)
        let tickets = (sandbox.state().at("zendesk.tickets").array ?? []).filter {
            $0["external_id"].string == "sms:\(B.kim):\(B.brandB)" && $0["status"].string != "closed"
        }
        #expect(tickets.count == 1, "\(tickets.map { $0["id"] })")
        let comments = tickets.first?["comments"].array ?? []
        let texts = comments.filter { $0["public"].bool == true }.compactMap { $0["body"].string }
        #expect(texts.count == 20, "\(texts)")
        #expect(Set(texts) == Set(bodies))
        // The customer-context note of the new ticket is there once, across the kill and replay.
        let notes = comments.filter { $0["public"].bool == false }.compactMap { $0["body"].string }
        #expect(notes.count == 1 && notes.first?.hasPrefix("Customer context from Klaviyo") == true, "\(notes)")
    }

    func eventuallyTrue(timeout: Double, _ condition: () -> Bool) -> Bool {
        let until = Date().addingTimeInterval(timeout)
        while Date() < until {
            if condition() { return true }
            Clock.sleep(0.1)
        }
        return condition()
    }
}
