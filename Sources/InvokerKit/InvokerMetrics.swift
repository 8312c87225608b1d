import BundleCore
import FoundationEssentials
import FunctionRuntime

/// What the invoker counts for `GET /metrics` (Prometheus text exposition format 0.0.4).
///
/// Labels carry routes (`METHOD /path` of functions.json — never the request's own target),
/// function names, outcomes, exit statuses and status codes: never customer data.
///
/// - `bundle_requests_total{route,status}` — answered requests (`route="unrouted"` for paths
///   functions.json does not route);
/// - `bundle_request_duration_seconds{route}` — histogram, buckets from 1 ms to 10 s;
/// - `bundle_function_invocations_total{function,outcome,exit}` — each stage run, with the
///   `outcome` of the function's JSON answer (`none` when it wrote none);
/// - `bundle_function_duration_seconds{function}` — histogram of each stage's process;
/// - `bundle_upstream_calls_total{service,status_class}` — the functions' calls to Zendesk,
///   Klaviyo, Twilio and 2listen as their log lines report them (`status_class` `2xx`…`5xx`, or
///   `none` when no answer came), `bundle_upstream_retries_total{service}` — attempts beyond the
///   first, and `bundle_upstream_call_duration_seconds{service}` — histogram (retries included);
/// - `bundle_rejected_total{reason}` — `line_full`, `wait_expired` (route/function limits),
///   `not_started` (the run gate);
/// - gauges read at scrape time: `bundle_requests_in_flight`, `bundle_processes_running`,
///   `bundle_processes_waiting`, `bundle_spool_pending`, `bundle_spool_dead_letters`;
/// - `bundle_build_info{version}` 1.
public final class InvokerMetrics: Sendable {
    /// Histogram bounds in seconds (1 ms … 10 s).
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let version = "2026.12"

    struct Histogram: Sendable {
        var counts = [Int](repeating: 0, count: InvokerMetrics.buckets.count)
        var sum = 0.0
        var total = 0

        mutating func observe(_ seconds: Double) {
            for (i, bound) in InvokerMetrics.buckets.enumerated() where seconds <= bound { counts[i] += 1 }
            sum += seconds
            total += 1
        }
    }

    struct State: Sendable {
        var requests: [[String]: Int] = [:]
        var requestDurations: [String: Histogram] = [:]
        var invocations: [[String]: Int] = [:]
        var functionDurations: [String: Histogram] = [:]
        var rejected: [String: Int] = [:]
        var upstream: [[String]: Int] = [:]
        var upstreamRetries: [String: Int] = [:]
        var upstreamDurations: [String: Histogram] = [:]
    }

    private let state = PlainMutex(State())

    public init() {}

    func request(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests[[route, String(status)], default: 0] += 1
            s.requestDurations[route, default: Histogram()].observe(seconds)
        }
    }

    func invocation(function: String, outcome: String, exit: String, seconds: Double) {
        state.withLock { s in
            s.invocations[[function, outcome, exit], default: 0] += 1
            s.functionDurations[function, default: Histogram()].observe(seconds)
        }
    }

    func upstream(_ call: UpstreamRecord) {
        state.withLock { s in
            s.upstream[[call.service, call.statusClass], default: 0] += 1
            s.upstreamRetries[call.service, default: 0] += max(0, call.attempts - 1)
            s.upstreamDurations[call.service, default: Histogram()].observe(Double(call.milliseconds) / 1000)
        }
    }

    func rejected(_ reason: String) { state.withLock { $0.rejected[reason, default: 0] += 1 } }

    /// The exposition text; `gauges` are the values read now, by name.
    func exposition(gauges: [(name: String, help: String, value: Int)]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func labels(_ pairs: [(String, String)]) -> String {
            "{" + pairs.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        func histogram(_ name: String, _ label: String, _ values: [String: Histogram]) {
            for (key, h) in values.sorted(by: { $0.key < $1.key }) {
                for (i, bound) in Self.buckets.enumerated() {
                    out += "\(name)_bucket\(labels([(label, key), ("le", Self.number(bound))])) \(h.counts[i])\n"
                }
                out += "\(name)_bucket\(labels([(label, key), ("le", "+Inf")])) \(h.total)\n"
                out += "\(name)_sum\(labels([(label, key)])) \(Self.number(h.sum))\n"
                out += "\(name)_count\(labels([(label, key)])) \(h.total)\n"
            }
        }
        header("bundle_requests_total", "counter", "Requests answered, by route and HTTP status.")
        for (key, n) in s.requests.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "bundle_requests_total\(labels([("route", key[0]), ("status", key[1])])) \(n)\n"
        }
        header("bundle_request_duration_seconds", "histogram", "Time to answer a request, by route.")
        histogram("bundle_request_duration_seconds", "route", s.requestDurations)
        header(
            "bundle_function_invocations_total", "counter", "Function runs, by function, outcome and exit status.")
        for (key, n) in s.invocations.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out +=
                "bundle_function_invocations_total\(labels([("function", key[0]), ("outcome", key[1]), ("exit", key[2])])) \(n)\n"
        }
        header("bundle_function_duration_seconds", "histogram", "Time a function process ran, by function.")
        histogram("bundle_function_duration_seconds", "function", s.functionDurations)
        header(
            "bundle_upstream_calls_total", "counter",
            "Calls the functions made to the services, by service and status class (none: no answer).")
        for (key, n) in s.upstream.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "bundle_upstream_calls_total\(labels([("service", key[0]), ("status_class", key[1])])) \(n)\n"
        }
        header("bundle_upstream_retries_total", "counter", "Attempts beyond the first of the services' calls.")
        for (service, n) in s.upstreamRetries.sorted(by: { $0.key < $1.key }) {
            out += "bundle_upstream_retries_total\(labels([("service", service)])) \(n)\n"
        }
        header(
            "bundle_upstream_call_duration_seconds", "histogram",
            "Time a service call took, retries included, by service.")
        histogram("bundle_upstream_call_duration_seconds", "service", s.upstreamDurations)
        header("bundle_rejected_total", "counter", "Requests refused for lack of capacity, by reason.")
        for (reason, n) in s.rejected.sorted(by: { $0.key < $1.key }) {
            out += "bundle_rejected_total\(labels([("reason", reason)])) \(n)\n"
        }
        for g in gauges {
            header(g.name, "gauge", g.help)
            out += "\(g.name) \(g.value)\n"
        }
        header("bundle_build_info", "gauge", "The bundle's version.")
        out += "bundle_build_info\(labels([("version", Self.version)])) 1\n"
        return out
    }

    /// A label value escaped as the format asks (`\`, `"` and newline).
    static func escape(_ value: String) -> String {
        value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    /// A number as Go's strconv prints it for Prometheus (`0.001`, `10`, `2.5`).
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
