import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// One emulated service of the sandbox, mounted under a path prefix ("/zendesk", "/klaviyo",
/// "/twilio", "/survey").
///
/// The sandbox serialises all calls into emulators with one lock, so an emulator keeps plain
/// mutable state. Everything an emulator does must follow the vendor's documented behaviour
/// (status codes, error bodies, headers), never "whatever the caller sends".
public protocol Emulator: AnyObject {
    /// The service name used in logs, faults and state ("zendesk", "klaviyo", "twilio", "survey").
    var name: String { get }
    /// The path prefix the sandbox mounts the emulator under.
    var prefix: String { get }
    /// Handles a request whose path had `prefix` removed (`path` keeps its query string off;
    /// read the query from `request`). Called with the sandbox lock held.
    func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse
    /// The whole state as JSON (for `GET /_ctl/state` and for persistence).
    func snapshot() -> JSON
    /// Replaces the state with a snapshot taken earlier.
    func restore(_ snapshot: JSON) throws
    /// Clears all state and configuration back to the defaults.
    func reset()
    /// Adds the records of this service's part of a `POST /_ctl/seed` document.
    func seed(_ document: JSON, context: EmulatorContext) throws
    /// Applies this service's part of a configuration document (credentials, rate limits, …).
    func configure(_ document: JSON) throws
}

/// What an emulator may use besides its own state.
public final class EmulatorContext: @unchecked Sendable {
    /// The sandbox's clock: real time shifted by `offset` seconds (the control API can move it
    /// forward to play "two hours later").
    public var offset: Double = 0
    public var now: Date { Date().addingTimeInterval(offset) }

    /// Called by the Zendesk emulator when a ticket event happens that event-subscription
    /// webhooks deliver: `type` is the Zendesk event type without prefix (`ticket.created`,
    /// `ticket.status_changed`, `ticket.comment_added`), `payload` the full event body.
    public var emitZendeskEvent: (_ type: String, _ payload: JSON) -> Void = { _, _ in }

    /// Called by the Zendesk emulator with the webhook calls its triggers or automations made
    /// (`notification_webhook` actions) while handling a request; the sandbox delivers them in
    /// the background, signed, with Zendesk's retry rules.
    public var deliverRuleWebhooks: (_ calls: [ZendeskRuleDelivery]) -> Void = { _ in }

    /// Called by the Klaviyo emulator with a system-webhook item (`{"external_id","topic","payload"}`)
    /// of a metric it recorded; the sandbox posts it, signed, to the webhooks subscribed to its topic.
    public var emitKlaviyoWebhook: (_ item: JSON) -> Void = { _ in }

    /// Called by the Twilio emulator when it created a message with a `StatusCallback`: the
    /// sandbox posts the message's later statuses there, signed, as Twilio does.
    public var emitTwilioStatusCallback: (_ messageSID: String, _ url: String) -> Void = { _, _ in }

    /// Writes one readable line to the sandbox's event log (stdout).
    public var log: (String) -> Void = { _ in }

    public init() {}

    /// The current sandbox time as ISO-8601 (`2026-11-20T10:00:00Z`).
    public var nowISO: String { Clock.iso8601(now) }

    /// Resolves the seed time expressions `now`, `now-3h`, `now+10m`, `now-2d`, `now-90s` to
    /// ISO-8601 strings; any other string is returned unchanged.
    public func resolveTime(_ text: String) -> String {
        guard text.hasPrefix("now") else { return text }
        let rest = text.dropFirst(3)
        if rest.isEmpty { return nowISO }
        guard let sign = rest.first, sign == "+" || sign == "-", let unit = rest.last,
            let amount = Double(rest.dropFirst().dropLast())
        else { return text }
        let seconds: Double
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86400
        default: return text
        }
        return Clock.iso8601(now.addingTimeInterval(sign == "+" ? seconds : -seconds))
    }
}
