import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The emulated 2listen survey "Endpoint API", mounted under "/survey" (any path below it is a
/// survey endpoint, e.g. `/survey/s1`).
///
/// `POST` with HTTP Basic `<email>/token:<token>` (401 otherwise) and a JSON object body carrying
/// the required fields (default `name` and `email`; 422 when one is missing or empty). Each
/// accepted submission is recorded with its path and time.
public final class SurveyEmulator: Emulator {
    public let name = "survey"
    public let prefix = "/survey"

    public static let defaultConfig: JSON = [
        "email": "survey@example.com", "token": "sv-token",
        "required_fields": ["name", "email"], "rate_limit": 0,
    ]

    var config: JSON = SurveyEmulator.defaultConfig
    var limiter = RateLimiter()
    var submissions: [JSON] = []

    public init() {}

    public var email: String { config["email"].string ?? "survey@example.com" }
    public var token: String { config["token"].string ?? "sv-token" }

    /// The error body 2listen answers with.
    public static func error(_ status: Int, _ message: String, retryAfter: Int? = nil) -> ServerResponse {
        .json(
            status, ["status": "error", "message": .string(message)],
            headers: retryAfter.map { [("Retry-After", String($0))] } ?? [])
    }

    public func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse {
        guard let (user, password) = EmulatorSupport.basicCredentials(request), user == "\(email)/token",
            password == token
        else {
            return Self.error(401, "Couldn't authenticate you")
        }
        if let wait = limiter.admit() { return Self.error(429, "Too many requests", retryAfter: wait) }
        guard request.method == "POST" else { return Self.error(405, "Method not allowed") }
        guard path.count > 1 else { return Self.error(404, "Not found") }
        guard let body = try? JSON.parse(request.body), body.object != nil else {
            return Self.error(400, "body must be a JSON object")
        }
        let required = EmulatorSupport.strings(config["required_fields"])
        let missing = required.filter { body[$0].nonEmptyString == nil }
        if !missing.isEmpty {
            return Self.error(422, "missing or empty required fields: \(missing.joined(separator: ", "))")
        }
        submissions.append(["path": .string(path), "body": body, "time": .string(context.nowISO)])
        context.log("survey submission recorded at \(path)")
        return .json(200, ["status": "ok"])
    }

    public func snapshot() -> JSON { ["submissions": .array(submissions)] }

    public func restore(_ snapshot: JSON) throws {
        reset()
        submissions = snapshot["submissions"].array ?? []
        if snapshot["config"].object != nil { try configure(snapshot["config"]) }
    }

    public func reset() {
        config = Self.defaultConfig
        limiter = RateLimiter()
        submissions = []
    }

    public func seed(_ document: JSON, context: EmulatorContext) throws {
        guard document.object?.isEmpty ?? document.isNull else {
            throw RuntimeError(.usage, "survey takes no seed data (configure it under config.survey)")
        }
    }

    public func configure(_ document: JSON) throws {
        guard let o = document.object else { throw RuntimeError(.usage, "config.survey must be an object") }
        for (key, value) in o {
            switch key {
            case "email", "token":
                guard value.nonEmptyString != nil else {
                    throw RuntimeError(.usage, "config.survey.\(key) must be a string")
                }
            case "required_fields":
                guard value.array != nil else {
                    throw RuntimeError(.usage, "config.survey.required_fields must be a list")
                }
            case "rate_limit":
                guard let n = value.int, n >= 0 else {
                    throw RuntimeError(.usage, "config.survey.rate_limit must be a count per minute")
                }
                limiter.limit = Int(n)
            default: throw RuntimeError(.usage, "unknown config.survey key \(key)")
            }
            config[key] = value
        }
    }
}
