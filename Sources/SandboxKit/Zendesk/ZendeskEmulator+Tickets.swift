import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Ticket create, show, list, update, comments, audits and metrics.
extension ZendeskEmulator {
    static let ticketWritable: Set<String> = [
        "subject", "raw_subject", "comment", "requester_id", "requester", "submitter_id", "assignee_id",
        "assignee_email", "group_id", "organization_id", "collaborator_ids", "collaborators", "email_cc_ids",
        "email_ccs", "follower_ids", "followers", "external_id", "type", "priority", "status", "custom_status_id",
        "tags", "additional_tags", "remove_tags", "custom_fields", "fields", "due_at", "ticket_form_id", "brand_id",
        "problem_id", "via_followup_source_id", "macro_ids", "recipient", "sharing_agreement_ids", "safe_update",
        "updated_stamp", "is_public", "metadata", "attribute_value_ids", "via",
    ]
    static let idempotencyWindow: TimeInterval = 2 * 3600
    static let maxComments = 5000

    // MARK: Time

    /// A timestamp for a change at `now`, strictly after `previous` (Zendesk timestamps have whole
    /// seconds; `safe_update` needs every change to move `updated_at`).
    func stamp(now: Date, after previous: String?) -> String {
        var moment = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        if let previous, let last = Clock.parse(previous), last >= moment { moment = last.addingTimeInterval(1) }
        return Clock.iso8601(moment)
    }

    // MARK: Input checks

    /// The `comment` object of a request: body or html_body required, `public` a boolean.
    func commentInput(_ comment: JSON) throws -> JSON {
        guard case .object = comment,
            comment["body"].nonEmptyString != nil || comment["html_body"].nonEmptyString != nil
        else {
            throw ZendeskRefusal.invalid("comment", "Comment: cannot be blank", error: "BlankValue")
        }
        if !comment["public"].isNull, case .bool = comment["public"] {
        } else if !comment["public"].isNull {
            throw ZendeskRefusal.invalid("comment", "Comment: public must be true or false")
        }
        return comment
    }

    func checkValues(_ data: JSON) throws {
        for (field, allowed) in [("status", Self.statuses), ("priority", Self.priorities), ("type", Self.types)] {
            if !data[field].isNull, !allowed.contains(data[field].string ?? "") {
                throw ZendeskRefusal.invalid(
                    field, "\(field.prefix(1).uppercased() + field.dropFirst()): is not included in the list")
            }
        }
        for field in ["tags", "additional_tags", "remove_tags"] where !data[field].isNull && data[field].array == nil {
            throw ZendeskRefusal.invalid(field, "\(field) must be an array of strings")
        }
        if !data["custom_fields"].isNull {
            guard let fields = data["custom_fields"].array, fields.allSatisfy({ $0["id"].int != nil }) else {
                throw ZendeskRefusal.invalid("custom_fields", "custom_fields must be an array of {\"id\", \"value\"}")
            }
        }
        if !data["metadata"].isNull {
            guard case .object = data["metadata"] else {
                throw ZendeskRefusal.invalid("metadata", "Metadata: must be an object")
            }
            if data["metadata"].serializedBytes().count > 1024 {
                throw ZendeskRefusal.invalid("metadata", "Metadata: is too large (1 KB maximum)")
            }
        }
    }

    /// A referenced user must exist (422 otherwise); nil when absent.
    func existingUser(_ value: JSON, field: String) throws -> Int64? {
        if value.isNull { return nil }
        guard let id = value.int, users[id] != nil else {
            throw ZendeskRefusal.invalid(field, "\(field): \(value.string ?? "?") is not a valid user")
        }
        return id
    }

    func checkReferences(_ data: JSON) throws {
        if let assignee = try existingUser(data["assignee_id"], field: "assignee_id"), !isStaff(assignee) {
            throw ZendeskRefusal.invalid("assignee_id", "Assignee: is not an agent")
        }
        if !data["group_id"].isNull, groups[data["group_id"].int ?? -1] == nil {
            throw ZendeskRefusal.invalid("group_id", "Group: \(data["group_id"].string ?? "?") does not exist")
        }
        if !data["brand_id"].isNull, brands[data["brand_id"].int ?? -1] == nil {
            throw ZendeskRefusal.invalid("brand_id", "Brand: \(data["brand_id"].string ?? "?") does not exist")
        }
    }

