import FoundationEssentials

/// What a function's handler may use while handling one event.
public final class FunctionContext: @unchecked Sendable {
    public let name: String
    public let config: Config
    public let http: HTTPClient
    public let log: EventLog
    public let dryRun: Bool
    public let mode: InputMode
    /// Command-line flags the function declared and the caller gave (e.g. `--scan`).
    public let flags: Set<String>

    public init(name: String, config: Config, http: HTTPClient, log: EventLog, dryRun: Bool, mode: InputMode, flags: Set<String> = []) {
        self.name = name
        self.config = config
        self.http = http
        self.log = log
        self.dryRun = dryRun
        self.mode = mode
        self.flags = flags
    }

    /// A context for tests and in-process use, reading `environment` instead of the process's.
    public static func make(name: String, environment: [String: String], dryRun: Bool = false, mode: InputMode = .pipeline) -> FunctionContext {
        let config = Config(environment: environment)
        let log = EventLog(function: name, redactor: Redactor(secrets: config.secrets), attentionFile: config.value(ConfigKey.attentionLog))
        let budget = Double((try? config.int(ConfigKey.budgetMS, default: ConfigKey.defaultBudgetMS)) ?? ConfigKey.defaultBudgetMS) / 1000
        let http = HTTPClient(deadline: Deadline(seconds: budget), log: log, dryRun: dryRun)
        return FunctionContext(name: name, config: config, http: http, log: log, dryRun: dryRun, mode: mode)
    }

    /// The current time.
    public var now: Date { Date() }
}
