import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Configuration read from environment variables.
///
/// Every variable `NAME` may instead be given as a file named by `NAME_FILE` (OpenFaaS and Docker
/// secrets are files); the file's content, trimmed of surrounding white space, is the value. An
/// empty value counts as unset.
public struct Config: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = Config.processEnvironment()) {
        self.environment = environment
    }

    /// The current process environment (parsed on bytes: a Character-based split of every
    /// variable costs more than the rest of a function's start).
    public static func processEnvironment() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let buffer = UnsafeBufferPointer(start: bytes, count: length)
                if let eq = buffer.firstIndex(of: UInt8(ascii: "=")) {
                    env[String(decoding: UnsafeBufferPointer(rebasing: buffer[..<eq]), as: UTF8.self)] =
                        String(decoding: UnsafeBufferPointer(rebasing: buffer[(eq + 1)...]), as: UTF8.self)
                }
            }
            p += 1
        }
        return env
    }

    /// The value of `name` (or of the file named by `name_FILE`), nil when unset or empty.
    public func value(_ name: String) -> String? {
        if let v = environment[name], !v.isEmpty { return v }
        if let path = environment[name + "_FILE"], !path.isEmpty,
            let data = FileManager.default.contents(atPath: path)
        {
            let v = String(decoding: data, as: UTF8.self).trimmed()
            return v.isEmpty ? nil : v
        }
        return nil
    }

    /// The `NAME_FILE` variables whose file cannot be read, as a configuration error naming the
    /// first (nil when all are readable). A function checks this before each event: a secret
    /// given as a missing file must not read as "not set".
    public var unreadableFile: RuntimeError? {
        for (key, path) in environment.sorted(by: { $0.key < $1.key })
        where key.hasSuffix("_FILE") && !path.isEmpty && ConfigKey.isBundleVariable(key) {
            guard FileManager.default.contents(atPath: path) == nil else { continue }
            let name = String(key.dropLast("_FILE".count))
            return RuntimeError(
                .configMissing,
                "\(key) names \(path), which cannot be read (missing or not readable by this user); \(name) stays unset until it can",
                detail: .unreadableFile)
        }
        return nil
    }

    /// A service base URL: `name`'s value (or `defaultValue`) without a trailing `/`; throws
    /// `.configMissing` when unset without a default, or when it lacks an `http(s)://` scheme.
    public func url(_ name: String, default defaultValue: String? = nil, for purpose: String) throws -> String {
        guard let raw = value(name) ?? defaultValue else { return try require(name, for: purpose) }
        let lower = raw.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), raw.count > (lower.hasPrefix("https") ? 8 : 7)
        else {
            throw RuntimeError(
                .configMissing,
                "\(name) must be a URL with its scheme, e.g. https://\(raw.isEmpty ? "example.com" : raw) (got \(raw.debugDescription))",
                detail: .urlWithoutScheme)
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }

    /// The value of `name`, or `defaultValue`.
    public func value(_ name: String, default defaultValue: String) -> String {
        value(name) ?? defaultValue
    }

    /// The value of `name`; throws `.configMissing` naming the variable when unset.
    public func require(_ name: String, for purpose: String? = nil) throws -> String {
        guard let v = value(name) else {
            let why = purpose.map { " (needed for \($0))" } ?? ""
            throw RuntimeError(.configMissing, "\(name) is not set\(why); set it or \(name)_FILE")
        }
        return v
    }

    /// An integer variable; throws `.configMissing` when present but not a number.
    public func int(_ name: String, default defaultValue: Int) throws -> Int {
        guard let v = value(name) else { return defaultValue }
        guard let i = Int(v) else {
            throw RuntimeError(.configMissing, "\(name) must be a whole number, got \(v.debugDescription)")
        }
        return i
    }

    /// A decimal variable; throws `.configMissing` when present but not a number.
    public func double(_ name: String, default defaultValue: Double) throws -> Double {
        guard let v = value(name) else { return defaultValue }
        guard let d = Double(v), d.isFinite else {
            throw RuntimeError(.configMissing, "\(name) must be a number, got \(v.debugDescription)")
        }
        return d
    }

    /// A boolean flag: 1/true/yes are true.
    public func flag(_ name: String) -> Bool {
        guard let v = value(name)?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(v)
    }

    /// A comma-separated list, trimmed, empty items dropped.
    public func list(_ name: String) -> [String] {
        (value(name) ?? "").split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
    }

    /// Every value that must never appear in a log line (tokens, keys, secrets).
    public var secrets: [String] {
        ConfigKey.secretNames.compactMap { value($0) }.filter { $0.count >= 4 }
    }
}

