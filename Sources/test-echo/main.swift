import FunctionRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Test-only function: echoes the event, or behaves as asked by its fields, so that tests can
/// drive every path of the runtime and the invoker:
/// - `{"fail":"invalid_event"|"upstream_unavailable"|…}` throws that error code;
/// - `{"sleep_ms":N}` sleeps first; `{"filter":true}` filters, `{"pass":true}` passes through;
/// - `{"sha256":"text"}` / `{"hmac":"text"}` report the hex SHA-256 / HMAC-SHA256 (key "key") of the text;
/// - `{"fetch":"URL"}` GETs the URL through the runtime's HTTP client and reports the status;
/// - `{"exit":N}` exits at once with status N, writing nothing (the caller maps the bare status);
/// - `{"count_file":"PATH","fail_times":N}` counts its runs in PATH and fails with
///   `upstream_unavailable` on the first N (a service that comes back);
/// - `{"pid_file":"PATH"}` writes `<pid> <process group>` (and the sleeper's pid, see below) to PATH;
/// - `{"spawn_sleeper":true}` starts `/bin/sleep 60` in the function's process group first (a straggler
///   that keeps standard output open, as a careless function's child would);
/// - `{"echo_env":["NAME",…]}` reports those environment variables under `"env"` (null when unset),
///   as the process has them once any `fetch` is done; `{"echo_loaded_env":[…]}` the same as the
///   loaded system libraries (libcurl, libcrypto) see them, under `"loaded_env"`;
/// - `{"answer":{…}}` merges those members into the result (e.g. an `outcome` or a `reason`);
/// - `{"in_<mode>":{…}}` overrides any of these fields when running in that input mode
///   (`cgi`, `pipeline`, `stream`, `watchdog`), so one event can behave differently per pipeline stage.
FunctionRunner.main(
    FunctionDefinition(
        name: "test-echo",
        summary: "test-only echo function for the runtime and invoker tests",
        signatures: [.zendesk, .twilio, .klaviyo]
    ) { event, context in
        var knobs = event.json
        if let scoped = event.json["in_\(event.mode.rawValue)"].object {
            for (key, value) in scoped { knobs[key] = value }
        }
        if let status = knobs["exit"].int { exit(Int32(truncatingIfNeeded: status)) }
        if let path = knobs["count_file"].string {
            var count = 0
            if let f = fopen(path, "r") {
                var buffer = [CChar](repeating: 0, count: 32)
                if fgets(&buffer, 32, f) != nil {
                    count =
                        Int(
                            String(cBuffer: buffer)
                                .trimmed()) ?? 0
                }
                fclose(f)
            }
            count += 1
            if let f = fopen(path, "w") { fputs("\(count)\n", f); fclose(f) }
            if count <= Int(knobs["fail_times"].int ?? 0) {
                throw RuntimeError(.upstreamUnavailable, "asked to fail (run \(count))", retryAfter: 1)
            }
        }
        var sleeper: pid_t = 0
        if knobs["spawn_sleeper"].bool == true {
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
            defer { for p in argv { free(p) } }
            _ = posix_spawn(&sleeper, "/bin/sleep", nil, nil, &argv, environ)
        }
        if let path = knobs["pid_file"].string {
            let text = "\(getpid()) \(getpgrp())" + (sleeper > 0 ? " \(sleeper)" : "") + "\n"
            if let f = fopen(path, "w") { fputs(text, f); fclose(f) }
        }
        if let ms = knobs["sleep_ms"].int { Clock.sleep(Double(ms) / 1000) }
        if let code = knobs["fail"].string {
            throw RuntimeError(
                RuntimeError.Code(rawValue: code) ?? .internal, "asked to fail with \(code)", retryAfter: 2)
        }
        if let text = knobs["hmac"].string {
            return .result([
                "outcome": "hmac",
                "hmac": .string(
                    try Crypto.hex(Crypto.hmac(.sha256, key: Array("key".utf8), message: Array(text.utf8)))),
            ])
        }
        if let text = knobs["sha256"].string {
            return .result(["outcome": "hashed", "sha256": .string(try Crypto.hex(Crypto.sha256(Array(text.utf8))))])
        }
        if knobs["filter"].bool == true { return .filtered(result: ["outcome": "filtered"]) }
        if knobs["pass"].bool == true { return .passthrough(result: ["outcome": "passed"]) }
        var result: JSON = ["outcome": "echoed", "event": event.json, "mode": .string(event.mode.rawValue)]
        if let url = knobs["fetch"].string {
            let response = try context.http.send(HTTPRequest("GET", url, service: "test"))
            result["fetch_status"] = .int(Int64(response.status))
            result["fetch_body"] = .string(response.text)
        }
        /// The variables `knob` names, as `lookup` finds them (null when unset).
        func report(_ knob: String, _ lookup: (String) -> String?) -> JSON? {
            guard let names = knobs[knob].array else { return nil }
            var env: [String: JSON] = [:]
            for name in names.compactMap(\.string) { env[name] = lookup(name).map { .string($0) } ?? .null }
            return .object(env)
        }
        if let env = report("echo_env", { getenv($0).map { String(cString: $0) } }) { result["env"] = env }
        if let env = report("echo_loaded_env", LoadedLibraries.environmentValue) { result["loaded_env"] = env }
        for (key, value) in knobs["answer"].object ?? [:] { result[key] = value }
        if let request = event.request {
            result["method"] = .string(request.method)
            result["path"] = .string(request.path)
            result["query"] = .string(request.query)
            result["headers"] = .object(request.headers.mapValues { .string($0) })
        }
        return .result(result)
    })
