import FoundationEssentials
import FunctionRuntime
import HTTPServer

extension ZendeskEmulator {
    /// Dispatches a call to its endpoint (paths with or without `.json`); 404 `InvalidEndpoint`
    /// for anything Zendesk does not serve here.
    func route(_ c: ZendeskCall) throws -> ServerResponse {
        // Users, groups, brands.
        if c.match("GET", "users/me") != nil { return try showUser(c, "\(Self.apiUserID)") }
        if c.match("GET", "users/show_many") != nil { return try showManyUsers(c) }
        if c.match("GET", "users/search") != nil { return try searchUsersEndpoint(c) }
        if c.match("POST", "users/create_or_update") != nil { return try createOrUpdateUser(c) }
        if let m = c.match("GET", "users/*") { return try showUser(c, m[0]) }
        if let m = c.match("PUT", "users/*") { return try updateUser(c, m[0]) }
        if c.match("POST", "users") != nil { return try createUser(c) }
        if c.match("GET", "groups") != nil { return listGroups(c) }
        if let m = c.match("GET", "groups/*") { return try showGroup(c, m[0]) }
        if c.match("GET", "brands") != nil { return listBrands(c) }
        if let m = c.match("GET", "brands/*") { return try showBrand(c, m[0]) }

        // Tickets.
        if c.match("GET", "tickets/show_many") != nil { return try showManyTickets(c) }
        if c.match("GET", "tickets") != nil { return listTickets(c) }
        if c.match("POST", "tickets") != nil { return try postTicket(c) }
        if let m = c.match("GET", "tickets/*") { return try showTicket(c, try ticketID(m[0])) }
        if let m = c.match("PUT", "tickets/*") { return try updateTicket(c, try ticketID(m[0])) }
        if let m = c.match("GET", "tickets/*/comments") { return try listComments(c, try ticketID(m[0])) }
        if let m = c.match("GET", "tickets/*/comments/count") { return try countComments(c, try ticketID(m[0])) }
        if let m = c.match("GET", "tickets/*/audits") { return try listAudits(c, try ticketID(m[0])) }
        if let m = c.match("GET", "tickets/*/metrics") { return try ticketMetrics(c, try ticketID(m[0])) }
        if let m = c.match("GET", "ticket_metrics/*") { return try ticketMetrics(c, try ticketID(m[0])) }
        if let m = c.match("GET", "tickets/*/tags") { return try getTags(c, try ticketID(m[0])) }
        for method in ["PUT", "POST", "DELETE"] {
            if let m = c.match(method, "tickets/*/tags") { return try changeTags(c, try ticketID(m[0])) }
        }
        if let m = c.match("POST", "tickets/*/merge") { return try merge(c, try ticketID(m[0])) }
        if let m = c.match("GET", "job_statuses/*") { return try showJob(c, m[0]) }

        // Search and export.
        if c.match("GET", "search") != nil { return try search(c) }
        if c.match("GET", "incremental/tickets/cursor") != nil { return try incrementalTickets(c) }

        // Business rules.
        if let m = c.match("GET", "webhooks/*/signing_secret") { return try signingSecret(c, m[0]) }
        if let m = c.match("POST", "webhooks/*/signing_secret") { return try resetSigningSecret(c, m[0]) }
        if c.parts.count == 1, Self.ruleKinds[c.parts[0]] != nil {
            switch c.method {
            case "GET": return listRules(c, kind: c.parts[0])
            case "POST": return try createRule(c, kind: c.parts[0])
            default: throw ZendeskRefusal.noEndpoint
            }
        }
        if c.parts.count == 2, Self.ruleKinds[c.parts[0]] != nil {
            switch c.method {
            case "GET": return try showRule(c, kind: c.parts[0], id: c.parts[1])
            case "PUT": return try updateRule(c, kind: c.parts[0], id: c.parts[1])
            case "PATCH" where c.parts[0] == "webhooks": return try updateRule(c, kind: c.parts[0], id: c.parts[1])
            case "DELETE": return try deleteRule(c, kind: c.parts[0], id: c.parts[1])
            default: throw ZendeskRefusal.noEndpoint
            }
        }
        throw ZendeskRefusal.noEndpoint
    }

    /// A ticket id from a path part; 404 when it is not a number.
    func ticketID(_ text: String) throws -> Int64 {
        guard let id = Int64(text) else { throw ZendeskRefusal.notFound }
        return id
    }

    /// A list response with Zendesk's offset pagination: `per_page` (default and maximum 100)
    /// and `page` (from 1), `next_page`/`previous_page` URLs, `count` of all items.
    ///
    /// With `page[size]` (at most 100) it is cursor pagination instead: `page[after]` /
    /// `page[before]` opaque cursors, `meta {has_more, after_cursor, before_cursor}` and
    /// `links {next, prev}`.
    func page(_ c: ZendeskCall, _ key: String, _ items: [JSON], extra: [String: JSON] = [:]) -> ServerResponse {
        if let size = c.query("page[size]") {
            let n = min(100, max(1, Int(size) ?? 100))
            var start = 0
            if let after = c.query("page[after]"), !after.isEmpty {
                guard let position = Self.decodeCursor(after) else {
                    return ZendeskRefusal.badRequest("Invalid cursor", error: "InvalidPaginationParameter").response
                }
                start = Int(position.0)
            } else if let before = c.query("page[before]"), !before.isEmpty, let position = Self.decodeCursor(before) {
                start = max(0, Int(position.0) - n)
            }
            start = min(start, items.count)
            let end = min(items.count, start + n)
            let hasMore = end < items.count
            func link(_ name: String, _ cursor: String) -> JSON {
                var pairs = c.request.queryItems.filter {
                    !$0.0.hasPrefix("page[after]") && !$0.0.hasPrefix("page[before]")
                }
                pairs.append((name, cursor))
                return .string("\(c.baseURL)/api/v2/\(c.parts.joined(separator: "/")).json?\(FormDecoding.body(pairs))")
            }
            let afterCursor = Self.encodeCursor((Int64(end), 0)), beforeCursor = Self.encodeCursor((Int64(start), 0))
            var o: [String: JSON] = [
                key: .array(Array(items[start..<end])),
                "meta": [
                    "has_more": .bool(hasMore), "after_cursor": hasMore ? .string(afterCursor) : .null,
                    "before_cursor": start > 0 ? .string(beforeCursor) : .null,
                ],
                "links": [
                    "next": hasMore ? link("page[after]", afterCursor) : .null,
                    "prev": start > 0 ? link("page[before]", beforeCursor) : .null,
                ],
            ]
            for (k, v) in extra { o[k] = v }
            return .json(200, .object(o))
        }
        let perPage = min(100, max(1, Int(c.query("per_page") ?? "") ?? 100))
        let number = max(1, Int(c.query("page") ?? "") ?? 1)
        let start = min(items.count, (number - 1) * perPage)
        let slice = Array(items[start..<min(items.count, start + perPage)])
        func link(_ n: Int) -> JSON {
            var pairs = c.request.queryItems.filter { $0.0 != "page" }
            pairs.append(("page", String(n)))
            return .string("\(c.baseURL)/api/v2/\(c.parts.joined(separator: "/")).json?\(FormDecoding.body(pairs))")
        }
        var o: [String: JSON] = [
            key: .array(slice), "next_page": start + perPage < items.count ? link(number + 1) : nil,
            "previous_page": number > 1 ? link(number - 1) : nil, "count": JSON(items.count),
        ]
        for (k, v) in extra { o[k] = v }
        return .json(200, .object(o))
    }
}