    /// `requester_id` (must exist) or `requester {name, email, phone}`: an existing user with that
    /// email, else a new end-user. Validated before anything is created.
    func requesterInput(_ data: JSON) throws -> JSON {
        if let id = try existingUser(data["requester_id"], field: "requester_id") { return .int(id) }
        let spec = data["requester"]
        if spec.isNull { return .int(Self.apiUserID) }
        guard case .object = spec,
            spec["name"].nonEmptyString != nil || spec["email"].nonEmptyString != nil
                || spec["phone"].nonEmptyString != nil
        else {
            throw ZendeskRefusal.invalid("requester", "Requester: needs a name, email or phone", error: "BlankValue")
        }
        if !spec["email"].isNull, !ZendeskFormat.isEmail(spec["email"].string ?? "") {
            throw ZendeskRefusal.invalid(
                "requester", "Requester: Email: \(spec["email"].string ?? "") is not properly formatted")
        }
        if !spec["phone"].isNull, !ZendeskFormat.isE164(spec["phone"].string ?? "") {
            throw ZendeskRefusal.invalid(
                "requester", "Requester: Phone: \(spec["phone"].string ?? "") is not a valid phone number (E.164)")
        }
        return spec
    }

    func materializeRequester(_ spec: JSON, stamp: String) -> Int64 {
        if let id = spec.int { return id }
        if let existing = findUser("email", spec["email"].string), let id = existing["id"].int { return id }
        var fields: [String: JSON] = ["role": "end-user"]
        for key in ["name", "email", "phone", "locale_id", "external_id"] where spec[key].nonEmptyString != nil {
            fields[key] = spec[key]
        }
        let record = userRecord(.object(fields), stamp: stamp)
        users[record["id"].int!] = record
        return record["id"].int!
    }

    // MARK: Effects on a ticket

    /// Opens an audit on `ticket` (its `metadata.custom` is the request's `ticket.metadata`).
    @discardableResult
    func newAudit(
        _ ticket: inout ZendeskTicket, author: Int64, stamp: String, custom: JSON = [:], system: JSON = [:]
    ) -> Int {
        let audit: JSON = [
            "id": .int(nextAuditID), "ticket_id": .int(ticket.id), "created_at": .string(stamp),
            "author_id": .int(author), "metadata": ["system": system, "custom": custom],
            "via": Self.apiVia, "events": [],
        ]
        nextAuditID += 1
        ticket.audits.append(audit)
        return ticket.audits.count - 1
    }

    func appendAuditEvent(_ ticket: inout ZendeskTicket, _ index: Int, _ event: JSON) {
        var audit = ticket.audits[index]
        audit["events"] = .array((audit["events"].array ?? []) + [event])
        ticket.audits[index] = audit
    }

    /// Adds a comment (first comment = description; public agent comments count as replies).
    @discardableResult
    func addComment(
        _ ticket: inout ZendeskTicket, _ input: JSON, author: Int64, auditIndex: Int, isPublic: Bool
    ) -> ZendeskComment {
        let body: String, html: String
        if let plain = input["body"].nonEmptyString {
            body = input["body"].string ?? plain
            html = ZendeskFormat.html(fromPlain: body)
        } else {
            html = input["html_body"].string ?? ""
            body = ZendeskFormat.plain(fromHTML: html)
        }
        let stamp = ticket.audits[auditIndex]["created_at"].string ?? ticket.updatedAt
        let comment = ZendeskComment(
            id: nextCommentID, authorID: author, body: body, htmlBody: html, isPublic: isPublic,
            auditID: ticket.audits[auditIndex]["id"].int ?? 0, createdAt: stamp, via: Self.apiVia)
        nextCommentID += 1
        if ticket.comments.isEmpty {
            ticket.description = body
            ticket.isPublic = isPublic
        } else if isPublic && isStaff(author) {
            ticket.replies += 1
        }
        ticket.comments.append(comment)
        ticket.latestCommentAddedAt = stamp
        if author == ticket.requesterID { ticket.requesterUpdatedAt = stamp }
        var event = comment.json.object ?? [:]
        event["metadata"] = nil; event["created_at"] = nil; event["via"] = nil
        appendAuditEvent(&ticket, auditIndex, .object(event))
        return comment
    }

