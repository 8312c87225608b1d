import FoundationEssentials
import FunctionRuntime

/// Reply attribution (seed 003, "how are SMS tickets attributed"): a customer's text is attributed
/// to the **last** campaign or flow SMS they received before it, only when it arrives within the
/// attribution window (default 24 h) after that message, and only when it is the **first** text
/// after that message (the rest of a rapid burst is not attributed).
extension InboundRules {
    /// The tag an attributed text's ticket gets.
    public static let attributedTag = "sms_attributed"

    /// Attributes the text `textID` that arrived at `textAt`. `delivered` are the campaign/flow SMS
    /// of the customer, `texts` the customer's texts (this one may be among them), in any order;
    /// `textOrder` is this text's place among the ticket's audits (it has landed when this runs).
    ///
    /// - The message is the latest `delivered` sent at or before `textAt`.
    /// - The window is inclusive: a text exactly `window` seconds after the message is attributed.
    /// - Another text counts as earlier when it arrived after the message and before this one.
    ///   Times have whole seconds; within one second the text that landed on the ticket first is
    ///   the earlier one (one not on the ticket yet lands after this one). Every delivery of a
    ///   burst, decided after its text landed, therefore agrees on which text was first.
    public static func attribute(
        textID: String, textAt: Date, textOrder: Int? = nil, delivered: [DeliveredSMS], texts: [EarlierText],
        window: Double
    ) -> AttributionResult {
        guard let last = delivered.filter({ $0.sentAt <= textAt }).max(by: { $0.sentAt < $1.sentAt }) else {
            return .unattributed(.noMessage)
        }
        guard textAt.timeIntervalSince(last.sentAt) <= window else {
            return .unattributed(.outsideWindow, detail: "\(last.kind.rawValue): \(last.name)")
        }
        let second = textAt.timeIntervalSince1970.rounded(.down)
        let earlier = texts.first { t in
            guard t.id != textID, t.at >= last.sentAt else { return false }
            let s = t.at.timeIntervalSince1970.rounded(.down)
            if s != second { return s < second }
            guard let theirs = t.ticketOrder else { return false }
            return textOrder.map { theirs < $0 } ?? true
        }
        if let earlier { return .unattributed(.notFirstText, detail: "text \(earlier.id) came first") }
        return .attributed(SMSAttribution(message: last, textAt: textAt))
    }

    /// The customer's texts from Klaviyo's "Sent SMS" events and from the ticket's audits, one
    /// entry per id (the ticket's place added where both know it).
    public static func mergedTexts(klaviyo: [EarlierText], ticket: [EarlierText]) -> [EarlierText] {
        var byID: [String: EarlierText] = [:]
        for t in klaviyo { byID[t.id] = t }
        for t in ticket {
            if var known = byID[t.id] {
                known.ticketOrder = t.ticketOrder
                byID[t.id] = known
            } else {
                byID[t.id] = t
            }
        }
        return byID.values.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }

    /// A campaign/flow SMS from a "Received SMS" event (`Campaign Name` / `Flow Name` in its
    /// properties, also `$flow` / `$message` ids); nil for one naming neither — the brand's own
    /// conversation reply, which no text is attributed to.
    public static func deliveredSMS(id: String, properties: JSON, at date: Date?) -> DeliveredSMS? {
        guard let date, let source = campaignOrFlow(properties) else { return nil }
        return DeliveredSMS(id: id, kind: source.kind, name: source.name, sentAt: date)
    }

    /// The campaign (`Campaign Name`, `campaign`) or else the flow (`Flow Name`, `flow`) that
    /// Klaviyo event properties name; nil for neither (the brand's own conversation reply).
    public static func campaignOrFlow(_ properties: JSON) -> (kind: DeliveredSMS.Kind, name: String)? {
        if let campaign = InboundEvent.field(properties, ["campaign_name", "campaign"]) {
            return (.campaign, campaign)
        }
        if let flow = InboundEvent.field(properties, ["flow_name", "flow"]) { return (.flow, flow) }
        return nil
    }

    /// The private note of an attributed text:
    /// "Reply to Campaign: Black Friday (sent 10:02, 3 min before)" (times in UTC).
    public static func attributionNote(_ a: SMSAttribution) -> String {
        let minutes = a.minutesBefore
        let gap = minutes < 60 ? "\(minutes) min" : "\(minutes / 60) h \(minutes % 60) min"
        let by = a.byKlaviyo ? "; attributed by Klaviyo" : ""
        return "Reply to \(a.message.kind.rawValue): \(a.message.name) (sent \(clockTime(a.message.sentAt)), "
            + "\(gap) before\(by))"
    }

    /// "HH:MM" of `date` in UTC.
    static func clockTime(_ date: Date) -> String {
        let iso = Clock.iso8601(date)  // 2026-11-27T10:02:00Z
        let t = iso.split(separator: "T").last ?? ""
        return String(t.prefix(5))
    }

    /// The `attributed_to` member of the function's result.
    public static func attributionResult(_ r: AttributionResult) -> JSON {
        switch r {
        case .attributed(let a):
            return [
                "kind": .string(a.message.kind.rawValue.lowercased()), "name": .string(a.message.name),
                "event_id": .string(a.message.id), "sent_at": .string(Clock.iso8601(a.message.sentAt)),
                "minutes_before": .int(Int64(a.minutesBefore)), "by": .string(a.byKlaviyo ? "klaviyo" : "bundle"),
            ]
        case .unattributed: return .null
        }
    }
}

extension InboundRules {
    /// The customer's texts already on a ticket, from its audits (`metadata.custom` with
    /// `sms_direction` inbound): the provider's time when recorded, else the audit's.
    public static func inboundTexts(_ audits: [JSON]) -> [EarlierText] {
        audits.enumerated().compactMap { index, a in
            let custom = a.at("metadata.custom")
            guard custom["sms_direction"].string == "inbound", let id = custom["sms_message_id"].nonEmptyString,
                let at = (custom["sms_received_at"].nonEmptyString ?? a["created_at"].nonEmptyString).flatMap(
                    Clock.parse)
            else { return nil }
            return EarlierText(id: id, at: at, ticketOrder: index)
        }
    }

    /// True when an audit records the note `key` (written as `metadata.custom.sms_note`).
    public static func hasNote(_ audits: [JSON], key: String) -> Bool {
        audits.contains { $0.at("metadata.custom.sms_note").string == key }
    }
}
