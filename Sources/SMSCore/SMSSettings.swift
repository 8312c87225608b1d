import FunctionRuntime

extension ConfigKey {
    /// `exact` switches opt-out keywords to whole-message matching (default: contains-word).
    public static let smsOptOutMatch = "SMS_OPTOUT_MATCH"
    /// Klaviyo system-webhook topic of a text a customer sent us (default `event:klaviyo.sent_sms`:
    /// Klaviyo names SMS metrics from the profile's side, so "Sent SMS" is the customer's text).
    public static let klaviyoInboundSMSTopic = "KLAVIYO_SMS_INBOUND_TOPIC"
    /// Klaviyo system-webhook topic of an SMS of ours that reached the customer — campaign, flow or
    /// conversation reply (default `event:klaviyo.received_sms`, "Received SMS").
    public static let klaviyoSentSMSTopic = "KLAVIYO_SMS_SENT_TOPIC"
    /// Klaviyo system-webhook topic of an SMS of ours that did not reach the customer (default
    /// `event:klaviyo.failed_to_deliver_sms`, "Failed to Deliver SMS").
    public static let klaviyoFailedSMSTopic = "KLAVIYO_SMS_FAILED_TOPIC"
    /// Seconds a delivery's claim on a reply protects it from being sent by another delivery
    /// (default 60; longer than any one invocation's time budget).
    public static let smsReplyLeaseSeconds = "SMS_REPLY_LEASE_SECONDS"
    /// Klaviyo metric recorded for an agent reply sent through Twilio (default `Zendesk SMS Reply`).
    public static let klaviyoReplyMetric = "KLAVIYO_SMS_REPLY_METRIC"
    /// Hours after a campaign/flow SMS within which a customer's first text is attributed to it
    /// (default 24, Klaviyo's SMS attribution window).
    public static let smsAttributionHours = "SMS_ATTRIBUTION_HOURS"
    /// `0` (or false/no/off) turns off the customer-context note on new SMS tickets (default on).
    public static let smsContextNote = "SMS_CONTEXT_NOTE"
    /// Where Twilio posts the delivery status of each reply it sends (its `StatusCallback`):
    /// default `PUBLIC_URL` + `/sms/status` when `PUBLIC_URL` is set; `off` (or 0) sends none.
    public static let smsStatusCallbackURL = "SMS_STATUS_CALLBACK_URL"
}

/// Which service sends SMS (`SMS_PROVIDER`).
public enum SMSProvider: String, Sendable {
    /// Klaviyo's Conversations API: replies go out from the conversation's Klaviyo number.
    case klaviyo
    /// Twilio Programmable Messaging: replies go out from the brand number recorded on the ticket.
    case twilio
}

/// The SMS configuration, read once per invocation.
public struct SMSSettings: Sendable {
    public var provider: SMSProvider
    public var keywords: SMSKeywords
    public var brandID: Int64?
    public var inboundTopic: String
    public var sentTopic: String
    public var replyMetric: String
    /// "Failed to Deliver SMS": a conversation reply that did not reach the customer comes back to
    /// the agent.
    public var failedTopic: String = SMSSettings.defaultFailedTopic
    /// True when a Klaviyo API key is configured (consent checks, profile names, reply events).
    public var hasKlaviyo: Bool
    /// See `ConfigKey.smsReplyLeaseSeconds`.
    public var replyLeaseSeconds: Int = 60
    /// The attribution window in seconds (`SMS_ATTRIBUTION_HOURS`, default 24 h).
    public var attributionWindow: Double = 24 * 3600
    /// Whether new SMS tickets get the customer-context note (`SMS_CONTEXT_NOTE`, default on).
    public var contextNote: Bool = true
    /// The auto-responder for non-consented senders, when `SMS_AUTORESPONDER_TEXT` is set.
    public var autoResponder: SMSAutoResponder?
    /// Where Twilio reports each reply's delivery (`ConfigKey.smsStatusCallbackURL`); nil: nowhere.
    public var statusCallbackURL: String?

    public init(
        provider: SMSProvider = .klaviyo, keywords: SMSKeywords = SMSKeywords(), brandID: Int64? = nil,
        inboundTopic: String = SMSSettings.defaultInboundTopic, sentTopic: String = SMSSettings.defaultSentTopic,
        replyMetric: String = SMSSettings.defaultReplyMetric, hasKlaviyo: Bool = true
    ) {
        self.provider = provider
        self.keywords = keywords
        self.brandID = brandID
        self.inboundTopic = inboundTopic
        self.sentTopic = sentTopic
        self.replyMetric = replyMetric
        self.hasKlaviyo = hasKlaviyo
    }

    /// "Sent SMS": the customer texted one of the brand's numbers (Klaviyo help centre, "SMS
    /// Metrics": "someone texted your destination number").
    public static let defaultInboundTopic = "event:klaviyo.sent_sms"
    /// "Received SMS": a message of the brand reached the customer ("your recipient has received
    /// an SMS").
    public static let defaultSentTopic = "event:klaviyo.received_sms"
    /// "Failed to Deliver SMS": a message of the brand was sent but did not reach the customer
    /// (help centre, "SMS Metrics").
    public static let defaultFailedTopic = "event:klaviyo.failed_to_deliver_sms"
    /// The topics a Klaviyo webhook subscribes for this bundle: inbound texts, outbound messages
    /// and outbound messages that failed.
    public var klaviyoTopics: [String] { [inboundTopic, sentTopic, failedTopic] }