    /// Moves the ticket to `status`, recording history, solved_at and reopens.
    func transition(_ ticket: inout ZendeskTicket, to status: String, stamp: String, actor: Int64) {
        let old = ticket.status
        guard status != old else { return }
        if old == "solved" && status != "closed" { ticket.reopens += 1 }
        if status == "solved" { ticket.solvedAt = stamp }
        ticket.status = status
        ticket.statusUpdatedAt = stamp
        ticket.statusHistory.append([
            "from": .string(old), "to": .string(status), "at": .string(stamp), "actor_id": .int(actor),
        ])
    }

    /// Applies the writable fields of `data` (tags REPLACE; additional_tags/remove_tags adjust).
    func applyFields(_ ticket: inout ZendeskTicket, _ data: JSON, stamp: String) {
        if !data["subject"].isNull { ticket.subject = data["subject"].string }
        if data.object?["priority"] != nil { ticket.priority = data["priority"].string }
        if data.object?["type"] != nil { ticket.type = data["type"].string }
        if let requester = data["requester_id"].int { ticket.requesterID = requester }
        if data.object?["assignee_id"] != nil {
            let assignee = data["assignee_id"].int
            if assignee != nil && assignee != ticket.assigneeID {
                ticket.assignedAt = stamp
                if ticket.initiallyAssignedAt == nil { ticket.initiallyAssignedAt = stamp }
            }
            ticket.assigneeID = assignee
        }
        if data.object?["group_id"] != nil { ticket.groupID = data["group_id"].int }
        if let brand = data["brand_id"].int { ticket.brandID = brand }
        if data.object?["organization_id"] != nil { ticket.organizationID = data["organization_id"].int }
        if data.object?["external_id"] != nil { ticket.externalID = data["external_id"].string }
        if data.object?["due_at"] != nil { ticket.dueAt = data["due_at"].string }
        if data.object?["ticket_form_id"] != nil { ticket.ticketFormID = data["ticket_form_id"].int }
        if let tags = data["tags"].array { ticket.tags = ZendeskFormat.tags(tags) }
        if let more = data["additional_tags"].array {
            ticket.tags = ZendeskFormat.tags(ticket.tags.map(JSON.string) + more)
        }
        if let less = data["remove_tags"].array {
            let removed = ZendeskFormat.tags(less)
            ticket.tags.removeAll { removed.contains($0) }
        }
        for field in data["custom_fields"].array ?? [] {
            let entry: JSON = ["id": field["id"], "value": field["value"]]
            if let i = ticket.customFields.firstIndex(where: { $0["id"].int == field["id"].int }) {
                ticket.customFields[i] = entry
            } else {
                ticket.customFields.append(entry)
            }
        }
    }

    /// `safe_update: true` needs `updated_stamp` equal to the ticket's `updated_at` (409 otherwise).
    func checkSafeUpdate(_ data: JSON, _ ticket: ZendeskTicket) throws {
        guard data["safe_update"].bool == true else { return }
        guard let given = data["updated_stamp"].string.flatMap(Clock.parse) else {
            throw ZendeskRefusal.invalid(
                "updated_stamp", "Updated stamp: is required with safe_update", error: "BlankValue")
        }
        if given != Clock.parse(ticket.updatedAt) { throw ZendeskRefusal.updateConflict }
    }

    func auditSystem(_ c: ZendeskCall) -> JSON {
        ["client": JSON(c.request.header("User-Agent")), "ip_address": .string(c.request.remoteAddress)]
    }

    // MARK: Create

    /// `POST /api/v2/tickets` with `Idempotency-Key` semantics: same key + same body within 2 h →
    /// the original response with `x-idempotency-lookup: hit`; same key + other body → 400.
    func postTicket(_ c: ZendeskCall) throws -> ServerResponse {
        let data = try c.body(root: "ticket")
        guard let key = c.request.header("Idempotency-Key")?.trimmed(), !key.isEmpty else {
            return try createTicket(c, data)
        }
        let digest = Crypto.hex(EmulatorSupport.fingerprint(c.request.json.serializedBytes()))
        idempotency = idempotency.filter { c.now.timeIntervalSince($0.value.at) < Self.idempotencyWindow }
        if let entry = idempotency[key] {
            guard entry.digest == digest else {
                throw ZendeskRefusal.badRequest(
                    "Request parameters don't match the given idempotency key", error: "IdempotentRequestError")
            }
            var replay = entry.response
            replay.headers.removeAll { $0.0.lowercased() == "x-idempotency-lookup" }
            replay.headers.append(("x-idempotency-lookup", "hit"))
            c.context.log("zendesk: Idempotency-Key hit, ticket create replayed")
            return replay
        }
        var response = try createTicket(c, data)
        response.headers.append(("x-idempotency-lookup", "miss"))
        if (200..<300).contains(response.status) {
            idempotency[key] = IdempotencyEntry(digest: digest, response: response, at: c.now)
        }
        return response
    }

