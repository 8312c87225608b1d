import FoundationEssentials
import FunctionRuntime

/// How a `Sandbox` runs.
public struct SandboxOptions: Sendable {
    /// A JSON file the whole state is loaded from at start (when it exists) and saved to,
    /// atomically, after each mutating request.
    public var statePath: String?
    /// Receives one readable, redacted line per request and per notable event (the executable
    /// writes them to stdout). Nil: lines are dropped.
    public var eventLog: (@Sendable (String) -> Void)?
    /// Seconds the sandbox waits for a webhook endpoint to answer (Zendesk waits about 10 s).
    public var webhookTimeout: Double = 10
    /// Pause before retrying a webhook after a 409 or a timeout, seconds.
    public var webhookRetryDelay: Double = 1
    /// The longest `Retry-After` (seconds) a 429/503 answer may ask for and still be retried.
    public var webhookMaxRetryAfter: Double = 60
    /// Retries after the first attempt of a webhook invocation.
    public var webhookMaxRetries: Int = 3
    /// Seconds the sandbox waits for a bundle endpoint to answer an inbound Twilio message.
    public var twilioWebhookTimeout: Double = 15

    /// Seconds between automatic runs of the Zendesk automations while serving (Zendesk runs
    /// them hourly); nil: only `POST /_ctl/clock` and `POST /_ctl/zendesk/run-automations` run them.
    public var automationInterval: Double?

    public init(statePath: String? = nil, eventLog: (@Sendable (String) -> Void)? = nil) {
        self.statePath = statePath
        self.eventLog = eventLog
    }
}