    public static let defaultReplyMetric = "Zendesk SMS Reply"

    /// Reads `SMS_PROVIDER` (klaviyo|twilio, default klaviyo), `SMS_KEYWORDS`, `SMS_OPTOUT_MATCH`
    /// (contains|exact), `ZENDESK_SMS_BRAND_ID`, the two Klaviyo topics and the reply metric.
    public init(config: Config) throws {
        let providerName = config.value(ConfigKey.smsProvider, default: "klaviyo").lowercased()
        guard let provider = SMSProvider(rawValue: providerName) else {
            throw SMSError(
                .badConfiguration, "SMS_PROVIDER must be klaviyo or twilio, got \(providerName.debugDescription)")
        }
        let matchName = config.value(ConfigKey.smsOptOutMatch, default: "contains").lowercased()
        let matching: OptOutMatching
        switch matchName {
        case "exact", "whole", "whole_message": matching = .exact
        case "contains", "contains_word", "word": matching = .containsWord
        default:
            throw SMSError(
                .badConfiguration, "SMS_OPTOUT_MATCH must be contains or exact, got \(matchName.debugDescription)")
        }
        var brandID: Int64?
        if let b = config.value(ConfigKey.zendeskSMSBrandID) {
            guard let id = Int64(b) else {
                throw SMSError(.badConfiguration, "ZENDESK_SMS_BRAND_ID must be a number, got \(b.debugDescription)")
            }
            brandID = id
        }
        self.init(
            provider: provider,
            keywords: SMSKeywords(automation: config.list(ConfigKey.smsKeywords), optOutMatching: matching),
            brandID: brandID,
            inboundTopic: config.value(ConfigKey.klaviyoInboundSMSTopic, default: SMSSettings.defaultInboundTopic),
            sentTopic: config.value(ConfigKey.klaviyoSentSMSTopic, default: SMSSettings.defaultSentTopic),
            replyMetric: config.value(ConfigKey.klaviyoReplyMetric, default: SMSSettings.defaultReplyMetric),
            hasKlaviyo: config.value(ConfigKey.klaviyoAPIKey) != nil)
        replyLeaseSeconds = try config.int(ConfigKey.smsReplyLeaseSeconds, default: 60)
        guard replyLeaseSeconds >= 15 else {
            throw SMSError(
                .badConfiguration,
                "SMS_REPLY_LEASE_SECONDS must be at least 15 (longer than one invocation), got \(replyLeaseSeconds)")
        }
        let hours = try config.double(ConfigKey.smsAttributionHours, default: 24)
        guard hours > 0, hours <= 24 * 30 else {
            throw SMSError(
                .badConfiguration, "SMS_ATTRIBUTION_HOURS must be more than 0 and at most 720, got \(hours)")
        }
        attributionWindow = hours * 3600
        switch config.value(ConfigKey.smsContextNote)?.lowercased() {
        case nil, "1", "true", "yes", "on": contextNote = true
        case "0", "false", "no", "off": contextNote = false
        case let other?:
            throw SMSError(.badConfiguration, "SMS_CONTEXT_NOTE must be 1 or 0, got \(other.debugDescription)")
        }
        failedTopic = config.value(ConfigKey.klaviyoFailedSMSTopic, default: SMSSettings.defaultFailedTopic)
        statusCallbackURL = try Self.statusCallbackURL(config)
        if let template = config.value(ConfigKey.smsAutoresponderText), !template.trimmed().isEmpty {
            let text = try SMSAutoResponder.render(
                template: template, organization: config.value(ConfigKey.smsOrganization),
                email: config.value(ConfigKey.smsSupportEmail))
            autoResponder = SMSAutoResponder(
                text: text,
                metric: config.value(ConfigKey.klaviyoAutoreplyMetric, default: SMSAutoResponder.defaultMetric))
        }
    }

    /// The path of the delivery-status route in functions.json.
    public static let statusCallbackPath = "/sms/status"

    /// `SMS_STATUS_CALLBACK_URL` as given (an http(s) URL), nil for `off`/`0`, else `PUBLIC_URL` +
    /// `/sms/status`, or nil without a `PUBLIC_URL` (Twilio could not reach the bundle).
    static func statusCallbackURL(_ config: Config) throws -> String? {
        if let v = config.value(ConfigKey.smsStatusCallbackURL)?.trimmed(), !v.isEmpty {
            if ["off", "0", "false", "no"].contains(v.lowercased()) { return nil }
            guard isCallbackURL(v), !v.contains("?"), !v.contains("#") else {
                throw SMSError(
                    .badConfiguration,
                    "SMS_STATUS_CALLBACK_URL must be an http(s) URL with a host name without underscores, and no query or fragment (or off), got \(v.debugDescription)"
                )
            }
            return v
        }
        guard var base = config.value(ConfigKey.publicURL)?.trimmed(), !base.isEmpty else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        // A PUBLIC_URL Twilio would refuse as a StatusCallback (21609) gets none.
        return isCallbackURL(base) && !base.contains("?") ? base + statusCallbackPath : nil
    }

    /// A URL Twilio takes as a `StatusCallback`: http(s) with a host name, no underscore in it
    /// (Create Message, `StatusCallback`: "URL must contain a valid hostname and underscores are
    /// not allowed").
    public static func isCallbackURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else { return false }
        let host = url.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != ":" && $0 != "#" }
        return !host.isEmpty && !host.contains("_")
    }
}
