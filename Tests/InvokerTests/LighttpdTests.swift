import FoundationEssentials
import FunctionRuntime
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The same function under a real CGI server (lighttpd's mod_cgi) and under the invoker gives
/// the same answers: status, Retry-After and body (minus the request headers it echoes, which
/// carry each server's own port).
@Suite struct LighttpdTests {
    static let secrets = [
        "ZENDESK_WEBHOOK_SECRET": "zendesk-secret-for-tests",
        "TWILIO_AUTH_TOKEN": "twilio-token-for-tests",
        "KLAVIYO_WEBHOOK_SECRET": "klaviyo-secret-for-tests",
        "PUBLIC_URL": "https://hooks.example.test",
    ]

    /// lighttpd serving `docroot`, listening on a socket this test bound to 127.0.0.1 port 0 and
    /// handed over by systemd-style socket activation (so no port is guessed).
    final class Lighttpd {
        let process: ChildProcess
        let port: Int

        init(dir: TempDir, routes: [String]) throws {
            let candidates: [String] = ["/usr/sbin/lighttpd", "/usr/bin/lighttpd", "/usr/local/sbin/lighttpd"]
            let binary = candidates.first { access($0, X_OK) == 0 }
            guard let binary else {
                throw TestClientError.malformed(
                    "lighttpd is not installed; ./invoke test installs it (apt-get install lighttpd)")
            }
            for route in routes {
                let parent = dir.path + "/docroot" + String(route[..<route.lastIndex(of: "/")!])
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                symlink(productsDirectory + "/test-echo", dir.path + "/docroot" + route)
            }
            let env = LighttpdTests.secrets.sorted { $0.key < $1.key }.map { "\"\($0.key)\" => \"\($0.value)\"" }
                .joined(separator: ", ")
            let conf = dir.write(
                "lighttpd.conf",
                """
                server.document-root = "\(dir.path)/docroot"
                server.bind = "127.0.0.1"
                server.port = 0
                server.systemd-socket-activation = "enable"
                server.modules = ("mod_setenv", "mod_cgi")
                server.errorlog = "\(dir.path)/error.log"
                server.upload-dirs = ("\(dir.path)")
                cgi.assign = ("" => "")
                setenv.add-environment = (\(env))

                """)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            listen(fd, 64)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            port = Int(UInt16(bigEndian: addr.sin_port))
            defer { close(fd) }
            process = try ChildProcess(
                "/bin/sh", ["-c", "LISTEN_PID=$$ LISTEN_FDS=1 exec \(binary) -D -f \(conf)"], extraFD: (fd, 3))
        }

        deinit {
            kill(process.pid, SIGTERM)
            _ = process.waitForExit(timeout: 5)
        }
    }

    struct Case {
        var name: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]
    }

    static func zendeskSigned(
        _ name: String, _ body: String, secret: String = secrets["ZENDESK_WEBHOOK_SECRET"]!
    ) throws -> Case {
        let timestamp = Clock.iso8601(Clock.now())
        let signature = try WebhookSignature.zendesk(secret: secret, timestamp: timestamp, body: Array(body.utf8))
        return Case(
            name: name, path: "/zendesk/tickets",
            headers: [
                ("Content-Type", "application/json"), ("X-Zendesk-Webhook-Signature", signature),
                ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
            ],
            body: Array(body.utf8))
    }

    static func cases() throws -> [Case] {
        let form = [
            ("From", "+15005550006"), ("To", "+15005550001"), ("Body", "Hello & thanks"), ("MessageSid", "SM123"),
        ]
        let twilioSignature = try WebhookSignature.twilio(
            authToken: secrets["TWILIO_AUTH_TOKEN"]!,
            url: secrets["PUBLIC_URL"]! + "/sms/inbound", params: form)
        return [
            try zendeskSigned("valid Zendesk signature", #"{"ticket":{"id":42,"status":"solved"}}"#),
            try zendeskSigned("wrong secret", #"{"ticket":{"id":42}}"#, secret: "not-the-secret"),
            Case(
                name: "Twilio-signed form body", path: "/sms/inbound",
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", twilioSignature),
                ],
                body: Array(FormDecoding.body(form).utf8)),
            Case(
                name: "Twilio form body, tampered", path: "/sms/inbound",
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", twilioSignature),
                ],
                body: Array(FormDecoding.body(form.map { $0.0 == "Body" ? ($0.0, "changed") : $0 }).utf8)),
            try zendeskSigned("invalid event (65)", "this is not JSON"),
            try zendeskSigned("upstream unavailable (75)", #"{"fail":"upstream_unavailable"}"#),
            Case(
                name: "unsigned", path: "/zendesk/tickets", headers: [("Content-Type", "application/json")],
                body: Array("{}".utf8)),
        ]
    }

    /// The comparable part of an answer.
    static func normalized(_ r: TestResponse) -> JSON {
        var body = r.json
        if case .object(var o) = body { o["headers"] = nil; body = .object(o) }
        return [
            "status": .int(Int64(r.status)), "retry_after": JSON(r.header("Retry-After")),
            "content_type": JSON(r.header("Content-Type")), "body": body,
        ]
    }

    @Test func sameAnswersUnderLighttpdAndTheInvoker() throws {
        let dir = TempDir(); defer { dir.remove() }
        let routes = ["/zendesk/tickets", "/sms/inbound"]
        let lighttpd = try Lighttpd(dir: dir, routes: routes)
        let invoker = try TestInvoker(
            """
            {"routes": [{"method": "POST", "path": "/zendesk/tickets", "function": "test-echo"},
                        {"method": "POST", "path": "/sms/inbound", "function": "test-echo"}]}
            """, environment: Self.secrets.merging(["PATH": "/usr/bin:/bin"]) { $1 })
        defer { invoker.stop() }
        #expect(
            eventually(timeout: 10) { (try? send("GET", "/", port: lighttpd.port, timeout: 2)) != nil },
            "lighttpd did not start")

        var statuses: [Int] = []
        for c in try Self.cases() {
            let viaLighttpd = try send("POST", c.path, port: lighttpd.port, headers: c.headers, body: c.body)
            let viaInvoker = try send("POST", c.path, port: invoker.port, headers: c.headers, body: c.body)
            #expect(Self.normalized(viaLighttpd) == Self.normalized(viaInvoker), "\(c.name)")
            // Both saw the signature header the client sent.
            if let sig = c.headers.first(where: { $0.0.hasPrefix("X-") }) {
                #expect(
                    viaLighttpd.json["headers"][sig.0.lowercased()] == .string(sig.1) || viaLighttpd.status != 200,
                    "\(c.name)")
                #expect(
                    viaInvoker.json["headers"][sig.0.lowercased()] == .string(sig.1) || viaInvoker.status != 200,
                    "\(c.name)")
            }
            statuses.append(viaInvoker.status)
        }
        // And the answers are the right ones, not merely equal.
        #expect(statuses == [200, 401, 200, 401, 400, 503, 401])
        let form = try send(
            "POST", "/sms/inbound", port: invoker.port, headers: try Self.cases()[2].headers,
            body: try Self.cases()[2].body)
        #expect(form.json["event"]["Body"] == "Hello & thanks")
    }
}
