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
        for key in ["webhooks", "automations", "triggers", "views"] {
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
        #expect(
            names
                == [
                    DesiredObjects.surveyAutomationName, DesiredObjects.closeAutomationName, DesiredObjects.smsViewName,
                    DesiredObjects.commentWebhookName, DesiredObjects.surveyWebhookName,
                    DesiredObjects.ticketWebhookName,
                ].sorted())
        // The secrets printed once are the webhooks' real signing secrets.
        let hooks = (sandbox.state()["zendesk"]["webhooks"].array ?? []).filter {
            ($0["name"].string ?? "").hasPrefix(ManagedObject.marker)
        }
        #expect(hooks.count == 3)
        for hook in hooks { #expect(hook["status"] == "active") }
        let line = try #require(firstText.split(separator: "\n").first { $0.contains("ZENDESK_WEBHOOK_SECRET=") })
        let printed = Set(line.split(separator: "=", maxSplits: 1)[1].split(separator: ",").map { String($0) })
        #expect(printed.count == 3)
        // The automation names the survey webhook by its id.
        let survey = try #require(
            (sandbox.state()["zendesk"]["webhooks"].array ?? []).first {
                $0["name"].string == DesiredObjects.surveyWebhookName
            })
        let automation = try #require(
            (sandbox.state()["zendesk"]["automations"].array ?? []).first {
                $0["title"].string == DesiredObjects.surveyAutomationName
            })
        #expect(
            automation["actions"].array?.contains {
                $0["field"] == "notification_webhook" && $0["value"][0] == survey["id"]
            } == true)

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

    @Test func triggerModeIsAcceptedIdempotentAndSwitchesCleanly() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let args = ["setup", "--public-url", "https://bundle.example.com", "--sms", "--triggers", "--apply"]
        let (first, text) = run(sandbox, args)
        #expect(first == 0, "\(text)")
        let names = managedNames(sandbox)
        #expect(names.contains(DesiredObjects.createdTriggerName))
        #expect(names.contains(DesiredObjects.closedTriggerName))
        #expect(names.contains(DesiredObjects.commentTriggerName))
        #expect(!names.contains(DesiredObjects.ticketWebhookName))
        // The triggers name the trigger webhooks by id.
        let hooks = sandbox.state()["zendesk"]["webhooks"].array ?? []
        let ticketHook = try #require(hooks.first { $0["name"].string == DesiredObjects.ticketTriggerWebhookName })
        let created = try #require(
            (sandbox.state()["zendesk"]["triggers"].array ?? []).first {
                $0["title"].string == DesiredObjects.createdTriggerName
            })
        #expect(created["actions"][0]["value"][0] == ticketHook["id"])

        let (second, again) = run(sandbox, args)
        #expect(second == 0)
        #expect(managedNames(sandbox) == names)
        #expect(!again.contains("  create") && !again.contains("  update") && !again.contains("  delete"))

        // Back to event subscriptions: the triggers and their webhooks go, the event webhooks come.
        let (switched, switchText) = run(
            sandbox, ["setup", "--public-url", "https://bundle.example.com", "--sms", "--apply"])
        #expect(switched == 0, "\(switchText)")
        #expect(
            managedNames(sandbox).sorted()
                == [
                    DesiredObjects.closeAutomationName, DesiredObjects.smsViewName,
                    DesiredObjects.commentWebhookName, DesiredObjects.ticketWebhookName,
                ].sorted())
        #expect(run(sandbox, ["setup", "--remove", "--apply"]).0 == 0)
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
        let hook = try #require(
            (sandbox.state()["zendesk"]["webhooks"].array ?? []).first {
                $0["name"].string == DesiredObjects.ticketWebhookName
            })
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
        let (status, text) = run(
            sandbox, ["setup", "--public-url", "https://h.example.com"], extraEnv: [ConfigKey.zendeskAPIToken: "wrong"])
        #expect(status == 78)
        #expect(text.contains("401"))
    }
}

/// `bundle-setup check` against the sandbox, with a small server standing in for the bundle's
/// public URL.
@Suite struct CheckSandboxTests {
    func bundle() throws -> HTTPServer {
        let server = HTTPServer { request in
            request.path == "/healthz" ? .respond(.json(200, ["status": "ok"])) : .respond(.json(404, [:]))
        }
        try server.start(port: 0)
        return server
    }

    func env(_ sandbox: Sandbox, _ extra: [String: String] = [:]) -> [String: String] {
        var env = sandbox.functionEnvironment()
        env["SMS_PROVIDER"] = "twilio"
        for (k, v) in extra { env[k] = v }
        return env
    }

    func run(_ args: [String], _ env: [String: String]) -> (Int32, String) {
        let out = SetupSandboxTests.Output()
        return (BundleSetup.run(arguments: args, environment: env, write: out.write), out.text)
    }

