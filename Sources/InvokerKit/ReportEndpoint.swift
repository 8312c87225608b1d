import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `GET /report?since=30d&until=…&brand=ID&channel=sms|all&format=html|json|csv`: the support
/// report (`bundle-history report`, run as a child process like a function), on when
/// `REPORT_TOKEN` is set. `Authorization: Bearer <REPORT_TOKEN>` is required (401 otherwise,
/// compared in constant time); the answer is never cached (`Cache-Control: no-store`) and its
/// body is never logged — the access log carries the path and the query, which name no customer.
struct ReportEndpoint: Sendable {
    static let path = "/report"
    static let tokenVariable = ConfigKey.reportToken
    static let executableName = "bundle-history"
    /// A report reads the export within its quota (10 pages a minute): minutes for a busy account.
    static let timeoutMS = 300_000

    let token: String?
    let executable: String
    let environment: [String: String]

    init(token: String?, executable: String, environment: [String: String]) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.executable = executable
        self.environment = environment
    }

    /// The query parameters `GET /report` takes, each passed to `bundle-history report` as its
    /// option of the same name, which checks the value (one check for both ways of asking).
    static let parameters = ["since", "until", "brand", "channel", "format"]

    /// The `report` arguments for the query; the unknown parameter when there is one.
    static func arguments(_ request: ServerRequest) -> Result<[String], BadQuery> {
        for (name, _) in request.queryItems where !parameters.contains(name) {
            return .failure(
                BadQuery("unknown parameter \(name) (\(parameters.joined(separator: ", ")))"))
        }
        var args = ["report", "--progress", "none"]
        for name in parameters {
            if let v = request.queryValue(name) { args += ["--\(name)", v] }
        }
        return .success(args)
    }

    /// A query the report refuses.
    struct BadQuery: Error {
        let message: String
        init(_ message: String) { self.message = message }

        /// The refusal `bundle-history` wrote (exit 64): its `error:` line.
        init(log: [UInt8]) {
            let line = String(decoding: log, as: UTF8.self).split(separator: "\n").last { $0.hasPrefix("error: ") }
            message = line.map { String($0.dropFirst(7)) } ?? "the report refused the query"
        }
    }

    static func contentType(_ format: String) -> String {
        switch format {
        case "json": return "application/json"
        case "csv": return "text/csv; charset=utf-8"
        default: return "text/html; charset=utf-8"
        }
    }

    func respond(_ request: ServerRequest) -> ServerResponse {
        guard let token else {
            return Outcome.error(404, "not_found", "GET /report is off: set REPORT_TOKEN to serve the support report")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return Outcome.error(405, "method_not_allowed", "/report answers GET", headers: [("Allow", "GET, HEAD")])
        }
        let header = request.header("Authorization") ?? ""
        guard header.hasPrefix("Bearer "), InvokerConsole.same(String(header.dropFirst(7)).trimmed(), token) else {
            return Outcome.error(
                401, "unauthorized", "GET /report needs Authorization: Bearer <REPORT_TOKEN>",
                headers: [("WWW-Authenticate", "Bearer realm=\"report\"")])
        }
        let args: [String]
        switch Self.arguments(request) {
        case .success(let a): args = a
        case .failure(let bad): return Outcome.error(400, "bad_request", bad.message)
        }
        let result = FunctionProcess.run(
            executable: executable, arguments: args, environment: environment, input: [], timeoutMS: Self.timeoutMS,
            captureLog: true)
        let noStore: [(String, String)] = [
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
        ]
        switch result.end {
        case .exited(0):
            let format = request.queryValue("format") ?? "html"
            return ServerResponse(
                status: 200, headers: [("Content-Type", Self.contentType(format))] + noStore,
                body: request.method == "HEAD" ? [] : result.stdout)
        case .exited(64):
            return Outcome.error(400, "bad_request", BadQuery(log: result.log).message)
        case .exited(75):
            return Outcome.error(
                503, "upstream_unavailable", "Zendesk is unavailable; try again", headers: [("Retry-After", "60")])
        case .exited(78):
            return Outcome.error(500, "config_missing", "the report needs ZENDESK_URL and Zendesk credentials")
        case .timedOut:
            return Outcome.error(
                504, "timeout", "the report took longer than \(Self.timeoutMS / 1000) s; narrow since/until")
        case .spawnFailed(let why):
            return Outcome.error(500, "report_unavailable", "cannot run \(Self.executableName): \(why)")
        default:
            return Outcome.error(502, "report_failed", "the report ended with \(result.end)")
        }
    }
}
