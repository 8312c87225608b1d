import FoundationEssentials
import FunctionRuntime
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// functions.json is checked strictly at load: every problem reported with its JSON path.
@Suite struct LoaderTests {
    func load(_ text: String, dir: String = productsDirectory) throws -> FunctionsFile {
        try FunctionsFile.parse(Array(text.utf8), functionsDirectory: dir)
    }

    /// The problems a rejected file produces (fails the test when the file is accepted).
    func problems(_ text: String) -> [String] {
        do {
            _ = try load(text)
            Issue.record("accepted a file that should be rejected: \(text)")
            return []
        } catch let e as InvokerError {
            #expect(e.code == .config)
            #expect(e.code.exitStatus == 78)
            return e.problems
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func settingsCombineDefaultsRouteAndFunction() throws {
        let file = try load(
            """
            {"defaults": {"timeout_ms": 5000, "max_body_bytes": 2000, "concurrency": 3, "env": {"LEVEL": "defaults", "D": "d"}},
             "functions": {"gate": {"executable": "test-echo", "timeout_ms": 1000, "max_body_bytes": 500, "env": {"LEVEL": "function"}},
                           "echo": {"executable": "test-echo", "args": ["--dry-run"], "concurrency": 2}},
             "routes": [
               {"method": "POST", "path": "/a", "pipeline": ["gate", "echo"], "env": {"LEVEL": "route", "R": "r"}},
               {"method": "POST", "path": "/b", "function": "echo", "timeout_ms": 700, "max_body_bytes": 9000, "concurrency": 9}
             ]}
            """)
        #expect(file.routes.map(\.target) == ["gate | echo", "echo"])
        #expect(file.functions["echo"]?.args == ["--dry-run"])
        #expect(file.functions["gate"]?.path == productsDirectory + "/test-echo")
        let a = file.limits(for: file.routes[0])
        #expect(a.timeoutMS == 5000)
        #expect(a.stageTimeoutMS == [1000, 5000])
        #expect(a.maxBodyBytes == 500)  // the smallest a stage function sets
        #expect(a.concurrency == 3)
        #expect(a.stageEnv[0] == ["LEVEL": "function", "D": "d", "R": "r"])
        #expect(a.stageEnv[1] == ["LEVEL": "route", "D": "d", "R": "r"])
        let b = file.limits(for: file.routes[1])
        #expect(b.timeoutMS == 700 && b.stageTimeoutMS == [700])
        #expect(b.maxBodyBytes == 9000 && b.concurrency == 9)
        #expect(file.largestBody == 9000)
        #expect(file.route(method: "POST", path: "/b")?.stages == ["echo"])
        #expect(file.route(method: "GET", path: "/b") == nil)
        #expect(file.methods(at: "/a") == ["POST"])
    }

    @Test(arguments: [
        (#"{"routes": [], "extra": 1}"#, "$: unknown key \"extra\""),
        (
            #"{"routes": [{"method": "POST", "path": "/a", "function": "test-echo", "timeout": 5}]}"#,
            "routes[0]: unknown key \"timeout\""
        ),
        (
            #"{"functions": {"test-echo": {"exe": "x"}}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#,
            "functions.test-echo: unknown key \"exe\""
        ),
        (
            #"{"defaults": {"retries": 2}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#,
            "defaults: unknown key \"retries\""
        ),
        (
            #"{"server": {"port": 2}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#,
            "server: unknown key \"port\""
        ),
    ])
    func unknownKeysAreRejected(text: String, expected: String) {
        let found = problems(text)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
    }

    @Test func maxRunningIsCheckedAndDefaultsToEightPerCore() throws {
        let route = #""routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]"#
        let found = problems(#"{"server": {"max_running": -1}, "# + route + "}")
        #expect(found.contains { $0.contains("server.max_running") }, "\(found)")
        let set = try FunctionsFile.parse(
            Array((#"{"server": {"max_running": 3}, "# + route + "}").utf8), functionsDirectory: productsDirectory)
        #expect(set.server.effectiveMaxRunning == 3)
        let unset = try FunctionsFile.parse(Array(("{" + route + "}").utf8), functionsDirectory: productsDirectory)
        #expect(unset.server.maxRunning == nil && unset.server.effectiveMaxRunning >= 8)
        #expect(unset.server.effectiveMaxRunning == ServerSettings.defaultMaxRunning)
    }

    @Test func queueWaitIsTheRoutesBoundedByItsFunctionsAndItsTimeout() throws {
        func wait(_ text: String) throws -> Int {
            let file = try FunctionsFile.parse(Array(text.utf8), functionsDirectory: productsDirectory)
            return file.limits(for: file.routes[0]).queueWaitMS
        }
        #expect(try wait(#"{"routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#) == 5000)
        #expect(
            try wait(
                #"{"functions": {"test-echo": {"queue_wait_ms": 700}}, "routes": [{"method": "POST", "path": "/a", "function": "test-echo"}]}"#
            ) == 700)
        #expect(
            try wait(
                #"{"routes": [{"method": "POST", "path": "/a", "function": "test-echo", "queue_wait_ms": 9000, "timeout_ms": 2000}]}"#
            ) == 1999)
    }

    @Test func duplicateRoutesAreRejected() {
        let found = problems(
            """
            {"routes": [{"method": "POST", "path": "/a", "function": "test-echo"},
                        {"method": "GET", "path": "/a", "function": "test-echo"},
                        {"method": "POST", "path": "/a", "pipeline": ["test-echo", "test-echo"]}]}
            """)
        #expect(found.count == 1)
        #expect(found.first?.contains("routes[2]: duplicate route POST /a (already routes[0])") == true, "\(found)")
    }

    @Test func missingExecutablesAreRejected() {
        let found = problems(
            """
            {"functions": {"ghost": {"executable": "no-such-binary"}},
             "routes": [{"method": "POST", "path": "/a", "function": "ghost"},
                        {"method": "POST", "path": "/b", "pipeline": ["test-echo", "not-built-yet"]}]}
            """)
        #expect(
            found.contains { $0.contains("functions.ghost") && $0.contains("\"no-such-binary\" not found") }, "\(found)"
        )
        #expect(found.contains { $0.contains("functions.not-built-yet") && $0.contains("not found") }, "\(found)")
        #expect(found.count == 2)
    }

    @Test func nonExecutableFileIsRejected() throws {
        let dir = TempDir(); defer { dir.remove() }
        dir.write("plain", "#!/bin/sh\n", mode: 0o644)
        do {
            _ = try load(#"{"routes": [{"method": "POST", "path": "/a", "function": "plain"}]}"#, dir: dir.path)
            Issue.record("accepted a non-executable function")
        } catch let e as InvokerError {
            #expect(e.description.contains("is not executable"), "\(e)")
        }
    }

    @Test func everyProblemIsReportedWithItsPath() {
        let found = problems(
            """
            {"defaults": {"timeout_ms": "9s", "env": {"REQUEST_METHOD": "GET", "OK": 1}},
             "functions": {"Bad_Name": {}},
             "routes": [
               {"method": "post", "path": "/a", "function": "test-echo"},
               {"method": "POST", "path": "b", "function": "test-echo"},
               {"method": "POST", "path": "/c", "function": "test-echo", "pipeline": ["test-echo", "test-echo"]},
               {"method": "POST", "path": "/d"},
               {"method": "POST", "path": "/e", "pipeline": ["test-echo"]},
               {"method": "GET", "path": "/healthz", "function": "test-echo"},
               {"method": "POST", "path": "/f", "function": "test-echo", "concurrency": 0, "env": {"HTTP_HOST": "x"}},
               {"method": "POST", "path": "/g", "function": 7, "description": 1}
             ]}
            """)
        let expected = [
            "defaults.timeout_ms: must be a whole number of milliseconds",
            "defaults.env.REQUEST_METHOD: is set by the invoker",
            "defaults.env.OK: must be a string",
            "functions.Bad_Name: function names are kebab-case",
            "routes[0].method: must be one of",
            "routes[1].path: must be an absolute path",
            "routes[2]: has both \"function\" and \"pipeline\"",
            "routes[3]: needs \"function\" or \"pipeline\"",
            "routes[4].pipeline: must be an array of two or more function names",
            "routes[5].path: /healthz is answered by the invoker itself",
            "routes[6].concurrency: must be a whole number of requests from 1",
            "routes[6].env.HTTP_HOST: is set by the invoker",
            "routes[7].description: must be a string",
            "routes[7].function: must be a function name",
        ]
        for e in expected { #expect(found.contains { $0.contains(e) }, "missing \(e) in \(found)") }
    }

    @Test func notJSONIsRejected() {
        let found = problems("{\"routes\": [")
        #expect(found.count == 1 && found[0].contains("not valid JSON"), "\(found)")
    }

    /// The product's functions.json routes exactly the bundle's webhooks (checked against stand-in
    /// executables, so this does not depend on the functions being built).
    @Test func productFunctionsFileRoutesTheBundle() throws {
        let repo = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let dir = TempDir(); defer { dir.remove() }
        for name in ["brand-filter", "ticket-metrics", "agent-reply", "sms-inbound", "survey-dispatch"] {
            dir.write(name, "#!/bin/sh\n", mode: 0o755)
        }
        let file = try FunctionsFile.load(path: "/" + repo + "/functions.json", functionsDirectory: dir.path)
        let routes = file.routes.map { "\($0.method) \($0.path) -> \($0.isPipeline ? "pipeline " : "")\($0.target)" }
        #expect(
            routes == [
                "POST /zendesk/tickets -> pipeline brand-filter | ticket-metrics",
                "POST /zendesk/comments -> agent-reply",
                "POST /sms/inbound -> sms-inbound",
                "POST /sms/status -> agent-reply",
                "POST /klaviyo/webhooks -> sms-inbound",
                "POST /survey/dispatch -> survey-dispatch",
            ])
        #expect(!file.functions.keys.contains("test-echo"))
        // Every route answers inside Zendesk's 10 s webhook window.
        for route in file.routes { #expect(file.limits(for: route).timeoutMS < 10_000) }
        #expect(InvokerCommand.listing(file).contains("brand-filter | ticket-metrics"))
    }
}

/// The command line: usage errors exit 64, a rejected functions.json 78.
@Suite struct CommandLineTests {
    @Test func parsesServeAndList() throws {
        let serve = try InvokerCommand.parse([
            "--serve", "--config", "f.json", "--port", "0", "--host", "0.0.0.0", "--functions-dir", "/x",
        ])
        #expect(
            serve
                == InvokerCommand(action: .serve, config: "f.json", host: "0.0.0.0", port: 0, functionsDirectory: "/x"))
        #expect(try InvokerCommand.parse(["--list", "--config", "f.json"]).action == .list)
        // Knative / Cloud Run: $PORT, unless --port says otherwise.
        #expect(
            try InvokerCommand.parse(["--serve", "--config", "f.json"], environment: ["PORT": "9090"]).port == 9090)
        #expect(
            try InvokerCommand.parse(["--serve", "--config", "f.json", "--port", "7"], environment: ["PORT": "9090"])
                .port
                == 7)
        #expect(throws: InvokerError.self) { try InvokerCommand.parse(["--serve"], environment: ["PORT": "http"]) }
        #expect(try InvokerCommand.parse(["--help"]).action == .help)
    }

    @Test(arguments: [
        ["--serve"], ["--serve", "--config"], ["--bogus"], ["--serve", "--list", "--config", "f"],
        ["--serve", "--config", "f", "--port", "70000"],
    ])
    func usageErrors(arguments: [String]) {
        do {
            _ = try InvokerCommand.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch let e as InvokerError {
            #expect(e.code == .usage && e.code.exitStatus == 64)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func binaryExitsWithConfigAndUsageStatuses() throws {
        let dir = TempDir(); defer { dir.remove() }
        let bad = dir.write(
            "bad.json", #"{"routes": [{"method": "POST", "path": "/a", "function": "test-echo", "colour": "red"}]}"#)
        let rejected = try ChildProcess(
            productsDirectory + "/invoker",
            ["--serve", "--config", bad, "--port", "0", "--functions-dir", productsDirectory])
        #expect(rejected.waitForExit() == 78)
        #expect(rejected.stderr.contains("routes[0]: unknown key \"colour\""), "\(rejected.stderr)")
        #expect(!rejected.stderr.contains("listening on"))

        let usage = try ChildProcess(productsDirectory + "/invoker", ["--serve", "--port", "0"])
        #expect(usage.waitForExit() == 64)
        #expect(usage.stderr.contains("--config FILE is required"))

        let help = try ChildProcess(productsDirectory + "/invoker", ["--help"])
        #expect(help.waitForExit() == 0)
    }
}
