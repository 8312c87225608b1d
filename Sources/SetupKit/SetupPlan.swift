import FunctionRuntime

/// One step of a setup plan.
public struct PlanStep: Equatable, Sendable {
    public enum Action: String, Sendable { case create, update, unchanged, delete }

    public var action: Action
    public var kind: ManagedObject.Kind
    public var name: String
    /// The existing object's id (update, unchanged, delete).
    public var id: String?
    /// The desired object (create, update, unchanged).
    public var desired: ManagedObject?
    /// The fields that differ (update).
    public var changes: [String]

    public init(
        action: Action, kind: ManagedObject.Kind, name: String, id: String? = nil, desired: ManagedObject? = nil,
        changes: [String] = []
    ) {
        self.action = action
        self.kind = kind
        self.name = name
        self.id = id
        self.desired = desired
        self.changes = changes
    }
}

/// Compares what a deployment needs with what the account holds.
public enum SetupPlan {
    /// The steps turning `existing` (only objects carrying the marker) into `desired`.
    /// Deletions of rules come before webhooks (Zendesk refuses to delete a webhook a rule uses);
    /// creations of webhooks come before rules (rules name webhook ids).
    public static func make(desired: [ManagedObject], existing: [ExistingObject]) -> [PlanStep] {
        var steps: [PlanStep] = []
        for d in desired {
            guard let e = existing.first(where: { $0.kind == d.kind && $0.name == d.name }) else {
                steps.append(PlanStep(action: .create, kind: d.kind, name: d.name, desired: d))
                continue
            }
            let changes = differences(d, e, webhookIDs: webhookIDs(existing))
            steps.append(
                PlanStep(
                    action: changes.isEmpty ? .unchanged : .update, kind: d.kind, name: d.name, id: e.id, desired: d,
                    changes: changes))
        }
        for e in existing where !desired.contains(where: { $0.kind == e.kind && $0.name == e.name }) {
            steps.append(PlanStep(action: .delete, kind: e.kind, name: e.name, id: e.id))
        }
        return steps.sorted { order($0) < order($1) }
    }

    static func order(_ s: PlanStep) -> Int {
        let isWebhook = s.kind == .zendeskWebhook || s.kind == .klaviyoWebhook
        switch s.action {
        case .delete: return isWebhook ? 1 : 0
        default: return isWebhook ? 2 : 3
        }
    }

    static func webhookIDs(_ existing: [ExistingObject]) -> [String: String] {
        var ids: [String: String] = [:]
        for e in existing where e.kind == .zendeskWebhook { ids[e.name] = e.id }
        return ids
    }

    /// Replaces `{{webhook:NAME}}` with the id of that webhook.
    public static func resolve(_ value: JSON, webhookIDs: [String: String]) -> JSON {
        switch value {
        case .string(let s) where s.hasPrefix("{{webhook:") && s.hasSuffix("}}"):
            let name = String(s.dropFirst("{{webhook:".count).dropLast(2))
            return webhookIDs[name].map { .string($0) } ?? value
        case .array(let a): return .array(a.map { resolve($0, webhookIDs: webhookIDs) })
        case .object(let o): return .object(o.mapValues { resolve($0, webhookIDs: webhookIDs) })
        default: return value
        }
    }

    /// The owned fields whose values differ.
    static func differences(_ d: ManagedObject, _ e: ExistingObject, webhookIDs: [String: String]) -> [String] {
        let want = fingerprint(d.kind, resolve(d.body, webhookIDs: webhookIDs))
        let have = fingerprint(e.kind, e.body)
        return want.keys.sorted().filter { want[$0] != have[$0] }
    }

    /// The comparable fields of an object, normalised (order-free lists, values as strings).
    public static func fingerprint(_ kind: ManagedObject.Kind, _ body: JSON) -> [String: JSON] {
        func norm(_ v: JSON) -> JSON {
            switch v {
            case .int, .double, .bool: return .string(v.string ?? (v.bool.map { $0 ? "true" : "false" } ?? ""))
            case .array(let a): return .array(a.map(norm))
            case .object(let o): return .object(o.mapValues(norm))
            default: return v
            }
        }
        func set(_ v: JSON) -> JSON { .array((v.array ?? []).map(norm).sorted { $0.serialized() < $1.serialized() }) }
        func conditions(_ v: JSON) -> JSON {
            .array(
                (v.array ?? []).map { c in norm(["field": c["field"], "operator": c["operator"], "value": c["value"]]) }
                    .sorted { $0.serialized() < $1.serialized() })
        }
        switch kind {
        case .zendeskWebhook:
            return [
                "endpoint": norm(body["endpoint"]), "http_method": norm(body["http_method"]),
                "request_format": norm(body["request_format"]),
                "status": norm(body["status"]), "subscriptions": set(body["subscriptions"]),
            ]
        case .zendeskAutomation, .zendeskTrigger:
            return [
                "active": norm(body["active"]), "conditions.all": conditions(body["conditions"]["all"]),
                "conditions.any": conditions(body["conditions"]["any"]),
                "actions": .array(
                    (body["actions"].array ?? []).map { norm(["field": $0["field"], "value": $0["value"]]) }),
            ]
        case .zendeskView:
            // Zendesk answers with `conditions: {all, any}`; requests carry `all`/`any` at the top.
            let all = body["all"].isNull ? body["conditions"]["all"] : body["all"]
            let any = body["any"].isNull ? body["conditions"]["any"] : body["any"]
            return ["active": norm(body["active"]), "all": conditions(all), "any": conditions(any)]
        case .klaviyoWebhook:
            return ["endpoint_url": norm(body["endpoint_url"]), "topics": set(body["topics"])]
        }
    }
}
