import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct PersistenceTests {
    @Test func stateSurvivesARestart() throws {
        let path = "/tmp/sandbox-state-\(getpid())-\(EmulatorSupport.randomHex(6)).json"
        defer { unlink(path) }
        let first = try startSandbox(SandboxOptions(statePath: path))
        try first.seed(TwilioEmulatorTests.seed)
        try first.configure(["klaviyo": ["api_key": "pk_saved"]])
        first.advanceClock(seconds: 3600)
        let c = Caller(first)
        let sent = try c.form(
            TwilioEmulatorTests.messages, [("To", "+15551230000"), ("From", "+15559870000"), ("Body", "kept")],
            headers: [Caller.twilioAuth])
        #expect(sent.status == 201)
        // Saved after the mutating request, before any stop: a crash keeps it.
        let saved = (try? FileBytes.read(path).get()).flatMap { try? JSON.parse($0) }
        #expect(saved?.at("services.twilio.messages").array?.count == 1)
        first.stop()

        let second = try startSandbox(SandboxOptions(statePath: path))
        defer { second.stop() }
        let state = second.state()
        #expect(state["twilio"]["messages"][0]["body"].string == "kept")
        #expect(state["twilio"]["numbers"] == ["+15559870000"])
        #expect(state["requests"].array?.count == 1)
        #expect(state["clock"]["offset_seconds"].double == 3600)
        #expect(second.functionEnvironment()["KLAVIYO_API_KEY"] == "pk_saved")
        let c2 = Caller(second)
        let listed = try c2.send("GET", TwilioEmulatorTests.messages, headers: [Caller.twilioAuth])
        #expect(listed.json["messages"].array?.count == 1)
        #expect(
            try c2.send(
                "GET", "/klaviyo/api/profiles",
                headers: [("Authorization", "Klaviyo-API-Key pk_saved"), ("revision", "2026-07-15")]
            ).status == 200)
        // The request log continues its numbering.
        #expect(second.requestLog().compactMap { $0["seq"].int } == [1, 2, 3])
    }

    @Test func aBrokenStateFileIsReported() throws {
        let path = "/tmp/sandbox-broken-\(getpid())-\(EmulatorSupport.randomHex(6)).json"
        defer { unlink(path) }
        #expect((try? FileBytes.writeAtomically(path, Array("{not json".utf8)).get()) != nil)
        let sandbox = Sandbox(options: SandboxOptions(statePath: path))
        #expect(throws: RuntimeError.self) { try sandbox.start(host: "127.0.0.1", port: 0) }
    }
}
