import FunctionRuntime

/// How Zendesk validates webhooks, triggers, automations, views and ticket fields. Pure: each
/// function takes the record as sent and returns the problems (empty when valid).
enum ZendeskRuleValidation {
    static let httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    static let requestFormats = ["json", "xml", "form_encoded"]
    /// Automation time conditions ("hours since …").
    static let timeFields: Set<String> = [
        "NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED", "assigned_at", "updated_at",
        "requester_updated_at", "assignee_updated_at", "due_date", "until_due_date",
        "created_at", "sla_next_breach_at", "sla_last_breach_at",
    ]
    static let timeOperators: Set<String> = [
        "is", "less_than", "greater_than", "is_business_hours",
        "less_than_business_hours", "greater_than_business_hours",
    ]
    static let conditionFields: Set<String> = Set<String>([
        "status", "type", "priority", "group_id", "assignee_id", "requester_id", "organization_id", "submitter_id",
        "current_tags", "via_id", "current_via_id", "update_type", "comment_is_public", "comment_includes_word",
        "subject_includes_word", "description_includes_word", "ticket_is_public", "reopens", "replies",
        "agent_stations", "group_stations", "in_business_hours", "role", "requester_role", "recipient",
        "satisfaction_score", "brand_id", "ticket_form_id", "locale_id", "custom_status_id", "exact_created_at",
        "received_at", "ticket_type_id", "priority_id", "status_id", "schedule_id", "within_schedule",
        "requester_twitter_followers_count", "requester_twitter_statuses_count", "requester_twitter_verified",
        "assignee_role", "satisfaction_reason_code", "sla_policy", "ticket_channel", "mail_to",
        "side_conversation_type",
    ]).union(timeFields)
    static let operators: Set<String> = [
        "is", "is_not", "less_than", "greater_than", "less_than_equal", "greater_than_equal", "changed", "not_changed",
        "value", "value_previous", "not_value", "not_value_previous", "includes", "not_includes", "includes_string",
        "not_includes_string", "present", "not_present", "within_previous_n_days", "within_next_n_days",
        "is_business_hours", "less_than_business_hours", "greater_than_business_hours", "changed_to", "changed_from",
        "not_changed_to", "not_changed_from",
    ]
    static let actionFields: Set<String> = [
        "status", "type", "priority", "group_id", "assignee_id", "requester_id", "organization_id", "set_tags",
        "current_tags", "remove_tags", "notification_webhook", "notification_user", "notification_group",
        "notification_target", "notification_sms_user", "notification_sms_group", "notification_messaging_csat",
        "comment_value", "comment_value_html", "comment_mode_is_public", "subject", "satisfaction_score", "brand_id",
        "ticket_form_id", "custom_status_id", "cc", "follower", "locale_id", "share_ticket", "deflection",
        "side_conversation", "side_conversation_slack", "side_conversation_ticket", "add_skills", "set_skills",
        "set_schedule", "macro_id", "email_cc", "requester",
    ]
    /// Fields a view must test at least one of (Zendesk's rule for views).
    static let viewRequiredFields: Set<String> = [
        "status", "type", "group_id", "assignee_id", "requester_id",
        "status_id", "ticket_type_id", "custom_status_id",
    ]
    static let fieldTypes = [
        "text", "textarea", "checkbox", "date", "integer", "decimal", "regexp",
        "partialcreditcard", "multiselect", "tagger", "lookup",
    ]

    static func isKnownField(_ field: String, known: Set<String>) -> Bool {
        known.contains(field) || field.hasPrefix("custom_fields_") || field.hasPrefix("ticket_fields_")
            || field.hasPrefix("requester.") || field.hasPrefix("organization.") || field.hasPrefix("user.")
    }

    /// `{"all":[…],"any":[…]}` of a rule (views may send `all`/`any` at the top level).
    static func conditions(_ rule: JSON) -> (all: [JSON], any: [JSON]) {
        var source = rule["conditions"]
        if source.isNull && (!rule["all"].isNull || !rule["any"].isNull) {
            source = ["all": rule["all"], "any": rule["any"]]
        }
        return (source["all"].array ?? [], source["any"].array ?? [])
    }

    static func webhookProblems(_ hook: JSON) -> [String] {
        var problems: [String] = []
        for field in ["name", "endpoint", "http_method", "request_format", "status"]
        where hook[field].nonEmptyString == nil {
            problems.append("\(field) is required")
        }
        if let m = hook["http_method"].string, !httpMethods.contains(m) {
            problems.append("http_method must be one of \(httpMethods.joined(separator: ", "))")
        }
        if let f = hook["request_format"].string, !requestFormats.contains(f) {
            problems.append("request_format must be one of \(requestFormats.joined(separator: ", "))")
        }
        if let s = hook["status"].string, !["active", "inactive"].contains(s) {
            problems.append("status must be active or inactive")
        }
        if let e = hook["endpoint"].string, !(e.hasPrefix("https://") || e.hasPrefix("http://")) {
            problems.append("endpoint must be a valid URL")
        }
        let subs = (hook["subscriptions"].array ?? []).compactMap(\.string)
        let eventSubs = !subs.isEmpty && subs.allSatisfy { $0.hasPrefix("zen:event-type:") }
        if subs != ["conditional_ticket_events"] && !eventSubs {
            problems.append("subscriptions must be [\"conditional_ticket_events\"] or zen:event-type:* event types")
        }
        return problems
    }

