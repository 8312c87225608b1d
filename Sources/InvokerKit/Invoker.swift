import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The request handler of the `invoker` server: routes a request to its function or pipeline,
/// enforces the route's limits, runs the stages and turns what they wrote into the response.
public final class Invoker: Sendable {
    public let file: FunctionsFile
    /// The allowlisted part of the invoker's environment, given to every function.
    public let baseEnvironment: [String: String]
    /// `GET /report` (on when `REPORT_TOKEN` is set).
    let report: ReportEndpoint
    public let launcher: FunctionLauncher
    public let accessLog: AccessLog
    private let routeLimits: [String: RouteLimits]
    private let routeSlots: [String: ConcurrencyLimit]
    private let functionSlots: [String: ConcurrencyLimit]
    private let server = Locked(CGIEnvironment.ServerInfo(host: "127.0.0.1", port: 0))
    /// The journal of spooled routes (nil: no state directory; spooled routes answer directly).
    public let spool: Spool?
    /// Where the functions' and the spool's "needs a person" entries go (`ATTENTION_LOG`).
    public let attentionLog: String?
    let spoolRunning = Locked<Int>(0)
    let spoolStopped = Locked<Bool>(false)
    /// What `GET /metrics` reports.
    public let metrics = InvokerMetrics()
    /// `GET /console` (`CONSOLE_TOKEN` protects it; without one, loopback only).
    public let console: InvokerConsole
    let inFlight = Locked<Int>(0)
    /// `server.observe`: `/metrics` and `/console` answer, and the functions' log lines are read.
    public let observe: Bool

    /// - Parameters:
    ///   - environment: the invoker's environment; only the allowlisted variables reach functions.
    ///   - launcher: how stages run; nil: a process per stage behind a `RunGate` of
    ///     `server.max_running`.
    ///   - state: the state directory's spool and attention list (see `InvokerState`); nil: no
    ///     spool (spooled routes answer directly), attention entries only in `ATTENTION_LOG` if set.
    public init(
        file: FunctionsFile, environment: [String: String], launcher: FunctionLauncher? = nil,
        accessLog: AccessLog? = nil, state: InvokerState? = nil
    ) {
        var file = file
        // `INVOKER_MODE` (fork|warm): the mode of the functions without one of their own, as `--mode`.
        if let mode = environment[Self.modeVariable].flatMap(RunMode.init(rawValue:)) { file.defaultMode(mode) }
        self.file = file
        var base = CGIEnvironment.base(environment)
        spool = state?.spool
        attentionLog = environment[ConfigKey.attentionLog] ?? state?.attentionLog
        if let attentionLog { base[ConfigKey.attentionLog] = attentionLog }
        self.baseEnvironment = base
        observe = file.server.observe
        let gate = RunGate(width: file.server.effectiveMaxRunning)
        if let launcher {
            self.launcher = launcher
        } else if file.functions.values.contains(where: { $0.mode == .warm }) {
            self.launcher = WarmLauncher(file: file, gate: gate, captureLog: file.server.observe, environment: base)
        } else {
            self.launcher = SpawnLauncher(gate: gate, captureLog: file.server.observe)
        }
        self.accessLog = accessLog ?? AccessLog(redactor: Redactor(secrets: Config(environment: environment).secrets))
        report = ReportEndpoint(
            token: environment[ReportEndpoint.tokenVariable],
            executable: file.functionsDirectory + "/" + ReportEndpoint.executableName, environment: base)
        let consoleToken = environment["CONSOLE_TOKEN"]
        console = InvokerConsole(
            token: consoleToken,
            redactor: Redactor(secrets: Config(environment: environment).secrets + [consoleToken ?? ""]),
            attentionLog: attentionLog)
        var limits: [String: RouteLimits] = [:], slots: [String: ConcurrencyLimit] = [:]
        for route in file.routes {
            let key = Self.key(route.method, route.path)
            let l = file.limits(for: route)
            limits[key] = l
            slots[key] = ConcurrencyLimit(limit: l.concurrency, queue: l.queue)
        }
        routeLimits = limits
        routeSlots = slots
        var perFunction: [String: ConcurrencyLimit] = [:]
        for (name, spec) in file.functions {
            if let c = spec.settings.concurrency {
                let queue = spec.settings.queue ?? file.defaults.queue ?? Settings.builtIn.queue!
                perFunction[name] = ConcurrencyLimit(limit: c, queue: queue)
            }
        }
        functionSlots = perFunction
        startSpoolWorker()
    }

    static func key(_ method: String, _ path: String) -> String { method + " " + path }

    /// The environment variable naming the default run mode (`fork` or `warm`).
    public static let modeVariable = "INVOKER_MODE"

    /// Ends the warm workers that are idle (the invoker is being replaced or is stopping).
    public func closeWorkers() { (launcher as? WarmLauncher)?.close() }

