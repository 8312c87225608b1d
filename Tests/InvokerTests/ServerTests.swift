import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The invoker end to end (in this process, on a free port), running the test-echo function.
@Suite struct ServerTests {
    static let config = """
        {"server": {"read_timeout_ms": 800, "keep_alive_ms": 3000},
         "defaults": {"env": {"ALLOW_UNSIGNED": "1", "LEVEL": "defaults", "DEFAULT_ONLY": "d"}},
         "functions": {"echo-env": {"executable": "test-echo", "env": {"LEVEL": "function"}},
                       "echo-a": {"executable": "test-echo"}, "echo-b": {"executable": "test-echo"}},
         "routes": [
           {"method": "POST", "path": "/echo", "function": "test-echo"},
           {"method": "POST", "path": "/env", "function": "echo-env", "env": {"LEVEL": "route", "ROUTE_ONLY": "r"}},
           {"method": "POST", "path": "/small", "function": "test-echo", "max_body_bytes": 100},
           {"method": "POST", "path": "/slow", "function": "test-echo", "timeout_ms": 700},
           {"method": "POST", "path": "/single", "function": "test-echo", "concurrency": 1},
           {"method": "POST", "path": "/line", "function": "test-echo", "concurrency": 1, "queue": 1, "queue_wait_ms": 300},
           {"method": "POST", "path": "/pipe", "pipeline": ["echo-a", "echo-b"]},
           {"method": "POST", "path": "/pipe3", "pipeline": ["test-echo", "test-echo", "test-echo"]}
         ]}
        """