    func createTicket(_ c: ZendeskCall, _ data: JSON) throws -> ServerResponse {
        let comment = try commentInput(data["comment"])
        try checkValues(data)
        try checkReferences(data)
        let requester = try requesterInput(data)
        let submitter = try existingUser(data["submitter_id"], field: "submitter_id") ?? Self.apiUserID
        let author = try existingUser(comment["author_id"], field: "author_id") ?? submitter
        var source: ZendeskTicket?
        if !data["via_followup_source_id"].isNull {
            guard let sid = data["via_followup_source_id"].int, let s = tickets[sid] else {
                throw ZendeskRefusal.invalid("via_followup_source_id", "Via followup source: is not a valid ticket")
            }
            guard s.status == "closed" else {
                throw ZendeskRefusal.invalid(
                    "via_followup_source_id",
                    "Via followup source: ticket \(sid) is not closed; only closed tickets can have follow-ups")
            }
            source = s
        }
        let stamp = self.stamp(now: c.now, after: nil)
        var status = data["status"].string ?? "new"
        if status == "new" && !data["assignee_id"].isNull { status = "open" }
        while tickets[nextTicketID] != nil { nextTicketID += 1 }
        var via = Self.apiVia
        if let source {
            via["source"] = [
                "from": ["ticket_id": .int(source.id), "subject": JSON(source.subject)], "to": [:], "rel": "follow_up",
            ]
        }
        var ticket = ZendeskTicket(
            id: nextTicketID, status: status, requesterID: materializeRequester(requester, stamp: stamp),
            submitterID: submitter, stamp: stamp, via: via)
        nextTicketID += 1
        ticket.brandID = brands.values.first { $0["default"].bool == true }?["id"].int ?? brands.keys.min()
        applyFields(&ticket, data, stamp: stamp)
        if let source {
            ticket.followupSourceID = source.id
            if data["tags"].isNull { ticket.tags = source.tags }
            tickets[source.id]?.followupIDs.append(ticket.id)
        }
        if status == "solved" { ticket.solvedAt = stamp }
        let audit = newAudit(
            &ticket, author: author, stamp: stamp, custom: data["metadata"].isNull ? [:] : data["metadata"],
            system: auditSystem(c))
        addComment(&ticket, comment, author: author, auditIndex: audit, isPublic: comment["public"].bool ?? true)
        for field in ZendeskTicket.trackedFields where !ticket.field(field).isNull && ticket.field(field) != .array([])
        {
            appendAuditEvent(
                &ticket, audit,
                [
                    "id": .int(nextAuditID), "type": "Create", "field_name": .string(field),
                    "value": ticket.field(field),
                ])
            nextAuditID += 1
        }
        ticket.lastActorID = author
        tickets[ticket.id] = ticket
        c.context.log(
            "zendesk: ticket \(ticket.id) created (status \(status), tags \(ticket.tags.joined(separator: ",")))")
        emit("ticket.created", ticket: ticket.id, context: c.context)
        runTriggers(
            ticketID: ticket.id,
            update: TriggerUpdate(
                isCreate: true, previousStatus: nil,
                publicComment: comment["public"].bool ?? true, updaterRole: apiUserRole),
            context: c.context)
        let url = "\(c.baseURL)/api/v2/tickets/\(ticket.id).json"
        return .json(
            201, ["ticket": ticket.view(baseURL: c.baseURL), "audit": ticket.audits[audit]],
            headers: [("Location", url)])
    }

    // MARK: Update

