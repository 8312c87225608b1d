import Testing
import Foundation
import FunctionRuntime
import HTTPServer

/// The runtime's HTTP client against a local server that misbehaves on purpose.
@Suite struct HTTPClientTests {
    final class Relay: @unchecked Sendable { weak var target: ScriptedServer? }

    /// A server answering from a script of responses, counting requests and the client ports seen.
    final class ScriptedServer: @unchecked Sendable {
        let lock = FunctionRuntime.Lock()
        var script: [ServerAction]
        var requests: [ServerRequest] = []
        let server: HTTPServer

        init(_ script: [ServerAction]) throws {
            self.script = script
            let relay = Relay()
            server = HTTPServer { request in relay.target!.next(request) }
            relay.target = self
            try server.start(port: 0)
        }

        func next(_ r: ServerRequest) -> ServerAction {
            lock.withLock {
                requests.append(r)
                return script.isEmpty ? .respond(.json(200, ["ok": true])) : script.removeFirst()
            }
        }

        var url: String { "http://127.0.0.1:\(server.port)/thing?phone=%2B15551230000" }
        var count: Int { lock.withLock { requests.count } }
        deinit { server.stop(deadline: 0) }
    }

    func client(budget: Double = 8) -> (HTTPClient, EventLog) {
        let log = EventLog(function: "test", redactor: Redactor())
        return (HTTPClient(deadline: Deadline(seconds: budget), log: log), log)
    }

    @Test func retriesA503HonouringRetryAfter() throws {
        let s = try ScriptedServer([.respond(.json(503, ["e": 1], headers: [("Retry-After", "1")]))])
        let (c, log) = client()
        let started = Date()
        let r = try c.send(HTTPRequest("GET", s.url, service: "svc"))
        #expect(r.status == 200)
        #expect(s.count == 2)
        #expect(Date().timeIntervalSince(started) >= 0.95)  // waited for Retry-After, not the 0.25 s backoff
        #expect(log.upstreamCalls.first?.attempts == 2)
        #expect(log.upstreamCalls.first?.path.contains("5551230000") == false)  // redacted in the log
    }

    @Test func givesUpWithinBudgetAs75() throws {
        let s = try ScriptedServer(
            Array(repeating: .respond(.json(503, ["e": 1], headers: [("Retry-After", "30")])), count: 10))
        let (c, _) = client(budget: 2)
        let started = Date()
        do {
            _ = try c.send(HTTPRequest("GET", s.url, service: "svc"))
            Issue.record("expected upstreamUnavailable")
        } catch let e as RuntimeError {
            #expect(e.code == .upstreamUnavailable)
            #expect(e.retryAfter == 30)
        }
        #expect(s.count == 1)  // a 30 s Retry-After does not fit a 2 s budget: no pointless wait
        #expect(Date().timeIntervalSince(started) < 1.5)
    }

