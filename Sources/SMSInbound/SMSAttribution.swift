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

/// Klaviyo's own attribution of an inbound text, when the webhook item carries it (an
/// `attribution` resource in the payload's `included`, schema `AttributionResponseObjectResource`:
/// relationships `attributed-event`, `campaign`, `flow`).
public struct KlaviyoAttributionRef: Sendable, Equatable {
    /// The "Received SMS" event the text answers.
    public var eventID: String?
    public var campaignID: String?
    public var flowID: String?

    public init(eventID: String? = nil, campaignID: String? = nil, flowID: String? = nil) {
        self.eventID = eventID
        self.campaignID = campaignID
        self.flowID = flowID
    }

    /// Reads the first `attribution` resource of a Get-Event-shaped payload; nil when it has none.
    public init?(payload: JSON) {
        guard
            let a = (payload["included"].array ?? []).first(where: { $0["type"].string == "attribution" })
        else { return nil }
        let r = a["relationships"]
        self.init(
            eventID: r.at("attributed-event.data.id").nonEmptyString,
            campaignID: r.at("campaign.data.id").nonEmptyString,
            flowID: r.at("flow.data.id").nonEmptyString)
        guard eventID != nil || campaignID != nil || flowID != nil else { return nil }
    }
}

/// Why a text is not attributed.
public enum UnattributedReason: String, Sendable, Equatable {
    /// No campaign or flow SMS reached the customer before the text.
    case noMessage = "no_message"
    /// The last one is older than the attribution window.
    case outsideWindow = "outside_window"
    /// Another text of the customer came after that message first (a burst: only the first counts).
    case notFirstText = "not_first_text"
    /// Klaviyo could not be read; the text landed unattributed.
    case klaviyoUnavailable = "klaviyo_unavailable"
    /// No Klaviyo key is configured.
    case klaviyoNotConfigured = "klaviyo_not_configured"
    /// The sender has no Klaviyo profile.
    case noProfile = "no_profile"
}

/// A text's attribution to the campaign or flow SMS it answers.
public struct SMSAttribution: Sendable, Equatable {
    public var message: DeliveredSMS
    /// When the customer's text arrived.
    public var textAt: Date
    /// True when Klaviyo attributed it itself (the webhook item said so).
    public var byKlaviyo: Bool

    public init(message: DeliveredSMS, textAt: Date, byKlaviyo: Bool = false) {
        self.message = message
        self.textAt = textAt
        self.byKlaviyo = byKlaviyo
    }

    /// Whole minutes between the message and the text.
    public var minutesBefore: Int { max(0, Int((textAt.timeIntervalSince(message.sentAt) / 60).rounded(.down))) }
}

/// The outcome of attributing one text.
public enum AttributionResult: Sendable, Equatable {
    case attributed(SMSAttribution)
    case unattributed(UnattributedReason, detail: String? = nil)
}