/// The configuration variables the bundle reads, with their defaults.
public enum ConfigKey {
    public static let zendeskURL = "ZENDESK_URL"
    public static let zendeskEmail = "ZENDESK_EMAIL"
    public static let zendeskAPIToken = "ZENDESK_API_TOKEN"
    public static let zendeskOAuthToken = "ZENDESK_OAUTH_TOKEN"
    public static let zendeskWebhookSecret = "ZENDESK_WEBHOOK_SECRET"
    public static let zendeskBrands = "ZENDESK_BRANDS"
    public static let zendeskSMSBrandID = "ZENDESK_SMS_BRAND_ID"
    public static let klaviyoURL = "KLAVIYO_URL"
    public static let klaviyoAPIKey = "KLAVIYO_API_KEY"
    public static let klaviyoRevision = "KLAVIYO_REVISION"
    public static let klaviyoWebhookSecret = "KLAVIYO_WEBHOOK_SECRET"
    public static let smsProvider = "SMS_PROVIDER"
    public static let twilioURL = "TWILIO_URL"
    public static let twilioAccountSID = "TWILIO_ACCOUNT_SID"
    public static let twilioAuthToken = "TWILIO_AUTH_TOKEN"
    public static let smsKeywords = "SMS_KEYWORDS"
    public static let surveyURL = "SURVEY_URL"
    public static let surveyEmail = "SURVEY_EMAIL"
    public static let surveyToken = "SURVEY_TOKEN"
    public static let surveyTag = "SURVEY_TAG"
    public static let surveyDelayHours = "SURVEY_DELAY_HOURS"
    public static let publicURL = "PUBLIC_URL"
    public static let allowUnsigned = "ALLOW_UNSIGNED"
    /// Total time one invocation may spend on outbound calls, in milliseconds (default 8000).
    public static let budgetMS = "FUNCTION_BUDGET_MS"
    /// How many events `--stream` reads ahead for a function that declares a prefetch (default
    /// and most 16; 0 or 1: none).
    public static let streamPrefetch = "FUNCTION_STREAM_PREFETCH"
    /// Set by the invoker for a spooled request run after it arrived: its arrival time (Unix
    /// seconds), against which signature timestamps are judged fresh.
    public static let invokerReceivedAt = "INVOKER_RECEIVED_AT"
    /// A file the function appends its "needs a person" entries to (JSON lines), besides its log.
    public static let attentionLog = "ATTENTION_LOG"

    public static let defaultKlaviyoURL = "https://a.klaviyo.com"
    public static let defaultKlaviyoRevision = "2026-07-15"
    public static let defaultTwilioURL = "https://api.twilio.com"
    public static let defaultBudgetMS = 8000

    /// Variables whose values are secrets.
    /// The prefixes of every variable the bundle reads (other programs' `*_FILE` variables in the
    /// same environment are none of its business).
    public static let prefixes = [
        "ZENDESK_", "KLAVIYO_", "TWILIO_", "SMS_", "SURVEY_", "PUBLIC_URL", "ALLOW_UNSIGNED",
        "FUNCTION_", "INVOKER_", "ATTENTION_", "TICKET_METRICS_",
    ]

    public static func isBundleVariable(_ name: String) -> Bool { prefixes.contains { name.hasPrefix($0) } }

    /// The invoker's own tokens: `GET /report` (`REPORT_TOKEN`) and `/console` (`CONSOLE_TOKEN`).
    public static let reportToken = "REPORT_TOKEN"
    public static let consoleToken = "CONSOLE_TOKEN"

    public static let secretNames = [
        zendeskAPIToken, zendeskOAuthToken, zendeskWebhookSecret, klaviyoAPIKey,
        klaviyoWebhookSecret, twilioAuthToken, surveyToken, reportToken, consoleToken,
    ]
}
