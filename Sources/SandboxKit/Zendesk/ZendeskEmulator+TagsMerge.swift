import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The tags endpoints, ticket merge and job statuses.
extension ZendeskEmulator {
    func getTags(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard let ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["tags": JSON(ticket.tags)])
    }

    /// `PUT` adds, `POST` sets, `DELETE` removes tags (`{"tags":[…]}`, optional `safe_update` +
    /// `updated_stamp`); closed tickets refuse with 422.
    func changeTags(_ c: ZendeskCall, _ id: Int64) throws -> ServerResponse {
        guard var ticket = tickets[id] else { throw ZendeskRefusal.notFound }
        let data = try c.body()
        guard let given = data["tags"].array else {
            throw ZendeskRefusal.invalid("tags", "Tags: must be an array", error: "BlankValue")
        }
        if ticket.status == "closed" { throw ZendeskRefusal.closed }
        try checkSafeUpdate(data, ticket)
        let named = ZendeskFormat.tags(given)
        let tags: [String]
        switch c.method {
        case "POST": tags = named
        case "PUT": tags = ZendeskFormat.tags((ticket.tags + named).map(JSON.string))
        default: tags = ticket.tags.filter { !named.contains($0) }
        }
        if tags != ticket.tags {
            let stamp = self.stamp(now: c.now, after: ticket.updatedAt)
            let audit = newAudit(&ticket, author: Self.apiUserID, stamp: stamp, system: auditSystem(c))
            appendAuditEvent(
                &ticket, audit,
                [
                    "id": .int(nextAuditID), "type": "Change", "field_name": "tags",
                    "value": JSON(tags), "previous_value": JSON(ticket.tags),
                ])
            nextAuditID += 1
            ticket.tags = tags
            ticket.updatedAt = stamp
            ticket.lastActorID = Self.apiUserID
            tickets[id] = ticket
        }
        return .json(200, ["tags": JSON(tags)])
    }

    /// `POST /api/v2/tickets/{id}/merge {"ids":[…], "target_comment", "source_comment", …}`:
    /// each source gets the source comment and is closed; the target gets a private note with the
    /// target comment and the sources' last comments. Answers with a queued job status.
    func merge(_ c: ZendeskCall, _ targetID: Int64) throws -> ServerResponse {
        guard var target = tickets[targetID] else { throw ZendeskRefusal.notFound }
        let data = try c.body()
        guard let idValues = data["ids"].array, !idValues.isEmpty else {
            throw ZendeskRefusal.badRequest("ids must be a non-empty array of ticket ids")
        }
        let ids = idValues.compactMap(\.int)
        guard ids.count == idValues.count else { throw ZendeskRefusal.badRequest("ids must be ticket ids") }
        if ids.contains(targetID) { throw ZendeskRefusal.invalid("ids", "A ticket cannot be merged into itself") }
        if target.status == "closed" { throw ZendeskRefusal.closed }
        for sid in ids {
            guard let source = tickets[sid] else { throw ZendeskRefusal.invalid("ids", "Ticket \(sid) does not exist") }
            if source.status == "closed" {
                throw ZendeskRefusal.invalid("ids", "Ticket \(sid) is closed and cannot be merged")
            }
        }
        var emitted: [(String, Int64, Int64?, String?)] = []
        var lastComments: [String] = []
        for sid in ids {
            var source = tickets[sid]!
            lastComments.append("Last comment in request #\(sid):\n\n\(source.comments.last?.body ?? "")")
            let stamp = self.stamp(now: c.now, after: source.updatedAt)
            let audit = newAudit(&source, author: Self.apiUserID, stamp: stamp, system: auditSystem(c))
            let text =
                data["source_comment"].nonEmptyString ?? "This request was closed and merged into request #\(targetID)."
            let note = addComment(
                &source, ["body": .string(text)], author: Self.apiUserID, auditIndex: audit,
                isPublic: data["source_comment_is_public"].bool ?? false)
            let previous = source.status
            transition(&source, to: "closed", stamp: stamp, actor: Self.apiUserID)
            source.tags = ZendeskFormat.tags((source.tags + ["closed_by_merge"]).map(JSON.string))
            source.updatedAt = stamp
            source.lastActorID = Self.apiUserID
            tickets[sid] = source
            emitted.append(("ticket.comment_added", sid, note.id, nil))
            emitted.append(("ticket.status_changed", sid, nil, previous))
        }
        let stamp = self.stamp(now: c.now, after: target.updatedAt)
        let audit = newAudit(&target, author: Self.apiUserID, stamp: stamp, system: auditSystem(c))
        let intro =
            data["target_comment"].nonEmptyString
            ?? "Requests \(ids.map { "#\($0)" }.joined(separator: ", ")) were closed and merged into this request."
        let note = addComment(
            &target, ["body": .string(([intro] + lastComments).joined(separator: "\n\n"))],
            author: Self.apiUserID, auditIndex: audit, isPublic: data["target_comment_is_public"].bool ?? false)
        target.updatedAt = stamp
        target.lastActorID = Self.apiUserID
        tickets[targetID] = target
        emitted.append(("ticket.comment_added", targetID, note.id, nil))

        let jobID = EmulatorSupport.randomHex(16)
        jobs[jobID] = [
            "id": .string(jobID), "url": .string("\(c.baseURL)/api/v2/job_statuses/\(jobID).json"),
            "job_type": "TicketMergeJob", "status": "completed", "total": JSON(ids.count),
            "progress": JSON(ids.count), "message": .string("Completed at \(Clock.iso8601(c.now))"),
            "results": [["id": .int(targetID), "status": "merged", "source_ids": .array(ids.map { .int($0) })]],
        ]
        c.context.log("zendesk: tickets \(ids.map(String.init).joined(separator: ",")) merged into \(targetID)")
        for (type, tid, comment, previous) in emitted {
            emit(type, ticket: tid, comment: comment, previous: previous, context: c.context)
        }
        var queued = jobs[jobID]!
        queued["status"] = "queued"; queued["progress"] = nil; queued["message"] = nil; queued["results"] = nil
        return .json(200, ["job_status": queued])
    }

    func showJob(_ c: ZendeskCall, _ id: String) throws -> ServerResponse {
        guard let job = jobs[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["job_status": job])
    }
}
