import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Snapshot, restore and seed.
extension ZendeskEmulator {
    /// `{users, groups, brands, tickets (with comments, audits, status_history, reopens,
    /// solved_at, …), jobs, webhooks (with signing_secret), triggers, automations, views,
    /// ticket_fields, idempotency, counters}`. Configuration is not part of it.
    public func snapshot() -> JSON {
        func byID(_ d: [Int64: JSON]) -> JSON { .array(d.keys.sorted().map { d[$0]! }) }
        var o: [String: JSON] = [
            "users": byID(users), "groups": byID(groups), "brands": byID(brands),
            "tickets": .array(tickets.keys.sorted().map { tickets[$0]!.state }),
            "jobs": .array(jobs.keys.sorted().map { jobs[$0]! }),
            "idempotency": .array(
                idempotency.keys.sorted().map { key in
                    let e = idempotency[key]!
                    return [
                        "key": .string(key), "digest": .string(e.digest), "at": .string(Clock.iso8601(e.at)),
                        "status": JSON(e.response.status),
                        "headers": .array(e.response.headers.map { [.string($0.0), .string($0.1)] }),
                        "body": (try? JSON.parse(e.response.body)) ?? nil,
                    ]
                }),
            "counters": [
                "user": .int(nextUserID), "ticket": .int(nextTicketID), "comment": .int(nextCommentID),
                "audit": .int(nextAuditID), "rule": .int(nextRuleID),
            ],
        ]
        for kind in Self.ruleKinds.keys { o[kind] = .array(rules[kind] ?? []) }
        return .object(o)
    }

    public func restore(_ snapshot: JSON) throws {
        guard case .object = snapshot else { throw RuntimeError(.invalidEvent, "zendesk snapshot must be an object") }
        let restoredTickets = try (snapshot["tickets"].array ?? []).map(ZendeskTicket.init(state:))
        clearRecords()
        if let list = snapshot["users"].array {
            users = [:]; for u in list { if let id = u["id"].int { users[id] = u } }
        }
        if let list = snapshot["groups"].array { for g in list { if let id = g["id"].int { groups[id] = g } } }
        if let list = snapshot["brands"].array {
            brands = [:]; for b in list { if let id = b["id"].int { brands[id] = b } }
        }
        for t in restoredTickets { tickets[t.id] = t }
        for j in snapshot["jobs"].array ?? [] { if let id = j["id"].string { jobs[id] = j } }
        for kind in Self.ruleKinds.keys { rules[kind] = snapshot[kind].array ?? [] }
        for e in snapshot["idempotency"].array ?? [] {
            guard let key = e["key"].string, let digest = e["digest"].string,
                let at = e["at"].string.flatMap(Clock.parse)
            else { continue }
            let headers = (e["headers"].array ?? []).compactMap { h -> (String, String)? in
                guard let n = h[0].string, let v = h[1].string else { return nil }
                return (n, v)
            }
            let body = e["body"].isNull ? [] : e["body"].serializedBytes() + [0x0A]
            idempotency[key] = IdempotencyEntry(
                digest: digest,
                response: ServerResponse(status: Int(e["status"].int ?? 201), headers: headers, body: body), at: at)
        }
        let counters = snapshot["counters"]
        nextUserID = max(counters["user"].int ?? 1000, (users.keys.max() ?? 0) + 1, 1000)
        nextTicketID = max(counters["ticket"].int ?? 1, (tickets.keys.max() ?? 0) + 1)
        nextCommentID = max(
            counters["comment"].int ?? 5000, (tickets.values.flatMap { $0.comments.map(\.id) }.max() ?? 0) + 1)
        nextAuditID = max(counters["audit"].int ?? 9000, 9000)
        nextRuleID = max(counters["rule"].int ?? 100, 100)
    }

    /// Adds `{"users","groups","brands","tickets":[{…,"comments":[{author_id,body,public}]}],
    /// "webhooks","triggers","automations","views","ticket_fields"}`. Explicit ids are kept (a
    /// record with an existing id replaces it); `now`, `now-3h`, … become ISO-8601 times; seeded
    /// brands replace the default brand; seeded tickets default to status open, requested by the
    /// API user, with comments authored by the requester.
    public func seed(_ document: JSON, context: EmulatorContext) throws {
        guard case .object(let o) = document else {
            throw RuntimeError(.invalidEvent, "zendesk seed must be an object")
        }
        let known: Set<String> = Set(["users", "groups", "brands", "tickets"]).union(Self.ruleKinds.keys)
        if let unknown = o.keys.first(where: { !known.contains($0) }) {
            throw RuntimeError(.invalidEvent, "unknown zendesk seed key \(unknown)")
        }
        let doc = Self.resolvingTimes(document, context)
        let stamp = context.nowISO
        for spec in doc["users"].array ?? [] {
            if !spec["phone"].isNull, !ZendeskFormat.isE164(spec["phone"].string ?? "") {
                throw RuntimeError(
                    .invalidEvent, "seeded zendesk user phone \(spec["phone"].string ?? "") is not E.164")
            }
            let record = userRecord(spec, stamp: stamp)
            users[record["id"].int!] = record
        }
        for spec in doc["groups"].array ?? [] {
            guard let id = spec["id"].int else { throw RuntimeError(.invalidEvent, "seeded zendesk groups need an id") }
            groups[id] = groupRecord(spec, stamp: stamp)
        }
        if let list = doc["brands"].array, !list.isEmpty {
            brands = [:]
            for spec in list {
                guard let id = spec["id"].int else {
                    throw RuntimeError(.invalidEvent, "seeded zendesk brands need an id")
                }
                brands[id] = brandRecord(spec, stamp: stamp)
            }
            if !brands.values.contains(where: { $0["default"].bool == true }), let first = brands.keys.min() {
                brands[first]?["default"] = true
            }
        }
        for spec in doc["tickets"].array ?? [] { try seedTicket(spec, stamp: stamp) }
        for kind in Self.ruleKinds.keys {
            for spec in doc[kind].array ?? [] {
                var rule = normalizedRule(kind: kind, spec)
                if kind == "webhooks" {
                    if rule["id"].isNull { rule["id"] = .string(ZendeskFormat.ulid()) }
                    if rule["signing_secret"].isNull { rule["signing_secret"] = .string(ZendeskFormat.secret()) }
                    if rule["status"].isNull { rule["status"] = "active" }
                } else {
                    if rule["id"].isNull { rule["id"] = .int(nextRuleID); nextRuleID += 1 }
                    if rule["active"].isNull { rule["active"] = true }
                }
                if rule["created_at"].isNull { rule["created_at"] = .string(stamp) }
                if rule["updated_at"].isNull { rule["updated_at"] = rule["created_at"] }
                rules[kind, default: []].removeAll { $0["id"].string == rule["id"].string }
                rules[kind, default: []].append(rule)
            }
        }
    }

