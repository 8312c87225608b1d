import FoundationEssentials
import FunctionRuntime

/// A campaign or flow SMS that reached the customer (Klaviyo's "Received SMS" naming a campaign
/// or a flow).
public struct DeliveredSMS: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case campaign = "Campaign"
        case flow = "Flow"
    }

    /// The "Received SMS" event id.
    public var id: String
    public var kind: Kind
    /// The campaign's or flow's name (or its id when the event names none).
    public var name: String
    public var sentAt: Date

    public init(id: String, kind: Kind, name: String, sentAt: Date) {
        self.id = id
        self.kind = kind
        self.name = name
        self.sentAt = sentAt
    }
}

/// A text the customer sent (a "Sent SMS" event, or an inbound text already on the ticket).
public struct EarlierText: Sendable, Equatable {
    public var id: String
    public var at: Date
    /// Its place among the ticket's audits, when it is on the ticket: orders texts of the same
    /// second (the providers' times have whole seconds).
    public var ticketOrder: Int?

    public init(id: String, at: Date, ticketOrder: Int? = nil) {
        self.id = id
        self.at = at
        self.ticketOrder = ticketOrder
    }
}
