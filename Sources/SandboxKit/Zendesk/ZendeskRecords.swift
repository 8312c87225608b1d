import FoundationEssentials
import FunctionRuntime

/// One comment of an emulated ticket. Comments are immutable once added.
struct ZendeskComment {
    var id: Int64
    var authorID: Int64
    var body: String
    var htmlBody: String
    var isPublic: Bool
    var auditID: Int64
    var createdAt: String
    var via: JSON
    /// Attachment objects (`{id, file_name, content_url, content_type, size}`); only seeded
    /// comments have any (the sandbox emulates no uploads).
    var attachments: [JSON] = []

    /// The REST representation (`GET /api/v2/tickets/{id}/comments`).
    var json: JSON {
        [
            "id": .int(id), "type": "Comment", "author_id": .int(authorID), "body": .string(body),
            "html_body": .string(htmlBody), "plain_body": .string(body), "public": .bool(isPublic),
            "attachments": .array(attachments), "audit_id": .int(auditID), "via": via,
            "metadata": ["system": [:], "custom": [:]], "created_at": .string(createdAt),
        ]
    }

    init(
        id: Int64, authorID: Int64, body: String, htmlBody: String, isPublic: Bool, auditID: Int64,
        createdAt: String, via: JSON
    ) {
        self.id = id; self.authorID = authorID; self.body = body; self.htmlBody = htmlBody
        self.isPublic = isPublic; self.auditID = auditID; self.createdAt = createdAt; self.via = via
    }

    /// Reads a comment back from `json` (snapshots).
    init(json: JSON) throws {
        guard let id = json["id"].int, let author = json["author_id"].int else {
            throw RuntimeError(.invalidEvent, "zendesk comment needs id and author_id")
        }
        self.init(
            id: id, authorID: author, body: json["body"].string ?? "",
            htmlBody: json["html_body"].string ?? "", isPublic: json["public"].bool ?? true,
            auditID: json["audit_id"].int ?? 0, createdAt: json["created_at"].string ?? "",
            via: json["via"].isNull ? ZendeskEmulator.apiVia : json["via"])
        attachments = json["attachments"].array ?? []
    }
}

/// One emulated ticket: the REST fields plus the bookkeeping the emulator needs for metrics,
/// events and reopen rules (kept in snapshots so tests and the demo can read them).
struct ZendeskTicket {
    var id: Int64
    var externalID: String?
    var type: String?
    var subject: String?
    var description: String?
    var priority: String?
    var status: String
    var requesterID: Int64
    var submitterID: Int64
    var assigneeID: Int64?
    var organizationID: Int64?
    var groupID: Int64?
    var brandID: Int64?
    var tags: [String]
    var customFields: [JSON]
    var via: JSON
    var isPublic: Bool
    var followupIDs: [Int64]
    var followupSourceID: Int64?
    var dueAt: String?
    var ticketFormID: Int64?
    var createdAt: String
    var updatedAt: String

    var comments: [ZendeskComment] = []
    var audits: [JSON] = []
    /// `{"from","to","at","actor_id"}` for every status change after creation.
    var statusHistory: [JSON] = []
    var solvedAt: String?
    var reopens: Int = 0
    var replies: Int = 0
    var statusUpdatedAt: String
    var lastActorID: Int64
    var assignedAt: String?
    var initiallyAssignedAt: String?
    var requesterUpdatedAt: String?
    var assigneeUpdatedAt: String?
    var latestCommentAddedAt: String?

    /// Fields whose changes are recorded as audit events.
    static let trackedFields = [
        "status", "subject", "priority", "type", "requester_id", "assignee_id",
        "group_id", "brand_id", "organization_id", "external_id", "due_at",
        "ticket_form_id", "tags", "custom_fields",
    ]

    init(id: Int64, status: String, requesterID: Int64, submitterID: Int64, stamp: String, via: JSON) {
        self.id = id; self.status = status; self.requesterID = requesterID; self.submitterID = submitterID
        self.tags = []; self.customFields = []; self.via = via; self.isPublic = true; self.followupIDs = []
        self.createdAt = stamp; self.updatedAt = stamp; self.statusUpdatedAt = stamp; self.lastActorID = submitterID
    }

    /// The value of a tracked field as JSON (for audit change events).
    func field(_ name: String) -> JSON {
        switch name {
        case "status": return .string(status)
        case "subject": return JSON(subject)
        case "priority": return JSON(priority)
        case "type": return JSON(type)
        case "requester_id": return .int(requesterID)
        case "assignee_id": return JSON(assigneeID)
        case "group_id": return JSON(groupID)
        case "brand_id": return JSON(brandID)
        case "organization_id": return JSON(organizationID)
        case "external_id": return JSON(externalID)
        case "due_at": return JSON(dueAt)
        case "ticket_form_id": return JSON(ticketFormID)
        case "tags": return JSON(tags)
        case "custom_fields": return .array(customFields)
        default: return .null
        }
    }

