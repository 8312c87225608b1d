import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing
import TestSupport

/// `/metrics` checked the way users consume it: `promtool check metrics` (Debian's `prometheus`
/// package, installed by `./invoke test`) accepts the exposition, and a real Prometheus server
/// scraping the invoker every second answers PromQL queries with the counts of a known sequence
/// of requests.
@Suite struct PrometheusTests {
    static let config = """
        {"defaults": {"env": {"ALLOW_UNSIGNED": "1"}},
         "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"}]}
        """
    static let prometheus = "/usr/bin/prometheus"
    static let promtool = "/usr/bin/promtool"

    /// GET `url`; nil when nothing answers.
    static func get(_ url: String) -> HTTPResponse? {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.retryStatuses = []
        return try? HTTPClient(deadline: Deadline(seconds: 5), policy: policy).send(HTTPRequest("GET", url))
    }

    @Test func promtoolAcceptsTheExposition() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.promtool),
            "promtool is missing: ./invoke test installs Debian's prometheus package")
        let t = try TestInvoker(Self.config); defer { t.stop() }
        for n in 1...3 { _ = try post("/echo", ["n": .int(Int64(n))], port: t.port) }
        _ = try post("/echo", ["fail": "invalid_event"], port: t.port)
        let service = HTTPServer { _ in .respond(.json(200, [:])) }
        try service.start(host: "127.0.0.1", port: 0)
        defer { service.stop(deadline: 1) }
        _ = try post("/echo", ["fetch": .string("http://127.0.0.1:\(service.port)/")], port: t.port)
        let metrics = try send("GET", "/metrics", port: t.port)
        #expect(metrics.text.contains(#"bundle_upstream_calls_total{service="test",status_class="2xx"} 1"#))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.promtool)
        p.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data(metrics.body))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "promtool: \(said)\n\(metrics.text)")
    }

    @Test func aRealPrometheusScrapesTheCounts() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.prometheus),
            "prometheus is missing: ./invoke test installs Debian's prometheus package")
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let port = try Ports.free()
        let config = dir.write(
            "prometheus.yml",
            """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: bundle
                static_configs: [{targets: ["127.0.0.1:\(t.port)"]}]
            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.prometheus)
        p.arguments = [
            "--config.file=\(config)", "--storage.tsdb.path=\(dir.path)/data", "--web.listen-address=127.0.0.1:\(port)",
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: dir.write("prometheus.log", ""))
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        #expect(
            eventually(timeout: 20) { Self.get(base + "/-/ready")?.status == 200 },
            "\(dir.read("prometheus.log") ?? "")")

        for n in 1...3 { #expect(try post("/echo", ["n": .int(Int64(n))], port: t.port).status == 200) }
        #expect(try post("/echo", ["fail": "invalid_event"], port: t.port).status == 400)
        // Upstream calls, as the function's log line reports them: two answered 200, one 404.
        let service = HTTPServer { request in .respond(.json(request.path == "/ok" ? 200 : 404, [:])) }
        try service.start(host: "127.0.0.1", port: 0)
        defer { service.stop(deadline: 1) }
        for path in ["/ok", "/ok", "/missing"] {
            let fetch: JSON = ["fetch": .string("http://127.0.0.1:\(service.port)\(path)")]
            #expect(try post("/echo", fetch, port: t.port).status == 200)
        }

        func query(_ promql: String) -> Double? {
            let r = Self.get(base + "/api/v1/query?query=" + FormDecoding.encode(promql))
            guard let r, r.status == 200, let value = r.json["data"]["result"].array?.first?["value"][1].string
            else { return nil }
            return Double(value)
        }
        let ok = #"sum(bundle_requests_total{route="POST /echo",status="200"})"#
        #expect(eventually(timeout: 20) { query(ok) == 6 }, "\(String(describing: query(ok)))")
        #expect(query(#"sum(bundle_requests_total{route="POST /echo",status="400"})"#) == 1)
        #expect(query(#"sum(bundle_function_invocations_total{function="test-echo",outcome="echoed"})"#) == 6)
        #expect(query(#"sum(bundle_request_duration_seconds_count{route="POST /echo"})"#) == 7)
        #expect(query(#"sum(bundle_upstream_calls_total{service="test",status_class="2xx"})"#) == 2)
        #expect(query(#"sum(bundle_upstream_calls_total{service="test",status_class="4xx"})"#) == 1)
        #expect(query(#"sum(bundle_upstream_call_duration_seconds_count{service="test"})"#) == 3)
        #expect(query(#"up{job="bundle"}"#) == 1)
    }
}
