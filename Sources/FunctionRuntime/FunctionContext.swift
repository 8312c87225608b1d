import FoundationEssentials

/// What a function's handler may use while handling one event.
///
/// A context belongs to one event, as a Lambda invocation's context does: it carries that event's
/// deadline (through its HTTP client) and dry-run plan. `nextEvent()` makes the next event's
/// context, sharing what lives as long as the process: configuration, log, and the transport
/// whose connections are reused.
public final class FunctionContext: Sendable {
    public let name: String
    public let config: Config
    public let http: HTTPClient
    public let log: EventLog
    public let dryRun: Bool
    public let mode: InputMode
    /// Seconds each event may take in all (`FUNCTION_BUDGET_MS`).
    public let budget: Double
    /// A configuration error every event ends with (a `NAME_FILE` that cannot be read), found
    /// once when the process starts.
    public let configProblem: RuntimeError?

    public init(
        name: String, config: Config, http: HTTPClient, log: EventLog, dryRun: Bool, mode: InputMode,
        budget: Double? = nil,
        configProblem: RuntimeError? = nil
    ) {
        self.name = name
        self.config = config
        self.http = http
        self.log = log
        self.dryRun = dryRun
        self.mode = mode
        self.budget = budget ?? Self.budget(config)
        self.configProblem = configProblem
    }

    /// A context for tests and in-process use, reading `environment` instead of the process's;
    /// `transport`: connections to reuse (a warm worker keeps one for all its requests).
    public static func make(
        name: String, environment: [String: String], dryRun: Bool = false, mode: InputMode = .pipeline,
        logEach: Bool = true, transport: HTTPTransport? = nil
    ) -> FunctionContext {
        let config = Config(environment: environment)
        let log = EventLog(
            function: name, redactor: Redactor(secrets: config.secrets),
            attentionFile: config.value(ConfigKey.attentionLog), summarizesPlainLines: mode == .stream && !logEach)
        let budget = Self.budget(config)
        let http = HTTPClient(
            deadline: Deadline(seconds: budget), log: log, dryRun: dryRun, transport: transport ?? HTTPTransport())
        return FunctionContext(
            name: name, config: config, http: http, log: log, dryRun: dryRun, mode: mode, budget: budget,
            configProblem: config.unreadableFile)
    }

    /// The context of the next event: a fresh deadline of `budget` seconds (or `eventBudget`, when
    /// the host gives the event less — a Lambda invocation's deadline) and an empty plan; the same
    /// configuration, log and connections.
    public func nextEvent(budget eventBudget: Double? = nil) -> FunctionContext {
        let seconds = eventBudget.map { min($0, budget) } ?? budget
        return FunctionContext(
            name: name, config: config, http: http.renewed(deadline: Deadline(seconds: seconds)), log: log,
            dryRun: dryRun, mode: mode, budget: budget, configProblem: configProblem)
    }

    /// This event's time budget.
    public var deadline: Deadline { http.deadline }

    /// The current time.
    public var now: Date { Date() }

    static func budget(_ config: Config) -> Double {
        Double((try? config.int(ConfigKey.budgetMS, default: ConfigKey.defaultBudgetMS)) ?? ConfigKey.defaultBudgetMS)
            / 1000
    }
}
