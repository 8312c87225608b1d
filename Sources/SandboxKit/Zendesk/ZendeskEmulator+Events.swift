import FoundationEssentials
import FunctionRuntime

/// Zendesk event-subscription payloads (`zen:event-type:ticket.*`): ids as strings, status,
/// priority and type UPPERCASE, the REST channel `api` reported as `web_service`.
extension ZendeskEmulator {
    static let eventVersion = "2022-11-06"

    /// Renders the payload and hands it to the sandbox (`context.emitZendeskEvent`).
    func emit(_ type: String, ticket: Int64, comment: Int64? = nil, previous: String? = nil, context: EmulatorContext) {
        guard let payload = renderEvent(type: type, ticketID: ticket, commentID: comment, previous: previous) else {
            return
        }
        context.emitZendeskEvent(type, payload)
    }

    /// The event-subscription payload Zendesk would send for `type` (`ticket.created`,
    /// `ticket.status_changed`, `ticket.comment_added`; the `zen:event-type:` prefix is optional)
    /// on a ticket, from its current state. `commentID` nil means the last comment; `previous`
    /// overrides the status before the last change. Nil for an unknown ticket, comment or type.
    /// The event id is derived from the state, so rendering twice models a redelivery.
    public func renderEvent(type rawType: String, ticketID: Int64, commentID: Int64?, previous: String?) -> JSON? {
        let type = rawType.hasPrefix("zen:event-type:") ? String(rawType.dropFirst("zen:event-type:".count)) : rawType
        guard let ticket = tickets[ticketID] else { return nil }
        var event: [String: JSON]
        let actor: Int64, time: String
        switch type {
        case "ticket.created":
            (actor, time, event) = (ticket.submitterID, ticket.createdAt, [:])
        case "ticket.status_changed":
            let last = ticket.statusHistory.last
            let before = previous ?? last?["from"].string ?? ticket.status
            actor = last?["actor_id"].int ?? ticket.lastActorID
            time = last?["at"].string ?? ticket.updatedAt
            event = ["current": .string(ticket.status.uppercased()), "previous": .string(before.uppercased())]
        case "ticket.comment_added":
            let found = commentID.map { id in ticket.comments.first { $0.id == id } } ?? ticket.comments.last
            guard let comment = found else { return nil }
            let author = users[comment.authorID]
            actor = comment.authorID
            time = comment.createdAt
            event = [
                "comment": [
                    "id": .string(String(comment.id)), "body": .string(comment.body),
                    "is_public": .bool(comment.isPublic),
                    "author": [
                        "id": .string(String(comment.authorID)), "is_staff": .bool(isStaff(comment.authorID)),
                        "name": author?["name"] ?? nil,
                    ],
                ]
            ]
        default:
            return nil
        }
        let identity = "\(settings.accountID)/\(type)/\(ticketID)/\(time)/\(JSON.object(event).serialized())"
        event["meta"] = [
            "sequence": [
                "id": .string(ZendeskFormat.uuid("sequence/" + identity).replacingAll("-", with: "").uppercased()),
                "position": 1, "total": 1,
            ]
        ]
        let moment = Clock.parse(time).map { Clock.iso8601($0).replacingAll("Z", with: ".000000000Z") } ?? time
        return [
            "type": .string("zen:event-type:\(type)"),
            "account_id": .int(settings.accountID),
            "id": .string(ZendeskFormat.uuid(identity)),
            "time": .string(moment),
            "zendesk_event_version": .string(Self.eventVersion),
            "subject": .string("zen:ticket:\(ticketID)"),
            "detail": eventDetail(ticket, actor: actor),
            "event": .object(event),
        ]
    }

    /// The ticket snapshot in `detail`.
    func eventDetail(_ t: ZendeskTicket, actor: Int64) -> JSON {
        func id(_ v: Int64?) -> JSON { v.map { .string(String($0)) } ?? nil }
        let channel = t.via["channel"].string
        return [
            "actor_id": id(actor), "assignee_id": id(t.assigneeID), "brand_id": id(t.brandID),
            "created_at": .string(t.createdAt), "custom_status": id(Self.customStatusID(t.status)),
            "description": JSON(t.description), "external_id": JSON(t.externalID), "form_id": id(t.ticketFormID),
            "group_id": id(t.groupID), "id": id(t.id), "is_public": .bool(t.isPublic),
            "organization_id": id(t.organizationID),
            "priority": JSON(t.priority?.uppercased()), "requester_id": id(t.requesterID),
            "status": .string(t.status.uppercased()),
            "subject": JSON(t.subject), "submitter_id": id(t.submitterID), "tags": JSON(t.tags),
            "type": JSON(t.type?.uppercased()),
            "updated_at": .string(t.updatedAt), "via": ["channel": JSON(channel == "api" ? "web_service" : channel)],
        ]
    }
}
