import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The emulated Zendesk Support API, mounted under "/zendesk".
public final class ZendeskEmulator: Emulator {
    public let name = "zendesk"
    public let prefix = "/zendesk"

    public init() {}

    public func handle(_ request: ServerRequest, path: String, context: EmulatorContext) -> ServerResponse {
        .json(404, ["error": "InvalidEndpoint", "description": "Not found"])
    }

    public func snapshot() -> JSON { [:] }
    public func restore(_ snapshot: JSON) throws {}
    public func reset() {}
    public func seed(_ document: JSON, context: EmulatorContext) throws {}
    public func configure(_ document: JSON) throws {}

    /// Active webhooks subscribed to `zen:event-type:<eventType>`.
    public func webhookTargets(for eventType: String) -> [(id: String, endpoint: String, secret: String)] { [] }

    /// The event-subscription payload for a ticket event, or nil when the ticket is unknown.
    public func renderEvent(type: String, ticketID: Int64, commentID: Int64?, previous: String?) -> JSON? { nil }
}
