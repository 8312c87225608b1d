import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The emulated Zendesk Support API, mounted under "/zendesk".
///
/// Follows Zendesk's documented behaviour: Basic `{email}/token:{token}` or Bearer auth (401
/// otherwise), `RecordInvalid` 422s, `Idempotency-Key` on ticket creation, `safe_update` 409s,
/// closed tickets refusing updates, end-user comments reopening tickets, search, incremental
/// export, business rules validated as Zendesk validates them, and event-subscription payloads
/// handed to the sandbox through `EmulatorContext.emitZendeskEvent`.
///
/// Ids: the API user is agent 1; new users count from 1000, tickets from 1, comments from 5000,
/// audits from 9000, triggers/automations/views/ticket fields from 100. A default brand with id 1
/// exists until brands are seeded.
public final class ZendeskEmulator: Emulator {
    public let name = "zendesk"
    public let prefix = "/zendesk"

    /// The account's credentials and limits (`configure(_:)`).
    struct Settings {
        var email = "agent@example.com"
        var token = "zd-token"
        var oauthToken = "zd-oauth-token"
        var accountID: Int64 = 10001
        /// Requests per minute; 0 = no limit.
        var rateLimit = 0
        /// Incremental export requests per minute (Zendesk: 10; 30 with the high-volume add-on);
        /// 0 = no limit.
        var exportRateLimit = 10
    }

    /// A stored `Idempotency-Key` outcome.
    struct IdempotencyEntry {
        var digest: String
        var response: ServerResponse
        var at: Date
    }

    static let apiUserID: Int64 = 1
    static let statuses = ["new", "open", "pending", "hold", "solved", "closed"]
    static let priorities = ["low", "normal", "high", "urgent"]
    static let types = ["problem", "incident", "question", "task"]
    static let roles = ["end-user", "agent", "admin"]
    static let ruleKinds = [
        "webhooks": "webhook", "triggers": "trigger", "automations": "automation",
        "views": "view", "ticket_fields": "ticket_field",
    ]
    /// How tickets created through the REST API report their channel.
    static let apiVia: JSON = ["channel": "api", "source": ["from": [:], "to": [:], "rel": nil]]
    static func customStatusID(_ status: String) -> Int64 { 1000 + Int64(statuses.firstIndex(of: status) ?? 0) }

    var settings = Settings()
    var users: [Int64: JSON] = [:]
    var groups: [Int64: JSON] = [:]
    var brands: [Int64: JSON] = [:]
    var tickets: [Int64: ZendeskTicket] = [:] { didSet { ticketsVersion &+= 1 } }
    /// Bumped by every change to `tickets` (the export's index is rebuilt when it moved).
    var ticketsVersion = 0
    /// The export's order: (updated_at seconds, id) ascending, as of `exportIndexVersion`.
    var exportIndex: [(Int64, Int64)] = []
    var exportIndexVersion = -1
    var jobs: [String: JSON] = [:]
    var idempotency: [String: IdempotencyEntry] = [:]
    /// Business rules by kind (`webhooks`, `triggers`, …), in creation order.
    var rules: [String: [JSON]] = [:]
    var nextUserID: Int64 = 1000
    var nextTicketID: Int64 = 1
    var nextCommentID: Int64 = 5000
    var nextAuditID: Int64 = 9000
    var nextRuleID: Int64 = 100
    var recentRequests: [Date] = []
    /// The incremental export's own window (it also counts against the account's).
    var exportLimiter = RateLimiter(limit: 10)

    public init() { reset() }

    // MARK: Emulator

    public func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse {
        guard authenticated(request.header("Authorization")) else {
            return .json(401, ["error": "Couldn't authenticate you"])
        }
        if let limited = rateLimit(now: context.now) { return limited }
        let call = ZendeskCall(request: request, path: path, context: context, baseURL: baseURL(request))
        var response: ServerResponse
        do {
            response = try route(call)
        } catch let refusal as ZendeskRefusal {
            response = refusal.response
        } catch {
            response = .json(500, ["error": "InternalError", "description": .string("\(error)")])
        }
        // Zendesk tells every answer's quota (clients such as zenpy pace themselves by it).
        response.headers += rateLimitHeaders()
        return response
    }

