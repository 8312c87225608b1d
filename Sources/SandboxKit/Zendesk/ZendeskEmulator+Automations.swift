import FoundationEssentials
import FunctionRuntime

/// A webhook call a trigger or automation made (`notification_webhook` action), for the sandbox
/// to deliver signed like any Zendesk webhook.
public struct ZendeskRuleDelivery: Sendable {
    public var webhookID: String
    public var endpoint: String
    public var secret: String
    public var method: String
    /// The action's body template with `{{ticket.*}}` placeholders filled in.
    public var body: String
    /// `automation` or `trigger`, and its id.
    public var ruleKind: String
    public var ruleID: Int64
    public var ticketID: Int64
}

/// Running automations (Zendesk runs them hourly; the sandbox decides when, e.g. after moving
/// its clock) and the condition/action semantics they need.
extension ZendeskEmulator {
    /// Evaluates every active automation, in position order, against every ticket that is not
    /// closed; a match applies the actions (status, priority, type, group, assignee, tags) as one
    /// update by the API user and collects `notification_webhook` calls. Status changes emit
    /// `ticket.status_changed` events. Returns the webhook calls to deliver.
    public func runAutomations(context: EmulatorContext) -> [ZendeskRuleDelivery] {
        let automations = (rules["automations"] ?? []).filter { $0["active"].bool != false }
            .sorted { ($0["position"].int ?? 0) < ($1["position"].int ?? 0) }
        var deliveries: [ZendeskRuleDelivery] = []
        for id in tickets.keys.sorted() {
            for automation in automations {
                guard let ticket = tickets[id], ticket.status != "closed",
                    ruleMatches(automation, ticket, now: context.now)
                else { continue }
                deliveries += applyRuleActions(automation, kind: "automation", ticketID: id, context: context)
            }
        }
        return deliveries
    }

    /// True when all `all` conditions and (if any) one `any` condition hold.
    func ruleMatches(_ rule: JSON, _ t: ZendeskTicket, now: Date) -> Bool {
        let (all, any) = ZendeskRuleValidation.conditions(rule)
        return all.allSatisfy { conditionHolds($0, t, now: now) }
            && (any.isEmpty || any.contains { conditionHolds($0, t, now: now) })
    }

    /// One condition on a ticket; fields the emulator cannot evaluate never hold.
    func conditionHolds(_ condition: JSON, _ t: ZendeskTicket, now: Date) -> Bool {
        let field = condition["field"].string ?? "", op = condition["operator"].string ?? ""
        let value = condition["value"].string ?? ""
        if ZendeskRuleValidation.timeFields.contains(field) {
            guard let since = timeOf(field, t).flatMap(Clock.parse), let wanted = Int(value) else { return false }
            let hours = Int(now.timeIntervalSince(since) / 3600)
            switch op {
            case "is", "is_business_hours": return hours == wanted
            case "less_than", "less_than_business_hours": return hours < wanted
            case "greater_than", "greater_than_business_hours": return hours > wanted
            default: return false
            }
        }
        switch field {
        case "status":
            let rank = Self.statuses.firstIndex(of: t.status) ?? 0, other = Self.statuses.firstIndex(of: value) ?? -1
            switch op {
            case "is": return rank == other
            case "is_not": return rank != other
            case "less_than": return rank < other
            case "greater_than": return rank > other
            default: return false
            }
        case "current_tags":
            let listed = value.split(separator: " ").map(String.init)
            switch op {
            case "includes": return listed.contains { t.tags.contains($0) }
            case "not_includes": return !listed.contains { t.tags.contains($0) }
            default: return false
            }
        case "ticket_is_public":
            return op == "is" && (value == "public") == t.isPublic
        case "type", "priority", "group_id", "assignee_id", "requester_id", "brand_id", "organization_id":
            let actual: String? = {
                switch field {
                case "type": return t.type
                case "priority": return t.priority
                case "group_id": return t.groupID.map { String($0) }
                case "assignee_id": return t.assigneeID.map { String($0) }
                case "requester_id": return String(t.requesterID)
                case "brand_id": return t.brandID.map { String($0) }
                default: return t.organizationID.map { String($0) }
                }
            }()
            switch op {
            case "is": return value.isEmpty ? actual == nil : actual == value
            case "is_not": return value.isEmpty ? actual != nil : actual != value
            case "present": return actual != nil
            case "not_present": return actual == nil
            default: return false
            }
        default:
            return false
        }
    }

    /// The moment an "hours since …" condition counts from.
    func timeOf(_ field: String, _ t: ZendeskTicket) -> String? {
        switch field {
        case "SOLVED": return t.status == "solved" || t.status == "closed" ? t.solvedAt : nil
        case "NEW", "OPEN", "PENDING", "HOLD", "CLOSED":
            let status = field.lowercased()
            guard t.status == status else { return nil }
            return t.statusHistory.last { $0["to"].string == status }?["at"].string ?? t.createdAt
        case "updated_at": return t.updatedAt
        case "created_at": return t.createdAt
        case "assigned_at": return t.assignedAt
        case "requester_updated_at": return t.requesterUpdatedAt
        case "assignee_updated_at": return t.assigneeUpdatedAt
        case "due_date": return t.dueAt
        default: return nil
        }
    }

