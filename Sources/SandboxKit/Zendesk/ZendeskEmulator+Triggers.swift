import FoundationEssentials
import FunctionRuntime

/// One ticket change as triggers see it.
struct TriggerUpdate {
    var isCreate: Bool
    /// The status before the change (nil on creation).
    var previousStatus: String?
    /// Whether the change added a public comment (nil: no comment).
    var publicComment: Bool?
    /// The role of the user making the change (the authenticated user, as in Zendesk).
    var updaterRole: String
}

/// Running triggers: Zendesk checks every active trigger, in position order, after each ticket
/// creation or update; a trigger whose conditions hold fires once for that change. The sandbox
/// runs them after changes made through the API (not after automation runs).
extension ZendeskEmulator {
    func runTriggers(ticketID: Int64, update: TriggerUpdate, context: EmulatorContext) {
        let triggers = (rules["triggers"] ?? []).filter { $0["active"].bool != false }
            .sorted { ($0["position"].int ?? 0) < ($1["position"].int ?? 0) }
        var calls: [ZendeskRuleDelivery] = []
        for trigger in triggers {
            guard let ticket = tickets[ticketID] else { break }
            let (all, any) = ZendeskRuleValidation.conditions(trigger)
            let holds = { (c: JSON) in self.triggerConditionHolds(c, ticket, update, now: context.now) }
            guard all.allSatisfy(holds), any.isEmpty || any.contains(where: holds) else { continue }
            context.log("zendesk: trigger \(trigger["id"].int ?? 0) fired on ticket \(ticketID)")
            calls += applyRuleActions(trigger, kind: "trigger", ticketID: ticketID, context: context)
        }
        if !calls.isEmpty { context.deliverRuleWebhooks(calls) }
    }

    /// The role of the authenticated API user ("current user" in trigger conditions).
    var apiUserRole: String { users[Self.apiUserID]?["role"].string ?? "admin" }

    /// Conditions about the change itself; everything else as for automations.
    func triggerConditionHolds(_ condition: JSON, _ t: ZendeskTicket, _ update: TriggerUpdate, now: Date) -> Bool {
        let field = condition["field"].string ?? "", op = condition["operator"].string ?? ""
        let value = condition["value"].string ?? ""
        switch (field, op) {
        case ("update_type", "is"):
            return value.lowercased() == (update.isCreate ? "create" : "change")
        case ("status", "changed"), ("status", "not_changed"), ("status", "changed_to"), ("status", "changed_from"),
            ("status", "not_changed_to"), ("status", "not_changed_from"):
            let changed = update.previousStatus != t.status
            switch op {
            case "changed": return changed
            case "not_changed": return !changed
            case "changed_to": return changed && t.status == value
            case "changed_from": return changed && update.previousStatus == value
            case "not_changed_to": return !(changed && t.status == value)
            default: return !(changed && update.previousStatus == value)
            }
        case ("comment_is_public", "is"):
            switch value {
            case "true": return update.publicComment == true
            case "false": return update.publicComment == false
            default: return true  // "not_relevant"
            }
        case ("role", "is"), ("role", "is_not"):
            // An admin is also an agent.
            let matches = update.updaterRole == value || (value == "agent" && update.updaterRole == "admin")
            return op == "is" ? matches : !matches
        default:
            return conditionHolds(condition, t, now: now)
        }
    }
}
