import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The entry point every function executable calls: reads the event(s) in whichever mode the
/// process was started, verifies signatures, runs the handler, writes the result, logs one line
/// per event and exits with the status of `RuntimeError.Code`.
public enum FunctionRunner {
    /// Runs `definition` as the process's main program.
    public static func main(_ definition: FunctionDefinition) -> Never {
        let status = run(
            definition, arguments: Array(CommandLine.arguments.dropFirst()), environment: Config.processEnvironment())
        exit(status)
    }

    /// Runs `definition` with explicit arguments and environment; returns the exit status.
    /// `io` is where the event is read and the answer written (standard streams, or a warm
    /// worker's request in memory); `transport` the connections to reuse (a warm worker's).
    public static func run(
        _ definition: FunctionDefinition, arguments: [String], environment: [String: String],
        io: RunIO = .standard, transport: HTTPTransport? = nil
    ) -> Int32 {
        if arguments.first == WorkerLoop.flag {
            return WorkerLoop.run(definition, arguments: Array(arguments.dropFirst()))
        }
        var stream = false, dryRun = false, logEach = false
        var commands: [String] = []
        for arg in arguments {
            switch arg {
            case "--help", "-h":
                StandardStreams.write(help(definition))
                return 0
            case "--stream": stream = true
            case "--dry-run": dryRun = true
            case "--log-each": logEach = true
            default:
                if definition.commands[arg] != nil { commands.append(arg); continue }
                StandardStreams.writeError("\(definition.name): unknown argument \(arg.debugDescription); see --help\n")
                return RuntimeError.Code.usage.exitStatus
            }
        }
        let lambdaAPI = environment[LambdaRuntime.apiVariable].flatMap { $0.isEmpty ? nil : $0 }
        let mode: InputMode =
            lambdaAPI != nil && commands.isEmpty && !stream
            ? .lambda
            : environment["REQUEST_METHOD"] != nil
                ? .cgi
                : environment["Http_Method"] != nil
                    ? .watchdog
                    : stream ? .stream : .pipeline
        let context = FunctionContext.make(
            name: definition.name, environment: environment, dryRun: dryRun, mode: mode, logEach: logEach,
            transport: transport)
        if let command = commands.first {
            return runCommand(definition, command: command, context: context)
        }
        switch mode {
        case .pipeline:
            let raw = io.read(nil)
            if raw.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return 0 }  // no event
            let (bytes, _, status, _) = handle(definition, raw: raw, request: nil, mode: mode, context: context)
            io.write(bytes)
            return status
        case .stream:
            return runStream(definition, context: context)
        case .lambda:
            return LambdaRuntime.run(definition, api: lambdaAPI ?? "", context: context)
        case .cgi, .watchdog:
            return runHTTP(definition, mode: mode, environment: environment, context: context, io: io)
        }
    }

    // MARK: - One event

    /// What one event came to: the result object, how the output is written, the exit status and
    /// the failure (nil on success).
    public struct Evaluation: Sendable {
        public var result: JSON
        public var output: FunctionOutput?
        public var status: Int32
        public var failure: RuntimeError?
    }

    /// Runs one event's work with the runner's discipline, for the input modes and for commands
    /// that handle many items (`survey-dispatch --scan`): a fresh per-event context (deadline,
    /// dry-run plan), every error turned into the error object and its exit status, the dry-run
    /// report, and one structured log line (`annotate` is merged into the result first).
    public static func evaluate(
        _ definition: FunctionDefinition, context: FunctionContext, annotate: JSON = [:], budget: Double? = nil,
        _ work: (FunctionContext) throws -> FunctionOutput
    ) -> Evaluation {
        let started = Clock.monotonicMS()
        let event = context.nextEvent(budget: budget)
        var evaluation: Evaluation
        do {
            if let problem = context.configProblem { throw problem }
            let output = try work(event)
            evaluation = Evaluation(
                result: finish(output.result, definition: definition, context: event), output: output, status: 0)
            if case .partial(_, let error) = output {
                evaluation.failure = error
                evaluation.status = error.code.exitStatus
            }
        } catch {
            let e = RuntimeError.from(error)
            evaluation = Evaluation(
                result: errorResult(definition, e), output: nil, status: e.code.exitStatus, failure: e)
        }
        for (key, value) in annotate.object ?? [:] { evaluation.result[key] = value }
        var extra: JSON = [:]
        for key in ["reason", "ticket_id", "message_id", "metric"] where !evaluation.result[key].isNull {
            extra[key] = evaluation.result[key]
        }
        context.log.finish(
            outcome: evaluation.result["outcome"].string ?? "unknown", durationMS: Clock.monotonicMS() - started,
            mode: context.mode, extra: extra, error: evaluation.failure)
        return evaluation
    }

    /// Handles one event: signature check (HTTP modes), parse, handler, output rendering, log line.
    /// Returns the bytes to write (for HTTP modes: the body only), the result object, the exit
    /// status, and the bytes' media type (over HTTP the definition's `answer` may replace the JSON
    /// result).
    /// `parsed`: the event already parsed from `raw` (a stream's read-ahead did), not parsed again.
    public static func handle(
        _ definition: FunctionDefinition, raw: [UInt8], request: IncomingRequest?, mode: InputMode,
        context: FunctionContext, budget: Double? = nil, parsed: Event? = nil
    ) -> (bytes: [UInt8], result: JSON, status: Int32, contentType: String) {
        let e = evaluate(definition, context: context, budget: budget) { event in
            if mode.isHTTP, let request {
                try SignatureCheck.verify(
                    definition.signatures, request: request, body: raw, config: event.config, log: event.log)
            }
            let input =
                definition.readsRawEvent
                ? Event(raw: raw, json: .null, request: request, mode: mode)
                : try parsed ?? Event.parse(raw: raw, contentType: request?.contentType, request: request, mode: mode)
            return try definition.handler(input, event)
        }
        let pipelineStage = context.config.flag("INVOKER_PIPELINE")
        // The result is serialized only when it is what gets written.
        let answersWithResult = mode.isHTTP && !pipelineStage
        if answersWithResult, let request, let answer = definition.answer?(request, e.result, e.status) {
            return (answer.bytes, e.result, e.status, answer.contentType)
        }
        switch e.output {
        case .passthrough? where !answersWithResult:
            return (raw.last == 0x0A ? raw : raw + [0x0A], e.result, e.status, jsonType)
        case .filtered? where !answersWithResult:
            return ([], e.result, e.status, jsonType)
        default:
            return (e.result.serializedBytes() + [0x0A], e.result, e.status, jsonType)
        }
    }

    /// The media type of a JSON result.
    static let jsonType = "application/json"

    /// `X-Function-Outcome` for an answer whose body is not the JSON result: the result's
    /// `outcome` (a snake_case word), so the sender's own request log still shows what came of it.
    static func outcomeHeader(_ result: JSON, contentType: String) -> String? {
        guard contentType != jsonType, let outcome = result["outcome"].string, !outcome.isEmpty,
            outcome.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 })
        else { return nil }
        return outcome
    }

    static func finish(_ result: JSON, definition: FunctionDefinition, context: FunctionContext) -> JSON {
        var r = result.object == nil ? ["result": result] : result
        r["function"] = .string(definition.name)
        if r["outcome"].isNull { r["outcome"] = "done" }
        if context.dryRun { r = DryRun.report(r, plan: context.http.plan, confirmations: definition.confirmations) }
        return r
    }

    static func errorResult(_ definition: FunctionDefinition, _ error: RuntimeError) -> JSON {
        var r = error.json
        r["function"] = .string(definition.name)
        if let after = error.retryAfter { r["retry_after"] = .int(Int64(after)) }
        r["outcome"] = "error"
        return r
    }

    // MARK: - Modes

    static func runStream(_ definition: FunctionDefinition, context: FunctionContext) -> Int32 {
        let started = Clock.monotonicMS()
        var firstFailure: Int32 = 0
        var pending: [UInt8] = []
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // Reading ahead: the prefetch GETs of the next `window` events go out together, and while
        // one window's events are handled the next window's reads are already under way (on a
        // thread of their own), so the services answer while this process works.
        let window = definition.prefetch == nil ? 1 : streamWindow(context.config)
        let transport = context.http.transport
        let readTimeout = min(context.budget, 10)
        let connectTimeout = context.http.policy.connectTimeout
        var cooling = false
        // Events parsed to name their reads ahead, by where their line starts: handled from that
        // parse rather than a second one.
        var parsed: [Int: Event] = [:]
        func aheadRequests(_ group: ArraySlice<Range<Int>>) -> [HTTPRequest] {
            guard let prefetch = definition.prefetch else { return [] }
            var requests: [HTTPRequest] = []
            var seen: Set<String> = []
            for range in group {
                guard
                    let event = try? Event.parse(
                        raw: Array(pending[range]), contentType: nil, request: nil, mode: .stream)
                else { continue }
                parsed[range.lowerBound] = event
                guard let request = prefetch(event, context), seen.insert(request.url).inserted else { continue }
                requests.append(request)
            }
            return requests.count > 1 ? requests : []
        }
        /// The next window's reads, started while the current window is handled.
        func startAhead(_ group: ArraySlice<Range<Int>>) -> Thread.Joined<HTTPTransport.ReadAhead>? {
            let requests = aheadRequests(group)
            guard !requests.isEmpty else { return nil }
            return Thread.spawn {
                transport.fetchAhead(requests, timeout: readTimeout, connectTimeout: connectTimeout)
            }
        }
        func process(_ line: ArraySlice<UInt8>, parsed event: Event? = nil) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
            let raw = Array(line)
            // An earlier stage's error line (`a --stream | b --stream`) goes on untouched: it is that
            // stage's answer for the event, already logged there, not a malformed event here.
            if isUpstreamError(raw) {
                output += raw
                output.append(0x0A)
                return
            }
            let (bytes, _, status, _) = handle(
                definition, raw: raw, request: nil, mode: .stream, context: context, parsed: event)
            output += bytes
            if status != 0 && firstFailure == 0 { firstFailure = status }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            pending.append(contentsOf: buffer[0..<n])
            // Every complete line of what has arrived, then the rest kept for the next read.
            var start = pending.startIndex
            var lines: [Range<Int>] = []
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                if window > 1 { lines.append(start..<nl) } else { process(pending[start..<nl]) }
                start = nl + 1
            }
            var next = 0
            // The next window's reads as started while the current one is handled: nil when not
            // tried yet, `.some(nil)` when tried and there was nothing to read ahead (so the
            // window's lines are not parsed a second time to find that out again).
            var following: Thread.Joined<HTTPTransport.ReadAhead>??
            while next < lines.count {
                let group = lines[next..<min(lines.count, next + window)]
                next = group.endIndex
                // After an answer asking to slow down, one window goes one read at a time (with
                // the client's own Retry-After handling) and nothing is read ahead meanwhile.
                let slowDown = cooling
                cooling = false
                if !slowDown {
                    let ahead = (following ?? startAhead(group))?.wait()
                    if let ahead {
                        transport.install(ahead)
                        cooling = ahead.limited
                    }
                }
                following = nil
                if !slowDown && !cooling && next < lines.count {
                    following = startAhead(lines[next..<min(lines.count, next + window)])
                }
                for range in group { process(pending[range], parsed: parsed.removeValue(forKey: range.lowerBound)) }
                transport.clearPrefetched()
            }
            pending.removeSubrange(..<start)
            parsed.removeAll(keepingCapacity: true)
            // Results leave once per read, in input order (and before the next read can block).
            if !output.isEmpty {
                StandardStreams.write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { process(pending[...]) }
        if !output.isEmpty { StandardStreams.write(output) }
        context.log.writeSummary(durationMS: Clock.monotonicMS() - started)
        return firstFailure
    }

    /// `FUNCTION_STREAM_PREFETCH`: events read ahead (default 16, 1…16; 0 counts as 1:
    /// none). 16 rather than 8: with the next window read while the current one is handled, a
    /// window of 16 kept both cores busy where one of 8 left them waiting on each other (the
    /// 2,000-event stream of `bench/metrics-stream.sh`: 0.19–0.21 s against 0.25–0.32 s).
    static func streamWindow(_ config: Config) -> Int {
        let n = (try? config.int(ConfigKey.streamPrefetch, default: 16)) ?? 16
        return min(max(n, 1), HTTPTransport.prefetchLimit)
    }

    /// True for a line that a function of this runtime wrote as its error object
    /// (`{"error":{…},"function":…,"outcome":"error"}`; keys are written in order, so it starts
    /// with `{"error":`).
    static func isUpstreamError(_ line: [UInt8]) -> Bool {
        guard line.starts(with: Array(#"{"error":{"#.utf8)), let json = try? JSON.parse(line) else { return false }
        return json["outcome"] == "error" && json["function"].string != nil && json["error"]["code"].string != nil
    }

    static func runHTTP(
        _ definition: FunctionDefinition, mode: InputMode, environment env: [String: String], context: FunctionContext,
        io: RunIO = .standard
    ) -> Int32 {
        let request: IncomingRequest
        let raw: [UInt8]
        if mode == .cgi {
            request = cgiRequest(env)
            let length = Int(env["CONTENT_LENGTH"] ?? "") ?? 0
            raw = length > 0 ? io.read(length) : []
        } else {
            request = watchdogRequest(env)
            raw = io.read(nil)
        }
        let (body, result, status, contentType) = handle(
            definition, raw: raw, request: request, mode: mode, context: context)
        var bytes = body
        if mode == .cgi {
            let http = ExitStatus.httpStatus(for: status)
            var head = "Status: \(http) \(ExitStatus.reason(http))\r\nContent-Type: \(contentType)\r\n"
            if let outcome = outcomeHeader(result, contentType: contentType) {
                head += "X-Function-Outcome: \(outcome)\r\n"
            }
            if status == RuntimeError.Code.upstreamUnavailable.exitStatus {
                head += "Retry-After: \(retryAfter(result))\r\n"
            }
            head += "X-Function-Exit: \(status)\r\n\r\n"
            bytes = Array(head.utf8) + bytes
        }
        io.write(bytes)
        return mode == .cgi ? 0 : status
    }

    static func retryAfter(_ result: JSON) -> Int {
        max(1, Int(result["retry_after"].int ?? 5))
    }

    static func runCommand(_ definition: FunctionDefinition, command: String, context: FunctionContext) -> Int32 {
        let started = Clock.monotonicMS()
        do {
            let status = try definition.commands[command]!(context)
            context.log.finish(
                outcome: "done", durationMS: Clock.monotonicMS() - started, mode: context.mode,
                extra: ["command": .string(command)])
            return status
        } catch {
            let e = RuntimeError.from(error)
            StandardStreams.write(errorResult(definition, e).serializedBytes() + [0x0A])
            context.log.finish(
                outcome: "error", durationMS: Clock.monotonicMS() - started, mode: context.mode, error: e)
            return e.code.exitStatus
        }
    }

    // MARK: - Requests from the environment

    /// The request described by a CGI/1.1 environment (RFC 3875).
    public static func cgiRequest(_ env: [String: String]) -> IncomingRequest {
        var headers: [String: String] = [:]
        for (k, v) in env where k.hasPrefix("HTTP_") {
            headers[String(k.dropFirst(5)).lowercased().replacingAll("_", with: "-")] = v
        }
        if let t = env["CONTENT_TYPE"] { headers["content-type"] = t }
        if let l = env["CONTENT_LENGTH"] { headers["content-length"] = l }
        var path = (env["SCRIPT_NAME"] ?? "") + (env["PATH_INFO"] ?? "")
        if let uri = env["REQUEST_URI"], !uri.isEmpty {
            path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        return IncomingRequest(
            method: env["REQUEST_METHOD"] ?? "POST", path: path.isEmpty ? "/" : path,
            query: env["QUERY_STRING"] ?? "", headers: headers, contentType: env["CONTENT_TYPE"] ?? "")
    }

    /// The request described by an OpenFaaS classic-watchdog environment (`Http_*`).
    public static func watchdogRequest(_ env: [String: String]) -> IncomingRequest {
        var headers: [String: String] = [:]
        let special: Set<String> = [
            "Http_Method", "Http_Path", "Http_Query", "Http_ContentLength", "Http_Transfer_Encoding",
        ]
        for (k, v) in env where k.hasPrefix("Http_") && !special.contains(k) {
            headers[String(k.dropFirst(5)).lowercased().replacingAll("_", with: "-")] = v
        }
        let contentType = headers["content-type"] ?? ""
        return IncomingRequest(
            method: env["Http_Method"] ?? "POST", path: env["Http_Path"].flatMap { $0.isEmpty ? nil : $0 } ?? "/",
            query: env["Http_Query"] ?? "", headers: headers, contentType: contentType)
    }

    // MARK: - Help

    public static func help(_ d: FunctionDefinition) -> String {
        var s = "\(d.name) — \(d.summary)\n\n"
        s += "Usage:\n  \(d.name) [--dry-run] < event.json        one event (pipeline mode)\n"
        s +=
            "  \(d.name) --stream [--dry-run] [--log-each] < events.ndjson   one event per line, one result per line;\n"
        s += "      the log gets one summary line plus a line per warning or error (--log-each: a line per event)\n"
        for (flag, text) in d.commandHelp.sorted(by: { $0.key < $1.key }) { s += "  \(d.name) \(flag)   \(text)\n" }
        s += "  (CGI/1.1 when REQUEST_METHOD is set; OpenFaaS watchdog when Http_Method is set)\n\n"
        if !d.details.isEmpty { s += d.details + "\n\n" }
        if !d.signatures.isEmpty {
            s +=
                "Signatures over HTTP: "
                + d.signatures.map { "\($0.rawValue) (\($0.signatureHeader), secret \($0.secretVariable))" }.joined(
                    separator: ", ")
            s += "; unsigned only with the secret unset and ALLOW_UNSIGNED=1.\n\n"
        }
        s += "Exit status: 0 done (also: ignored by a rule), 64 usage, 65 invalid event, 77 bad or stale signature,\n"
        s += "75 service unavailable after retries (HTTP 503 + Retry-After), 78 configuration missing, 70 internal.\n"
        return s
    }
}