    @Test func readyAfterSetupAndNotBefore() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let server = try bundle()
        defer { server.stop(deadline: 0) }
        let url = "http://127.0.0.1:\(server.port)"
        try sandbox.seed(["twilio": ["numbers": ["+15550100100"]]])
        var environment = env(sandbox)
        environment.removeValue(forKey: ConfigKey.klaviyoAPIKey)

        // Before setup: the webhooks are missing, and check says how to fix it.
        let (before, beforeText) = run(["check", "--public-url", url, "--sms"], env(sandbox))
        #expect(before == 78)
        #expect(beforeText.contains("missing"))
        #expect(beforeText.contains("./invoke setup --public-url \(url) --sms --apply"))

        let (applied, setupText) = run(["setup", "--public-url", url, "--sms", "--apply"], environment)
        #expect(applied == 0, "\(setupText)")
        let secretLine = try #require(setupText.split(separator: "\n").first { $0.contains("ZENDESK_WEBHOOK_SECRET=") })
        let secrets = String(secretLine.split(separator: "=", maxSplits: 1)[1])

        // The secrets not yet configured: check names that.
        let (unconfigured, unconfiguredText) = run(["check", "--public-url", url, "--sms"], env(sandbox))
        #expect(unconfigured == 78)
        #expect(unconfiguredText.contains("not in ZENDESK_WEBHOOK_SECRET"))

        let (ready, readyText) = run(
            ["check", "--public-url", url, "--sms"], env(sandbox, [ConfigKey.zendeskWebhookSecret: secrets]))
        #expect(ready == 0, "\(readyText)")
        #expect(readyText.contains("Ready."))
        #expect(!readyText.contains(" failed "))
        #expect(!readyText.contains(" missing "))
    }

    @Test func wrongTokenIsReportedAsExactlyThat() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let server = try bundle()
        defer { server.stop(deadline: 0) }
        let (status, text) = run(
            ["check", "--public-url", "http://127.0.0.1:\(server.port)"],
            env(sandbox, [ConfigKey.zendeskAPIToken: "not-the-token"]))
        #expect(status == 78)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("Zendesk credentials") })
        #expect(line.contains("failed"))
        #expect(line.contains("credentials refused (HTTP 401)"))
        // Klaviyo's key is fine and is reported ready: only the broken credential is flagged.
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("Klaviyo API key") && $0.contains("ready") })
    }

    @Test func unreachablePublicURLIsReported() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let (status, text) = run(["check", "--public-url", "http://127.0.0.1:9"], env(sandbox))
        #expect(status == 78)
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("Public URL") && $0.contains("failed") })
    }
}

/// With `SMS_PROVIDER=twilio`, setup points the account's numbers at the bundle through Twilio's
/// IncomingPhoneNumbers API (as emulated by the sandbox), and check verifies it.
@Suite struct SetupTwilioNumberTests {
    func smsURLs(_ sandbox: Sandbox) -> [String: String] {
        (sandbox.state()["twilio"]["sms_urls"].object ?? [:]).compactMapValues(\.string)
    }

    @Test func setupPointsFreeNumbersLeavesForeignOnesAndRemoveClears() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        try sandbox.seed([
            "twilio": [
                "numbers": [
                    "+15550100100", ["number": "+15550100200", "sms_url": "https://elsewhere.example.com/hook"],
                ]
            ]
        ])
        var env = sandbox.functionEnvironment()
        env.removeValue(forKey: ConfigKey.klaviyoAPIKey)
        env["SMS_PROVIDER"] = "twilio"
        let out = SetupSandboxTests.Output()
        let args = ["setup", "--public-url", "https://bundle.example.com", "--sms", "--apply"]
        #expect(BundleSetup.run(arguments: args, environment: env, write: out.write) == 0)
        #expect(smsURLs(sandbox)["+15550100100"] == "https://bundle.example.com/sms/inbound")
        #expect(smsURLs(sandbox)["+15550100200"] == "https://elsewhere.example.com/hook")
        #expect(out.text.contains("leave"))

        let again = SetupSandboxTests.Output()
        #expect(BundleSetup.run(arguments: args, environment: env, write: again.write) == 0)
        #expect(again.text.contains("unchanged twilio number       +15550100100"))
        #expect(!again.text.contains("  update    twilio number"))

        let takeOver = SetupSandboxTests.Output()
        #expect(
            BundleSetup.run(
                arguments: args + ["--sms-numbers", "+15550100200"], environment: env, write: takeOver.write) == 0)
        #expect(smsURLs(sandbox)["+15550100200"] == "https://bundle.example.com/sms/inbound")

        let removed = SetupSandboxTests.Output()
        #expect(
            BundleSetup.run(arguments: ["setup", "--remove", "--apply"], environment: env, write: removed.write) == 0)
        #expect(smsURLs(sandbox)["+15550100100"] == nil)
        #expect(smsURLs(sandbox)["+15550100200"] == nil)
    }
}

