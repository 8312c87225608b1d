import Foundation
import FunctionRuntime
import SandboxKit
import TestSupport

/// A Zendesk account with a history, seeded into a sandbox, and what a backfill of it must send —
/// worked out here from the fixture's own description, not by the product's rules.
struct HistoryFixture {
    struct Person {
        var id: Int64
        var name: String
        var email: String?
        var phone: String?
    }

    struct Ticket {
        var id: Int64
        var brand: Int64
        var requester: Person
        var assignee: Person?
        var group: (id: Int64, name: String)?
        var status: String
        var subject: String
        var priority: String?
        var type: String?
        var tags: [String]
        var created: Int64
        var updated: Int64
        /// When its status last changed (closure, for a closed ticket).
        var statusUpdated: Int64
        var question: String
    }

    /// One event the backfill must send.
    struct Expected: Equatable, CustomStringConvertible {
        var metric: String
        var ticket: Int64
        var time: String
        var uniqueID: String
        var email: String?
        var phone: String?
        var properties: JSON
        var description: String { "\(metric) #\(ticket) \(time) \(uniqueID)" }
    }

    let base: Int64
    let since: Int64
    let until: Int64
    var tickets: [Ticket] = []
    static let agents = [
        Person(id: 10, name: "Agent Smith", email: "smith@support.example"),
        Person(id: 11, name: "Agent Jones", email: "jones@support.example"),
    ]

    /// `count` tickets over the last 40 days; the window is the last 30 days.
    init(count: Int = 48, now: Date = Date()) {
        base = Int64(now.timeIntervalSince1970) - 300
        since = base - 30 * 86400
        until = base
        let statuses = ["open", "solved", "closed", "pending", "closed", "new"]
        for i in 0..<count {
            let n = Int64(i)
            let requester: Person
            switch i % 7 {
            case 3: requester = Person(id: 2000 + n, name: "Nobody \(i)")
            case 2, 5:
                requester = Person(id: 2000 + n, name: "Phone \(i)", phone: "+1555010\(String(format: "%04d", i))")
            default: requester = Person(id: 2000 + n, name: "Customer \(i)", email: "customer\(i)@example.com")
            }
            let created = base - (40 - n * 40 / Int64(count)) * 86400 - n * 600
            let status = statuses[i % statuses.count]
            let closedAfter = Int64(i % 5 + 1) * 86400 + n * 60
            let statusUpdated =
                status == "open" || status == "new" ? created + 3600 : min(created + closedAfter, base - 120)
            tickets.append(
                Ticket(
                    id: 100 + n, brand: i % 3 == 0 ? 2 : 1, requester: requester,
                    assignee: i % 4 == 3 ? nil : Self.agents[i % 2], group: i % 2 == 0 ? (7, "Tier 1") : nil,
                    status: status, subject: "Order question \(i) <b>&", priority: [nil, "normal", "high"][i % 3],
                    type: i % 2 == 0 ? "question" : nil, tags: (i % 3 == 1 ? ["order", "sms"] : ["order"]),
                    created: created, updated: statusUpdated, statusUpdated: statusUpdated,
                    question: "Where is order \(i)?"))
        }
    }

    static func iso(_ t: Int64) -> String { Clock.iso8601(Date(timeIntervalSince1970: Double(t))) }

    /// The seed document (users, agents, group, brands, tickets with the customer's question).
    var seed: JSON {
        var users: [JSON] = Self.agents.map {
            ["id": .int($0.id), "name": .string($0.name), "email": JSON($0.email), "role": "agent"]
        }
        for t in tickets {
            var u: JSON = ["id": .int(t.requester.id), "name": .string(t.requester.name), "role": "end-user"]
            if let e = t.requester.email { u["email"] = .string(e) }
            if let p = t.requester.phone { u["phone"] = .string(p) }
            users.append(u)
        }
        let list: [JSON] = tickets.map { t in
            var j: JSON = [
                "id": .int(t.id), "requester_id": .int(t.requester.id), "brand_id": .int(t.brand),
                "status": .string(t.status), "subject": .string(t.subject), "tags": JSON(t.tags),
                "created_at": .string(Self.iso(t.created)), "updated_at": .string(Self.iso(t.updated)),
                "status_updated_at": .string(Self.iso(t.statusUpdated)),
                "comments": [
                    [
                        "author_id": .int(t.requester.id), "body": .string(t.question),
                        "created_at": .string(Self.iso(t.created)),
                    ]
                ],
            ]
            if let a = t.assignee { j["assignee_id"] = .int(a.id) }
            if let g = t.group { j["group_id"] = .int(g.id) }
            if let p = t.priority { j["priority"] = .string(p) }
            if let ty = t.type { j["type"] = .string(ty) }
            return j
        }
        return [
            "config": ["zendesk": ["export_rate_limit": 0]],
            "zendesk": [
                "users": .array(users), "groups": [["id": 7, "name": "Tier 1"]],
                "brands": [["id": 1, "name": "Main"], ["id": 2, "name": "Outlet"]], "tickets": .array(list),
            ],
        ]
    }