    /// `PUT /api/v2/tickets/{id}`: closed → 422; safe_update conflict → 409; an end-user comment
    /// without a status reopens pending/hold/solved tickets; an agent update opens a new ticket.
    func updateTicket(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard var ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        let data = try c.body(root: "ticket")
        if ticket.status == "closed" { throw ZendeskRefusal.closed }
        try checkSafeUpdate(data, ticket)
        var comment: JSON?
        if !data["comment"].isNull { comment = try commentInput(data["comment"]) }
        try checkValues(data)
        try checkReferences(data)
        _ = try existingUser(data["requester_id"], field: "requester_id")
        let author = try comment.flatMap { try existingUser($0["author_id"], field: "author_id") } ?? Self.apiUserID
        if ticket.comments.count >= Self.maxComments && comment != nil {
            throw ZendeskRefusal.invalid(
                "comment", "Comment: the ticket has reached the limit of \(Self.maxComments) comments")
        }
        var status = data["status"].string
        if status == "new" && ticket.status != "new" {
            throw ZendeskRefusal.invalid("status", "Status: new is not valid for a ticket that is not new")
        }
        if status == nil, comment != nil {
            if !isStaff(author) && ["pending", "hold", "solved"].contains(ticket.status) { status = "open" }
            if isStaff(author) && ticket.status == "new" { status = "open" }
        }
        if status == nil, ticket.status == "new", !data["assignee_id"].isNull { status = "open" }

        let before = Dictionary(uniqueKeysWithValues: ZendeskTicket.trackedFields.map { ($0, ticket.field($0)) })
        let stamp = self.stamp(now: c.now, after: ticket.updatedAt)
        var probe = ticket
        applyFields(&probe, data, stamp: stamp)
        let changed = ZendeskTicket.trackedFields.contains { before[$0] != probe.field($0) }
        if !changed && comment == nil && (status == nil || status == ticket.status) {
            return .json(200, ["ticket": ticket.view(baseURL: c.baseURL), "audit": nil])
        }
        ticket = probe
        let previous = ticket.status
        let audit = newAudit(
            &ticket, author: author, stamp: stamp, custom: data["metadata"].isNull ? [:] : data["metadata"],
            system: auditSystem(c))
        if let status { transition(&ticket, to: status, stamp: stamp, actor: author) }
        for field in ZendeskTicket.trackedFields where before[field] != ticket.field(field) {
            appendAuditEvent(
                &ticket, audit,
                [
                    "id": .int(nextAuditID), "type": "Change", "field_name": .string(field),
                    "value": ticket.field(field), "previous_value": before[field] ?? nil,
                ])
            nextAuditID += 1
        }
        var added: ZendeskComment?
        if let comment {
            added = addComment(
                &ticket, comment, author: author, auditIndex: audit, isPublic: comment["public"].bool ?? ticket.isPublic
            )
        }
        if let assignee = ticket.assigneeID, assignee == author { ticket.assigneeUpdatedAt = stamp }
        ticket.updatedAt = stamp
        ticket.lastActorID = author
        tickets[id] = ticket
        c.context.log("zendesk: ticket \(id) updated (status \(ticket.status)\(added != nil ? ", comment added" : ""))")
        if let added { emit("ticket.comment_added", ticket: id, comment: added.id, context: c.context) }
        if ticket.status != previous {
            emit("ticket.status_changed", ticket: id, previous: previous, context: c.context)
        }
        runTriggers(
            ticketID: id,
            update: TriggerUpdate(
                isCreate: false, previousStatus: previous, publicComment: added?.isPublic,
                updaterRole: apiUserRole), context: c.context)
        guard let ticket = tickets[id] else { return .json(200, [:]) }
        return .json(200, ["ticket": ticket.view(baseURL: c.baseURL), "audit": ticket.audits[audit]])
    }

    // MARK: Read

    /// `GET /api/v2/tickets/{id}` with `include=users,groups,brands` sideloads.
    func showTicket(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        var payload: JSON = ["ticket": ticket.view(baseURL: c.baseURL)]
        let includes = Set((c.query("include") ?? "").split(separator: ",").map { $0.trimmed() })
        if includes.contains("users") {
            let ids = Set([ticket.requesterID, ticket.submitterID] + (ticket.assigneeID.map { [$0] } ?? []))
            payload["users"] = .array(ids.sorted().compactMap { users[$0] }.map { userView(c, $0) })
        }
        if includes.contains("groups") {
            payload["groups"] = .array(ticket.groupID.flatMap { groups[$0] }.map { [groupView(c, $0)] } ?? [])
        }
        if includes.contains("brands") {
            payload["brands"] = .array(ticket.brandID.flatMap { brands[$0] }.map { [brandView(c, $0)] } ?? [])
        }
        return .json(200, payload)
    }

