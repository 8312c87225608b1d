import FunctionRuntime

/// A ticket read by id, with the sideloaded records that were asked for.
public struct ZendeskTicketDocument: Sendable {
    /// The `ticket` object as Zendesk sent it.
    public let ticket: JSON
    /// Sideloaded `users` (with `include=users`), else empty.
    public let users: [JSON]
    /// Sideloaded `groups` (with `include=groups`), else empty.
    public let groups: [JSON]

    public init(ticket: JSON, users: [JSON] = [], groups: [JSON] = []) {
        self.ticket = ticket
        self.users = users
        self.groups = groups
    }

    /// The sideloaded user with `id`, if any.
    public func user(_ id: Int64?) -> JSON? {
        guard let id else { return nil }
        return users.first { $0["id"].int == id }
    }
}

/// The result of a ticket creation.
public struct ZendeskCreatedTicket: Sendable {
    public let ticket: JSON
    public let audit: JSON
    /// True when Zendesk replayed an earlier creation with the same `Idempotency-Key`
    /// (`x-idempotency-lookup: hit`): no new ticket was made.
    public let replayed: Bool
}

extension Zendesk {
    /// Sort order of a comment listing.
    public enum SortOrder: String, Sendable { case ascending = "asc", descending = "desc" }

    /// `GET /api/v2/tickets/{id}.json`, optionally sideloading `users` and/or `groups`
    /// (`include=users,groups`). A missing ticket throws `ServiceError` with code `.notFound`.
    public func ticket(id: Int64, include: [String] = []) throws -> ZendeskTicketDocument {
        let doc = try client.json("GET", Self.ticketPath(id: id, include: include))
        return ZendeskTicketDocument(
            ticket: doc["ticket"], users: doc["users"].array ?? [], groups: doc["groups"].array ?? [])
    }

    /// The request `ticket(id:include:)` makes (for reading ahead).
    public func ticketRequest(id: Int64, include: [String] = []) -> HTTPRequest {
        client.request("GET", Self.ticketPath(id: id, include: include))
    }

    static func ticketPath(id: Int64, include: [String]) -> String {
        var path = "/api/v2/tickets/\(id).json"
        if !include.isEmpty { path += "?include=" + ServiceClient.query(include.joined(separator: ",")) }
        return path
    }

    /// The ticket's comments (`GET /api/v2/tickets/{id}/comments.json`), following `next_page`
    /// until the listing ends (at most 5000 comments, Zendesk's cap per ticket).
    public func comments(ticketID: Int64, sortOrder: SortOrder = .ascending) throws -> [JSON] {
        try offsetPages(
            "/api/v2/tickets/\(ticketID)/comments.json?sort_order=\(sortOrder.rawValue)&per_page=100", key: "comments"
        ).items
    }

    /// How many comments the ticket holds (`GET /api/v2/tickets/{id}/comments/count.json`,
    /// `count.value`). Zendesk calls the count approximate only above 100,000; a ticket takes at
    /// most `Zendesk.commentLimit`. Nil when the answer carries no count.
    public func commentCount(ticketID: Int64) throws -> Int? {
        let doc = try client.json("GET", "/api/v2/tickets/\(ticketID)/comments/count.json")
        return doc["count"]["value"].int.map(Int.init)
    }

    /// Zendesk's cap on a ticket's comments (public and private): a write adding one more is
    /// refused with 422, while other updates still go through. Source: Zendesk developer docs,
    /// "Ticket Comments" ("A ticket can contain up to 5000 comments in total").
    public static let commentLimit = 5000

    /// `PUT /api/v2/tickets/{id}.json` with `{"ticket": fields}`. With `safeUpdateStamp` (the
    /// ticket's `updated_at` as read) the update is a collision-guarded `safe_update`: Zendesk answers
    /// 409 (thrown as `ServiceError` `.conflict`) when the ticket changed meanwhile. A closed ticket
    /// answers 422 (`.rejected`; see `isClosedTicketError`). Returns the updated ticket.
    @discardableResult
    public func updateTicket(id: Int64, fields: JSON, safeUpdateStamp: String? = nil) throws -> JSON {
        var ticket = fields
        if let stamp = safeUpdateStamp {
            ticket["safe_update"] = true
            ticket["updated_stamp"] = .string(stamp)
        }
        let doc = try client.json("PUT", "/api/v2/tickets/\(id).json", body: ["ticket": ticket])
        return doc["ticket"]
    }