    /// Applies a rule's actions to a ticket as one update and returns its webhook calls.
    func applyRuleActions(
        _ rule: JSON, kind: String, ticketID: Int64, context: EmulatorContext
    ) -> [ZendeskRuleDelivery] {
        guard var ticket = tickets[ticketID] else { return [] }
        var fields: [String: JSON] = [:]
        var deliveries: [ZendeskRuleDelivery] = []
        for action in rule["actions"].array ?? [] {
            let value = action["value"]
            switch action["field"].string ?? "" {
            case "status", "priority", "type": fields[action["field"].string!] = value
            case "group_id", "assignee_id": fields[action["field"].string!] = value.int.map { .int($0) } ?? nil
            case "current_tags":
                fields["additional_tags"] = .array(
                    (value.string ?? "").split(separator: " ").map { .string(String($0)) })
            case "remove_tags":
                fields["remove_tags"] = .array((value.string ?? "").split(separator: " ").map { .string(String($0)) })
            case "set_tags":
                fields["tags"] = .array((value.string ?? "").split(separator: " ").map { .string(String($0)) })
            case "notification_webhook":
                let parts = value.array ?? []
                guard let hookID = parts.first?.string,
                    let hook = (rules["webhooks"] ?? []).first(where: { $0["id"].string == hookID }),
                    hook["status"].string == "active"
                else { continue }
                deliveries.append(
                    ZendeskRuleDelivery(
                        webhookID: hookID, endpoint: hook["endpoint"].string ?? "",
                        secret: hook["signing_secret"].string ?? "",
                        method: hook["http_method"].string ?? "POST",
                        body: renderPlaceholders(parts.count > 1 ? parts[1].string ?? "" : "", ticket),
                        ruleKind: kind, ruleID: rule["id"].int ?? 0, ticketID: ticketID))
            default: continue
            }
        }
        let data = JSON.object(fields)
        let before = Dictionary(uniqueKeysWithValues: ZendeskTicket.trackedFields.map { ($0, ticket.field($0)) })
        let stamp = self.stamp(now: context.now, after: ticket.updatedAt)
        let previous = ticket.status
        applyFields(&ticket, data, stamp: stamp)
        let changedFields = ZendeskTicket.trackedFields.filter { before[$0] != ticket.field($0) }
        let status = fields["status"]?.string
        if changedFields.isEmpty && (status == nil || status == previous) { return deliveries }
        let audit = newAudit(
            &ticket, author: Self.apiUserID, stamp: stamp, system: ["rule": .string("\(kind) \(rule["id"].int ?? 0)")])
        if let status, Self.statuses.contains(status) {
            transition(&ticket, to: status, stamp: stamp, actor: Self.apiUserID)
        }
        for field in ZendeskTicket.trackedFields where before[field] != ticket.field(field) {
            appendAuditEvent(
                &ticket, audit,
                [
                    "id": .int(nextAuditID), "type": "Change", "field_name": .string(field),
                    "value": ticket.field(field), "previous_value": before[field] ?? nil,
                    "via": ["channel": "rule", "source": ["rel": .string(kind)]],
                ])
            nextAuditID += 1
        }
        ticket.updatedAt = stamp
        tickets[ticketID] = ticket
        context.log("zendesk: \(kind) \(rule["id"].int ?? 0) ran on ticket \(ticketID)")
        if ticket.status != previous {
            emit("ticket.status_changed", ticket: ticketID, previous: previous, context: context)
        }
        return deliveries
    }

    /// Fills `{{ticket.id}}`, `{{ticket.status}}`, `{{ticket.external_id}}`, `{{ticket.brand.id}}`,
    /// `{{ticket.requester.email}}`, `{{ticket.requester.phone}}`, `{{ticket.requester.name}}`,
    /// `{{ticket.tags}}`, `{{ticket.title}}`, `{{ticket.url}}` and `{{ticket.account}}`.
    func renderPlaceholders(_ template: String, _ t: ZendeskTicket) -> String {
        let requester = users[t.requesterID]
        let values: [(String, String)] = [
            ("ticket.id", String(t.id)), ("ticket.status", t.status.prefix(1).uppercased() + t.status.dropFirst()),
            ("ticket.external_id", t.externalID ?? ""), ("ticket.brand.id", t.brandID.map { String($0) } ?? ""),
            ("ticket.requester.email", requester?["email"].string ?? ""),
            ("ticket.requester.phone", requester?["phone"].string ?? ""),
            ("ticket.requester.name", requester?["name"].string ?? ""), ("ticket.requester.id", String(t.requesterID)),
            ("ticket.tags", t.tags.joined(separator: " ")), ("ticket.title", t.subject ?? ""),
            ("ticket.url", "zendesk/agent/tickets/\(t.id)"), ("ticket.account", String(settings.accountID)),
        ]
        var out = template
        for (name, value) in values {
            out = out.replacingAll("{{\(name)}}", with: value).replacingAll("{{ \(name) }}", with: value)
        }
        return out
    }
}
