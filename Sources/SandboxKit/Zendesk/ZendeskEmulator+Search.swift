import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `GET /api/v2/search` and the cursor-based incremental ticket export.
extension ZendeskEmulator {
    static let maxSearchResults = 1000

    /// A ticket search term as a predicate. Supported: `type:ticket`, `status:`/`status<`/`status>`
    /// (new < open < pending < hold < solved < closed), `tags:`/`tag:`, `requester:` (id or email),
    /// `assignee:`, `group:`, `brand:`, `external_id:`, `via:`, `subject:`, `created`/`updated`/`solved`
    /// with `<`, `>`, `:` and an ISO date(-time) or a relative age (`4hours`, `2days`), and bare
    /// words (subject, description or comment text). A leading `-` negates a term.
    func ticketPredicate(_ rawTerm: String, now: Date) throws -> (ZendeskTicket) -> Bool {
        var term = Substring(rawTerm)
        let negate = term.hasPrefix("-")
        if negate { term = term.dropFirst() }
        guard let opIndex = term.firstIndex(where: { $0 == ":" || $0 == "<" || $0 == ">" }) else {
            let word = term.lowercased()
            let test: (ZendeskTicket) -> Bool = { t in
                ([t.subject ?? "", t.description ?? ""] + t.comments.map(\.body)).contains {
                    $0.lowercased().contains(word)
                }
            }
            return negate ? { !test($0) } : test
        }
        let key = term[..<opIndex].lowercased()
        var op = String(term[opIndex])
        var value = String(term[term.index(after: opIndex)...])
        if value.hasPrefix("=") { op += "="; value.removeFirst() }
        let test: (ZendeskTicket) -> Bool
        switch key {
        case "type" where op == ":" && value == "ticket":
            test = { _ in true }
        case "status":
            guard let rank = Self.statuses.firstIndex(of: value.lowercased()) else { throw invalidTerm(rawTerm) }
            test = { t in
                let r = Self.statuses.firstIndex(of: t.status) ?? 0
                switch op {
                case "<": return r < rank
                case ">": return r > rank
                case "<=": return r <= rank
                case ">=": return r >= rank
                default: return r == rank
                }
            }
        case "tags", "tag":
            guard op == ":" else { throw invalidTerm(rawTerm) }
            let wanted = value.split(separator: ",").map(String.init)
            test = { t in wanted.contains { t.tags.contains($0) } }
        case "requester", "assignee", "submitter":
            guard op == ":" else { throw invalidTerm(rawTerm) }
            test = { t in
                let id: Int64? = key == "requester" ? t.requesterID : (key == "assignee" ? t.assigneeID : t.submitterID)
                if value == "none" { return id == nil }
                guard let id else { return false }
                if String(id) == value { return true }
                let user = self.users[id]
                return user?["email"].string?.lowercased() == value.lowercased() || user?["phone"].string == value
                    || user?["name"].string?.lowercased() == value.lowercased()
            }
        case "group", "brand", "organization":
            guard op == ":" else { throw invalidTerm(rawTerm) }
            test = { t in
                let id = key == "group" ? t.groupID : (key == "brand" ? t.brandID : t.organizationID)
                if value == "none" { return id == nil }
                guard let id else { return false }
                let table = key == "group" ? self.groups : (key == "brand" ? self.brands : [:])
                return String(id) == value || table[id]?["name"].string?.lowercased() == value.lowercased()
            }
        case "external_id":
            guard op == ":" else { throw invalidTerm(rawTerm) }
            test = { $0.externalID == value }
        case "via":
            test = { $0.via["channel"].string == value || (value == "api" && $0.via["channel"].string == "api") }
        case "subject":
            test = { ($0.subject ?? "").lowercased().contains(value.lowercased()) }
        case "priority":
            guard let rank = Self.priorities.firstIndex(of: value.lowercased()) else { throw invalidTerm(rawTerm) }
            test = { t in
                guard let p = t.priority.flatMap({ Self.priorities.firstIndex(of: $0) }) else { return false }
                return op.hasPrefix("<")
                    ? p < rank || (op == "<=" && p == rank)
                    : op.hasPrefix(">") ? p > rank || (op == ">=" && p == rank) : p == rank
            }
        case "ticket_type":
            test = { $0.type == value.lowercased() }
        case "created", "updated", "solved":
            guard let bound = Self.searchTime(value, now: now) else { throw invalidTerm(rawTerm) }
            test = { t in
                let text = key == "created" ? t.createdAt : (key == "updated" ? t.updatedAt : t.solvedAt)
                guard let moment = text.flatMap(Clock.parse) else { return false }
                switch op {
                case "<": return moment < bound.start
                case ">": return moment >= bound.end
                case "<=": return moment < bound.end
                case ">=": return moment >= bound.start
                default: return moment >= bound.start && moment < bound.end
                }
            }
        default:
            throw invalidTerm(rawTerm)
        }
        return negate ? { !test($0) } : test
    }

