import FoundationEssentials
import FunctionRuntime

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
