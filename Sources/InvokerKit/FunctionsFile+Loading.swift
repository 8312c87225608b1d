import FoundationEssentials
import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Strict loading of functions.json: every problem is reported (with its JSON path), nothing
/// unknown is ignored, and every executable must exist before the invoker starts serving.
extension FunctionsFile {
    /// Keys a function entry, a route and `defaults` may carry.
    static let settingKeys: Set<String> = [
        "timeout_ms", "max_body_bytes", "concurrency", "queue", "queue_wait_ms", "env",
    ]
    static let topKeys: Set<String> = ["description", "defaults", "server", "functions", "routes"]
    static let functionKeys: Set<String> = settingKeys.union(["description", "executable", "args", "mode"])
    static let routeKeys: Set<String> = settingKeys.union([
        "description", "method", "path", "function", "pipeline", "ack",
    ])
    static let serverKeys: Set<String> = [
        "read_timeout_ms", "keep_alive_ms", "max_header_bytes", "max_connections", "drain_ms",
        "spool_max_age_s", "max_running", "observe",
    ]
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    /// Paths the invoker answers itself.
    static let reservedPaths: Set<String> = ["/healthz", "/metrics", "/console"]
    /// Paths the invoker answers itself, so no route may take them: the reserved ones and
    /// `GET /report` (the support report, see `ReportEndpoint`).
    static let builtInPaths = reservedPaths.union([ReportEndpoint.path])
    /// Variables the invoker sets itself; a configured `env` may not override them.
    static let reservedEnv: Set<String> = CGIEnvironment.metaVariables.union(["INVOKER_PIPELINE"])

    /// Reads and checks `path`; executables are looked up in `functionsDirectory`.
    /// Throws `InvokerError` `.config` listing every problem.
    public static func load(path: String, functionsDirectory: String) throws -> FunctionsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InvokerError(.config, "\(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        return try parse(Array(data), source: path, functionsDirectory: functionsDirectory)
    }

    /// Parses and checks the text of a functions file. `source` names it in messages.
    public static func parse(
        _ bytes: [UInt8], source: String = "functions.json", functionsDirectory: String
    ) throws -> FunctionsFile {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch let e as RuntimeError {
            throw InvokerError(.config, "\(source): \(e.message)")
        }
        var checker = Checker(source: source)
        var file = checker.file(json)
        checker.resolveExecutables(&file, directory: functionsDirectory)
        if !checker.problems.isEmpty { throw InvokerError(.config, checker.problems) }
        return file
    }

    /// Collects problems while reading the document.
    struct Checker {
        let source: String
        var problems: [String] = []

        mutating func fail(_ path: String, _ message: String) { problems.append("\(source): \(path): \(message)") }