    func invalidTerm(_ term: String) -> ZendeskRefusal {
        ZendeskRefusal.badRequest("Invalid search: the term \(term) is not supported", error: "invalid")
    }

    /// A search date: `2026-11-20` (that whole UTC day), a full ISO-8601 time, or a relative age
    /// (`4hours`, `30minutes`, `2days`, `1week`, `3months`, `1year`) meaning that long ago.
    static func searchTime(_ value: String, now: Date) -> (start: Date, end: Date)? {
        let digits = value.prefix { $0.isNumber }
        if !digits.isEmpty, let n = Double(digits) {
            var unit = String(value.dropFirst(digits.count)).lowercased()
            if unit.hasSuffix("s") { unit.removeLast() }
            let seconds: Double?
            switch unit {
            case "minute": seconds = 60
            case "hour": seconds = 3600
            case "day": seconds = 86400
            case "week": seconds = 7 * 86400
            case "month": seconds = 30 * 86400
            case "year": seconds = 365 * 86400
            default: seconds = nil
            }
            if let seconds {
                let t = now.addingTimeInterval(-n * seconds)
                return (t, t)
            }
        }
        if value.count == 10, let day = Clock.parse(value + "T00:00:00Z") {
            return (day, day.addingTimeInterval(86400))
        }
        if let t = Clock.parse(value) { return (t, t.addingTimeInterval(1)) }
        return nil
    }

    /// `GET /api/v2/search?query=…[&sort_by=&sort_order=]`: tickets (and `type:user` users) in
    /// `results` with `result_type`, plus `count`; offset pages of up to 100, and results beyond
    /// 1000 are not returned.
    func search(_ c: ZendeskCall) throws -> ServerResponse {
        guard let query = c.query("query")?.trimmed(), !query.isEmpty else {
            throw ZendeskRefusal.badRequest("The query parameter is required", error: "invalid")
        }
        let terms = Self.searchTerms(query)
        var results: [JSON]
        if terms.contains("type:user") {
            results = try searchUsers(terms.filter { $0 != "type:user" }.joined(separator: " "))
                .map { userView(c, $0).merging(["result_type": "user"]) }
        } else {
            if terms.contains(where: { $0.hasPrefix("type:") && $0 != "type:ticket" }) {
                results = []
            } else {
                let tests = try terms.map { try ticketPredicate($0, now: c.now) }
                var found = tickets.values.filter { t in tests.allSatisfy { $0(t) } }.sorted { $0.id < $1.id }
                if let sortBy = c.query("sort_by") {
                    let ascending = c.query("sort_order") == "asc"
                    let key: (ZendeskTicket) -> String
                    switch sortBy {
                    case "updated_at": key = { $0.updatedAt }
                    case "created_at": key = { $0.createdAt }
                    case "status": key = { String(Self.statuses.firstIndex(of: $0.status) ?? 0) }
                    case "priority":
                        key = { String(($0.priority.flatMap { Self.priorities.firstIndex(of: $0) } ?? -1) + 1) }
                    case "ticket_type": key = { $0.type ?? "" }
                    default: throw ZendeskRefusal.badRequest("sort_by \(sortBy) is invalid", error: "invalid")
                    }
                    found.sort { ascending ? key($0) < key($1) : key($0) > key($1) }
                }
                results = found.map { $0.view(baseURL: c.baseURL).merging(["result_type": "ticket"]) }
            }
        }
        let count = results.count
        results = Array(results.prefix(Self.maxSearchResults))
        var reply = page(c, "results", results, extra: ["facets": nil])
        if var body = try? JSON.parse(reply.body) {
            body["count"] = JSON(count)
            reply = .json(200, body)
        }
        return reply
    }

    /// The sideloads the cursor-based ticket export answers: the tickets sideloads Zendesk lists
    /// for it, `last_audits` excepted ("for performance reasons"). Others are ignored, as Zendesk
    /// ignores an unknown sideload.
    static let exportSideloads: Set<String> = ["users", "groups", "brands", "metric_sets", "organizations"]

