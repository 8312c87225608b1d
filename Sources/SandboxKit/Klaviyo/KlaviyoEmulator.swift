import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The emulated Klaviyo API (`https://a.klaviyo.com`), mounted under "/klaviyo".
///
/// Every request needs `Authorization: Klaviyo-API-Key <key>` (401 otherwise) and a `revision`
/// header shaped `YYYY-MM-DD[.suffix]` (400 otherwise). Bodies must be JSON:API documents sent as
/// `application/vnd.api+json` (or `application/json`; 415 otherwise) and are checked against the
/// request schemas of revision 2026-07-15. A configured `rate_limit` (requests per minute) answers
/// 429 with `Retry-After` beyond it.
public final class KlaviyoEmulator: Emulator {
    public let name = "klaviyo"
    public let prefix = "/klaviyo"

    /// The JSON:API media type of every answer.
    public static let mediaType = "application/vnd.api+json"
    public static let defaultConfig: JSON = [
        "api_key": "pk_test", "rate_limit": 0, "bulk_rate_limit": 150, "bulk_burst_limit": 10,
    ]

    var config: JSON = KlaviyoEmulator.defaultConfig
    var limiter = RateLimiter()
    /// Profiles in creation order (`id`, identifiers, attributes, `created`, `updated`, `subscriptions`).
    var profiles: [JSON] = []
    var events: [JSON] = []
    var conversations: [JSON] = []
    var messages: [JSON] = []
    /// System webhooks (`id`, `name`, `endpoint_url`, `secret_key`, `topics`, `enabled`, …).
    var webhooks: [JSON] = []
    /// Texts customers sent into conversations (played through the control API).
    var received: [JSON] = []
    /// Phone numbers a message never reaches, with the `Failure Type` Klaviyo records for them.
    var unreachable: [String: String] = [:]
    /// Dedupe keys of recorded events: profile id + metric + (unique_id or time to the second).
    var eventKeys: Set<String> = []
    /// Profile index by identifier (`field` + value → the first profile holding it); see
    /// `KlaviyoEmulator+ProfileIndex.swift`.
    var profileLookup: [String: Int] = [:]
    /// Bulk jobs refused because a `unique_id` repeated (for the control API's counts).
    var bulkRefusals = 0
    /// Bulk Create Events' own limits: 10/s burst, 150/min steady (`bulk_rate_limit` sets the steady one).
    var bulkSteady = RateLimiter(limit: 150)
    var bulkBurst = RateLimiter(limit: 10, window: 1)

    public init() {}

    public var apiKey: String { config["api_key"].string ?? "pk_test" }

    public func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse {
        do {
            try authenticate(request, context: context)
            if let wait = limiter.admit() { throw KlaviyoError.throttled(wait) }
            return try route(request, path: path, context: context)
        } catch let error as KlaviyoError {
            return error.response
        } catch {
            return KlaviyoError(500, "\(error)").response
        }
    }

    func authenticate(_ request: ServerRequest, context: EmulatorContext) throws {
        let header = request.header("authorization") ?? ""
        let prefix = "Klaviyo-API-Key "
        guard header.hasPrefix(prefix), header.dropFirst(prefix.count).trimmed() == apiKey else {
            throw KlaviyoError(401, "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.")
        }
        guard let revision = request.header("revision"), !revision.isEmpty else {
            throw KlaviyoError(400, "Missing required header: revision.", code: "invalid", parameter: "revision")
        }
        guard Self.isRevision(revision), Self.isPublishedRevision(revision, today: context.now) else {
            throw KlaviyoError(
                400, "Invalid revision header '\(revision)'; expected YYYY-MM-DD or YYYY-MM-DD.suffix.",
                code: "invalid", parameter: "revision")
        }
    }

    /// A revision Klaviyo could have published: a real calendar date (2031-02-30 is none), not
    /// after today.
    static func isPublishedRevision(_ text: String, today: Date) -> Bool {
        let date = String(text.prefix(10))
        guard let parsed = Clock.parse(date + "T00:00:00Z"), Clock.iso8601(parsed).hasPrefix(date) else { return false }
        return parsed <= today
    }

