import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// The customer-context note of a new SMS ticket: name, email, SMS consent, predictive analytics,
/// earlier Zendesk tickets and the five most recent Klaviyo events — short lines an agent reads
/// at a glance in Zendesk's agent view.
extension InboundRules {
    /// How many recent events the note lists.
    public static let contextEventCount = 5

    /// The note's text.
    public static func contextNote(_ c: CustomerContext) -> String {
        let p = c.profile
        var lines = ["Customer context from Klaviyo (profile \(p.id))"]
        lines.append("Name: \(p.displayName ?? "not set")")
        lines.append("Email: \(p.email ?? "not set")")
        lines.append(
            "SMS consent: marketing \(consentWord(p.smsMarketingConsent)), "
                + "transactional \(consentWord(p.smsTransactionalConsent))")
        lines.append("Predictive analytics: " + predictiveLine(p.predictive))
        lines.append("Earlier Zendesk tickets: " + (c.earlierTickets.map(String.init) ?? "not available"))
        if c.recentEvents.isEmpty {
            lines.append("Recent activity: none")
        } else {
            let events = c.recentEvents.prefix(contextEventCount).map { "\($0.metric) (\(day($0.at)))" }
            lines.append("Recent activity: " + events.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// "subscribed", "unsubscribed", "never subscribed", … from Klaviyo's consent value.
    static func consentWord(_ consent: String?) -> String {
        guard let consent, !consent.isEmpty else { return "unknown" }
        return consent.lowercased().replacingAll("_", with: " ")
    }

    /// The predictive-analytics line: the values Klaviyo gave, or "not available".
    static func predictiveLine(_ p: KlaviyoPredictiveAnalytics?) -> String {
        guard let p, !p.isEmpty else { return "not available" }
        var parts: [String] = []
        if let v = p.historicCLV { parts.append("historic CLV \(money(v))") }
        if let v = p.predictedCLV { parts.append("predicted CLV \(money(v))") }
        if let v = p.churnProbability { parts.append("churn probability \(Int((v * 100).rounded())) %") }
        if let v = p.expectedDateOfNextOrder {
            parts.append("expected next order \(Clock.parse(v).map(day) ?? v)")
        }
        if let v = p.historicNumberOfOrders { parts.append("orders \(Int(v.rounded()))") }
        if let v = p.averageOrderValue { parts.append("average order \(money(v))") }
        return parts.joined(separator: ", ")
    }

    /// Two decimals, no currency (Klaviyo gives the account's currency).
    static func money(_ v: Double) -> String {
        let cents = Int64((v * 100).rounded())
        let sign = cents < 0 ? "-" : ""
        let a = abs(cents)
        let frac = a % 100
        return "\(sign)\(a / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// `YYYY-MM-DD` (UTC).
    static func day(_ date: Date) -> String { String(Clock.iso8601(date).prefix(10)) }

    /// Earlier tickets of a requester: the tickets a search finds for them, other than this one
    /// (the search index lags a little: a ticket created in the last minute may be missing).
    public static func earlierTickets(ids: [Int64], current: Int64) -> Int {
        Set(ids).subtracting([current]).count
    }
}