    /// Counts one stage's run for `/metrics` — its exit, the `outcome` its log line names (else its
    /// JSON answer's) and the upstream calls its log lines report — and returns those calls (none
    /// when not observing).
    func record(_ result: ProcessResult, function: String, cgi: Bool) -> [UpstreamRecord] {
        guard observe else { return [] }
        var exit: String
        switch result.end {
        case .exited(let status): exit = String(status)
        case .signaled: exit = "crashed"
        case .timedOut: exit = "timeout"
        case .outputTooLarge: exit = "output_too_large"
        case .spawnFailed: exit = "not_started"
        case .workerLost: exit = "worker_lost"
        case .notStarted: return []
        }
        var body = result.stdout
        if cgi, let response = CGIResponse.parse(result.stdout) {
            body = response.body
            // Under CGI the process exits 0; its status travels in X-Function-Exit.
            if let reported = response.header("x-function-exit") { exit = reported }
        }
        let log = FunctionLog(result.log)
        let outcome =
            log.outcome ?? (try? JSONScanner.scan(body, paths: [["outcome"]]))?.values[0]?.string.map(Label.word)
            ?? "none"
        metrics.invocation(function: function, outcome: outcome, exit: exit, seconds: result.milliseconds / 1000)
        for call in log.calls { metrics.upstream(call) }
        return log.calls
    }

    func routeLimitsFor(_ route: Route) -> RouteLimits? { routeLimits[Self.key(route.method, route.path)] }

    /// The listener limits from the file's `server` object (the body limit is the largest any route accepts).
    public var serverLimits: ServerLimits {
        var l = ServerLimits()
        l.maxHeaderBytes = file.server.maxHeaderBytes
        l.maxBodyBytes = file.largestBody
        l.readTimeout = Double(file.server.readTimeoutMS) / 1000
        l.keepAliveTimeout = Double(file.server.keepAliveMS) / 1000
        l.maxConnections = file.server.maxConnections
        l.reservedPaths = FunctionsFile.reservedPaths
        return l
    }

    /// Starts an `HTTPServer` on `host:port` (0: any free port) answering with this invoker.
    public func start(host: String, port: Int) throws -> HTTPServer {
        let http = HTTPServer(limits: serverLimits) { [self] request in .respond(handle(request)) }
        let log = accessLog
        http.onRejected = { status, _ in
            log.record(
                method: "-", target: "-", status: status, milliseconds: 0, function: nil, exit: nil,
                note: "refused by the listener (slow, oversized or malformed request)")
        }
        try http.start(host: host, port: port)
        server.value = CGIEnvironment.ServerInfo(host: host, port: http.port)
        return http
    }

    /// Answers one request and writes its access-log line.
    public func handle(_ request: ServerRequest) -> ServerResponse {
        let started = Clock.monotonicMS()
        var trace = RequestTrace()
        inFlight.withValue { $0 += 1 }
        let response = respond(request, trace: &trace)
        inFlight.withValue { $0 -= 1 }
        let milliseconds = Clock.monotonicMS() - started
        accessLog.record(
            method: request.method, target: request.target, status: response.status,
            milliseconds: milliseconds, function: trace.function, exit: trace.exit, note: trace.note)
        if observe && !FunctionsFile.builtInPaths.contains(request.path) {
            let route = file.route(method: request.method, path: request.path).map { Self.key($0.method, $0.path) }
            metrics.request(route: route ?? "unrouted", status: response.status, seconds: milliseconds / 1000)
            console.record(
                route: route ?? "unrouted \(request.method)", function: trace.function, status: response.status,
                exit: trace.exit, body: response.body, milliseconds: milliseconds, note: trace.note,
                upstream: trace.upstream, outcomeHeader: response.header("x-function-outcome"))
        }
        return response
    }