    /// `POST /api/v2/tickets.json` with `{"ticket": fields}`. With `idempotencyKey` the request
    /// carries `Idempotency-Key` (Zendesk replays the first answer for 2 h) and is safe to retry.
    public func createTicket(_ fields: JSON, idempotencyKey: String? = nil) throws -> ZendeskCreatedTicket {
        var extra: [(String, String)] = []
        if let idempotencyKey { extra.append(("Idempotency-Key", idempotencyKey)) }
        let body: JSON = ["ticket": fields]
        let response = try client.send(
            "POST", "/api/v2/tickets.json", body: body.serializedBytes(), contentType: "application/json",
            extraHeaders: extra, retrySafe: idempotencyKey != nil)
        guard response.isSuccess else {
            throw ServiceError(
                service: client.service, method: "POST", path: "/api/v2/tickets.json", response: response)
        }
        let doc = response.json
        return ZendeskCreatedTicket(
            ticket: doc["ticket"], audit: doc["audit"],
            replayed: response.headers["x-idempotency-lookup"]?.lowercased() == "hit")
    }

    /// Tickets whose `external_id` is exactly `externalID` (`GET /api/v2/tickets.json?external_id=`).
    /// External ids are not unique: several tickets may come back, oldest first as Zendesk lists them,
    /// 100 a page; `next_page` is followed (up to 5,000), so a customer's 101st follow-up is seen.
    public func tickets(externalID: String) throws -> [JSON] {
        try offsetPages(
            "/api/v2/tickets.json?external_id=" + ServiceClient.query(externalID) + "&per_page=100", key: "tickets"
        ).items
    }

    /// The ticket's audits (`GET /api/v2/tickets/{id}/audits.json`), oldest first, following
    /// `next_page` for up to 5,000. Each audit's `metadata.custom` holds the `metadata` object sent
    /// with the write that made it. A longer history (a busy ticket has more audits than comments)
    /// ends with its newest 100 (`recentAudits`), so that what was written last — what a repeated
    /// delivery looks for — is always seen.
    public func audits(ticketID: Int64) throws -> [JSON] {
        let (result, complete) = try offsetPages("/api/v2/tickets/\(ticketID)/audits.json", key: "audits")
        if complete { return result }
        let seen = Set(result.compactMap { $0["id"].int })
        return result
            + (try recentAudits(ticketID: ticketID)).reversed().filter { a in
                a["id"].int.map { !seen.contains($0) } ?? true
            }
    }

    /// The items under `key` of an offset-paginated listing (`path`, then `page=N`), following
    /// `next_page` for up to 50 pages (5,000 items at 100 a page); `complete` is false when pages
    /// were left.
    func offsetPages(_ path: String, key: String) throws -> (items: [JSON], complete: Bool) {
        var items: [JSON] = []
        for page in 1...50 {
            let doc = try client.json("GET", path + (path.contains("?") ? "&" : "?") + "page=\(page)")
            let got = doc[key].array ?? []
            items += got
            if got.isEmpty || doc["next_page"].nonEmptyString == nil { return (items, true) }
        }
        return (items, false)
    }

    /// The ticket's newest audits, newest first: one page of 100 (`sort_order=desc`) — for a
    /// ticket whose full history is longer than `audits(ticketID:)` reads.
    public func recentAudits(ticketID: Int64) throws -> [JSON] {
        let doc = try client.json("GET", "/api/v2/tickets/\(ticketID)/audits.json?sort_order=desc&per_page=100")
        return doc["audits"].array ?? []
    }

    /// Merges `sourceIDs` into `targetID` (`POST /api/v2/tickets/{id}/merge.json`); asynchronous on
    /// Zendesk's side: returns the job status.
    @discardableResult
    public func merge(
        into targetID: Int64, sourceIDs: [Int64], targetComment: String? = nil, sourceComment: String? = nil
    ) throws -> JSON {
        var body: JSON = ["ids": .array(sourceIDs.map { .int($0) })]
        if let targetComment { body["target_comment"] = .string(targetComment) }
        if let sourceComment { body["source_comment"] = .string(sourceComment) }
        return try client.json("POST", "/api/v2/tickets/\(targetID)/merge.json", body: body, retrySafe: true)
    }
}

extension ServiceError {
    /// True for Zendesk's 422 on a closed ticket (`RecordInvalid` with `details.status`).
    public var isClosedTicketError: Bool { cause == .closedTicket }
}