    /// Title, at least one condition, known condition fields/operators, at least one known action;
    /// a `notification_webhook` action names an existing webhook and carries a body.
    static func triggerProblems(_ rule: JSON, webhookIDs: Set<String>) -> [String] {
        var problems: [String] = []
        if rule["title"].nonEmptyString == nil { problems.append("Title: cannot be blank") }
        let (all, any) = conditions(rule)
        if all.isEmpty && any.isEmpty { problems.append("Conditions: must have at least one condition") }
        problems += conditionProblems(all + any)
        let actions = rule["actions"].array ?? []
        if actions.isEmpty { problems.append("Actions: must have at least one action") }
        for action in actions {
            guard let field = action["field"].string, isKnownField(field, known: actionFields) else {
                problems.append("Actions: \(action["field"].string ?? "(missing field)") is not a valid action");
                continue
            }
            if field == "notification_webhook" {
                let value = action["value"].array ?? []
                if value.isEmpty || !webhookIDs.contains(value[0].string ?? "") {
                    problems.append("Actions: notification_webhook must name an existing webhook")
                }
            }
        }
        return problems
    }

    static func conditionProblems(_ items: [JSON]) -> [String] {
        var problems: [String] = []
        for c in items {
            let field = c["field"].string ?? "", op = c["operator"].string ?? ""
            if !isKnownField(field, known: conditionFields) {
                problems.append(
                    "Conditions: \(field.isEmpty ? "(missing field)" : field) is not a valid condition field")
            } else if !operators.contains(op) {
                problems.append(
                    "Conditions: \(op.isEmpty ? "(missing operator)" : op) is not a valid operator for \(field)")
            }
        }
        return problems
    }

    /// Trigger rules plus: a time-based condition in `all` (whole hours), and an action that
    /// nullifies one of the conditions so the automation runs only once per ticket.
    static func automationProblems(_ rule: JSON, webhookIDs: Set<String>) -> [String] {
        var problems = triggerProblems(rule, webhookIDs: webhookIDs)
        let (all, any) = conditions(rule)
        let timeConditions = all.filter { timeFields.contains($0["field"].string ?? "") }
        if timeConditions.isEmpty || !timeConditions.allSatisfy({ timeOperators.contains($0["operator"].string ?? "") })
        {
            problems.append(
                "Conditions: automations must have at least one time-based condition, such as Hours since solved greater than 24"
            )
        }
        if timeConditions.contains(where: { Int($0["value"].string ?? "") == nil }) {
            problems.append("Conditions: hours must be a whole number")
        }
        if any.contains(where: { timeFields.contains($0["field"].string ?? "") }) {
            problems.append("Conditions: time-based conditions are not allowed under any")
        }
        if !nullifies(actions: rule["actions"].array ?? [], conditions: all) {
            problems.append(
                "Automations must have a condition that checks the value of a field that an action changes, so the automation runs only once (for example status is not closed with the action status closed)"
            )
        }
        return problems
    }

    /// True when some action makes one of the `all` conditions false after it ran.
    static func nullifies(actions: [JSON], conditions: [JSON]) -> Bool {
        for action in actions {
            let field = action["field"].string ?? ""
            let value = action["value"].string ?? ""
            // Automations never run on closed tickets: closing a ticket always ends the rule.
            if field == "status" && value == "closed" { return true }
            for c in conditions where !timeFields.contains(c["field"].string ?? "") {
                let cField = c["field"].string ?? "", cOp = c["operator"].string ?? "", cValue = c["value"].string ?? ""
                if ["current_tags", "set_tags"].contains(field) && cField == "current_tags" {
                    let added = Set(value.split(separator: " ").map(String.init))
                    let tested = Set(cValue.split(separator: " ").map(String.init))
                    if cOp == "not_includes" && !added.isDisjoint(with: tested) { return true }
                    if field == "set_tags" && cOp == "includes" && !tested.isSubset(of: added) { return true }
                }
                if field == "remove_tags" && cField == "current_tags" && cOp == "includes" {
                    let removed = Set(value.split(separator: " ").map(String.init))
                    if !removed.isDisjoint(with: Set(cValue.split(separator: " ").map(String.init))) { return true }
                }
                if field == cField && field != "current_tags" {
                    switch cOp {
                    case "is": if value != cValue { return true }
                    case "is_not": if value == cValue { return true }
                    case "less_than", "greater_than", "less_than_equal", "greater_than_equal":
                        if value != cValue { return true }
                    default: break
                    }
                }
            }
        }
        return false
    }

    /// Title, and at least one `all` condition on status, type, group, assignee or requester.
    static func viewProblems(_ view: JSON) -> [String] {
        var problems: [String] = []
        if view["title"].nonEmptyString == nil { problems.append("Title: cannot be blank") }
        let (all, any) = conditions(view)
        problems += conditionProblems(all + any)
        if !all.contains(where: { viewRequiredFields.contains($0["field"].string ?? "") }) {
            problems.append(
                "View must test for at least one of the following: Status, Type, Group, Assignee, Requester")
        }
        return problems
    }

    static func ticketFieldProblems(_ field: JSON) -> [String] {
        var problems: [String] = []
        if field["title"].nonEmptyString == nil { problems.append("Title: cannot be blank") }
        if !fieldTypes.contains(field["type"].string ?? "") { problems.append("Type: is not included in the list") }
        return problems
    }
}
