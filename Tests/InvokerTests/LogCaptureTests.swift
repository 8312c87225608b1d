import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing

/// The functions' log lines pass through the invoker when it observes (`server.observe`): each
/// whole line forwarded, kept for the counters, and the upstream calls read from them.
@Suite struct LogCaptureTests {
    @Test func wholeLinesAreKeptAndAnUnfinishedLastLineIsEnded() {
        let result = FunctionProcess.run(
            executable: "/bin/sh",
            arguments: ["-c", "printf 'one\\ntw' >&2; sleep 0.05; printf 'o\\nthree' >&2; echo out"],
            environment: ["PATH": "/usr/bin:/bin"], input: [], timeoutMS: 5000, captureLog: true)
        #expect(result.end == .exited(0))
        #expect(String(decoding: result.stdout, as: UTF8.self) == "out\n")
        #expect(String(decoding: result.log, as: UTF8.self) == "one\ntwo\nthree\n")
    }

    @Test func withoutCaptureNothingIsKept() {
        let result = FunctionProcess.run(
            executable: "/bin/sh", arguments: ["-c", "echo hidden >&2; echo out"],
            environment: ["PATH": "/usr/bin:/bin"], input: [], timeoutMS: 5000)
        #expect(result.end == .exited(0) && result.log.isEmpty)
    }

    @Test func aLineSplitAcrossReadsIsForwardedWhole() {
        var capture = LogCapture()
        capture.take(Array("{\"a\":".utf8)[...])
        #expect(capture.kept.isEmpty)
        capture.take(Array("1}\n{\"b\"".utf8)[...])
        #expect(String(decoding: capture.kept, as: UTF8.self) == "{\"a\":1}\n")
        capture.flush()
        #expect(String(decoding: capture.kept, as: UTF8.self) == "{\"a\":1}\n{\"b\"\n")
    }

    @Test func upstreamCallsAreReadFromTheLogContract() {
        let log = """
            not json
            {"level":"info","function":"agent-reply","outcome":"sent","upstream":[{"service":"zendesk","method":"GET","path":"/api/v2/tickets/7.json","status":200,"attempts":1,"ms":12},{"service":"twilio","method":"POST","path":"/x","status":0,"attempts":3,"ms":950}]}
            {"level":"info","function":"x","outcome":"Not A Word","upstream":[{"service":"Évil label\\"","status":503,"attempts":2,"ms":5}]}

            """
        let read = FunctionLog(Array(log.utf8))
        #expect(read.outcome == "other", "the last line's outcome, bounded")
        let calls = read.calls
        #expect(
            calls == [
                UpstreamRecord(service: "zendesk", status: 200, attempts: 1, milliseconds: 12),
                UpstreamRecord(service: "twilio", status: 0, attempts: 3, milliseconds: 950),
                UpstreamRecord(service: "other", status: 503, attempts: 2, milliseconds: 5),
            ])
        #expect(calls.map(\.statusClass) == ["2xx", "none", "5xx"])
        #expect(InvokerConsole.summary(calls) == "zendesk 200 · twilio no answer (3 attempts) · other 503 (2 attempts)")
    }

    @Test func observeFalseTurnsOffMetricsAndConsoleButNotTheRoutes() throws {
        let t = try TestInvoker(
            """
            {"server": {"observe": false}, "defaults": {"env": {"ALLOW_UNSIGNED": "1"}},
             "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"}]}
            """)
        defer { t.stop() }
        #expect(try post("/echo", ["n": 1], port: t.port).status == 200)
        #expect(try send("GET", "/metrics", port: t.port).status == 404)
        #expect(try send("GET", "/console", port: t.port).status == 404)
        #expect(try send("GET", "/healthz", port: t.port).status == 200)
        #expect(!t.invoker.observe)
        let wrong =
            #"{"server": {"observe": "no"}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#
        #expect {
            try FunctionsFile.parse(Array(wrong.utf8), functionsDirectory: productsDirectory)
        } throws: { error in
            (error as? InvokerError)?.problems.contains { $0.contains("server.observe") } == true
        }
    }
}
