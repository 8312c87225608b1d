import FunctionRuntime
import ServiceClients

/// The pure rules of `ticket-metrics`: which metric an event gives, the 14 properties, the
/// profile, and the Klaviyo event.
public enum TicketMetricsRules {
    /// What to do with an event before anything is read from Zendesk.
    public enum MetricDecision: Sendable, Equatable {
        case record(TicketMetric)
        case skip(reason: String)
        /// A status change whose new status the body did not carry: read it live.
        case needsLiveStatus
    }

    /// Ticket created → "Opened Ticket"; status changed to closed → "Resolved Ticket"; changed
    /// to anything else (solved included: Klaviyo records nothing when a ticket is solved) →
    /// skipped; any other event type → skipped.
    public static func metric(for kind: TicketEvent.Kind, liveStatus: String? = nil) -> MetricDecision {
        switch kind {
        case .created:
            return .record(.opened)
        case .statusChanged(let current, _):
            guard let status = (current ?? liveStatus)?.lowercased() else { return .needsLiveStatus }
            return status == "closed" ? .record(.resolved) : .skip(reason: "status_\(status)_not_tracked")
        case .other(let type):
            return .skip(reason: "event_\(type)_not_tracked")
        }
    }

    /// The exact property keys of both metrics (seed: Klaviyo's Zendesk integration).
    public static let propertyKeys = [
        "Assignee_email", "Assignee_name", "Channel", "Description", "Fields", "Group_name",
        "Priority", "Subject", "Tags", "Ticket_id", "Type", "Via", "Zendesk_url", "Status",
    ]

    /// The event's 14 properties. What changes over a ticket's life (status, priority, type,
    /// subject, tags, assignee, group) comes from the event's snapshot when it has it, so it
    /// shows the ticket as it was when the event happened; the rest, and whatever the event
    /// lacks, from the ticket read live. Unknown values are null; `Tags` and `Fields` are never null.
    public static func properties(event: TicketEvent, facts: TicketFacts) -> JSON {
        let d = event.detail, t = facts.ticket
        func pick(_ key: String) -> JSON {
            let v = d[key]
            return v.isNull || v.nonEmptyString == nil && v.array == nil ? t[key] : v
        }
        func lower(_ v: JSON) -> JSON { v.nonEmptyString.map { .string($0.lowercased()) } ?? .null }
        let via: JSON = t["via"].object != nil ? t["via"] : d["via"]
        var fields: JSON = [:]
        for f in t["custom_fields"].array ?? [] {
            guard let id = f["id"].string, !f["value"].isNull else { continue }
            fields[id] = f["value"]
        }
        let tags: JSON = d["tags"].array != nil ? d["tags"] : (t["tags"].array != nil ? t["tags"] : [])
        return [
            "Assignee_email": JSON(facts.assignee?["email"].nonEmptyString),
            "Assignee_name": JSON(facts.assignee?["name"].nonEmptyString),
            "Channel": JSON(via.at("channel").nonEmptyString),
            "Description": JSON((t["description"].nonEmptyString ?? d["description"].nonEmptyString)),
            "Fields": fields,
            "Group_name": JSON(facts.group?["name"].nonEmptyString),
            "Priority": lower(pick("priority")),
            "Subject": JSON(pick("subject").nonEmptyString),
            "Tags": tags,
            "Ticket_id": .int(event.ticketID),
            "Type": lower(pick("type")),
            "Via": via.object != nil ? via : .null,
            "Zendesk_url": .string(facts.agentURL),
            "Status": lower(pick("status")),
        ]
    }

    /// The result of the whole rule for one event whose facts were read.
    public enum Plan: Sendable, Equatable {
        case emit(KlaviyoEvent)
        case skip(reason: String)
    }

    /// Builds the Klaviyo event: the profile is the requester's email and/or E.164 phone (neither →
    /// skipped `no_email_or_phone`), `unique_id` is `zendesk:<account>:<ticket>:<opened|resolved>`,
    /// `time` is when it happened in Zendesk (event time; else the ticket's `created_at` for
    /// opened, `updated_at` for resolved).
    public static func plan(
        event: TicketEvent, metric: TicketMetric, facts: TicketFacts, account: String, backfill: Bool = false
    ) -> Plan {
        let email = facts.requester?["email"].nonEmptyString
        let phone = PhoneNumber.e164(facts.requester?["phone"].nonEmptyString)
        guard email != nil || phone != nil else { return .skip(reason: "no_email_or_phone") }
        let fallback =
            metric == .opened ? facts.ticket["created_at"].nonEmptyString : facts.ticket["updated_at"].nonEmptyString
        let time = event.time ?? fallback.flatMap(TicketEvent.normalizedTime)
        return .emit(
            KlaviyoEvent(
                metric: metric.rawValue, email: email, phoneNumber: phone,
                properties: properties(event: event, facts: facts), time: time,
                uniqueID: "zendesk:\(account):\(event.ticketID):\(metric.key)", backfill: backfill))
    }

    /// The account part of `unique_id`: the Zendesk subdomain for `https://SUB.zendesk.com`,
    /// otherwise host and path of `ZENDESK_URL` (so trigger bodies, event subscriptions and a
    /// backfill of the same ticket agree).
    public static func accountKey(zendeskURL: String) -> String {
        var s = zendeskURL
        if let r = s.firstRange(of: "://") { s = String(s[r.upperBound...]) }
        while s.hasSuffix("/") { s.removeLast() }
        let host = s.split(separator: "/", maxSplits: 1).first.map(String.init) ?? s
        if host.lowercased().hasSuffix(".zendesk.com"), !host.contains("/") {
            return String(host.dropLast(".zendesk.com".count)).lowercased()
        }
        return s.lowercased()
    }
}