    /// `YYYY-MM-DD` optionally followed by `.` and a suffix of letters, digits, `_` or `-`.
    static func isRevision(_ text: String) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let date = Array(parts[0].utf8)
        guard date.count == 10 else { return false }
        for (i, c) in date.enumerated() {
            if i == 4 || i == 7 {
                if c != UInt8(ascii: "-") { return false }
            } else if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") {
                return false
            }
        }
        if parts.count == 2 {
            let suffix = parts[1]
            return !suffix.isEmpty
                && suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        }
        return true
    }

    func route(_ request: ServerRequest, path: String, context: EmulatorContext) throws -> ServerResponse {
        let m = request.method
        if EmulatorSupport.match(path, "/api/profiles") != nil {
            guard m == "GET" else { throw methodNotAllowed(m) }
            return try listProfiles(request)
        }
        if let c = EmulatorSupport.match(path, "/api/profiles/{id}/conversation") {
            guard m == "GET" else { throw methodNotAllowed(m) }
            return try profileConversation(request, id: c["id"]!)
        }
        if let c = EmulatorSupport.match(path, "/api/profiles/{id}") {
            guard m == "GET" else { throw methodNotAllowed(m) }
            return try getProfile(request, id: c["id"]!)
        }
        if EmulatorSupport.match(path, "/api/event-bulk-create-jobs") != nil {
            guard m == "POST" else { throw methodNotAllowed(m) }
            return try bulkCreateEvents(request, context: context)
        }
        if EmulatorSupport.match(path, "/api/events") != nil {
            switch m {
            case "POST": return try createEvent(request, context: context)
            case "GET": return try listEvents(request)
            default: throw methodNotAllowed(m)
            }
        }
        if let c = EmulatorSupport.match(path, "/api/events/{id}") {
            guard m == "GET" else { throw methodNotAllowed(m) }
            return try getEvent(request, id: c["id"]!)
        }
        if EmulatorSupport.match(path, "/api/metrics") != nil {
            guard m == "GET" else { throw methodNotAllowed(m) }
            return listMetrics(request)
        }
        if EmulatorSupport.match(path, "/api/accounts") != nil {
            guard m == "GET" else { throw methodNotAllowed(m) }
            let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
            return Self.document(
                200,
                [
                    "data": [
                        [
                            "type": "account", "id": "SANDBX",
                            "attributes": [
                                "test_account": false,
                                "contact_information": [
                                    "default_sender_name": "Sandbox", "default_sender_email": "sandbox@example.com",
                                    "website_url": "https://example.com", "organization_name": "Sandbox",
                                    "street_address": [
                                        "address1": "1 Sandbox Street", "address2": .null, "city": "Boston",
                                        "region": "MA", "country": "US", "zip": "02110",
                                    ],
                                ],
                                "industry": .null, "timezone": "UTC", "preferred_currency": "USD",
                                "public_api_key": "SANDBX", "locale": "en-US",
                            ],
                            "links": ["self": .string("\(base)/api/accounts/SANDBX/")],
                        ]
                    ],
                    "links": ["self": .string("\(base)/api/accounts/"), "next": .null, "prev": .null],
                ])
        }
        if EmulatorSupport.match(path, "/api/webhooks") != nil {
            switch m {
            case "GET": return listWebhooks(request)
            case "POST": return try createWebhook(request, context: context)
            default: throw methodNotAllowed(m)
            }
        }
        if let c = EmulatorSupport.match(path, "/api/webhooks/{id}") {
            switch m {
            case "GET": return try getWebhook(request, id: c["id"]!)
            case "DELETE": return try deleteWebhook(id: c["id"]!)
            default: throw methodNotAllowed(m)
            }
        }
        if EmulatorSupport.match(path, "/api/conversation-messages") != nil {
            guard m == "POST" else { throw methodNotAllowed(m) }
            return try createConversationMessage(request, context: context)
        }
        throw KlaviyoError(404, "Not found: \(path) is not an endpoint of this API.")
    }

    func methodNotAllowed(_ method: String) -> KlaviyoError {
        KlaviyoError(405, "Method \"\(method)\" not allowed.")
    }

    /// The JSON:API document in a request body: the content type must be JSON:API or JSON (415),
    /// the body a JSON object with a `data` object (400).
    func document(of request: ServerRequest) throws -> JSON {
        let type =
            (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmed().lowercased() } ?? ""
        guard type == Self.mediaType || type == "application/json" else {
            throw KlaviyoError(415, "Unsupported media type \"\(type)\" in request; use \(Self.mediaType).")
        }
        guard let body = try? JSON.parse(request.body) else {
            throw KlaviyoError(400, "JSON parse error: the request body is not valid JSON.", code: "parse_error")
        }
        guard body["data"].object != nil else {
            throw KlaviyoError(
                400, "'data' is a required property and must be an object.", code: "invalid", pointer: "/data")
        }
        return body
    }

    /// A JSON:API response.
    static func document(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", mediaType)] + headers, body: value.serializedBytes())
    }

    // MARK: State

    public func snapshot() -> JSON {
        [
            "profiles": .array(profiles), "events": .array(events), "conversations": .array(conversations),
            "conversation_messages": .array(messages), "webhooks": .array(webhooks),
            "received_sms": .array(received), "unreachable": .object(unreachable.mapValues { .string($0) }),
        ]
    }

    public func restore(_ snapshot: JSON) throws {
        reset()
        profiles = snapshot["profiles"].array ?? []
        events = snapshot["events"].array ?? []
        conversations = snapshot["conversations"].array ?? []
        messages = snapshot["conversation_messages"].array ?? []
        webhooks = snapshot["webhooks"].array ?? []
        received = snapshot["received_sms"].array ?? []
        unreachable = (snapshot["unreachable"].object ?? [:]).compactMapValues(\.string)
        reindexProfiles()
        if snapshot["config"].object != nil { try configure(snapshot["config"]) }
        for e in events {
            eventKeys.insert(
                Self.eventKey(
                    profileID: e["profile_id"].string ?? "", metric: e["metric"].string ?? "",
                    uniqueID: e["unique_id"].string, time: e["time"].string ?? ""))
        }
    }

    public func reset() {
        config = Self.defaultConfig
        limiter = RateLimiter()
        bulkSteady = RateLimiter(limit: 150)
        bulkBurst = RateLimiter(limit: 10, window: 1)
        bulkRefusals = 0
        profileLookup = [:]
        profiles = []
        events = []
        conversations = []
        messages = []
        webhooks = []
        received = []
        unreachable = [:]
        eventKeys = []
    }

    public func configure(_ document: JSON) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "config.klaviyo must be an object") }
        for (key, value) in o {
            switch key {
            case "api_key":
                guard value.nonEmptyString != nil else {
                    throw RuntimeError(.usage, "config.klaviyo.api_key must be a string")
                }
            case "rate_limit":
                guard let n = value.int, n >= 0 else {
                    throw RuntimeError(.usage, "config.klaviyo.rate_limit must be a count per minute")
                }
                limiter.limit = Int(n)
            case "bulk_rate_limit":
                guard let n = value.int, n >= 0 else {
                    throw RuntimeError(.usage, "config.klaviyo.bulk_rate_limit must be a count per minute")
                }
                bulkSteady.limit = Int(n)
            case "bulk_burst_limit":
                guard let n = value.int, n >= 0 else {
                    throw RuntimeError(.usage, "config.klaviyo.bulk_burst_limit must be a count per second")
                }
                bulkBurst.limit = Int(n)
            default: throw RuntimeError(.usage, "unknown config.klaviyo key \(key)")
            }
            config[key] = value
        }
    }

    public func seed(_ document: JSON, context: EmulatorContext) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "seed.klaviyo must be an object") }
        for key in o.keys where !["profiles", "conversations", "webhooks", "events", "unreachable"].contains(key) {
            throw RuntimeError(.usage, "unknown seed.klaviyo key \(key)")
        }
        for spec in document["profiles"].array ?? [] {
            let profile = try newProfile(spec, context: context)
            if let i = profiles.firstIndex(where: { $0["id"] == profile["id"] }) {
                profiles[i] = profile
                reindexProfiles()
            } else {
                profiles.append(profile)
                indexProfile(profiles.count - 1)
            }
        }
        for spec in document["conversations"].array ?? [] {
            guard let profileID = spec["profile_id"].string, profile(id: profileID) != nil else {
                throw RuntimeError(.usage, "seed.klaviyo.conversations: profile_id must name a seeded profile")
            }
            guard let number = spec["number"].string, EmulatorSupport.isE164(number) else {
                throw RuntimeError(.usage, "seed.klaviyo.conversations: number must be E.164")
            }
            var conversation = spec
            conversation["id"] = .string(spec["id"].string ?? EmulatorSupport.klaviyoID())
            conversation["channel"] = spec["channel"].isNull ? "sms" : spec["channel"]
            if let i = conversations.firstIndex(where: { $0["id"] == conversation["id"] }) {
                conversations[i] = conversation
            } else {
                conversations.append(conversation)
            }
        }
        // Events of seeded profiles: {"profile_id", "metric", "time"?, "properties"?} — a
        // profile's history (Placed Order, Viewed Product, …) as Klaviyo would list it.
        for spec in document["events"].array ?? [] {
            guard let profileID = spec["profile_id"].string, profile(id: profileID) != nil else {
                throw RuntimeError(.usage, "seed.klaviyo.events: profile_id must name a seeded profile")
            }
            guard let metric = spec["metric"].nonEmptyString else {
                throw RuntimeError(.usage, "seed.klaviyo.events: metric is required")
            }
            guard spec["time"].isNull || spec["time"].string.flatMap(Clock.parse) != nil else {
                throw RuntimeError(.usage, "seed.klaviyo.events: time must be ISO-8601")
            }
            let time = spec["time"].string.flatMap(Clock.parse).map(Clock.iso8601) ?? context.nowISO
            let id = EmulatorSupport.klaviyoID()
            storeEvent(
                id: id, metric: metric, profileID: profileID,
                properties: spec["properties"].object == nil ? [:] : spec["properties"], time: time, uniqueID: id,
                backfill: true, received: context.nowISO)
        }
        // Phones a message never reaches: E.164 strings, or {"phone_number","failure_type"}.
        for spec in document["unreachable"].array ?? [] {
            guard let phone = spec.string ?? spec["phone_number"].string, EmulatorSupport.isE164(phone) else {
                throw RuntimeError(.usage, "seed.klaviyo.unreachable: phone numbers must be E.164")
            }
            unreachable[phone] = spec["failure_type"].nonEmptyString ?? "Device unreachable"
        }
        // Webhooks seeded directly may use any URL (the API itself requires https).
        for spec in document["webhooks"].array ?? [] {
            let hook = try newWebhook(spec, context: context)
            if let i = webhooks.firstIndex(where: { $0["id"] == hook["id"] }) {
                webhooks[i] = hook
            } else {
                webhooks.append(hook)
            }
        }
    }
}
