import Foundation
import FunctionRuntime
import SandboxKit
import Testing
import TestSupport

/// README's CGI deployment, exactly as written: `examples/lighttpd/setup.sh DIR ENV_FILE`, then
/// `lighttpd -D -f DIR/lighttpd.conf`. A customer's signed text through lighttpd opens a ticket in
/// the sandbox, `/healthz` answers, and `./invoke check --public-url` calls the URL ready.
@Suite(.serialized) struct LighttpdExampleTests {
    static var repository: String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static func shell(_ command: String, env: [String: String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.environment = env.merging(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]) { a, _ in a }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theReadmeConfigurationServesTheFunctions() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/lighttpd") else {
            Issue.record("lighttpd is not installed; ./invoke test installs it (apt-get install lighttpd)")
            return
        }
        let bench = try SMSBench()
        let port = try Ports.free()
        let url = "http://127.0.0.1:\(port)"
        let dir = "/tmp/bundle-lighttpd-\(getpid())-\(port)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config = bench.sandbox.functionEnvironment()
        config["SMS_PROVIDER"] = "twilio"
        config["PUBLIC_URL"] = url
        let envFile = dir + "/bundle.env"
        let lines =
            ["# the functions' configuration"] + config.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: envFile))

        // The two commands of README's "CGI (lighttpd)" section.
        let (status, text) = try Self.shell(
            "\(Self.repository)/examples/lighttpd/setup.sh \(dir)/site \(envFile)",
            env: ["PORT": String(port), "BUNDLE_BIN": Exec.directory])
        #expect(status == 0, "\(text)")
        // Started and reaped with posix_spawn/waitpid (Foundation's Process can miss the exit of a
        // process whose own CGI children it never saw).
        var pid: pid_t = 0
        let words: [String] = ["/usr/sbin/lighttpd", "-D", "-f", dir + "/site/lighttpd.conf"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The child starts with no signal blocked (the test process may block some for its threads).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        #expect(posix_spawn(&pid, "/usr/sbin/lighttpd", nil, &attributes, argv, environ) == 0)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }

        var policy = RetryPolicy()
        policy.maxAttempts = 1
        let client = HTTPClient(deadline: Deadline(seconds: 30), policy: policy)
        var health: HTTPResponse?
        for _ in 0..<100 where health?.status != 200 {
            health = try? client.send(HTTPRequest("GET", url + "/healthz"))
            if health?.status != 200 { Clock.sleep(0.05) }
        }
        #expect(health?.status == 200, "lighttpd did not answer /healthz")

        let params = SMSBench.twilioParams(
            sid: SMSBench.messageSID(), from: SMSBench.pat, to: SMSBench.brandA, body: "Hello via lighttpd", media: [])
        let signature = try WebhookSignature.twilio(
            authToken: SMSBench.twilioToken, url: url + "/sms/inbound", params: params)
        let r = try client.send(
            HTTPRequest(
                "POST", url + "/sms/inbound",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
                body: Array(FormDecoding.body(params).utf8)))
        // Twilio's own request, through lighttpd's mod_cgi: empty TwiML, the outcome in a header.
        #expect(r.status == 200, "\(r.text)")
        #expect(r.headers["content-type"]?.hasPrefix("text/xml") == true, "\(r.headers)")
        #expect(r.text.contains("<Response></Response>"), "\(r.text)")
        #expect(r.headers["x-function-outcome"] == "created", "\(r.headers)")
        #expect(bench.tickets(customer: SMSBench.pat, brand: SMSBench.brandA).count == 1)
        // A forged signature is refused by the function under lighttpd too.
        let forged = try client.send(
            HTTPRequest(
                "POST", url + "/sms/inbound",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", "AAAA")],
                body: Array(FormDecoding.body(params).utf8)))
        #expect(forged.status == 401)

        let (checkStatus, checkText) = try Self.shell(
            "\(Exec.directory)/bundle-setup check --public-url \(url)", env: config)
        #expect(
            checkText.split(separator: "\n").contains { $0.hasPrefix("Public URL") && $0.contains("ready") },
            "\(checkStatus) \(checkText)")
    }
}