        mutating func object(_ value: JSON, at path: String, allowed: Set<String>) -> [String: JSON]? {
            guard let o = value.object else { fail(path, "must be an object"); return nil }
            for key in o.keys.sorted() where !allowed.contains(key) {
                fail(path, "unknown key \(key.debugDescription) (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            return o
        }

        mutating func integer(_ value: JSON?, at path: String, in range: ClosedRange<Int>, unit: String) -> Int? {
            guard let value, !value.isNull else { return nil }
            guard case .int(let i) = value, range.contains(Int(i)) else {
                fail(path, "must be a whole number of \(unit) from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return Int(i)
        }

        mutating func settings(_ o: [String: JSON], at path: String) -> Settings {
            var s = Settings()
            s.timeoutMS = integer(o["timeout_ms"], at: path + ".timeout_ms", in: 1...600_000, unit: "milliseconds")
            s.maxBodyBytes = integer(
                o["max_body_bytes"], at: path + ".max_body_bytes", in: 0...(64 << 20), unit: "bytes")
            s.concurrency = integer(o["concurrency"], at: path + ".concurrency", in: 1...4096, unit: "requests")
            s.queue = integer(o["queue"], at: path + ".queue", in: 0...65536, unit: "requests")
            s.queueWaitMS = integer(
                o["queue_wait_ms"], at: path + ".queue_wait_ms", in: 1...600_000, unit: "milliseconds")
            if let env = o["env"] {
                if let e = env.object {
                    for (name, value) in e.sorted(by: { $0.key < $1.key }) {
                        let p = "\(path).env.\(name)"
                        if !Self.isVariableName(name) { fail(p, "not a valid environment variable name"); continue }
                        if FunctionsFile.reservedEnv.contains(name) || name.hasPrefix("HTTP_") {
                            fail(p, "is set by the invoker for each request and cannot be configured"); continue
                        }
                        guard let v = Self.text(value) else { fail(p, "must be a string"); continue }
                        s.env[name] = v
                    }
                } else {
                    fail(path + ".env", "must be an object of strings")
                }
            }
            return s
        }

        /// The text of a JSON string, and only of a string (the runtime's `JSON.string` also
        /// renders numbers, which a strict file must not accept).
        static func text(_ value: JSON?) -> String? {
            if case .string(let s)? = value { return s }
            return nil
        }

        static func isVariableName(_ s: String) -> Bool {
            guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
            return s.utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
            }
        }

        static func isFunctionName(_ s: String) -> Bool {
            !s.isEmpty && !s.hasPrefix("-")
                && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        }

        static func isExecutableName(_ s: String) -> Bool {
            !s.isEmpty && s != "." && s != ".." && !s.contains("/") && !s.contains("\0")
        }

        mutating func description(_ o: [String: JSON], at path: String) {
            if let d = o["description"], Self.text(d) == nil { fail(path + ".description", "must be a string") }
        }

        mutating func file(_ json: JSON) -> FunctionsFile {
            var file = FunctionsFile()
            guard let top = object(json, at: "$", allowed: FunctionsFile.topKeys) else { return file }
            description(top, at: "$")
            if let d = top["defaults"], let o = object(d, at: "defaults", allowed: FunctionsFile.settingKeys) {
                file.defaults = settings(o, at: "defaults")
            }
            if let s = top["server"], let o = object(s, at: "server", allowed: FunctionsFile.serverKeys) {
                var server = ServerSettings()
                server.readTimeoutMS =
                    integer(o["read_timeout_ms"], at: "server.read_timeout_ms", in: 10...300_000, unit: "milliseconds")
                    ?? server.readTimeoutMS
                server.keepAliveMS =
                    integer(o["keep_alive_ms"], at: "server.keep_alive_ms", in: 10...300_000, unit: "milliseconds")
                    ?? server.keepAliveMS
                server.maxHeaderBytes =
                    integer(o["max_header_bytes"], at: "server.max_header_bytes", in: 1024...(1 << 20), unit: "bytes")
                    ?? server.maxHeaderBytes
                server.maxConnections =
                    integer(o["max_connections"], at: "server.max_connections", in: 1...65536, unit: "connections")
                    ?? server.maxConnections
                server.drainMS =
                    integer(o["drain_ms"], at: "server.drain_ms", in: 0...600_000, unit: "milliseconds")
                    ?? server.drainMS
                server.spoolMaxAgeS =
                    integer(o["spool_max_age_s"], at: "server.spool_max_age_s", in: 60...(30 * 86400), unit: "seconds")
                    ?? server.spoolMaxAgeS
                server.maxRunning =
                    integer(o["max_running"], at: "server.max_running", in: 0...4096, unit: "processes")
                    ?? server.maxRunning
                if let v = o["observe"] {
                    if case .bool(let b) = v {
                        server.observe = b
                    } else {
                        fail("server.observe", "must be true or false")
                    }
                }
                file.server = server
            }
            if let f = top["functions"],
                let o = object(f, at: "functions", allowed: Set(f.object?.keys.map { $0 } ?? []))
            {
                for (name, value) in o.sorted(by: { $0.key < $1.key }) {
                    let path = "functions.\(name)"
                    if !Self.isFunctionName(name) {
                        fail(path, "function names are kebab-case: lower-case letters, digits and -")
                    }
                    guard let fo = object(value, at: path, allowed: FunctionsFile.functionKeys) else { continue }
                    description(fo, at: path)
                    var spec = FunctionSpec(name: name, settings: settings(fo, at: path))
                    if let e = fo["executable"] {
                        if let s = Self.text(e), Self.isExecutableName(s) {
                            spec.executable = s
                        } else {
                            fail(path + ".executable", "must be a file name inside the functions directory (no /)")
                        }
                    }
                    if let m = fo["mode"] {
                        if let text = Self.text(m), let mode = RunMode(rawValue: text) {
                            spec.mode = mode
                        } else {
                            fail(path + ".mode", "must be \"fork\" or \"warm\"")
                        }
                    }
                    if let a = fo["args"] {
                        if let items = a.array, items.allSatisfy({ Self.text($0) != nil }) {
                            spec.args = items.compactMap { Self.text($0) }
                        } else {
                            fail(path + ".args", "must be an array of strings")
                        }
                    }
                    file.functions[name] = spec
                }
            }
            guard let routesValue = top["routes"] else {
                fail("$", "missing \"routes\" (an array of routes)"); return file
            }
            guard let routes = routesValue.array else { fail("routes", "must be an array"); return file }
            if routes.isEmpty { fail("routes", "must name at least one route") }
            var seen: [String: Int] = [:]
            for (index, value) in routes.enumerated() {
                let path = "routes[\(index)]"
                guard let ro = object(value, at: path, allowed: FunctionsFile.routeKeys) else { continue }
                description(ro, at: path)
                guard let method = Self.text(ro["method"]), FunctionsFile.methods.contains(method) else {
                    fail(
                        path + ".method",
                        "must be one of \(FunctionsFile.methods.sorted().joined(separator: ", ")) (upper case)");
                    continue
                }
                guard let routePath = Self.text(ro["path"]), routePath.hasPrefix("/"),
                    !routePath.contains("?"), !routePath.contains("#"), !routePath.contains(" "),
                    !routePath.contains("%")
                else {
                    fail(
                        path + ".path",
                        "must be an absolute path starting with / (no query, fragment, spaces or escapes)");
                    continue
                }
                if FunctionsFile.builtInPaths.contains(routePath) {
                    fail(path + ".path", "\(routePath) is answered by the invoker itself"); continue
                }
                let key = "\(method) \(routePath)"
                if let earlier = seen[key] {
                    fail(path, "duplicate route \(key) (already routes[\(earlier)])"); continue
                }
                seen[key] = index
                var stages: [String] = []
                let isPipeline: Bool
                switch (ro["function"], ro["pipeline"]) {
                case (let f?, nil):
                    guard let name = Self.text(f), Self.isFunctionName(name) else {
                        fail(path + ".function", "must be a function name"); continue
                    }
                    stages = [name]; isPipeline = false
                case (nil, let p?):
                    guard let items = p.array, items.count >= 2,
                        items.allSatisfy({ Self.text($0).map(Self.isFunctionName) ?? false })
                    else {
                        fail(path + ".pipeline", "must be an array of two or more function names"); continue
                    }
                    stages = items.compactMap { Self.text($0) }; isPipeline = true
                case (nil, nil):
                    fail(path, "needs \"function\" or \"pipeline\""); continue
                default:
                    fail(path, "has both \"function\" and \"pipeline\"; give one"); continue
                }
                var ack = AckMode.direct
                if let a = ro["ack"] {
                    guard let text = Self.text(a), let mode = AckMode(rawValue: text) else {
                        fail(path + ".ack", "must be \"direct\" or \"spooled\""); continue
                    }
                    ack = mode
                }
                for name in stages where file.functions[name] == nil { file.functions[name] = FunctionSpec(name: name) }
                file.routes.append(
                    Route(
                        method: method, path: routePath, stages: stages, isPipeline: isPipeline,
                        settings: settings(ro, at: path), ack: ack))
            }
            return file
        }

        /// Fills in each function's executable path; a missing or non-executable file is a problem.
        mutating func resolveExecutables(_ file: inout FunctionsFile, directory: String) {
            let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            for name in file.functions.keys.sorted() {
                var spec = file.functions[name]!
                spec.path = dir + "/" + spec.executable
                file.functionsDirectory = dir
                var st = stat()
                if stat(spec.path, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG {
                    fail(
                        "functions.\(name)",
                        "executable \(spec.executable.debugDescription) not found in \(dir) (build it, or pass --functions-dir)"
                    )
                } else if access(spec.path, X_OK) != 0 {
                    fail("functions.\(name)", "\(spec.path) is not executable")
                }
                file.functions[name] = spec
            }
        }
    }
}