    /// `GET /api/v2/tickets` (all, or `?external_id=` — not unique, may return several).
    func listTickets(_ c: ZendeskCall) -> ServerResponse {
        let external = c.query("external_id")
        let found = tickets.values.filter { external == nil || $0.externalID == external }.sorted { $0.id < $1.id }
        return page(c, "tickets", found.map { $0.view(baseURL: c.baseURL) })
    }

    func showManyTickets(_ c: ZendeskCall) throws -> ServerResponse {
        guard let ids = Self.idList(c.query("ids")) else {
            throw ZendeskRefusal.badRequest("ids must be comma-separated ticket ids")
        }
        return page(c, "tickets", ids.compactMap { tickets[$0] }.map { $0.view(baseURL: c.baseURL) })
    }

    /// Comments oldest first; `sort_order=desc` (or `sort=-created_at`) newest first.
    func listComments(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        var comments = ticket.comments.map(\.json)
        if c.query("sort_order") == "desc" || c.query("sort") == "-created_at" { comments.reverse() }
        var extra: [String: JSON] = [:]
        if (c.query("include") ?? "").split(separator: ",").contains("users") {
            extra["users"] = .array(
                Set(ticket.comments.map(\.authorID)).sorted().compactMap { users[$0] }.map { userView(c, $0) })
        }
        return page(c, "comments", comments, extra: extra)
    }

    /// `GET /api/v2/tickets/{id}/comments/count`: `{"count": {"value", "refreshed_at"}}` (Zendesk
    /// calls it approximate above 100,000; here it is exact).
    func countComments(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        return .json(
            200,
            ["count": ["value": .int(Int64(ticket.comments.count)), "refreshed_at": .string(Clock.iso8601(c.now))]])
    }

    func listAudits(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        var audits = ticket.audits
        if c.query("sort_order") == "desc" { audits.reverse() }
        return page(c, "audits", audits)
    }

    /// `GET /api/v2/tickets/{id}/metrics`: solved_at, reopens, replies, resolution times.
    func ticketMetrics(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let t = tickets[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["ticket_metric": metricSet(t, baseURL: c.baseURL)])
    }

    /// A ticket's metric set (`ticket_metric`; the export's `metric_sets` sideload): calendar
    /// minutes to the first public agent reply after the first comment, to the first and the
    /// last solve; reopens and replies as counted.
    func metricSet(_ t: ZendeskTicket, baseURL: String) -> JSON {
        func minutes(_ from: String?, _ to: String?) -> JSON {
            guard let a = from.flatMap(Clock.parse), let b = to.flatMap(Clock.parse) else {
                return ["calendar": nil, "business": nil]
            }
            let m = JSON(Int(max(0, b.timeIntervalSince(a)) / 60))
            return ["calendar": m, "business": m]
        }
        let firstSolved = t.statusHistory.first { $0["to"].string == "solved" }?["at"].string ?? t.solvedAt
        let firstReply = t.comments.dropFirst().first { $0.isPublic && isStaff($0.authorID) }?.createdAt
        return [
            "url": .string("\(baseURL)/api/v2/ticket_metrics/\(t.id).json"), "id": .int(t.id),
            "ticket_id": .int(t.id),
            "created_at": .string(t.createdAt), "updated_at": .string(t.updatedAt),
            "group_stations": JSON(t.groupID == nil ? 0 : 1), "assignee_stations": JSON(t.assigneeID == nil ? 0 : 1),
            "reopens": JSON(t.reopens), "replies": JSON(t.replies),
            "assignee_updated_at": JSON(t.assigneeUpdatedAt), "requester_updated_at": JSON(t.requesterUpdatedAt),
            "status_updated_at": .string(t.statusUpdatedAt), "initially_assigned_at": JSON(t.initiallyAssignedAt),
            "assigned_at": JSON(t.assignedAt), "solved_at": JSON(t.solvedAt),
            "latest_comment_added_at": JSON(t.latestCommentAddedAt),
            "reply_time_in_minutes": minutes(t.createdAt, firstReply),
            "first_resolution_time_in_minutes": minutes(t.createdAt, firstSolved),
            "full_resolution_time_in_minutes": minutes(t.createdAt, t.solvedAt),
            "agent_wait_time_in_minutes": ["calendar": nil, "business": nil],
            "requester_wait_time_in_minutes": ["calendar": nil, "business": nil],
            "on_hold_time_in_minutes": ["calendar": 0, "business": 0],
        ]
    }
}