/// What setup and check say matches what they do.
@Suite struct SetupHonestyTests {
    func run(_ args: [String], _ env: [String: String]) -> (Int32, String) {
        let out = SetupSandboxTests.Output()
        return (BundleSetup.run(arguments: args, environment: env, write: out.write), out.text)
    }

    @Test func helpIsNotAnError() {
        for mode in ["setup", "check"] {
            let (status, text) = run([mode, "--help"], [:])
            #expect(status == 0, "\(mode) --help")
            #expect(text.contains("--public-url"))
        }
        #expect(run(["setup", "--bogus"], [:]).0 == 64)
    }

    /// Klaviyo calls only https endpoints: with an http public URL setup skips the Klaviyo webhook,
    /// so check must not call the Klaviyo SMS path ready.
    @Test func checkIsNotReadyWhenKlaviyoCannotReachAnHTTPURL() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let server = try CheckSandboxTests().bundle()
        defer { server.stop(deadline: 0) }
        let url = "http://127.0.0.1:\(server.port)"
        var env = sandbox.functionEnvironment()
        env["SMS_PROVIDER"] = "klaviyo"
        let (applied, setupText) = run(["setup", "--public-url", url, "--sms", "--apply"], env)
        #expect(applied == 0, "\(setupText)")
        let secretLine = try #require(setupText.split(separator: "\n").first { $0.contains("ZENDESK_WEBHOOK_SECRET=") })
        env[ConfigKey.zendeskWebhookSecret] = String(secretLine.split(separator: "=", maxSplits: 1)[1])
        let (status, text) = run(["check", "--public-url", url, "--sms"], env)
        #expect(status == 78, "\(text)")
        #expect(!text.contains("Ready."))
        #expect(
            text.split(separator: "\n").contains {
                $0.hasPrefix("Klaviyo SMS webhook") && $0.contains("missing") && $0.contains("https")
            }, "\(text)")
    }

    /// When every number posts to another application, setup alone changes nothing, so check's fix
    /// names the numbers with --sms-numbers; and that fix works.
    @Test func checksFixForForeignNumbersIsOneSetupActuallyApplies() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        let server = try CheckSandboxTests().bundle()
        defer { server.stop(deadline: 0) }
        let url = "http://127.0.0.1:\(server.port)"
        try sandbox.seed([
            "twilio": ["numbers": [["number": "+15550100200", "sms_url": "https://elsewhere.example.com/hook"]]]
        ])
        var env = sandbox.functionEnvironment()
        env.removeValue(forKey: ConfigKey.klaviyoAPIKey)
        env["SMS_PROVIDER"] = "twilio"
        let (_, text) = run(["check", "--public-url", url, "--sms"], env)
        let fixLine = try #require(
            text.split(separator: "\n").drop { !$0.hasPrefix("Twilio numbers") }.dropFirst().first)
        #expect(fixLine.contains("--sms-numbers +15550100200"), "\(text)")
        // Following the plain hint would plan nothing for the number; the named one points it.
        let (_, plain) = run(["setup", "--public-url", url, "--sms", "--apply"], env)
        #expect(plain.contains("leave"))
        let (_, named) = run(["setup", "--public-url", url, "--sms", "--sms-numbers", "+15550100200", "--apply"], env)
        #expect(named.contains("1 Twilio number(s) re-pointed"), "\(named)")
        let (_, after) = run(["check", "--public-url", url, "--sms"], env)
        #expect(
            after.split(separator: "\n").contains { $0.hasPrefix("Twilio numbers") && $0.contains("ready") }, "\(after)"
        )
    }

    /// The Twilio number steps are part of the plan (before the brand note) and of the applied count.
    @Test func twilioStepsArePlannedAndCounted() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        try sandbox.seed(["twilio": ["numbers": ["+15550100100"]]])
        var env = sandbox.functionEnvironment()
        env.removeValue(forKey: ConfigKey.klaviyoAPIKey)
        env["SMS_PROVIDER"] = "twilio"
        let (status, text) = run(["setup", "--public-url", "https://bundle.example.com", "--sms", "--apply"], env)
        #expect(status == 0)
        let lines = text.split(separator: "\n").map(String.init)
        let number = try #require(lines.firstIndex { $0.contains("twilio number") })
        let brand = try #require(lines.firstIndex { $0.hasPrefix("Brand filter:") })
        #expect(number < brand, "\(text)")
        #expect(text.contains("1 Twilio number(s) re-pointed"), "\(text)")
    }
}
