import FunctionRuntime

/// One object setup keeps in a service account, found again by its name (every name starts
/// with `ManagedObject.marker`).
public struct ManagedObject: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case zendeskWebhook = "zendesk webhook"
        case zendeskAutomation = "zendesk automation"
        case zendeskTrigger = "zendesk trigger"
        case zendeskView = "zendesk view"
        case klaviyoWebhook = "klaviyo webhook"
    }

    /// The prefix of every object name setup creates.
    public static let marker = "[zk-bundle]"

    public var kind: Kind
    /// The full name (`[zk-bundle] …`): a webhook's `name`, a rule's `title`.
    public var name: String
    /// The fields setup owns, in the service's request shape (without the envelope).
    /// A `{{webhook:NAME}}` string stands for the id of the managed webhook called NAME.
    public var body: JSON

    public init(kind: Kind, name: String, body: JSON) {
        self.kind = kind
        self.name = name
        self.body = body
    }
}

/// An object that exists in an account: its id, its name and what the service reports.
public struct ExistingObject: Equatable, Sendable {
    public var kind: ManagedObject.Kind
    public var id: String
    public var name: String
    public var body: JSON

    public init(kind: ManagedObject.Kind, id: String, name: String, body: JSON) {
        self.kind = kind
        self.id = id
        self.name = name
        self.body = body
    }
}