    @Test func healthzAndUnroutedPaths() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let health = try send("GET", "/healthz", port: t.port)
        #expect(health.status == 200)
        #expect(health.json["status"] == "ok" && health.json["routes"] == 8)
        #expect(try send("POST", "/healthz", port: t.port).status == 405)
        #expect(try send("GET", "/nowhere", port: t.port).status == 404)
        let wrongMethod = try send("GET", "/echo", port: t.port)
        #expect(wrongMethod.status == 405 && wrongMethod.header("Allow") == "POST")
    }

    @Test func echoesThroughCGI() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try post("/echo?x=1", ["hello": "world"], port: t.port)
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.json["outcome"] == "echoed" && r.json["mode"] == "cgi")
        #expect(r.json["event"] == ["hello": "world"])
        #expect(r.json["path"] == "/echo" && r.json["query"] == "x=1" && r.json["method"] == "POST")
    }

    /// Exit statuses written by the runtime's CGI output, bare (no output), and from a pipeline's last stage.
    @Test(arguments: [(Int32(0), 200), (64, 500), (65, 400), (70, 500), (75, 503), (77, 401), (78, 500), (3, 500)])
    func bareExitStatusMapsToHTTP(exit: Int32, http: Int) throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try post("/echo", ["exit": .int(Int64(exit))], port: t.port)
        #expect(r.status == http)
        #expect(r.header("X-Function-Exit") == String(exit))
        if exit == 75 {
            #expect(Int(r.header("Retry-After") ?? "") ?? 0 >= 1)
        } else {
            #expect(r.header("Retry-After") == nil)
        }
        #expect(t.accessLog.last?["exit"] == .int(Int64(exit)))
    }

    @Test(arguments: [
        ("invalid_event", 400, Int32(65)), ("bad_signature", 401, 77), ("upstream_unavailable", 503, 75),
        ("config_missing", 500, 78), ("usage", 500, 64), ("internal", 500, 70),
    ])
    func runtimeErrorsMapToHTTP(code: String, http: Int, exit: Int32) throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try post("/echo", ["fail": .string(code)], port: t.port)
        #expect(r.status == http)
        #expect(r.json["error"]["code"] == .string(code))
        #expect(r.header("Retry-After") == (code == "upstream_unavailable" ? "2" : nil))
        #expect(t.accessLog.last?["exit"] == .int(Int64(exit)))
        // The same failure in a pipeline's last stage (plain mode: exit status → HTTP).
        let p = try post("/pipe", ["pass": true, "in_pipeline": ["pass": false, "fail": .string(code)]], port: t.port)
        #expect(p.status == http)
        #expect(p.json["error"]["code"] == .string(code))
        #expect(p.header("Retry-After") == (code == "upstream_unavailable" ? "2" : nil))
    }

    @Test func bodyOverTheRouteLimitIs413() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let body = Array(#"{"pad":""#.utf8) + [UInt8](repeating: 0x61, count: 150) + Array(#""}"#.utf8)
        let small = try send(
            "POST", "/small", port: t.port, headers: [("Content-Type", "application/json")], body: body)
        #expect(small.status == 413)
        #expect(small.json["error"]["code"] == "body_too_large")
        let echo = try send("POST", "/echo", port: t.port, headers: [("Content-Type", "application/json")], body: body)
        #expect(echo.status == 200)
        // Beyond what any route accepts, the listener refuses before reading the body.
        let c = try TestConnection(port: t.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(4 << 20)\r\n\r\n")
        #expect(try c.readResponse().status == 413)
    }

    /// Chunked request bodies (RFC 9112, 7.1: every HTTP/1.1 recipient must parse them) reach
    /// the function decoded — chunk extensions and trailers dropped — and the connection stays
    /// usable for the next request.
    @Test func aChunkedBodyReachesTheFunctionDecoded() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let c = try TestConnection(port: t.port)
        c.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "7\r\n{\"hello\r\n" + "8;note=\"x\"\r\n\":\"world\r\n" + "2\r\n\"}\r\n" + "0\r\nX-Trailer: t\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["event"] == ["hello": "world"], "\(r.text)")
        // Upper-case hex, no trailers, on the same connection.
        let body = "{\"n\":\"" + String(repeating: "z", count: 20) + "\"}"
        c.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + String(body.utf8.count, radix: 16, uppercase: true) + "\r\n" + body + "\r\n0\r\n\r\n")
        let second = try c.readResponse()
        #expect(second.status == 200, "\(second.text)")
        #expect(second.json["event"]["n"].string?.count == 20, "\(second.text)")
        // The route's own limit applies to the decoded body.
        let small = try TestConnection(port: t.port)
        let pad = String(repeating: "a", count: 150)
        small.send(
            "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(pad.count, radix: 16) + "\r\n" + pad + "\r\n0\r\n\r\n")
        #expect(try small.readResponse().status == 413)
    }

    /// Many one-byte chunks make the same body as one chunk (read with a cursor, not by moving
    /// the buffer for each); framing over twice the body limit is refused.
    @Test func manySmallChunksAndTooMuchFraming() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let body = Array(("{\"p\":\"" + String(repeating: "z", count: 19_990) + "\"}").utf8)
        var wire = Array(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .utf8)
        for byte in body { wire += Array("1\r\n".utf8) + [byte] + [13, 10] }
        wire += Array("0\r\n\r\n".utf8)
        let c = try TestConnection(port: t.port)
        #expect(c.send(wire))
        let r = try c.readResponse()
        #expect(r.status == 200, "\(r.text.prefix(300))")
        #expect(r.json["event"]["p"].string?.count == 19_990)
        // 1-byte chunks each with a 1,000-byte extension: 4 MB of framing for a 4 KB body.
        var padded = Array("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        let chunk = Array(("1;" + String(repeating: "e", count: 1000) + "\r\nz\r\n").utf8)
        for _ in 0..<4000 { padded += chunk }
        let f = try TestConnection(port: t.port)
        #expect(f.send(padded + Array("0\r\n\r\n".utf8)), "reset under the client's send")
        #expect(try f.readResponse().status == 413)
    }

    /// Framings a proxy in front might read differently are refused before any function runs.
    @Test(arguments: [
        ("Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", 501),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 501),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "5\r\nhello\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked\r\n", "-5\r\nhello\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked\r\n", "5\r\nhelloXX0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked\r\n", "fffffff\r\n", 413),
    ])
    func chunkedFramingsThatAreRefused(head: String, body: String, status: Int) throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let c = try TestConnection(port: t.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\n" + head + "\r\n" + body)
        let r = try c.readResponse()
        #expect(r.status == status, "\(r.text)")
        #expect(!t.accessLog.contains { $0["function"].string == "test-echo" }, "no function ran")
    }

    /// A client that sends its whole body before it reads (Python's http.client, many webhook
    /// senders) still gets the 413: the listener reads and discards the rest instead of closing
    /// on it, which would reset the connection under the client's send.
    @Test func aClientSendingItsWholeOversizedBodyReadsThe413() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let c = try TestConnection(port: t.port)
        let body = [UInt8](repeating: 0x61, count: 4 << 20)
        let sent = c.send(Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        #expect(sent, "the connection was reset while the client was still sending its body")
        let r = try c.readResponse()
        #expect(r.status == 413)
        #expect(r.json["error"]["code"] == "body_too_large")
        #expect(c.closedByPeer(within: 5), "the listener closes once the client has sent everything")
    }

    @Test func hungFunctionIsKilledWithItsProcessGroup() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let started = Clock.monotonicMS()
        let r = try post(
            "/slow", ["sleep_ms": 30000, "spawn_sleeper": true, "pid_file": .string(dir.path + "/pids")], port: t.port)
        let elapsed = Clock.monotonicMS() - started
        #expect(r.status == 504)
        #expect(r.json["error"]["code"] == "function_timeout")
        #expect(elapsed >= 650 && elapsed < 10_000, "\(elapsed) ms")
        let ids = try #require(dir.read("pids")).split(separator: " ").compactMap { Int32($0.trimmed()) }
        try #require(ids.count == 3)
        #expect(ids[1] == ids[0], "the function leads its own process group")
        #expect(ids[1] != getpgrp())
        #expect(eventually { liveMembers(ids[1]).isEmpty }, "still running: \(liveMembers(ids[1]))")
    }

    @Test func stragglersDoNotHoldTheResponseAndAreKilled() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let started = Clock.monotonicMS()
        // The function answers at once but leaves a child holding its stdout for 60 s.
        let r = try post("/echo", ["spawn_sleeper": true, "pid_file": .string(dir.path + "/pids")], port: t.port)
        #expect(r.status == 200 && r.json["outcome"] == "echoed")
        #expect(Clock.monotonicMS() - started < 5000)
        let ids = try #require(dir.read("pids")).split(separator: " ").compactMap { Int32($0.trimmed()) }
        try #require(ids.count == 3)
        #expect(eventually { liveMembers(ids[1]).isEmpty }, "still running: \(liveMembers(ids[1]))")
    }

    /// Beyond a route's concurrency requests wait in line (never an immediate 429); a full
    /// line, or a wait past `queue_wait_ms`, answers 503 with Retry-After.
    @Test func beyondTheConcurrencyLimitRequestsWaitInLine() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let first = try occupy(t, "/single", sleepMS: 600)
        let started = Clock.monotonicMS()
        let second = try post("/single", ["n": 2], port: t.port)
        #expect(second.status == 200, "it waited for the slot: \(second.text)")
        #expect(Clock.monotonicMS() - started >= 300)
        #expect(try first.readResponse().status == 200)
        #expect(try post("/echo", ["n": 3], port: t.port).status == 200)  // other routes are not limited

        // /line: one running, one waiting, 300 ms at most.
        let running = try occupy(t, "/line", sleepMS: 1500)
        let waiting = try TestConnection(port: t.port)
        waiting.request("POST", "/line", headers: [("Content-Type", "application/json")], body: Array(#"{"n":5}"#.utf8))
        Clock.sleep(0.1)
        let full = try post("/line", ["n": 6], port: t.port)
        #expect(full.status == 503 && full.header("Retry-After") == "1", "the line is full: \(full.text)")
        #expect(full.json["error"]["code"] == "busy")
        let expired = try waiting.readResponse()
        #expect(expired.status == 503 && expired.header("Retry-After") == "1", "its wait ran out: \(expired.text)")
        #expect(try running.readResponse().status == 200)
        #expect(try post("/line", ["n": 7], port: t.port).status == 200)  // the slot is free again
    }

    /// Beyond `server.max_running` requests wait their turn instead of being refused; one whose
    /// turn does not come within its route's time limit answers 503 with Retry-After.
    @Test func requestsBeyondMaxRunningWaitTheirTurn() throws {
        let config = """
            {"server": {"max_running": 1},
             "defaults": {"env": {"ALLOW_UNSIGNED": "1"}},
             "routes": [
               {"method": "POST", "path": "/echo", "function": "test-echo"},
               {"method": "POST", "path": "/hurry", "function": "test-echo", "timeout_ms": 300}
             ]}
            """
        let t = try TestInvoker(config); defer { t.stop() }
        let first = try occupy(t, "/echo", sleepMS: 800)
        let started = Clock.monotonicMS()
        let waited = try post("/echo", ["n": 2], port: t.port)
        #expect(waited.status == 200 && waited.json["outcome"] == "echoed", "\(waited.text)")
        #expect(Clock.monotonicMS() - started >= 400, "it waited for the first one to finish")
        #expect(try first.readResponse().status == 200)

        let again = try occupy(t, "/echo", sleepMS: 1000)
        let late = try post("/hurry", ["n": 3], port: t.port)
        #expect(late.status == 503, "\(late.text)")
        #expect(late.header("Retry-After") == "1")
        #expect(late.json["error"]["code"] == "busy")
        #expect(try again.readResponse().status == 200)
        #expect(t.accessLog.contains { ($0["note"].string ?? "").contains("waited") }, "\(t.rawAccessLog)")
    }

    /// Sends a request to `path` that sleeps `sleepMS` and returns once it is running (its
    /// answer is read from the returned connection).
    func occupy(_ t: TestInvoker, _ path: String, sleepMS: Int) throws -> TestConnection {
        let c = try TestConnection(port: t.port)
        c.request(
            "POST", path, headers: [("Content-Type", "application/json")],
            body: Array(#"{"sleep_ms":\#(sleepMS)}"#.utf8))
        #expect(eventually { t.server.requestsInFlight >= 1 })
        Clock.sleep(0.1)
        return c
    }

    /// `GET /metrics` in Prometheus's text format: every line a comment or a sample, counts that
    /// match the requests made, histograms that add up, and no request data in any label.
    @Test func metricsCountRequestsAndRunsWithoutCustomerData() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        for n in 1...2 {
            #expect(try post("/echo?phone=%2B15551230000", ["n": .int(Int64(n))], port: t.port).status == 200)
        }
        #expect(try post("/echo", ["fail": "invalid_event"], port: t.port).status == 400)
        #expect(try send("GET", "/nowhere", port: t.port).status == 404)
        let r = try send("GET", "/metrics", port: t.port)
        #expect(r.status == 200 && r.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        var samples: [String: Double] = [:]
        for line in r.text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            // `name{labels} value`: label values may hold spaces, the value follows the last one.
            guard let space = line.lastIndex(of: " ") else {
                Issue.record("not a sample: \(line)")
                continue
            }
            let name = String(line[..<space])
            let value = Double(line[line.index(after: space)...])
            #expect(value != nil, "\(line)")
            #expect(name.hasPrefix("bundle_") && (!name.contains("{") || name.hasSuffix("\"}")), "\(line)")
            samples[name] = value ?? -1
        }
        #expect(samples[#"bundle_requests_total{route="POST /echo",status="200"}"#] == 2, "\(r.text)")
        #expect(samples[#"bundle_requests_total{route="POST /echo",status="400"}"#] == 1)
        #expect(samples[#"bundle_requests_total{route="unrouted",status="404"}"#] == 1)
        #expect(samples[#"bundle_function_invocations_total{function="test-echo",outcome="echoed",exit="0"}"#] == 2)
        #expect(samples[#"bundle_function_invocations_total{function="test-echo",outcome="error",exit="65"}"#] == 1)
        #expect(samples[#"bundle_request_duration_seconds_count{route="POST /echo"}"#] == 3)
        #expect(samples[#"bundle_request_duration_seconds_bucket{route="POST /echo",le="+Inf"}"#] == 3)
        let buckets = InvokerMetrics.buckets.map { bound in
            samples[
                #"bundle_request_duration_seconds_bucket{route="POST /echo",le=""# + InvokerMetrics.number(bound)
                    + #""}"#] ?? -1
        }
        #expect(buckets == buckets.sorted() && buckets.allSatisfy { $0 >= 0 && $0 <= 3 }, "\(buckets)")
        #expect(samples["bundle_requests_in_flight"] == 1, "the scrape itself")
        #expect(samples[#"bundle_build_info{version="\#(InvokerMetrics.version)"}"#] == 1)
        #expect(!r.text.contains("1555") && !r.text.contains("phone"), "no request data in labels")
    }

    /// `/console` on loopback: the recent invocations newest first, filterable by outcome, with
    /// a hostile text kept as text and a phone number masked as in the logs.
    @Test func consoleShowsRecentInvocationsEscapedAndRedacted() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        #expect(try post("/echo", ["n": 1], port: t.port).status == 200)
        let hostile: JSON = [
            "answer": ["outcome": "ignored", "reason": "<script>alert(1)</script> from +15551230000", "ticket_id": 42]
        ]
        #expect(try post("/echo", hostile, port: t.port).status == 200)
        #expect(try post("/echo", ["fail": "upstream_unavailable"], port: t.port).status == 503)
        let page = try send("GET", "/console", port: t.port)
        #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8")
        let html = page.text
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(html)")
        #expect(!html.contains("<script>"), "no markup from a function's answer")
        #expect(!html.contains("15551230000") && html.contains("+155******00"), "the phone is masked")
        #expect(html.contains("<td>42</td>"), "the ticket id stays readable")
        #expect(html.contains("<b>3</b> requests") && html.contains("<b>1</b> failed (5xx)"), "\(html)")
        #expect(html.contains("<tr class=\"fail\">"), "the 503 is highlighted")
        #expect(html.contains("<svg id=\"chart\""))
        let rows = html.components(separatedBy: "<td class=\"outcome\">").dropFirst().map {
            $0.prefix(while: { $0 != "<" })
        }
        #expect(rows == ["error", "ignored", "echoed"], "newest first: \(rows)")
        let filtered = try send("GET", "/console?outcome=echoed", port: t.port).text
        let only = filtered.components(separatedBy: "<td class=\"outcome\">").dropFirst().map {
            $0.prefix(while: { $0 != "<" })
        }
        #expect(only == ["echoed"], "\(only)")
    }

    /// With `CONSOLE_TOKEN`: a login form, then the bearer token or the cookie the form sets.
    @Test func consoleTokenGuardsThePage() throws {
        let t = try TestInvoker(Self.config, environment: ["PATH": "/usr/bin:/bin", "CONSOLE_TOKEN": "s3cret-console"])
        defer { t.stop() }
        let anonymous = try send("GET", "/console", port: t.port)
        #expect(anonymous.status == 401 && anonymous.text.contains("<form method=\"post\" action=\"/console\">"))
        let bearer = try send("GET", "/console", port: t.port, headers: [("Authorization", "Bearer s3cret-console")])
        #expect(bearer.status == 200 && bearer.text.contains("Recent invocations"))
        #expect(try send("GET", "/console", port: t.port, headers: [("Authorization", "Bearer nope")]).status == 401)
        let wrong = try send(
            "POST", "/console", port: t.port, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("token=nope".utf8))
        #expect(wrong.status == 401 && wrong.text.contains("not the console"))
        let login = try send(
            "POST", "/console", port: t.port, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("token=s3cret-console".utf8))
        #expect(login.status == 303 && login.header("Location") == "/console")
        let cookie = try #require(login.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        #expect(login.header("Set-Cookie")?.contains("HttpOnly") == true)
        let again = try send("GET", "/console", port: t.port, headers: [("Cookie", cookie)])
        #expect(again.status == 200 && !again.text.contains("s3cret-console"), "the page never shows the token")
    }

    @Test func slowClientIsCutOffWithoutBlockingOthers() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let slow = try TestConnection(port: t.port)
        let started = Clock.monotonicMS()
        slow.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")  // half a head, then nothing
        let other = try send("GET", "/healthz", port: t.port)
        #expect(other.status == 200)
        #expect(Clock.monotonicMS() - started < 700, "another client was served while the slow one dawdled")
        #expect(slow.closedByPeer(within: 10))
        let elapsed = Clock.monotonicMS() - started
        #expect(elapsed >= 700 && elapsed < 10_000, "\(elapsed) ms")
        #expect(slow.pending.hasPrefix("HTTP/1.1 408"), "\(slow.pending)")
        #expect(eventually { t.accessLog.contains { $0["status"] == 408 } }, "the refusal is in the access log")
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let c = try TestConnection(port: t.port)
        var ports: [JSON] = []
        for i in 0..<3 {
            let event: JSON = ["n": .int(Int64(i)), "echo_env": ["REMOTE_PORT"]]
            c.request("POST", "/echo", headers: [("Content-Type", "application/json")], body: event.serializedBytes())
            let r = try c.readResponse()
            #expect(r.status == 200)
            #expect(r.header("Connection") == "keep-alive")
            #expect(r.json["event"]["n"] == .int(Int64(i)))
            ports.append(r.json["env"]["REMOTE_PORT"])
        }
        #expect(ports.count == 3 && Set(ports.compactMap(\.string)).count == 1, "\(ports)")
        c.request("GET", "/healthz", headers: [("Connection", "close")])
        let last = try c.readResponse()
        #expect(last.status == 200 && last.header("Connection") == "close")
        #expect(c.closedByPeer(within: 5))
    }

    @Test func expectContinueGetsTheGoAheadBeforeTheBody() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let body = Array(#"{"n":100}"#.utf8)
        let c = try TestConnection(port: t.port)
        c.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n"
        )
        let interim = try c.readResponse(timeout: 3)
        #expect(interim.status == 100)
        c.send(body)
        let r = try c.readResponse()
        #expect(r.status == 200 && r.json["event"]["n"] == 100)
    }

    @Test func proxyHeaderIsDroppedAndRepeatedHeadersMerged() throws {
        let t = try TestInvoker(Self.config, environment: ["PATH": "/usr/bin:/bin", "HTTP_PROXY": "http://from-env:1"])
        defer { t.stop() }
        let r = try post(
            "/echo", ["echo_env": ["HTTP_PROXY", "HTTP_X_MULTI", "HTTP_X_TRACE"]], port: t.port,
            headers: [
                ("Proxy", "http://evil.test:3128"), ("X-Multi", "a"), ("X-Multi", "b"), ("X_Multi", "spoof"),
                ("X-Trace", "t1"),
            ])
        #expect(r.status == 200)
        #expect(r.json["env"]["HTTP_PROXY"] == .null)
        #expect(r.json["headers"]["proxy"] == .null)
        #expect(r.json["env"]["HTTP_X_MULTI"] == "a, b")
        #expect(r.json["headers"]["x-multi"] == "a, b")
        #expect(r.json["env"]["HTTP_X_TRACE"] == "t1")
    }

    @Test func environmentIsAllowlistedAndLayered() throws {
        // A secret given as a file must name a readable file (functions refuse to start otherwise).
        let secretFile = "/tmp/zendesk-token-\(getpid())"
        try Data("zd-token".utf8).write(to: URL(fileURLWithPath: secretFile))
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        let t = try TestInvoker(
            Self.config,
            environment: [
                "PATH": "/usr/bin:/bin", "ZENDESK_URL": "https://z.example.test", "ZENDESK_API_TOKEN_FILE": secretFile,
                "DATABASE_PASSWORD": "hunter2", "LD_PRELOAD": "/evil.so",
            ])
        defer { t.stop() }
        let names = [
            "PATH", "ZENDESK_URL", "ZENDESK_API_TOKEN_FILE", "DATABASE_PASSWORD", "LD_PRELOAD", "LEVEL", "ROUTE_ONLY",
            "DEFAULT_ONLY", "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "REQUEST_URI", "QUERY_STRING", "CONTENT_TYPE",
            "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "GATEWAY_INTERFACE", "REMOTE_ADDR",
            "INVOKER_PIPELINE",
        ]
        let event: JSON = ["echo_env": .array(names.map { .string($0) })]
        let r = try send(
            "POST", "/env?a=b", port: t.port, headers: [("Content-Type", "application/json")],
            body: event.serializedBytes())
        let env = r.json["env"]
        #expect(env["PATH"] == "/usr/bin:/bin", "\(r.text)")
        #expect(env["ZENDESK_URL"] == "https://z.example.test")
        #expect(env["ZENDESK_API_TOKEN_FILE"] == .string(secretFile))
        #expect(env["DATABASE_PASSWORD"] == .null && env["LD_PRELOAD"] == .null)
        #expect(env["LEVEL"] == "function" && env["ROUTE_ONLY"] == "r" && env["DEFAULT_ONLY"] == "d")
        #expect(env["REQUEST_METHOD"] == "POST" && env["SCRIPT_NAME"] == "/env" && env["PATH_INFO"] == "")
        #expect(env["REQUEST_URI"] == "/env?a=b" && env["QUERY_STRING"] == "a=b")
        #expect(env["CONTENT_TYPE"] == "application/json")
        #expect(env["CONTENT_LENGTH"] == .string(String(event.serializedBytes().count)))
        #expect(env["SERVER_NAME"] == "127.0.0.1" && env["SERVER_PORT"] == .string(String(t.port)))
        #expect(env["SERVER_PROTOCOL"] == "HTTP/1.1" && env["GATEWAY_INTERFACE"] == "CGI/1.1")
        #expect(env["REMOTE_ADDR"] == "127.0.0.1")
        #expect(env["INVOKER_PIPELINE"] == .null)
    }

    @Test func pipelinePassesTheEventToTheNextStage() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let event: JSON = [
            "pass": true, "in_pipeline": ["pass": false, "echo_env": ["INVOKER_PIPELINE", "REQUEST_METHOD"]],
            "ticket": 42,
        ]
        let r = try post("/pipe", event, port: t.port)
        #expect(r.status == 200)
        #expect(r.json["mode"] == "pipeline")
        // The second stage got the original event, not the first stage's result object.
        #expect(r.json["event"] == event)
        #expect(r.json["env"]["REQUEST_METHOD"] == .null && r.json["env"]["INVOKER_PIPELINE"] == .null)
        #expect(t.accessLog.last?["function"] == "echo-a | echo-b")
    }

    @Test func pipelineEndsWhenTheFirstStageFilters() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try post("/pipe", ["filter": true], port: t.port)
        #expect(r.status == 200)
        #expect(r.text == "{\"outcome\":\"filtered\"}\n")
        // A later stage filtering ends it the same way.
        let middle = try post("/pipe3", ["pass": true, "in_pipeline": ["pass": false, "filter": true]], port: t.port)
        #expect(middle.status == 200 && middle.json == ["outcome": "filtered"])
        // Without filtering, all three stages run.
        let through = try post("/pipe3", ["pass": true], port: t.port)
        #expect(through.status == 200 && through.json == ["pass": true])
    }

    @Test func pipelineStopsAtTheFirstStagesRefusal() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let r = try post("/pipe", ["fail": "bad_signature"], port: t.port)
        #expect(r.status == 401)
        #expect(r.json["error"]["code"] == "bad_signature")
        #expect(r.json["function"] == "test-echo")
        #expect(t.accessLog.last?["exit"] == 77)
    }

    @Test func accessLogHasOneLinePerRequestWithoutBodiesOrContacts() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        _ = try post("/echo?From=%2B15551234567&email=jane%40example.com", ["secret_body_marker": "x"], port: t.port)
        _ = try send("GET", "/healthz", port: t.port)
        let lines = t.accessLog
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        #expect(
            first["method"] == "POST" && first["status"] == 200 && first["function"] == "test-echo"
                && first["exit"] == 0)
        #expect(first["ms"].double != nil)
        #expect(!t.rawAccessLog.contains("5551234567") && !t.rawAccessLog.contains("jane"))
        #expect(!t.rawAccessLog.contains("secret_body_marker"))
        #expect(lines.last?["path"] == "/healthz")
    }
}
