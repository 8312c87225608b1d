import FunctionRuntime
import SMSCore

/// A text a customer sent to one of the brand's numbers, whatever the input shape.
public struct InboundMessage: Sendable, Equatable {
    /// The provider's message id (Twilio `MessageSid`, Klaviyo event id): the idempotency key.
    public var messageID: String
    /// The customer's number (E.164).
    public var from: String
    /// The brand number (or sender id) the customer texted.
    public var to: String
    /// The text, verbatim.
    public var body: String
    /// Number of media attachments (images, GIFs), which are not shown in Zendesk.
    public var mediaCount: Int
    public var receivedAt: String?
    public var profileID: String?
    public var conversationID: String?
    /// Twilio Advanced Opt-Out's `OptOutType` (`STOP`, `START`, `HELP`), upper-cased: when present
    /// it decides over the keyword table.
    public var optOutType: String?
    /// Klaviyo's own attribution of the text, when the webhook item carries it.
    public var klaviyoAttribution: KlaviyoAttributionRef?

    public init(
        messageID: String, from: String, to: String, body: String, mediaCount: Int = 0, receivedAt: String? = nil,
        profileID: String? = nil, conversationID: String? = nil, optOutType: String? = nil,
        klaviyoAttribution: KlaviyoAttributionRef? = nil
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.body = body
        self.mediaCount = mediaCount
        self.receivedAt = receivedAt
        self.profileID = profileID
        self.conversationID = conversationID
        self.optOutType = optOutType
        self.klaviyoAttribution = klaviyoAttribution
    }

    /// The conversation this text belongs to.
    public var conversation: SMSConversationKey { SMSConversationKey(customer: from, brandNumber: to) }
}

/// An SMS a Klaviyo campaign or flow sent to a customer (to be noted on the open SMS ticket).
public struct CampaignSMS: Sendable, Equatable {
    public var messageID: String
    /// The customer's number, when the payload names it.
    public var customer: String?
    /// The Klaviyo profile id, when the payload names it.
    public var profileID: String?
    public var body: String
    /// "Campaign: <name>" or "Flow: <name>" (or "Campaign/flow" when unnamed).
    public var source: String

    public init(messageID: String, customer: String?, profileID: String?, body: String, source: String) {
        self.messageID = messageID
        self.customer = customer
        self.profileID = profileID
        self.body = body
        self.source = source
    }
}

/// A message of the brand that reached the customer naming no campaign or flow ("Received SMS"):
/// a conversation reply — sent from Zendesk (relayed by `agent-reply`) or typed in Klaviyo's inbox.
public struct ConversationReply: Sendable, Equatable {
    /// The "Received SMS" event id.
    public var messageID: String
    public var customer: String?
    public var profileID: String?
    public var body: String

    public init(messageID: String, customer: String?, profileID: String?, body: String) {
        self.messageID = messageID
        self.customer = customer
        self.profileID = profileID
        self.body = body
    }
}

/// A message of the brand that Klaviyo could not deliver ("Failed to Deliver SMS").
public struct UndeliveredSMS: Sendable, Equatable {
    /// The "Failed to Deliver SMS" event id.
    public var messageID: String
    public var customer: String?
    public var profileID: String?
    public var body: String
    /// Klaviyo's `Failure Type` (Device unreachable, Device disconnected, Carrier violation,
    /// Message blocked, Device incapable of receiving SMS, Unknown), when named.
    public var failureType: String?
    /// "Campaign: <name>" or "Flow: <name>" for marketing; nil for a conversation reply.
    public var source: String?

    public init(
        messageID: String, customer: String?, profileID: String?, body: String, failureType: String?, source: String?
    ) {
        self.messageID = messageID
        self.customer = customer
        self.profileID = profileID
        self.body = body
        self.failureType = failureType
        self.source = source
    }
}

/// One unit of work of `sms-inbound`.
public enum InboundItem: Sendable, Equatable {
    case message(InboundMessage)
    case campaign(CampaignSMS)
    /// A message of the brand Klaviyo could not deliver.
    case undelivered(UndeliveredSMS)
    /// A Klaviyo webhook item of a topic this function does not handle.
    case otherTopic(id: String?, topic: String)
    /// An outbound item naming no campaign or flow: the brand's own conversation reply.
    case conversationReply(ConversationReply)
    /// A batch item that cannot be read (its own error entry; the rest of the batch goes on).
    case invalid(id: String?, error: SMSError)
}

extension InboundItem {
    /// The item's message id, when it has one.
    public var id: String? {
        switch self {
        case .message(let m): return m.messageID
        case .campaign(let c): return c.messageID
        case .undelivered(let u): return u.messageID
        case .otherTopic(let id, _), .invalid(let id, _): return id
        case .conversationReply(let r): return r.messageID
        }
    }
}