    func seedTicket(_ spec: JSON, stamp: String) throws {
        let requester = spec["requester_id"].int ?? Self.apiUserID
        guard users[requester] != nil else {
            throw RuntimeError(.invalidEvent, "seeded ticket requester \(requester) does not exist")
        }
        let id: Int64
        if let given = spec["id"].int {
            id = given
        } else {
            while tickets[nextTicketID] != nil { nextTicketID += 1 }
            id = nextTicketID
        }
        let status = spec["status"].string ?? "open"
        guard Self.statuses.contains(status) else {
            throw RuntimeError(.invalidEvent, "seeded ticket status \(status) is not a Zendesk status")
        }
        let created = spec["created_at"].string ?? stamp
        guard Clock.parse(created) != nil else {
            throw RuntimeError(.invalidEvent, "seeded ticket created_at must be ISO-8601")
        }
        var ticket = ZendeskTicket(
            id: id, status: status, requesterID: requester,
            submitterID: spec["submitter_id"].int ?? requester, stamp: created,
            via: spec["via"].isNull ? Self.apiVia : spec["via"])
        ticket.brandID = brands.values.first { $0["default"].bool == true }?["id"].int ?? brands.keys.min()
        applyFields(&ticket, spec, stamp: created)
        ticket.assignedAt = nil; ticket.initiallyAssignedAt = nil
        for comment in spec["comments"].array ?? [] {
            let author = comment["author_id"].int ?? requester
            let at = comment["created_at"].string ?? created
            let audit = newAudit(&ticket, author: author, stamp: at)
            addComment(&ticket, comment, author: author, auditIndex: audit, isPublic: comment["public"].bool ?? true)
            // Seeded attachments: `{"file_name", "content_type"?, "size"?}` each, given an id and a URL.
            for a in comment["attachments"].array ?? [] {
                guard let name = a["file_name"].nonEmptyString else {
                    throw RuntimeError(.usage, "seeded comment attachments need a file_name")
                }
                let index = ticket.comments.count - 1
                let id = Int64(ticket.comments[index].id * 100 + Int64(ticket.comments[index].attachments.count + 1))
                ticket.comments[index].attachments.append([
                    "id": .int(id), "file_name": .string(name),
                    "content_url": .string("https://sandbox.zendesk.example/attachments/token/\(id)/?name=\(name)"),
                    "content_type": a["content_type"].isNull ? "application/octet-stream" : a["content_type"],
                    "size": a["size"].isNull ? 1024 : a["size"],
                ])
            }
        }
        if let description = spec["description"].string, ticket.comments.isEmpty { ticket.description = description }
        ticket.updatedAt = spec["updated_at"].string ?? ticket.comments.last?.createdAt ?? created
        guard Clock.parse(ticket.updatedAt) != nil else {
            throw RuntimeError(.invalidEvent, "seeded ticket updated_at must be ISO-8601")
        }
        ticket.statusUpdatedAt = spec["status_updated_at"].string ?? ticket.updatedAt
        if status == "solved" || status == "closed" { ticket.solvedAt = spec["solved_at"].string ?? ticket.updatedAt }
        ticket.reopens = Int(spec["reopens"].int ?? 0)
        if let replies = spec["replies"].int { ticket.replies = Int(replies) }
        tickets[id] = ticket
        nextTicketID = max(nextTicketID, id + 1)
    }

    /// Every string `now`, `now-3h`, `now+10m`, … in `value` resolved by the sandbox clock.
    static func resolvingTimes(_ value: JSON, _ context: EmulatorContext) -> JSON {
        switch value {
        case .string(let s): return .string(context.resolveTime(s))
        case .array(let a): return .array(a.map { resolvingTimes($0, context) })
        case .object(let o): return .object(o.mapValues { resolvingTimes($0, context) })
        default: return value
        }
    }
}
