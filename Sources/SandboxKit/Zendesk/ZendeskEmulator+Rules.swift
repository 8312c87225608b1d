import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// CRUD for webhooks (+ signing secret), triggers, automations, views and ticket fields.
extension ZendeskEmulator {
    var webhookIDs: Set<String> { Set((rules["webhooks"] ?? []).compactMap { $0["id"].string }) }

    func problems(kind: String, _ record: JSON) -> [String] {
        switch kind {
        case "webhooks": return ZendeskRuleValidation.webhookProblems(record)
        case "triggers": return ZendeskRuleValidation.triggerProblems(record, webhookIDs: webhookIDs)
        case "automations": return ZendeskRuleValidation.automationProblems(record, webhookIDs: webhookIDs)
        case "views": return ZendeskRuleValidation.viewProblems(record)
        default: return ZendeskRuleValidation.ticketFieldProblems(record)
        }
    }

    func validate(kind: String, _ record: JSON) throws {
        let found = problems(kind: kind, record)
        guard !found.isEmpty else { return }
        if kind == "webhooks" {
            throw ZendeskRefusal(
                .json(422, ["errors": .array(found.map { ["code": "InvalidValue", "title": .string($0)] })]))
        }
        throw ZendeskRefusal.invalidRecord(found)
    }

    /// The record as the API shows it (webhooks never show their signing secret).
    func publicRule(_ c: ZendeskCall, kind: String, _ rule: JSON) -> JSON {
        var o = rule.object ?? [:]
        o["signing_secret"] = nil
        if kind != "webhooks" { o["url"] = .string("\(c.baseURL)/api/v2/\(kind)/\(rule["id"].string ?? "").json") }
        return .object(o)
    }

    func ruleIndex(kind: String, id: String) throws -> Int {
        guard let i = rules[kind]?.firstIndex(where: { $0["id"].string == id }) else { throw ZendeskRefusal.notFound }
        return i
    }

    func listRules(_ c: ZendeskCall, kind: String) -> ServerResponse {
        let items = (rules[kind] ?? []).map { publicRule(c, kind: kind, $0) }
        if kind == "webhooks" {
            return .json(
                200,
                [
                    "webhooks": .array(items), "meta": ["has_more": false, "after_cursor": nil, "before_cursor": nil],
                    "links": ["next": nil, "prev": nil],
                ])
        }
        return page(c, kind, items)
    }

    /// A stored rule from the request fields: views keep top-level `all`/`any` as `conditions`.
    func normalizedRule(kind: String, _ data: JSON) -> JSON {
        var o = data.object ?? [:]
        if kind == "views" || kind == "triggers" || kind == "automations" {
            let (all, any) = ZendeskRuleValidation.conditions(data)
            o["all"] = nil; o["any"] = nil
            o["conditions"] = ["all": .array(all), "any": .array(any)]
        }
        return .object(o)
    }

    func createRule(_ c: ZendeskCall, kind: String) throws -> ServerResponse {
        let root = Self.ruleKinds[kind]!
        let data = try c.body(root: root)
        try validate(kind: kind, data)
        let stamp = Clock.iso8601(c.now)
        var rule = normalizedRule(kind: kind, data)
        if kind == "webhooks" {
            rule["id"] = .string(ZendeskFormat.ulid())
            rule["created_by"] = .string(String(Self.apiUserID))
            rule["signing_secret"] = .string(data["signing_secret"]["secret"].nonEmptyString ?? ZendeskFormat.secret())
        } else {
            rule = JSON.object(["active": true, "position": JSON((rules[kind]?.count ?? 0) + 1)]).merging(rule)
            rule["id"] = .int(nextRuleID)
            nextRuleID += 1
            if kind != "ticket_fields" { rule["raw_title"] = rule["title"] }
            if kind == "views" {
                rule["execution"] = [
                    "group_by": "status", "group_order": "asc", "sort_by": "updated_at", "sort_order": "desc",
                    "columns": .array(((data["output"]["columns"].array) ?? []).map { ["id": $0, "title": $0] }),
                ]
            }
        }
        rule["created_at"] = .string(stamp)
        rule["updated_at"] = .string(stamp)
        rules[kind, default: []].append(rule)
        c.context.log("zendesk: \(root) \(rule["id"].string ?? "") created")
        return .json(201, [root: publicRule(c, kind: kind, rule)])
    }

    func showRule(_ c: ZendeskCall, kind: String, id: String) throws -> ServerResponse {
        let i = try ruleIndex(kind: kind, id: id)
        return .json(200, [Self.ruleKinds[kind]!: publicRule(c, kind: kind, rules[kind]![i])])
    }

    /// PUT/PATCH merge the given fields and re-validate; webhooks answer 204.
    func updateRule(_ c: ZendeskCall, kind: String, id: String) throws -> ServerResponse {
        let i = try ruleIndex(kind: kind, id: id)
        let root = Self.ruleKinds[kind]!
        let existing = rules[kind]![i]
        let changes = try c.body(root: root)
        var merged = existing.merging(normalizedRule(kind: kind, changes))
        if kind != "webhooks" && changes["conditions"].isNull && changes["all"].isNull && changes["any"].isNull {
            merged["conditions"] = existing["conditions"]
        }
        try validate(kind: kind, merged)
        merged["id"] = existing["id"]
        merged["created_at"] = existing["created_at"]
        merged["updated_at"] = .string(Clock.iso8601(c.now))
        if kind != "webhooks" && kind != "ticket_fields" { merged["raw_title"] = merged["title"] }
        rules[kind]![i] = merged
        return kind == "webhooks" ? ServerResponse(status: 204) : .json(200, [root: publicRule(c, kind: kind, merged)])
    }

    func deleteRule(_ c: ZendeskCall, kind: String, id: String) throws -> ServerResponse {
        let i = try ruleIndex(kind: kind, id: id)
        rules[kind]!.remove(at: i)
        return ServerResponse(status: 204)
    }

    /// `GET /api/v2/webhooks/{id}/signing_secret` → `{"signing_secret":{"algorithm":"SHA256","secret":…}}`.
    func signingSecret(_ c: ZendeskCall, _ id: String) throws -> ServerResponse {
        let i = try ruleIndex(kind: "webhooks", id: id)
        return .json(
            200, ["signing_secret": ["algorithm": "SHA256", "secret": rules["webhooks"]![i]["signing_secret"]]])
    }

    /// `POST /api/v2/webhooks/{id}/signing_secret`: a new secret replaces the old one.
    func resetSigningSecret(_ c: ZendeskCall, _ id: String) throws -> ServerResponse {
        let i = try ruleIndex(kind: "webhooks", id: id)
        rules["webhooks"]![i]["signing_secret"] = .string(ZendeskFormat.secret())
        return .json(
            201, ["signing_secret": ["algorithm": "SHA256", "secret": rules["webhooks"]![i]["signing_secret"]]])
    }

    /// Active webhooks subscribed to `zen:event-type:<eventType>` (`eventType` with or without the
    /// prefix): where and with which secret the sandbox delivers that event.
    public func webhookTargets(for eventType: String) -> [(id: String, endpoint: String, secret: String)] {
        let type = eventType.hasPrefix("zen:event-type:") ? eventType : "zen:event-type:" + eventType
        return (rules["webhooks"] ?? []).compactMap { hook in
            guard hook["status"].string == "active",
                (hook["subscriptions"].array ?? []).contains(.string(type)),
                let id = hook["id"].string, let endpoint = hook["endpoint"].string,
                let secret = hook["signing_secret"].string
            else { return nil }
            return (id, endpoint, secret)
        }
    }
}