    /// `GET /metrics`: the Prometheus text exposition (format 0.0.4).
    func metricsResponse() -> ServerResponse {
        let gate: RunGate? = (launcher as? SpawnLauncher)?.gate ?? (launcher as? WarmLauncher)?.gate
        let load = gate?.load ?? (running: 0, waiting: 0)
        let warm = (launcher as? WarmLauncher)?.load ?? (workers: 0, idle: 0, started: 0, replaced: 0)
        let waitingInLines = (routeSlots.values.map(\.load.waiting) + functionSlots.values.map(\.load.waiting))
            .reduce(0, +)
        let text = metrics.exposition(gauges: [
            ("bundle_requests_in_flight", "Requests being answered now.", inFlight.value),
            ("bundle_requests_waiting", "Requests waiting in a route's or function's line now.", waitingInLines),
            ("bundle_processes_running", "Function processes running now (server.max_running).", load.running),
            ("bundle_processes_waiting", "Requests waiting for a turn to start their process.", load.waiting),
            ("bundle_warm_workers", "Warm worker processes now (functions in warm mode).", warm.workers),
            ("bundle_warm_workers_idle", "Warm workers waiting for a request.", warm.idle),
            ("bundle_warm_workers_started", "Warm workers started since the invoker started.", warm.started),
            ("bundle_warm_workers_replaced", "Warm workers replaced (crashed, hung, worn out).", warm.replaced),
            ("bundle_spool_pending", "Spooled requests not yet done.", spool?.pendingItems.count ?? 0),
            (
                "bundle_spool_dead_letters", "Spooled requests given up on (./invoke spool).",
                spool?.deadLetters.count ?? 0
            ),
        ])
        return ServerResponse(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8)
        )
    }

    func respond(_ request: ServerRequest, trace: inout RequestTrace) -> ServerResponse {
        let path = request.path
        if path == ReportEndpoint.path { return report.respond(request) }
        if FunctionsFile.reservedPaths.contains(path) {
            if path != "/healthz" && !observe {
                return Outcome.error(404, "not_found", "\(path) is off (functions.json server.observe is false)")
            }
            if path == "/console" { return console.respond(request) }
            guard request.method == "GET" || request.method == "HEAD" else {
                return Outcome.error(
                    405, "method_not_allowed", "\(path) answers GET", headers: [("Allow", "GET, HEAD")])
            }
            if path == "/metrics" { return metricsResponse() }
            return .json(200, ["status": "ok", "routes": .int(Int64(file.routes.count))])
        }
        guard let route = file.route(method: request.method, path: path),
            let limits = routeLimits[Self.key(route.method, route.path)]
        else {
            let allowed = file.methods(at: path)
            if allowed.isEmpty { return Outcome.error(404, "not_found", "no route for \(path)") }
            return Outcome.error(
                405, "method_not_allowed", "\(path) answers \(allowed.joined(separator: ", "))",
                headers: [("Allow", allowed.joined(separator: ", "))])
        }
        trace.function = route.target
        if request.body.count > limits.maxBodyBytes {
            return Outcome.error(
                413, "body_too_large", "body exceeds \(limits.maxBodyBytes) bytes", headers: [("Connection", "close")])
        }
        if route.ack == .spooled, let spool {
            return respondSpooled(route, spool: spool, limits: limits, request: request, trace: &trace)
        }
        return runDirect(route, limits: limits, request: request, trace: &trace) { busy in
            Outcome.error(503, "busy", busy, headers: [("Retry-After", "1")])
        }
    }

    /// Runs the route now, within its concurrency limits (waiting in line for a slot, up to the
    /// route's `queue_wait_ms`); `whenBusy` answers (with the reason) when the line is full or the
    /// wait ran out. The wait counts against the route's time limit.
    func runDirect(
        _ route: Route, limits: RouteLimits, request: ServerRequest, trace: inout RequestTrace,
        whenBusy: (String) -> ServerResponse
    ) -> ServerResponse {
        var busy = ""
        let queued = Clock.monotonicMS()
        guard let held = acquire(route, waitMS: limits.queueWaitMS, note: &trace.note, message: &busy) else {
            return whenBusy(busy)
        }
        defer { for s in held { s.release() } }
        let waited = Int(Clock.monotonicMS() - queued)
        if waited >= 10 { trace.note = "waited \(waited) ms in line" }
        var limits = limits
        limits.timeoutMS = max(1, limits.timeoutMS - waited)
        limits.stageTimeoutMS = limits.stageTimeoutMS.map { min($0, limits.timeoutMS) }
        return runStages(route, limits: limits, request: request, trace: &trace)
    }

    /// Takes the route's and its functions' concurrency slots, waiting in line up to `waitMS` in
    /// all (0: only free slots), or none (nil, with `note` saying which line was full or which
    /// wait ran out). The caller releases what it got.
    func acquire(_ route: Route, waitMS: Int, note: inout String?, message: inout String) -> [ConcurrencyLimit]? {
        let until = Clock.monotonicMS() + Double(waitMS)
        func take(_ slot: ConcurrencyLimit, _ what: String) -> Bool {
            if waitMS <= 0 {
                if slot.tryAcquire() { return true }
                note = "\(what) concurrency limit \(slot.limit) reached"
                message = "\(what) is handling \(slot.limit) requests; retry shortly"
                return false
            }
            switch slot.acquire(waitMS: max(1, Int(until - Clock.monotonicMS()))) {
            case .entered: return true
            case .queueFull:
                metrics.rejected("line_full")
                note = "\(what): \(slot.limit) running and \(slot.queue) waiting; line full"
                message = "\(what) is handling \(slot.limit) requests and \(slot.queue) are waiting; retry shortly"
            case .timedOut:
                metrics.rejected("wait_expired")
                note = "\(what): no slot within \(waitMS) ms"
                message = "\(what) had no free slot within \(waitMS) ms; retry shortly"
            }
            return false
        }
        let routeSlot = routeSlots[Self.key(route.method, route.path)]!
        guard take(routeSlot, "\(route.method) \(route.path)") else { return nil }
        var held = [routeSlot]
        for name in Set(route.stages).sorted() {
            guard let slot = functionSlots[name] else { continue }
            guard take(slot, "function \(name)") else {
                for s in held { s.release() }
                return nil
            }
            held.append(slot)
        }
        return held
    }

    /// Runs the route's stages. The first stage gets the HTTP request in CGI mode (with
    /// `INVOKER_PIPELINE=1` in a pipeline, so a filter answers with the raw event or an empty
    /// body); each later stage gets the previous stage's body on stdin in plain pipeline mode.
    func runStages(
        _ route: Route, limits: RouteLimits, request: ServerRequest, trace: inout RequestTrace,
        extraEnvironment: [String: String] = [:]
    ) -> ServerResponse {
        let deadline = Clock.monotonicMS() + Double(limits.timeoutMS)
        let info = server.value
        var input = request.body
        for (index, name) in route.stages.enumerated() {
            let spec = file.functions[name] ?? FunctionSpec(name: name)
            let isFirst = index == 0, isLast = index == route.stages.count - 1
            let timeout = min(Double(limits.stageTimeoutMS[index]), (deadline - Clock.monotonicMS()).rounded())
            if timeout < 1 {
                trace.note = "route deadline passed before \(name)"
                return Outcome.error(
                    504, "function_timeout", "\(route.target) did not finish within \(limits.timeoutMS) ms")
            }
            var env = baseEnvironment.merging(limits.stageEnv[index]) { $1 }.merging(extraEnvironment) { $1 }
            if isFirst {
                for (k, v) in CGIEnvironment.metaVariables(
                    for: request, route: route, executable: spec.path, server: info)
                { env[k] = v }
                if route.isPipeline { env["INVOKER_PIPELINE"] = "1" }
            }
            let result = launcher.run(spec, environment: env, input: input, timeoutMS: Int(timeout))
            trace.upstream += record(result, function: name, cgi: isFirst)
            switch result.end {
            case .timedOut:
                trace.note = "\(name) killed after \(Int(timeout)) ms"
                return Outcome.error(504, "function_timeout", "\(name) did not finish within \(Int(timeout)) ms")
            case .outputTooLarge:
                trace.note = "\(name) killed: output over \(FunctionProcess.maximumOutput) bytes"
                return Outcome.error(
                    502, "bad_function_response", "\(name) wrote more than \(FunctionProcess.maximumOutput) bytes")
            case .spawnFailed(let why):
                trace.note = "\(name) could not start: \(why)"
                return Outcome.error(500, "function_unavailable", "\(name) could not be started")
            case .notStarted(let waited):
                metrics.rejected("not_started")
                trace.note = "\(name) waited \(waited) ms for a turn (server.max_running) and was not started"
                return Outcome.error(
                    503, "busy", "\(name) did not get a turn within the time limit", headers: [("Retry-After", "1")])
            case .workerLost(let why):
                trace.note = "\(name): warm worker lost: \(why)"
                return Outcome.error(
                    503, "worker_lost", "\(name) lost its worker mid-request; retry", headers: [("Retry-After", "1")])
            case .signaled(let signal):
                trace.note = "\(name) died of signal \(signal)"
                return Outcome.error(500, "function_crashed", "\(name) ended abnormally")
            case .exited(let status):
                trace.exit = status
                if isFirst {
                    if result.stdout.isEmpty {
                        if route.isPipeline && status == 0 { return Outcome.filtered }
                        return Outcome.fromExitStatus(status, body: [], function: name)
                    }
                    guard let response = CGIResponse.parse(result.stdout) else {
                        trace.note = "\(name) wrote no valid CGI header block"
                        return Outcome.error(502, "bad_function_response", "\(name) wrote a malformed CGI response")
                    }
                    if let reported = response.header("x-function-exit").flatMap({ Int32($0) }) {
                        trace.exit = reported
                    }
                    if isLast || response.status != 200 { return response }
                    if Self.isBlank(response.body) { return Outcome.filtered }
                    input = response.body
                } else {
                    if isLast || status != 0 {
                        return Outcome.fromExitStatus(status, body: result.stdout, function: name)
                    }
                    if Self.isBlank(result.stdout) { return Outcome.filtered }
                    input = result.stdout
                }
            }
        }
        return Outcome.error(500, "internal", "route has no stages")  // unreachable: the loader requires one
    }

    static func isBlank(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) } }
}
