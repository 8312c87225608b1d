import FunctionRuntime

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