    /// `GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>` or `?cursor=`: tickets
    /// ordered by (updated_at, id) after the position — leaving out those updated in the last
    /// minute, as Zendesk does — `after_cursor`, and `end_of_stream` true on the last page. At most
    /// `export_rate_limit` requests a minute (Zendesk: 10, 30 with the high-volume add-on): 429 +
    /// `Retry-After` beyond. `include=users,groups,brands,metric_sets,organizations` sideloads
    /// the records the page's tickets name.
    func incrementalTickets(_ c: ZendeskCall) throws -> ServerResponse {
        if let wait = exportLimiter.admit(now: c.now.timeIntervalSince1970) {
            return Self.throttled(retryAfter: wait)
        }
        var after: (Int64, Int64)
        if let cursor = c.query("cursor"), !cursor.isEmpty {
            guard let position = Self.decodeCursor(cursor) else {
                throw ZendeskRefusal.badRequest("Invalid cursor", error: "InvalidPaginationParameter")
            }
            after = position
        } else if let start = c.query("start_time").flatMap({ Int64($0) }) {
            if Double(start) > c.now.timeIntervalSince1970 {
                throw ZendeskRefusal.badRequest("start_time cannot be in the future", error: "InvalidValue")
            }
            after = (start, 0)
        } else {
            throw ZendeskRefusal.badRequest("start_time (unix seconds) or cursor is required", error: "InvalidValue")
        }
        let perPage = min(1000, max(1, Int(c.query("per_page") ?? "") ?? 1000))
        // Zendesk leaves out what changed in the last minute (it may still be changing).
        let horizon = Int64(c.now.timeIntervalSince1970) - 60
        let index = exportOrder()
        let lo = Self.firstIndex(index) { $0 > after }
        let hi = max(lo, Self.firstIndex(index) { $0.0 >= horizon })
        let page = index[lo..<min(hi, lo + perPage)]
        let slice = page.compactMap { tickets[$0.1] }
        if let last = page.last { after = last }
        let remainingCount = hi - lo
        let cursor = Self.encodeCursor(after)
        var body: [String: JSON] = [
            "tickets": .array(slice.map { $0.view(baseURL: c.baseURL) }),
            "after_cursor": .string(cursor),
            "after_url": .string(
                "\(c.baseURL)/api/v2/incremental/tickets/cursor.json?cursor=\(FormDecoding.encode(cursor))"),
            "before_cursor": nil, "before_url": nil,
            "end_of_stream": .bool(remainingCount <= perPage),
        ]
        let include = Set((c.query("include") ?? "").split(separator: ",").map { $0.trimmed() })
            .intersection(Self.exportSideloads)
        if include.contains("users") {
            let ids = Set(slice.flatMap { t in [t.requesterID, t.submitterID] + (t.assigneeID.map { [$0] } ?? []) })
            body["users"] = .array(ids.sorted().compactMap { users[$0] }.map { userView(c, $0) })
        }
        if include.contains("groups") {
            let ids = Set(slice.compactMap(\.groupID))
            body["groups"] = .array(ids.sorted().compactMap { groups[$0] }.map { groupView(c, $0) })
        }
        if include.contains("brands") {
            let ids = Set(slice.compactMap(\.brandID))
            body["brands"] = .array(ids.sorted().compactMap { brands[$0] }.map { brandView(c, $0) })
        }
        if include.contains("organizations") { body["organizations"] = [] }
        if include.contains("metric_sets") {
            body["metric_sets"] = .array(slice.map { metricSet($0, baseURL: c.baseURL) })
        }
        return .json(200, .object(body))
    }

    /// The tickets in export order, rebuilt only after they changed (a large account is read
    /// page after page with nothing changing in between).
    func exportOrder() -> [(Int64, Int64)] {
        if exportIndexVersion != ticketsVersion {
            exportIndex = tickets.values.map { (Int64(Clock.parse($0.updatedAt)?.timeIntervalSince1970 ?? 0), $0.id) }
                .sorted { $0 < $1 }
            exportIndexVersion = ticketsVersion
        }
        return exportIndex
    }

    /// The first position in sorted `list` where `isAfter` holds (it holds from there on).
    static func firstIndex(_ list: [(Int64, Int64)], _ isAfter: ((Int64, Int64)) -> Bool) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if isAfter(list[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    static func encodeCursor(_ position: (Int64, Int64)) -> String {
        Crypto.base64(Array("\(position.0):\(position.1)".utf8))
    }

    static func decodeCursor(_ cursor: String) -> (Int64, Int64)? {
        guard let bytes = Crypto.base64Decode(cursor) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, let a = Int64(parts[0]), let b = Int64(parts[1]) else { return nil }
        return (a, b)
    }
}