    /// The REST representation (`{"ticket": …}`), with `url` under `baseURL`.
    func view(baseURL: String) -> JSON {
        [
            "url": .string("\(baseURL)/api/v2/tickets/\(id).json"), "id": .int(id),
            "external_id": JSON(externalID), "via": via, "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
            "generated_timestamp": .int(Int64(Clock.parse(updatedAt)?.timeIntervalSince1970 ?? 0)),
            "type": JSON(type), "subject": JSON(subject), "raw_subject": JSON(subject),
            "description": JSON(description), "priority": JSON(priority), "status": .string(status),
            "custom_status_id": .int(ZendeskEmulator.customStatusID(status)), "recipient": nil,
            "requester_id": .int(requesterID), "submitter_id": .int(submitterID), "assignee_id": JSON(assigneeID),
            "organization_id": JSON(organizationID), "group_id": JSON(groupID), "brand_id": JSON(brandID),
            "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "forum_topic_id": nil,
            "problem_id": nil, "has_incidents": false, "is_public": .bool(isPublic), "due_at": JSON(dueAt),
            "tags": JSON(tags), "custom_fields": .array(customFields), "fields": .array(customFields),
            "satisfaction_rating": nil, "sharing_agreement_ids": [],
            "followup_ids": .array(followupIDs.map { .int($0) }), "ticket_form_id": JSON(ticketFormID),
            "allow_channelback": false, "allow_attachments": true, "from_messaging_channel": false,
        ]
    }

    /// The snapshot representation: the REST fields plus comments, audits and bookkeeping.
    var state: JSON {
        var o = view(baseURL: "").object ?? [:]
        o["url"] = nil
        o["comments"] = .array(comments.map(\.json))
        o["audits"] = .array(audits)
        o["status_history"] = .array(statusHistory)
        o["solved_at"] = JSON(solvedAt)
        o["reopens"] = JSON(reopens)
        o["replies"] = JSON(replies)
        o["status_updated_at"] = .string(statusUpdatedAt)
        o["last_actor_id"] = .int(lastActorID)
        o["followup_source_id"] = JSON(followupSourceID)
        o["assigned_at"] = JSON(assignedAt)
        o["initially_assigned_at"] = JSON(initiallyAssignedAt)
        o["requester_updated_at"] = JSON(requesterUpdatedAt)
        o["assignee_updated_at"] = JSON(assigneeUpdatedAt)
        o["latest_comment_added_at"] = JSON(latestCommentAddedAt)
        return .object(o)
    }

    /// Reads a ticket back from its snapshot representation.
    init(state j: JSON) throws {
        guard let id = j["id"].int, let status = j["status"].string, let requester = j["requester_id"].int,
            let created = j["created_at"].string
        else {
            throw RuntimeError(.invalidEvent, "zendesk ticket snapshot needs id, status, requester_id, created_at")
        }
        self.init(
            id: id, status: status, requesterID: requester, submitterID: j["submitter_id"].int ?? requester,
            stamp: created, via: j["via"].isNull ? ZendeskEmulator.apiVia : j["via"])
        externalID = j["external_id"].string; type = j["type"].string; subject = j["subject"].string
        description = j["description"].string; priority = j["priority"].string
        assigneeID = j["assignee_id"].int; organizationID = j["organization_id"].int; groupID = j["group_id"].int
        brandID = j["brand_id"].int; tags = (j["tags"].array ?? []).compactMap(\.string)
        customFields = j["custom_fields"].array ?? []; isPublic = j["is_public"].bool ?? true
        followupIDs = (j["followup_ids"].array ?? []).compactMap(\.int); followupSourceID = j["followup_source_id"].int
        dueAt = j["due_at"].string; ticketFormID = j["ticket_form_id"].int
        updatedAt = j["updated_at"].string ?? created
        comments = try (j["comments"].array ?? []).map(ZendeskComment.init(json:))
        audits = j["audits"].array ?? []; statusHistory = j["status_history"].array ?? []
        solvedAt = j["solved_at"].string; reopens = Int(j["reopens"].int ?? 0); replies = Int(j["replies"].int ?? 0)
        statusUpdatedAt = j["status_updated_at"].string ?? updatedAt
        lastActorID = j["last_actor_id"].int ?? submitterID
        assignedAt = j["assigned_at"].string; initiallyAssignedAt = j["initially_assigned_at"].string
        requesterUpdatedAt = j["requester_updated_at"].string; assigneeUpdatedAt = j["assignee_updated_at"].string
        latestCommentAddedAt = j["latest_comment_added_at"].string
    }
}
