#if canImport(Glibc)
import Glibc
#endif
/// The routing table of the invoker, as loaded from functions.json and checked.
///
/// ```json
/// {
///   "defaults":  { "timeout_ms": 9000, "max_body_bytes": 1048576, "concurrency": 32, "env": {} },
///   "server":    { "read_timeout_ms": 10000, "keep_alive_ms": 5000, "max_header_bytes": 16384,
///                  "max_connections": 256, "drain_ms": 10000 },
///   "functions": { "ticket-metrics": { "timeout_ms": 9000, "env": { "KLAVIYO_REVISION": "2026-07-15" } } },
///   "routes": [
///     { "method": "POST", "path": "/zendesk/tickets", "pipeline": ["brand-filter", "ticket-metrics"] },
///     { "method": "POST", "path": "/zendesk/comments", "function": "agent-reply", "concurrency": 8 }
///   ]
/// }
/// ```
/// See `FunctionsFile+Loading.swift` for the rules each key must follow.
public struct FunctionsFile: Sendable {
    public var defaults: Settings
    public var server: ServerSettings
    /// Functions by name (every function a route names appears here, declared or not).
    public var functions: [String: FunctionSpec]
    /// Routes in file order.
    public var routes: [Route]
    /// Where the executables are (filled in by the loader); the invoker's own tools sit there too.
    public var functionsDirectory = ""

    public init(
        defaults: Settings = Settings(), server: ServerSettings = ServerSettings(),
        functions: [String: FunctionSpec] = [:], routes: [Route] = []
    ) {
        self.defaults = defaults
        self.server = server
        self.functions = functions
        self.routes = routes
    }

    /// The route for `method` and `path` (exact match), nil when none.
    public func route(method: String, path: String) -> Route? {
        routes.first { $0.method == method && $0.path == path }
    }

    /// Gives every function without a `"mode"` of its own the mode `mode` (`invoker --mode`).
    public mutating func defaultMode(_ mode: RunMode) {
        for name in functions.keys where functions[name]!.mode == nil { functions[name]!.mode = mode }
    }

    /// The methods routed at `path` (for 405 + `Allow`).
    public func methods(at path: String) -> [String] {
        routes.filter { $0.path == path }.map(\.method)
    }
}

/// Limits and environment that `defaults`, a function and a route may each set.
public struct Settings: Sendable, Equatable {
    /// Milliseconds a function may run (per stage) or a route may take (all stages together).
    public var timeoutMS: Int?
    /// Largest request body accepted, in bytes (→ 413).
    public var maxBodyBytes: Int?
    /// Requests handled at once (per route, or per function across routes); more wait in line.
    public var concurrency: Int?
    /// Requests that may wait in line beyond `concurrency`; one more answers 503 at once.
    public var queue: Int?
    /// The longest a request waits in line (never beyond its route's time limit) → 503.
    public var queueWaitMS: Int?
    /// Extra environment variables for the function process.
    public var env: [String: String]

    public init(
        timeoutMS: Int? = nil, maxBodyBytes: Int? = nil, concurrency: Int? = nil, queue: Int? = nil,
        queueWaitMS: Int? = nil, env: [String: String] = [:]
    ) {
        self.timeoutMS = timeoutMS
        self.maxBodyBytes = maxBodyBytes
        self.concurrency = concurrency
        self.queue = queue
        self.queueWaitMS = queueWaitMS
        self.env = env
    }

    /// Built-in values used when `defaults` leaves a limit unset.
    public static let builtIn = Settings(
        timeoutMS: 9000, maxBodyBytes: 1024 * 1024, concurrency: 32, queue: 256, queueWaitMS: 5000)
}

/// Listener limits (the `server` object): how long a client may take, how big a request head may be.
public struct ServerSettings: Sendable, Equatable {
    public var readTimeoutMS = 10_000
    public var keepAliveMS = 5_000
    public var maxHeaderBytes = 16 * 1024
    public var maxConnections = 256
    /// On SIGTERM/SIGINT, how long requests in flight may take to finish.
    public var drainMS = 10_000
    /// How long a spooled request is retried before it becomes a dead letter (default 24 h).
    public var spoolMaxAgeS = 86_400
    /// Function processes running at once across all routes; more wait their turn in arrival
    /// order (see `RunGate`). Nil: `defaultMaxRunning`; 0: no gate.
    public var maxRunning: Int?
    /// `GET /metrics` and `GET /console`, and the reading of the functions' log lines they count
    /// from; false: both answer 404 and the functions write to the invoker's stderr directly.
    public var observe = true

    public init() {}

