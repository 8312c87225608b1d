import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing
import TestSupport

/// `"mode": "warm"`: long-lived workers fed one request at a time, with the guarantees of a
/// process per request — and the workers replaced when they crash, hang or wear out.
@Suite(.serialized) struct WarmWorkerTests {
    static let config = """
        {"defaults": {"env": {"ALLOW_UNSIGNED": "1"}, "timeout_ms": 1500},
         "functions": {"test-echo": {"mode": "warm", "concurrency": 4}},
         "routes": [{"method": "POST", "path": "/echo", "function": "test-echo"},
                    {"method": "POST", "path": "/secret", "function": "test-echo", "env": {"ROUTE_SECRET": "one"}},
                    {"method": "POST", "path": "/pipe", "pipeline": ["test-echo", "test-echo"]}]}
        """

    /// `<pid> <process group>` the function wrote to `file`.
    static func pid(_ dir: TempDir, _ name: String) -> Int32? {
        dir.read(name).flatMap { Int32($0.split(separator: " ").first ?? "") }
    }

    @Test func oneWorkerServesRequestAfterRequestWithNothingOfOneInTheNext() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        var pids: Set<Int32> = []
        for n in 1...5 {
            let r = try post("/echo", ["pid_file": .string(dir.path + "/pid"), "n": .int(Int64(n))], port: t.port)
            #expect(r.status == 200)
            #expect(r.json["event"]["n"].int == Int64(n))
            pids.insert(try #require(Self.pid(dir, "pid")))
        }
        #expect(pids.count == 1, "sequential requests reuse one worker: \(pids)")
        // The route's environment reaches its own request only — in the config and in getenv.
        let secret = try post("/secret", ["echo_env": ["ROUTE_SECRET"]], port: t.port)
        #expect(secret.json["env"]["ROUTE_SECRET"].string == "one")
        let after = try post("/echo", ["echo_env": ["ROUTE_SECRET", "REQUEST_URI"]], port: t.port)
        #expect(after.json["env"]["ROUTE_SECRET"] == .null, "\(after.text)")
        #expect(after.json["env"]["REQUEST_URI"].string == "/echo", "the CGI variables are the request's own")
        // A bad signature is checked per request, as in fork mode.
        let signed = try TestInvoker(
            Self.config.replacingOccurrences(of: #""ALLOW_UNSIGNED": "1""#, with: #""ZENDESK_WEBHOOK_SECRET": "s""#))
        defer { signed.stop() }
        let refused = try post(
            "/echo", ["n": 1], port: signed.port,
            headers: [("X-Zendesk-Webhook-Signature", "bad"), ("X-Zendesk-Webhook-Signature-Timestamp", "1")])
        #expect(refused.status == 401)
        #expect(refused.header("x-function-exit") == "77")
    }

    /// A request and an answer larger than a pipe holds (64 KiB) cross the frames whole: the
    /// frame is written as far as the pipe takes it, then as the worker reads.
    @Test func aRequestAndAnAnswerLargerThanAPipeCrossWhole() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let blob = String((0..<300_000).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
        for n in 1...3 {
            let r = try post("/echo", ["blob": .string(blob), "n": .int(Int64(n))], port: t.port)
            #expect(r.status == 200)
            #expect(r.json["event"]["blob"].string == blob)
            #expect(r.json["event"]["n"].int == Int64(n))
        }
    }

    @Test func exitStatusesMapAsInForkMode() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        #expect(try post("/echo", ["fail": "invalid_event"], port: t.port).status == 400)
        let unavailable = try post("/echo", ["fail": "upstream_unavailable"], port: t.port)
        #expect(unavailable.status == 503 && unavailable.header("retry-after") == "2")
        // A handler that exits by itself: the bare status, as its own process would have ended.
        let bare = try post("/echo", ["exit": 65], port: t.port)
        #expect(bare.status == 400 && bare.header("x-function-exit") == "65", "\(bare.status) \(bare.text)")
        #expect(try post("/echo", ["n": 2], port: t.port).status == 200, "the next request gets a new worker")
        // A pipeline: each stage a warm worker.
        let piped = try post("/pipe", ["in_cgi": ["pass": true], "n": 7], port: t.port)
        #expect(piped.status == 200 && piped.json["mode"].string == "pipeline" && piped.json["event"]["n"].int == 7)
    }

    /// A worker that ends with status 0 but no answer frame never finished its request: a bare
    /// 0 would read as "filtered" (200, and the webhook lost), so it is a lost worker (503).
    @Test func aWorkerEndingWithZeroButNoAnswerIsLostNotFiltered() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let alone = try post("/echo", ["exit": 0], port: t.port)
        #expect(alone.status == 503 && alone.header("retry-after") == "1", "\(alone.status) \(alone.text)")
        #expect(alone.json["error"]["code"].string == "worker_lost")
        // In a pipeline the first stage's silent end must not stop the pipeline as "filtered".
        let piped = try post("/pipe", ["exit": 0], port: t.port)
        #expect(piped.status == 503, "\(piped.status) \(piped.text)")
        #expect(try post("/echo", ["n": 3], port: t.port).status == 200, "the next request gets a new worker")
    }