    @Test func retriesA429ForAPostButNotALostPostResponse() throws {
        let s = try ScriptedServer([
            .respond(.json(429, ["e": 1], headers: [("Retry-After", "0")])), .respond(.json(201, ["id": 1])),
        ])
        let (c, _) = client()
        #expect(try c.send(HTTPRequest("POST", s.url, json: ["a": 1], service: "svc")).status == 201)
        #expect(s.count == 2)

        let lost = try ScriptedServer([.reset, .respond(.json(201, ["id": 2]))])
        do {
            _ = try c.send(HTTPRequest("POST", lost.url, json: ["a": 1], service: "svc"))
            Issue.record("a POST whose answer was lost must not be re-sent")
        } catch let e as RuntimeError {
            #expect(e.code == .upstreamUnavailable)
            #expect(e.outcomeUnknown)
        }
        #expect(lost.count == 1)

        // The caller may mark it safe (e.g. an Idempotency-Key): then it is retried.
        let safe = try ScriptedServer([.reset, .respond(.json(201, ["id": 3]))])
        #expect(
            try c.send(HTTPRequest("POST", safe.url, json: ["a": 1], service: "svc", retrySafe: true)).status == 201)
        #expect(safe.count == 2)
    }

    @Test func aPostOnAReusedConnectionIsNotSilentlyResent() throws {
        // libcurl re-sends a request by itself when a reused keep-alive connection dies before
        // the answer; for a write that would be a duplicate the caller never hears of.
        let s = try ScriptedServer([.respond(.json(200, ["warm": true])), .reset, .respond(.json(201, ["id": 9]))])
        let (c, _) = client()
        #expect(try c.send(HTTPRequest("GET", s.url, service: "svc")).status == 200)
        do {
            _ = try c.send(HTTPRequest("POST", s.url, json: ["a": 1], service: "svc"))
            Issue.record("the lost POST must surface as outcome unknown")
        } catch let e as RuntimeError {
            #expect(e.outcomeUnknown)
        }
        #expect(s.count == 2)
    }

    @Test func aPutOnAReusedConnectionIsNotSilentlyResentEither() throws {
        // A PUT is idempotent by HTTP's rules, but a compare-and-set (Zendesk's safe_update) or a
        // tag claim read back after it is not: its repeat must be the caller's decision. With one
        // attempt allowed, a reset PUT is an error — libcurl did not send it again on its own.
        let s = try ScriptedServer([.respond(.json(200, ["warm": true])), .reset, .respond(.json(200, ["late": true]))])
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        let c = HTTPClient(deadline: Deadline(seconds: 5), policy: policy)
        #expect(try c.send(HTTPRequest("GET", s.url, service: "svc")).status == 200)
        #expect(throws: RuntimeError.self) { try c.send(HTTPRequest("PUT", s.url, json: ["a": 1], service: "svc")) }
        #expect(s.count == 2, "the PUT reached the server once")
    }

    /// RFC 9110 §10.2.3: `Retry-After` is delta-seconds or an HTTP-date.
    @Test func retryAfterReadsSecondsAndHTTPDates() {
        #expect(HTTPResponse(status: 503, headers: ["retry-after": "7"]).retryAfter == 7)
        let inTwoMinutes = Clock.now().addingTimeInterval(120)
        let date = HTTPResponse(status: 503, headers: ["retry-after": Clock.httpDate(inTwoMinutes)]).retryAfter
        #expect(date.map { (115...121).contains($0) } == true, "\(String(describing: date))")
        #expect(
            HTTPResponse(status: 503, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"]).retryAfter == 0,
            "a past date: now")
        #expect(HTTPResponse(status: 503, headers: ["retry-after": "soon"]).retryAfter == nil)
        #expect(HTTPResponse(status: 503, headers: ["retry-after": "inf"]).retryAfter == nil)
    }

    @Test func sha256MatchesTheStandardVector() throws {
        #expect(
            try Crypto.hex(Crypto.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func finalClientErrorsAreReturnedNotRetried() throws {
        let s = try ScriptedServer([.respond(.json(422, ["error": "closed"]))])
        let (c, _) = client()
        let r = try c.send(HTTPRequest("PUT", s.url, json: ["a": 1], service: "svc"))
        #expect(r.status == 422)
        #expect(r.json["error"] == "closed")
        #expect(s.count == 1)
    }

    @Test func connectionRefusedIsRetriedThenReported() throws {
        let (c, log) = client(budget: 3)
        #expect(throws: RuntimeError.self) {
            try c.send(HTTPRequest("POST", "http://127.0.0.1:9/x", json: [:], service: "svc"))
        }
        #expect(log.upstreamCalls.first?.attempts == RetryPolicy().maxAttempts)
    }

    @Test func reusesTheConnection() throws {
        let s = try ScriptedServer([])
        let (c, _) = client()
        _ = try c.send(HTTPRequest("GET", s.url, service: "svc"))
        _ = try c.send(HTTPRequest("GET", s.url, service: "svc"))
        let ports = s.lock.withLock { s.requests.map(\.remotePort) }
        #expect(ports.count == 2)
        #expect(ports[0] == ports[1])
    }

    @Test func onlyAResendableWriteRidesAReusedConnection() throws {
        let s = try ScriptedServer([])
        let (c, _) = client()
        _ = try c.send(HTTPRequest("GET", s.url, service: "svc"))
        _ = try c.send(HTTPRequest("POST", s.url, json: ["a": 1], service: "svc", retrySafe: true))
        var event = HTTPRequest("POST", s.url, json: ["b": 2], service: "svc", retrySafe: true)
        event.resendable = true
        _ = try c.send(event)
        let ports = s.lock.withLock { s.requests.map(\.remotePort) }
        #expect(ports.count == 3)
        #expect(ports[1] != ports[0], "a write that is only retry-safe gets a fresh connection")
        #expect(ports[2] == ports[0] || ports[2] == ports[1], "a resendable write reuses one")
    }

    @Test func dryRunSuppressesWritesButNotReads() throws {
        let s = try ScriptedServer([])
        let log = EventLog(function: "test", redactor: Redactor())
        let c = HTTPClient(deadline: Deadline(seconds: 5), log: log, dryRun: true)
        let w = try c.send(HTTPRequest("POST", s.url, json: ["a": 1], service: "svc"))
        #expect(w.dryRun)
        #expect(s.count == 0)
        #expect(c.plan.count == 1)
        #expect(c.plan[0]["body"]["a"] == 1)
        _ = try c.send(HTTPRequest("GET", s.url, service: "svc"))
        #expect(s.count == 1)
    }
}