    /// The requests per minute of the account's plan (`rate_limit`, else 700, Zendesk Suite Professional).
    var planLimit: Int { settings.rateLimit > 0 ? settings.rateLimit : 700 }

    /// `X-Rate-Limit` and `X-Rate-Limit-Remaining` for the current minute.
    func rateLimitHeaders() -> [(String, String)] {
        [
            ("X-Rate-Limit", String(planLimit)),
            ("X-Rate-Limit-Remaining", String(max(0, planLimit - recentRequests.count))),
        ]
    }

    public func reset() {
        settings = Settings()
        clearRecords()
    }

    /// Clears the records (not the configuration) back to a fresh account.
    func clearRecords() {
        users = [:]; groups = [:]; brands = [:]; tickets = [:]; jobs = [:]; idempotency = [:]
        rules = Dictionary(uniqueKeysWithValues: Self.ruleKinds.keys.map { ($0, []) })
        nextUserID = 1000; nextTicketID = 1; nextCommentID = 5000; nextAuditID = 9000; nextRuleID = 100
        recentRequests = []
        exportLimiter = RateLimiter(limit: settings.exportRateLimit)
        let stamp = Clock.iso8601(Date())
        users[Self.apiUserID] = userRecord(
            [
                "id": .int(Self.apiUserID), "name": "Support Agent",
                "email": .string(settings.email), "role": "agent",
            ], stamp: stamp)
        brands[1] = brandRecord(["id": 1, "name": "Default brand", "default": true], stamp: stamp)
    }

    public func configure(_ document: JSON) throws {
        guard case .object(let o) = document else {
            throw RuntimeError(.invalidEvent, "zendesk config must be an object")
        }
        for (key, value) in o {
            switch key {
            case "email":
                guard let s = value.nonEmptyString else {
                    throw RuntimeError(.invalidEvent, "zendesk email must be a string")
                }
                settings.email = s
                users[Self.apiUserID]?["email"] = .string(s)
            case "token":
                guard let s = value.nonEmptyString else {
                    throw RuntimeError(.invalidEvent, "zendesk token must be a string")
                }
                settings.token = s
            case "oauth_token":
                guard let s = value.nonEmptyString else {
                    throw RuntimeError(.invalidEvent, "zendesk oauth_token must be a string")
                }
                settings.oauthToken = s
            case "account_id":
                guard let i = value.int else {
                    throw RuntimeError(.invalidEvent, "zendesk account_id must be an integer")
                }
                settings.accountID = i
            case "rate_limit":
                guard let i = value.int, i >= 0 else {
                    throw RuntimeError(.invalidEvent, "zendesk rate_limit must be >= 0")
                }
                settings.rateLimit = Int(i)
            case "export_rate_limit":
                guard let i = value.int, i >= 0 else {
                    throw RuntimeError(.invalidEvent, "zendesk export_rate_limit must be >= 0")
                }
                settings.exportRateLimit = Int(i)
                exportLimiter = RateLimiter(limit: Int(i))
            default:
                throw RuntimeError(.invalidEvent, "unknown zendesk config key \(key)")
            }
        }
    }

    /// The effective configuration, secrets left out.
    public var configuration: JSON {
        [
            "email": .string(settings.email), "account_id": .int(settings.accountID),
            "rate_limit": JSON(settings.rateLimit), "export_rate_limit": JSON(settings.exportRateLimit),
        ]
    }

    // MARK: Transport

    /// Basic `{email}/token:{token}` or `Bearer {oauth_token}`.
    func authenticated(_ header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let credentials = String(parts[1]).trimmed()
        switch parts[0].lowercased() {
        case "bearer":
            return credentials == settings.oauthToken
        case "basic":
            guard let decoded = Crypto.base64Decode(credentials) else { return false }
            return decoded == Array("\(settings.email)/token:\(settings.token)".utf8)
        default:
            return false
        }
    }