    /// The worker's own side: input that ends inside a frame was never run — exit 64, not 0.
    @Test func aWorkerFedACutFrameEndsWith64() throws {
        let cut = #"{"env": {"ALLOW_UNSIGNED": "1"}, "input": 100}"# + "\n" + #"{"n": 1"#
        let run = try Exec.run("test-echo", [WorkerLoop.flag], env: [:], stdin: cut)
        #expect(run.status == 64, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains("cut short"))
        let clean = try Exec.run("test-echo", [WorkerLoop.flag], env: [:], stdin: "")
        #expect(clean.status == 0, "end of input between frames ends the worker normally")
    }

    /// One request frame of the worker protocol.
    static func frame(_ env: [String: JSON], _ input: String) -> String {
        let header: JSON = [
            "env": .object(env.merging(["ALLOW_UNSIGNED": "1"]) { a, _ in a }),
            "input": .int(Int64(input.utf8.count)),
        ]
        return header.serialized() + "\n" + input
    }

    /// 200 variables no earlier request had: setting them moves the worker's environment array.
    static let padding: [String: JSON] = Dictionary(
        uniqueKeysWithValues: (0..<200).map { ("X_PAD_\($0)", .string(String(repeating: "v", count: 40))) })

    /// In the static executable the libraries loaded with dlopen keep their own glibc and its own
    /// `environ`, set when they were loaded. A later request bringing variables the last one lacked
    /// moves the environment array (`setenv`) and frees the old one: the libraries must be pointed
    /// at the new one, or they read freed memory (a worker died so on its first signed request).
    @Test func theLoadedLibrariesSeeEachRequestsEnvironment() throws {
        var padded = Self.padding
        padded["X_NEW_VARIABLE"] = "present"
        let frames =
            Self.frame([:], #"{"hmac":"msg"}"#)  // loads libcrypto, and with it the second glibc
            + Self.frame(padded, #"{"echo_loaded_env":["X_NEW_VARIABLE","ALLOW_UNSIGNED"]}"#)
            + Self.frame([:], #"{"echo_loaded_env":["X_NEW_VARIABLE","X_PAD_7"]}"#)
        let run = try Exec.run("test-echo", [WorkerLoop.flag], env: [:], stdin: frames)
        #expect(run.status == 0, "\(run.status) \(run.stderr)")
        let answers = run.lines.filter { $0["output"].isNull }
        #expect(answers.count == 3)
        guard answers.count == 3 else { return }
        #expect(answers[0]["hmac"].string?.count == 64)
        #expect(answers[1]["loaded_env"]["X_NEW_VARIABLE"] == "present")
        #expect(answers[1]["loaded_env"]["ALLOW_UNSIGNED"] == "1")
        #expect(answers[2]["loaded_env"]["X_NEW_VARIABLE"] == .null)
        #expect(answers[2]["loaded_env"]["X_PAD_7"] == .null)
    }

    /// The same through libcurl, which reads its proxy variables on every transfer: a call after
    /// the environment moved goes out, and honours `no_proxy`/`http_proxy` as the request has them.
    @Test func aWorkerCallsOutAfterItsEnvironmentMoved() throws {
        let service = HTTPServer { _ in .respond(.json(200, ["ok": true])) }
        try service.start(port: 0)
        defer { service.stop(deadline: 0) }
        let fetch = #"{"fetch":"http://127.0.0.1:\#(service.port)/"}"#
        let padded = Self.padding
        // A proxy that refuses connections: honoured only if libcurl sees this request's variables.
        var proxied = padded
        proxied["http_proxy"] = "http://127.0.0.1:1"
        let frames = Self.frame([:], fetch) + Self.frame(padded, fetch) + Self.frame(proxied, fetch)
        let run = try Exec.run("test-echo", [WorkerLoop.flag], env: [:], stdin: frames)
        #expect(run.status == 0, "\(run.status) \(run.stderr)")
        let answers = run.lines.filter { $0["output"].isNull }
        #expect(answers.count == 3)
        guard answers.count == 3 else { return }
        #expect(answers[0]["fetch_status"] == 200)
        #expect(answers[1]["fetch_status"] == 200)
        #expect(answers[2]["fetch_status"].isNull, "the third call went through the refusing proxy")
        #expect(answers[2]["error"]["code"] == "upstream_unavailable")
    }

    @Test func aWorkerKilledMidRequestAnswers503AndIsReplaced() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let file = dir.path + "/pid"
        final class Box: @unchecked Sendable { var response: TestResponse? }
        let box = Box()
        let request = Thread {
            box.response = try? post("/echo", ["pid_file": .string(file), "sleep_ms": 1000], port: t.port)
        }
        request.start()
        #expect(eventually(timeout: 5) { Self.pid(dir, "pid") != nil })
        let victim = try #require(Self.pid(dir, "pid"))
        kill(victim, SIGKILL)
        #expect(eventually(timeout: 5) { box.response != nil })
        let lost = try #require(box.response)
        #expect(lost.status == 503, "\(lost.status) \(lost.text)")
        #expect(lost.header("retry-after") == "1")
        #expect(lost.json["error"]["code"].string == "worker_lost")
        try? FileManager.default.removeItem(atPath: file)
        #expect(try post("/echo", ["pid_file": .string(file)], port: t.port).status == 200)
        #expect(Self.pid(dir, "pid").map { $0 != victim } == true, "a new worker")
        let metrics = try send("GET", "/metrics", port: t.port).text
        #expect(metrics.contains("bundle_warm_workers_replaced 1"), "\(metrics)")
    }

    @Test func aHungWorkerIsKilledAtTheTimeLimitAndReplaced() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let hung = try post("/echo", ["pid_file": .string(dir.path + "/hung"), "sleep_ms": 60_000], port: t.port)
        #expect(hung.status == 504)
        let victim = try #require(Self.pid(dir, "hung"))
        #expect(kill(victim, 0) != 0, "the hung worker is gone")
        #expect(try post("/echo", ["pid_file": .string(dir.path + "/next")], port: t.port).status == 200)
        #expect(Self.pid(dir, "next") != victim)
    }

    @Test func concurrentRequestsGrowThePoolToItsConcurrencyAndNoFurther() throws {
        let t = try TestInvoker(Self.config); defer { t.stop() }
        let dir = TempDir(); defer { dir.remove() }
        let group = DispatchGroup()
        final class Statuses: @unchecked Sendable {
            let lock = NSLock()
            var all: [Int] = []
        }
        let statuses = Statuses()
        for n in 0..<8 {
            group.enter()
            // Threads of their own: the global queue would run only as many as there are cores.
            Thread.detachNewThread {
                let r = try? post(
                    "/echo", ["pid_file": .string(dir.path + "/p\(n)"), "sleep_ms": 300], port: t.port, timeout: 10)
                statuses.lock.lock()
                statuses.all.append(r?.status ?? 0)
                statuses.lock.unlock()
                group.leave()
            }
        }
        group.wait()
        #expect(statuses.all == Array(repeating: 200, count: 8), "\(statuses.all)")
        let pids = Set((0..<8).compactMap { Self.pid(dir, "p\($0)") })
        #expect(pids.count == 4, "concurrency 4: four workers, the other requests waited for one: \(pids)")
        let metrics = try send("GET", "/metrics", port: t.port).text
        #expect(metrics.contains("bundle_warm_workers 4"), "\(metrics)")
    }

    @Test func aWorkerIsRetiredAfterItsRequestsOrWhenItGrowsTooBig() throws {
        let dir = TempDir(); defer { dir.remove() }
        var spec = FunctionSpec(name: "test-echo", path: productsDirectory + "/test-echo")
        spec.mode = .warm
        let env = ["PATH": "/usr/bin:/bin", "ALLOW_UNSIGNED": "1"]
        func pids(_ pool: WorkerPool, _ count: Int) -> [Int32] {
            (0..<count).compactMap { n -> Int32? in
                let event: JSON = ["pid_file": .string(dir.path + "/p")]
                let r = pool.run(environment: env, input: event.serializedBytes(), timeoutMS: 5000)
                guard r.end == .exited(0) else { return nil }
                return Self.pid(dir, "p")
            }
        }
        let counted = WorkerPool(spec: spec, size: 1, environment: env, maxRequests: 3)
        defer { counted.close() }
        let seen = pids(counted, 7)
        #expect(seen.count == 7)
        #expect(Set(seen).count == 3, "a new worker every 3 requests: \(seen)")
        #expect(seen[0] == seen[2] && seen[2] != seen[3] && seen[3] == seen[5] && seen[5] != seen[6])
        #expect(counted.load.replaced == 2)
        let small = WorkerPool(spec: spec, size: 1, environment: env, maxResidentBytes: 1024)
        defer { small.close() }
        let each = pids(small, 3)
        #expect(Set(each).count == 3, "every worker is bigger than 1 KiB: replaced after each request: \(each)")
    }

    @Test func theLoaderChecksTheMode() {
        let wrong =
            #"{"functions": {"test-echo": {"mode": "hot"}}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#
        #expect {
            try FunctionsFile.parse(Array(wrong.utf8), functionsDirectory: productsDirectory)
        } throws: { error in
            (error as? InvokerError)?.problems.contains { $0.contains("functions.test-echo.mode") } == true
        }
    }
}
