import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Requests that must be refused (400) before any function sees them, health checks that stay
/// answerable under a connection flood, and an access log that never echoes a malformed method.
@Suite struct HardeningTests {
    static let config =
        #"{"server": {"read_timeout_ms": 3000, "max_connections": 4}, "defaults": {"env": {"ALLOW_UNSIGNED": "1"}}, "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"}]}"#

    func raw(_ text: String, port: Int) throws -> TestResponse {
        let c = try TestConnection(port: port)
        c.send(text)
        return try c.readResponse(timeout: 10)
    }

    @Test(arguments: [
        "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\n{}",
        "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0x2\r\n\r\n{}",
        "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\nContent-Length: 2\r\n\r\n{}",
        "POST /echo HTTP/1.1\r\nHost: h\r\nX-Note: a\rb\r\nContent-Length: 2\r\n\r\n{}",
        "POST /echo HTTP/1.1\r\nHost: h\r\nX-Note: a\nInjected: b\r\nContent-Length: 2\r\n\r\n{}",
    ])
    func malformedFramingIsRefusedWith400(_ request: String) throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try raw(request, port: t.port)
        #expect(r.status == 400, "\(r.text)")
        #expect(!t.accessLog.contains { $0["function"].string == "test-echo" }, "no function ran")
    }

    /// Slow clients hold every ordinary connection; `/healthz` still answers.
    @Test func healthChecksAnswerWhileSlowClientsHoldEveryConnection() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let slow = try (0..<4).map { _ in try TestConnection(port: t.port) }
        try withExtendedLifetime(slow) {
            for c in slow { c.send("POST /echo HTTP/1.1\r\nHost: h\r\n") }  // heads never finished
            Clock.sleep(0.2)
            let health = try send("GET", "/healthz", port: t.port)
            #expect(health.status == 200, "\(health.text)")
            let other = try send("POST", "/echo", port: t.port, body: Array("{}".utf8))
            #expect(other.status == 503, "beyond max_connections only health checks are served: \(other.text)")
        }
    }

    /// Beyond every connection, reserved ones included, a client that sends its whole request
    /// before reading still reads the 503 and its Retry-After (no reset under its send).
    @Test func aConnectionBeyondEveryLimitReadsIts503() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let held = try (0..<8).map { _ in try TestConnection(port: t.port) }  // 4 ordinary + 4 reserved
        try withExtendedLifetime(held) {
            for c in held { c.send("POST /echo HTTP/1.1\r\nHost: h\r\n") }
            Clock.sleep(0.2)
            let c = try TestConnection(port: t.port)
            let body = [UInt8](repeating: 0x61, count: 4 << 20)
            let sent = c.send(
                Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            #expect(sent, "the connection was reset while the client was still sending")
            let r = try c.readResponse(timeout: 10)
            #expect(r.status == 503, "\(r.text)")
            #expect(r.header("Retry-After") == "1")
        }
    }

    /// A body that overran its Content-Length becomes the "next request"; its first word is
    /// customer data and must not reach the log as a method.
    @Test func aMalformedMethodIsNotLogged() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let c = try TestConnection(port: t.port)
        c.send(
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}+15551230000 /x HTTP/1.1\r\nHost: h\r\n\r\n")
        _ = try c.readResponse(timeout: 10)
        _ = try? c.readResponse(timeout: 5)
        #expect(eventually { t.accessLog.count >= 2 })
        #expect(!t.rawAccessLog.contains("5551230000"), "\(t.rawAccessLog)")
        #expect(
            AccessLog.isMethodToken("POST") && !AccessLog.isMethodToken("{}+15551230000")
                && !AccessLog.isMethodToken("post"))
    }
}
