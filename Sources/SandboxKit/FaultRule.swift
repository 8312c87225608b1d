import FoundationEssentials
import FunctionRuntime

/// One fault-injection rule: `{"service"?, "method"?, "path_regex"?, "times": 1 (0 = always),
/// "probability": 1.0, "mode": "status"|"delay"|"reset"|"lose_response", "status": 503,
/// "retry_after": 1, "ms": 0}`.
///
/// `path_regex` is searched in the path below the service prefix (`/api/events`). The first rule
/// that matches a request fires and uses up one of its `times`.
public struct FaultRule: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Answer `status` in the service's own error format before doing anything (429/503 carry
        /// `Retry-After`).
        case status
        /// Wait `ms`, then process normally.
        case delay
        /// Drop the connection (TCP RST) before processing.
        case reset
        /// Process fully, then drop the connection: the state changes but the caller sees an error.
        case loseResponse = "lose_response"
    }

    public var service: String?
    public var method: String?
    public var pathRegex: String?
    /// Firings left; nil means always.
    public var remaining: Int?
    public var mode: Mode
    public var status: Int
    public var retryAfter: Int
    public var ms: Int
    /// Twilio only: the error code of a `status` answer (`{"code","message",…}` as Twilio writes
    /// it), e.g. 21609 for a refused `StatusCallback`.
    public var code: Int?
    /// The chance (0…1) that a matching request is hit; a miss uses up no firing.
    public var probability: Double

    /// Parses a rule; throws `.usage` with the reason when it is malformed.
    public init(_ json: JSON) throws {
        guard let o = json.object else { throw RuntimeError(.usage, "a fault rule must be an object") }
        let known: Set<String> = [
            "service", "method", "path_regex", "times", "mode", "status", "retry_after", "ms", "probability", "code",
        ]
        for key in o.keys where !known.contains(key) { throw RuntimeError(.usage, "unknown fault rule key \(key)") }
        guard let modeText = json["mode"].string, let mode = Mode(rawValue: modeText) else {
            throw RuntimeError(
                .usage, "fault mode must be one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.mode = mode
        service = json["service"].string
        if let s = service, !["zendesk", "klaviyo", "twilio", "survey"].contains(s) {
            throw RuntimeError(.usage, "fault service must be zendesk, klaviyo, twilio or survey")
        }
        method = json["method"].string?.uppercased()
        pathRegex = json["path_regex"].string
        if let p = pathRegex, (try? Regex(p)) == nil {
            throw RuntimeError(.usage, "path_regex is not a valid regular expression: \(p)")
        }
        let times = json["times"].isNull ? 1 : (json["times"].int ?? -1)
        guard times >= 0 else { throw RuntimeError(.usage, "times must be a count (0 = always)") }
        remaining = times == 0 ? nil : Int(times)
        status = Int(json["status"].int ?? 503)
        guard (400...599).contains(status) else { throw RuntimeError(.usage, "fault status must be 400-599") }
        retryAfter = Int(json["retry_after"].int ?? 1)
        ms = Int(json["ms"].int ?? 0)
        guard ms >= 0, retryAfter >= 0 else { throw RuntimeError(.usage, "ms and retry_after must not be negative") }
        code = json["code"].int.map { Int($0) }
        if code != nil, service != "twilio" { throw RuntimeError(.usage, "code is for twilio faults only") }
        probability = json["probability"].double ?? 1
        guard (0...1).contains(probability) else { throw RuntimeError(.usage, "probability must lie between 0 and 1") }
    }

    /// True when the rule applies to a request.
    public func matches(service: String, method: String, path: String) -> Bool {
        if let s = self.service, s != service { return false }
        if let m = self.method, m != method.uppercased() { return false }
        if let p = pathRegex {
            guard let regex = try? Regex(p), path.contains(regex) else { return false }
        }
        guard remaining.map({ $0 > 0 }) ?? true else { return false }
        return probability >= 1 || Double.random(in: 0..<1) < probability
    }

    public var json: JSON {
        [
            "service": JSON(service), "method": JSON(method), "path_regex": JSON(pathRegex),
            "times": .int(Int64(remaining ?? 0)), "always": .bool(remaining == nil), "mode": .string(mode.rawValue),
            "status": .int(Int64(status)), "retry_after": .int(Int64(retryAfter)), "ms": .int(Int64(ms)),
            "probability": .double(probability), "code": JSON(code.map { Int64($0) }),
        ]
    }
}