    /// What the backfill of [since, until) must send, ticket by ticket. `zendeskURL` is the
    /// account's URL as the functions see it; `brands` limits to those brands.
    func expected(zendeskURL: String, brands: Set<Int64> = []) -> [Expected] {
        let account = zendeskURL.components(separatedBy: "://").last!.lowercased()
        var out: [Expected] = []
        for t in tickets where brands.isEmpty || brands.contains(t.brand) {
            guard t.requester.email != nil || t.requester.phone != nil else { continue }
            let properties: JSON = [
                "Assignee_email": JSON(t.assignee?.email), "Assignee_name": JSON(t.assignee?.name), "Channel": "api",
                "Description": .string(t.question), "Fields": [:], "Group_name": JSON(t.group?.name),
                "Priority": JSON(t.priority), "Subject": .string(t.subject), "Tags": JSON(t.tags),
                "Ticket_id": .int(t.id), "Type": JSON(t.type),
                "Via": ["channel": "api", "source": ["from": [:], "to": [:], "rel": nil]],
                "Zendesk_url": .string("\(zendeskURL)/agent/tickets/\(t.id)"), "Status": .string(t.status),
            ]
            if t.created >= since && t.created < until {
                out.append(
                    Expected(
                        metric: "Opened Ticket", ticket: t.id, time: Self.iso(t.created),
                        uniqueID: "zendesk:\(account):\(t.id):opened", email: t.requester.email,
                        phone: t.requester.phone,
                        properties: properties))
            }
            if t.status == "closed" && t.statusUpdated >= since && t.statusUpdated < until {
                out.append(
                    Expected(
                        metric: "Resolved Ticket", ticket: t.id, time: Self.iso(t.statusUpdated),
                        uniqueID: "zendesk:\(account):\(t.id):resolved", email: t.requester.email,
                        phone: t.requester.phone, properties: properties))
            }
        }
        return out.sorted { ($0.ticket, $0.metric) < ($1.ticket, $1.metric) }
    }

    /// The events the sandbox's Klaviyo recorded, in the same form.
    static func recorded(_ state: JSON) -> [Expected] {
        var profiles: [String: JSON] = [:]
        for p in state.at("klaviyo.profiles").array ?? [] { if let id = p["id"].string { profiles[id] = p } }
        return (state.at("klaviyo.events").array ?? []).compactMap { e -> Expected? in
            guard let metric = e["metric"].string, metric.hasSuffix("Ticket") else { return nil }
            let p = profiles[e["profile_id"].string ?? ""] ?? .null
            return Expected(
                metric: metric, ticket: e["properties"]["Ticket_id"].int ?? 0, time: e["time"].string ?? "",
                uniqueID: e["unique_id"].string ?? "", email: p["email"].string, phone: p["phone_number"].string,
                properties: e["properties"])
        }.sorted { ($0.ticket, $0.metric) < ($1.ticket, $1.metric) }
    }

    /// The events of a dry run's `--list` lines (Klaviyo event bodies).
    static func planned(_ lines: [JSON]) -> [Expected] {
        lines.compactMap { body -> Expected? in
            let a = body.at("data.attributes")
            guard let metric = a.at("metric.data.attributes.name").string else { return nil }
            let profile = a.at("profile.data.attributes")
            return Expected(
                metric: metric, ticket: a["properties"]["Ticket_id"].int ?? 0, time: a["time"].string ?? "",
                uniqueID: a["unique_id"].string ?? "", email: profile["email"].string,
                phone: profile["phone_number"].string, properties: a["properties"])
        }.sorted { ($0.ticket, $0.metric) < ($1.ticket, $1.metric) }
    }
}