    /// 8 per processor (at least 8): enough to keep the cores busy while functions wait on the
    /// network, few enough that the kernel does not share the cores among every request at once.
    public static var defaultMaxRunning: Int { max(8, 8 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The gate's width: `maxRunning`, else the default.
    public var effectiveMaxRunning: Int { maxRunning ?? Self.defaultMaxRunning }
}

/// One function: which executable runs it and its own settings.
public struct FunctionSpec: Sendable, Equatable {
    public var name: String
    /// File name of the executable inside the functions directory (default: the function's name).
    public var executable: String
    /// Extra command-line arguments (e.g. `--dry-run`).
    public var args: [String]
    public var settings: Settings
    /// Absolute path of the executable, filled in when the file is loaded.
    public var path: String
    /// How the invoker runs it (`"mode"`); nil: the invoker's default (`--mode`, else fork).
    public var mode: RunMode?

    public init(
        name: String, executable: String? = nil, args: [String] = [], settings: Settings = Settings(),
        path: String = "",
        mode: RunMode? = nil
    ) {
        self.name = name
        self.executable = executable ?? name
        self.args = args
        self.settings = settings
        self.path = path
        self.mode = mode
    }
}

/// How the invoker runs a function.
public enum RunMode: String, Sendable, Equatable {
    /// A fresh process per request (CGI/1.1), as a CGI server or a FaaS host runs it.
    case fork
    /// Long-lived worker processes fed one request at a time over pipes (`--worker` frames; see
    /// `WorkerPool`).
    case warm
}

/// When a route's sender gets its answer.
public enum AckMode: String, Sendable, Equatable {
    /// Once the function is done: its answer (the default).
    case direct
    /// Once the request is journaled on disk: the function's own answer when it finishes within
    /// the route's time, else 200 "spooled", and the invoker retries it (see `Spool`).
    case spooled
}

/// One route: method + exact path → a function, or a pipeline of functions.
public struct Route: Sendable, Equatable {
    public var method: String
    public var path: String
    /// The function names in order; one for a plain route, two or more for a pipeline.
    public var stages: [String]
    public var isPipeline: Bool
    /// The route's own settings (unresolved; see `FunctionsFile.limits(for:)`).
    public var settings: Settings
    /// When the sender gets its answer (`"ack"`).
    public var ack: AckMode

    public init(
        method: String, path: String, stages: [String], isPipeline: Bool, settings: Settings = Settings(),
        ack: AckMode = .direct
    ) {
        self.method = method
        self.path = path
        self.stages = stages
        self.isPipeline = isPipeline
        self.settings = settings
        self.ack = ack
    }

    /// `brand-filter | ticket-metrics` or `agent-reply`.
    public var target: String { stages.joined(separator: " | ") }
}

/// The limits that apply to one route once route, function and default settings are combined.
public struct RouteLimits: Sendable, Equatable {
    /// Deadline for the whole route, in milliseconds.
    public var timeoutMS: Int
    /// Each stage's own limit in milliseconds (a function's `timeout_ms`, else the route's).
    public var stageTimeoutMS: [Int]
    public var maxBodyBytes: Int
    public var concurrency: Int
    /// Requests that may wait for the route's slots, and for how long (ms; within `timeoutMS`).
    public var queue: Int
    public var queueWaitMS: Int
    /// Each stage's extra environment: defaults < route < function.
    public var stageEnv: [[String: String]]
}

extension FunctionsFile {
    /// Combines the settings for `route`:
    /// - timeout: the route's `timeout_ms` (else defaults) bounds the whole route; a function's own
    ///   `timeout_ms` bounds its stage (never beyond what is left of the route's);
    /// - max body: the route's, else the smallest any of its functions sets, else defaults;
    /// - concurrency: the route's, else defaults (a function's own limit is enforced separately,
    ///   across every route that runs it); queue wait: the route's (else defaults), never beyond
    ///   what any of its functions sets, nor the route's timeout;
    /// - env: defaults, then the route's, then the function's (the most specific wins).
    public func limits(for route: Route) -> RouteLimits {
        let builtIn = Settings.builtIn
        let routeTimeout = route.settings.timeoutMS ?? defaults.timeoutMS ?? builtIn.timeoutMS!
        let specs = route.stages.map { functions[$0] ?? FunctionSpec(name: $0) }
        let functionBodies = specs.compactMap(\.settings.maxBodyBytes)
        let maxBody =
            route.settings.maxBodyBytes ?? functionBodies.min() ?? defaults.maxBodyBytes ?? builtIn.maxBodyBytes!
        let concurrency = route.settings.concurrency ?? defaults.concurrency ?? builtIn.concurrency!
        let queue = route.settings.queue ?? defaults.queue ?? builtIn.queue!
        // One wait covers the route's slot and its functions' slots: a function's own
        // queue_wait_ms bounds it too.
        let functionWait = specs.compactMap(\.settings.queueWaitMS).min() ?? .max
        let wait = min(
            route.settings.queueWaitMS ?? defaults.queueWaitMS ?? builtIn.queueWaitMS!, functionWait, routeTimeout - 1)
        let stageTimeouts = specs.map { min($0.settings.timeoutMS ?? routeTimeout, routeTimeout) }
        let stageEnv = specs.map { spec in
            defaults.env.merging(route.settings.env) { $1 }.merging(spec.settings.env) { $1 }
        }
        return RouteLimits(
            timeoutMS: routeTimeout, stageTimeoutMS: stageTimeouts, maxBodyBytes: maxBody,
            concurrency: concurrency, queue: queue, queueWaitMS: max(0, wait), stageEnv: stageEnv)
    }

    /// The largest body any route accepts (the listener's own limit).
    public var largestBody: Int {
        max(
            routes.map { limits(for: $0).maxBodyBytes }.max() ?? 0,
            defaults.maxBodyBytes ?? Settings.builtIn.maxBodyBytes!)
    }
}
