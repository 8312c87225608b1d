/// Everything the runtime needs to know about one function.
public struct FunctionDefinition: Sendable {
    public typealias Handler = @Sendable (Event, FunctionContext) throws -> FunctionOutput
    public typealias Command = @Sendable (FunctionContext) throws -> Int32
    /// The GET a handler will make first for an event, for stream mode to read ahead.
    public typealias Prefetch = @Sendable (Event, FunctionContext) -> HTTPRequest?
    /// The body to answer over HTTP instead of the JSON result, given the request, the result and
    /// the exit status; nil keeps the JSON result.
    public typealias Answer = @Sendable (IncomingRequest, JSON, Int32) -> HTTPAnswerBody?

    /// Kebab-case name, as in functions.json (`sms-inbound`).
    public var name: String
    /// One line saying what it does.
    public var summary: String
    /// Further help text (input shapes, configuration).
    public var details: String
    /// Signature schemes accepted over HTTP; the request's headers pick one. Empty: none needed.
    public var signatures: [SignatureScheme]
    /// Extra command-line flags, each running a command instead of reading events (e.g. `--scan`).
    public var commands: [String: Command]
    /// Flags shown in `--help` for `commands`.
    public var commandHelp: [String: String]
    /// Result members that report an effect as having happened (`recorded`, `confirmed`, …). A
    /// dry run performs no write, so its result leaves them out (see `DryRun`).
    public var confirmations: [String]
    /// True for a function that decides from the raw bytes itself (`brand-filter`): the runner
    /// does not parse the body, `Event.json` is `.null`, and the function must refuse invalid
    /// JSON on its own (`JSONScanner` does).
    public var readsRawEvent: Bool
    /// In `--stream`, the runner reads ahead: for the next few events (`FUNCTION_STREAM_PREFETCH`,
    /// default 16) it makes this GET of each together, and the handler's own GET of that URL is
    /// answered from it. Only for handlers that never write what they read ahead (a write of an
    /// earlier event would make the answer stale). Nil: no read-ahead.
    public var prefetch: Prefetch?
    /// Over HTTP (CGI, the watchdog, a Lambda HTTP event; not as a pipeline's inner stage), the
    /// body answered in place of the JSON result, for senders that read the answer in a format of
    /// their own (`sms-inbound` answers Twilio with TwiML). The result still goes to the log line,
    /// and its `outcome` to the `X-Function-Outcome` header. Nil: the JSON result.
    public var answer: Answer?
    public var handler: Handler

    public init(
        name: String, summary: String, details: String = "", signatures: [SignatureScheme],
        commands: [String: Command] = [:], commandHelp: [String: String] = [:], confirmations: [String] = [],
        readsRawEvent: Bool = false,
        prefetch: Prefetch? = nil, answer: Answer? = nil, handler: @escaping Handler
    ) {
        self.name = name
        self.summary = summary
        self.details = details
        self.signatures = signatures
        self.commands = commands
        self.commandHelp = commandHelp
        self.confirmations = confirmations
        self.readsRawEvent = readsRawEvent
        self.prefetch = prefetch
        self.answer = answer
        self.handler = handler
    }
}
