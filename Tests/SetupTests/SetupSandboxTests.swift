import Testing
import FunctionRuntime
import HTTPServer
import SandboxKit
import SetupKit

/// `bundle-setup` against the sandbox over real HTTP.
@Suite struct SetupSandboxTests {
    final class Output: @unchecked Sendable {
        let lock = FunctionRuntime.Lock()
        var lines: [String] = []
        func write(_ s: String) { lock.withLock { lines.append(s) } }
        var text: String { lock.withLock { lines.joined(separator: "\n") } }
    }

    func run(_ sandbox: Sandbox, _ args: [String], extraEnv: [String: String] = [:]) -> (Int32, String) {
        let out = Output()
        var env = sandbox.functionEnvironment()
        env.removeValue(forKey: ConfigKey.klaviyoAPIKey)
        for (k, v) in extraEnv { env[k] = v }
        let status = BundleSetup.run(arguments: args, environment: env, write: out.write)
        return (status, out.text)
    }

    func managedNames(_ sandbox: Sandbox) -> [String] {
        let z = sandbox.state()["zendesk"]
        var names: [String] = []
        for key in ["webhooks", "automations", "views"] {
            for item in z[key].array ?? [] {
                let name = (item["name"].string ?? item["title"].string) ?? ""
                if name.hasPrefix(ManagedObject.marker) { names.append(name) }
            }
        }
        return names.sorted()
    }

    @Test func dryRunChangesNothing() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let (status, text) = run(sandbox, ["setup", "--public-url", "https://bundle.example.com", "--sms", "--survey"])
        #expect(status == 0)
        #expect(text.contains("create"))
        #expect(text.contains("--apply"))
        #expect(managedNames(sandbox).isEmpty)
    }

    @Test func applyTwiceMakesTheObjectsOnceAndRemoveTakesThemAway() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let args = ["setup", "--public-url", "https://bundle.example.com", "--sms", "--survey", "--apply"]
        let (first, firstText) = run(sandbox, args)
        #expect(first == 0, "\(firstText)")
        let names = managedNames(sandbox)
        #expect(names == [DesiredObjects.surveyAutomationName, DesiredObjects.closeAutomationName, DesiredObjects.smsViewName,
                          DesiredObjects.commentWebhookName, DesiredObjects.surveyWebhookName, DesiredObjects.ticketWebhookName].sorted())
        // The secrets printed once are the webhooks' real signing secrets.
        let hooks = (sandbox.state()["zendesk"]["webhooks"].array ?? []).filter { ($0["name"].string ?? "").hasPrefix(ManagedObject.marker) }
        #expect(hooks.count == 3)
        for hook in hooks { #expect(hook["status"] == "active") }
        let line = try #require(firstText.split(separator: "\n").first { $0.contains("ZENDESK_WEBHOOK_SECRET=") })
        let printed = Set(line.split(separator: "=", maxSplits: 1)[1].split(separator: ",").map { String($0) })
        #expect(printed.count == 3)
        // The automation names the survey webhook by its id.
        let survey = try #require((sandbox.state()["zendesk"]["webhooks"].array ?? []).first { $0["name"].string == DesiredObjects.surveyWebhookName })
        let automation = try #require((sandbox.state()["zendesk"]["automations"].array ?? []).first { $0["title"].string == DesiredObjects.surveyAutomationName })
        #expect(automation["actions"].array?.contains { $0["field"] == "notification_webhook" && $0["value"][0] == survey["id"] } == true)

        let (second, secondText) = run(sandbox, args)
        #expect(second == 0)
        #expect(managedNames(sandbox) == names)
        #expect(!secondText.contains("  create"))
        #expect(!secondText.contains("  update"))
        #expect(!secondText.contains("SECRET="))  // secrets are shown once

        let (removed, removeText) = run(sandbox, ["setup", "--remove", "--apply"])
        #expect(removed == 0, "\(removeText)")
        #expect(managedNames(sandbox).isEmpty)
    }

    @Test func driftIsRepaired() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        #expect(run(sandbox, ["setup", "--public-url", "https://old.example.com", "--apply"]).0 == 0)
        let (status, text) = run(sandbox, ["setup", "--public-url", "https://new.example.com", "--apply"])
        #expect(status == 0)
        #expect(text.contains("update"))
        let hook = try #require((sandbox.state()["zendesk"]["webhooks"].array ?? []).first { $0["name"].string == DesiredObjects.ticketWebhookName })
        #expect(hook["endpoint"] == "https://new.example.com/zendesk/tickets")
        #expect(managedNames(sandbox).count == 1)
    }

    @Test func unknownBrandIsRefused() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let (status, text) = run(sandbox, ["setup", "--public-url", "https://h.example.com", "--brands", "424242"])
        #expect(status == 64)
        #expect(text.contains("424242"))
    }

    @Test func wrongTokenIsReported() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let (status, text) = run(sandbox, ["setup", "--public-url", "https://h.example.com"], extraEnv: [ConfigKey.zendeskAPIToken: "wrong"])
        #expect(status == 78)
        #expect(text.contains("401"))
    }
}