    /// 429 + `Retry-After` once more than `rate_limit` requests arrived within the last minute.
    func rateLimit(now: Date) -> ServerResponse? {
        // Kept in arrival order, so the expired ones are a prefix — unless the sandbox clock was
        // moved back, which the full filter handles.
        if let last = recentRequests.last, last > now {
            recentRequests.removeAll { now.timeIntervalSince($0) >= 60 || $0 > now }
        } else if let live = recentRequests.firstIndex(where: { now.timeIntervalSince($0) < 60 }) {
            if live > 0 { recentRequests.removeFirst(live) }
        } else {
            recentRequests.removeAll()
        }
        if settings.rateLimit > 0, recentRequests.count >= settings.rateLimit {
            let wait = max(1, Int((60 - now.timeIntervalSince(recentRequests[0])).rounded(.up)))
            return Self.throttled(
                retryAfter: wait, headers: [("X-Rate-Limit", String(planLimit)), ("X-Rate-Limit-Remaining", "0")])
        }
        recentRequests.append(now)
        return nil
    }

    /// Zendesk's 429: a plain-text body (not JSON) and `Retry-After` in seconds.
    public static func throttled(retryAfter: Int, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(
            status: 429,
            headers: [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", String(retryAfter))] + headers,
            body: Array("Rate limit exceeded. Please wait \(retryAfter) seconds and try again.\n".utf8))
    }

    /// `http://{Host}/zendesk`, the base of `url` fields and `Location`.
    func baseURL(_ request: ServerRequest) -> String {
        let host = request.header("Host") ?? "127.0.0.1"
        let scheme = request.header("X-Forwarded-Proto") ?? "http"
        return "\(scheme)://\(host)\(prefix)"
    }
}

/// One request as the handlers see it: path parts below `/api/v2`, query, body, clock.
struct ZendeskCall {
    let request: ServerRequest
    /// Path components below `/api/v2`, with a trailing `.json` removed.
    let parts: [String]
    let context: EmulatorContext
    let baseURL: String

    init(request: ServerRequest, path: String, context: EmulatorContext, baseURL: String) {
        self.request = request
        self.context = context
        self.baseURL = baseURL
        var p = path.pieces(separatedBy: UInt8(ascii: "/"))
        if let last = p.last, last.hasSuffix(".json") { p[p.count - 1] = String(last.dropLast(5)) }
        if p.count >= 2, p[0] == "api", p[1] == "v2" { parts = Array(p.dropFirst(2)) } else { parts = ["-"] + p }
    }

    var method: String { request.method.uppercased() }
    var now: Date { context.now }
    func query(_ name: String) -> String? { request.queryValue(name) }

    /// The wildcards of `pattern` ("tickets/*/tags") when method and path match it.
    func match(_ method: String, _ pattern: String) -> [String]? {
        guard self.method == method else { return nil }
        let p = pattern.pieces(separatedBy: UInt8(ascii: "/"))
        guard p.count == parts.count else { return nil }
        var captured: [String] = []
        for (want, got) in zip(p, parts) {
            if want == "*" { captured.append(got) } else if want != got { return nil }
        }
        return captured
    }

    /// The JSON body as an object, or its `root` member (`{"ticket": {…}}`); 400 otherwise.
    func body(root: String? = nil) throws -> JSON {
        guard !request.body.isEmpty, let json = try? JSON.parse(request.body), case .object = json else {
            throw ZendeskRefusal.badRequest(
                root.map { "body must be {\"\($0)\": {...}}" } ?? "body must be a JSON object")
        }
        guard let root else { return json }
        guard case .object = json[root] else { throw ZendeskRefusal.badRequest("body must be {\"\(root)\": {...}}") }
        return json[root]
    }
}
