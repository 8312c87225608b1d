import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Users, groups and brands.
extension ZendeskEmulator {
    static let userWritable: Set<String> = [
        "name", "email", "phone", "role", "external_id", "skip_verify_email", "verified", "alias", "details",
        "notes", "organization_id", "tags", "time_zone", "locale", "locale_id", "user_fields", "identities",
        "custom_role_id", "default_group_id", "moderator", "only_private_comments", "restricted_agent",
        "signature", "suspended", "ticket_restriction", "shared_phone_number", "remote_photo_url", "iana_time_zone",
    ]

    /// A full user record from the given fields (defaults: end-user, unverified, UTC).
    func userRecord(_ spec: JSON, stamp: String) -> JSON {
        var id = spec["id"].int ?? 0
        if id == 0 {
            while users[nextUserID] != nil { nextUserID += 1 }
            id = nextUserID
            nextUserID += 1
        }
        var record: JSON = [
            "id": .int(id),
            "name": .string(spec["name"].nonEmptyString ?? spec["email"].string ?? spec["phone"].string ?? "Unknown"),
            "email": nil, "phone": nil, "role": "end-user", "external_id": nil, "active": true, "verified": false,
            "organization_id": nil, "tags": [], "user_fields": [:], "time_zone": "UTC", "locale": "en-US",
            "shared_phone_number": nil, "suspended": false, "created_at": .string(stamp), "updated_at": .string(stamp),
            // The rest of Zendesk's documented user object (users.yml, UserObject).
            "alias": "", "custom_role_id": nil, "default_group_id": nil, "details": "", "iana_time_zone": "Etc/UTC",
            "last_login_at": nil, "locale_id": 1, "moderator": false, "notes": "", "only_private_comments": false,
            "photo": nil, "report_csv": false, "restricted_agent": true, "role_type": nil, "shared": false,
            "shared_agent": false, "signature": nil, "ticket_restriction": "requested", "two_factor_auth_enabled": nil,
        ]
        for (k, v) in spec.object ?? [:] where k != "skip_verify_email" && k != "identities" && k != "id" {
            record[k] = v
        }
        record["verified"] = .bool(spec["skip_verify_email"].bool == true || spec["verified"].bool == true)
        return record
    }

    func brandRecord(_ spec: JSON, stamp: String) -> JSON {
        let id = spec["id"].int ?? 0
        return JSON.object([
            "name": .string("Brand \(id)"), "subdomain": .string("brand\(id)"), "active": true, "default": false,
            "brand_url": .string("https://brand\(id).zendesk.com"), "host_mapping": nil, "has_help_center": false,
            "created_at": .string(stamp), "updated_at": .string(stamp),
        ]).merging(spec)
    }

    func groupRecord(_ spec: JSON, stamp: String) -> JSON {
        let id = spec["id"].int ?? 0
        return JSON.object([
            "name": .string("Group \(id)"), "description": "", "default": false, "deleted": false,
            "is_public": true, "created_at": .string(stamp), "updated_at": .string(stamp),
        ]).merging(spec)
    }

    func userView(_ c: ZendeskCall, _ user: JSON) -> JSON {
        user.merging(["url": .string("\(c.baseURL)/api/v2/users/\(user["id"].int ?? 0).json")])
    }

    func isStaff(_ userID: Int64) -> Bool {
        ["agent", "admin"].contains(users[userID]?["role"].string ?? "")
    }

    /// The user with this email (case-insensitive) or external id.
    func findUser(_ field: String, _ value: String?) -> JSON? {
        guard let value, !value.isEmpty else { return nil }
        return users.values.sorted { ($0["id"].int ?? 0) < ($1["id"].int ?? 0) }.first { user in
            field == "email" ? user["email"].string?.lowercased() == value.lowercased() : user[field].string == value
        }
    }

    /// Zendesk's validation of user input; `existing` is the user being updated.
    func validateUser(_ data: JSON, existing: JSON?) throws {
        if existing == nil && data["name"].nonEmptyString == nil {
            throw ZendeskRefusal.invalid("name", "Name: cannot be blank", error: "BlankValue")
        }
        if !data["email"].isNull {
            guard let email = data["email"].string, ZendeskFormat.isEmail(email) else {
                throw ZendeskRefusal.invalid("email", "Email: \(data["email"].string ?? "") is not properly formatted")
            }
        }
        if !data["phone"].isNull {
            guard let phone = data["phone"].string, ZendeskFormat.isE164(phone) else {
                throw ZendeskRefusal.invalid(
                    "phone",
                    "Phone: \(data["phone"].string ?? "") is not a valid phone number (E.164 format, such as +15551234567)"
                )
            }
        }
        if !data["role"].isNull, !Self.roles.contains(data["role"].string ?? "") {
            throw ZendeskRefusal.invalid("role", "Role: is not included in the list")
        }
        for field in ["email", "external_id"] {
            if let owner = findUser(field, data[field].string), owner["id"] != existing?["id"] {
                let label = field == "email" ? "Email" : "External"
                throw ZendeskRefusal.invalid(
                    field, "\(label): \(data[field].string ?? "") is already being used by another user",
                    error: "DuplicateValue")
            }
        }
    }

    func writableUserFields(_ data: JSON) -> JSON {
        .object((data.object ?? [:]).filter { Self.userWritable.contains($0.key) })
    }

    func createUser(_ c: ZendeskCall) throws -> ServerResponse {
        let data = try c.body(root: "user")
        try validateUser(data, existing: nil)
        let record = userRecord(writableUserFields(data), stamp: Clock.iso8601(c.now))
        users[record["id"].int!] = record
        c.context.log("zendesk: user \(record["id"].int!) created")
        return .json(201, ["user": userView(c, record)])
    }

    func updateUser(_ c: ZendeskCall, _ idText: String) throws -> ServerResponse {
        guard let id = Int64(idText), var user = users[id] else { throw ZendeskRefusal.notFound }
        let data = try c.body(root: "user")
        try validateUser(data, existing: user)
        for (k, v) in writableUserFields(data).object ?? [:] where k != "skip_verify_email" && k != "identities" {
            user[k] = v
        }
        user["updated_at"] = .string(Clock.iso8601(c.now))
        users[id] = user
        return .json(200, ["user": userView(c, user)])
    }

    /// Matches an existing user by email or external_id only (never phone): 200 updated, else 201 created.
    func createOrUpdateUser(_ c: ZendeskCall) throws -> ServerResponse {
        let data = try c.body(root: "user")
        guard
            let existing = findUser("email", data["email"].string)
                ?? findUser("external_id", data["external_id"].string),
            let id = existing["id"].int
        else {
            return try createUser(c)
        }
        return try updateUser(c, String(id))
    }

    func showUser(_ c: ZendeskCall, _ idText: String) throws -> ServerResponse {
        guard let id = Int64(idText), let user = users[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["user": userView(c, user)])
    }

    func showManyUsers(_ c: ZendeskCall) throws -> ServerResponse {
        guard let ids = Self.idList(c.query("ids")) else {
            throw ZendeskRefusal.badRequest("ids must be comma-separated user ids")
        }
        return page(c, "users", ids.compactMap { users[$0] }.map { userView(c, $0) })
    }

    /// `GET /api/v2/users/search?query=` (phone:, email:, external_id:, name:, role:, or bare
    /// values) or `?external_id=`.
    func searchUsersEndpoint(_ c: ZendeskCall) throws -> ServerResponse {
        let found: [JSON]
        if let external = c.query("external_id") {
            found = sortedUsers.filter { $0["external_id"].string == external }
        } else if let query = c.query("query") {
            found = try searchUsers(query)
        } else {
            throw ZendeskRefusal.badRequest("query or external_id is required")
        }
        return page(c, "users", found.map { userView(c, $0) })
    }

    var sortedUsers: [JSON] { users.values.sorted { ($0["id"].int ?? 0) < ($1["id"].int ?? 0) } }

    func searchUsers(_ query: String) throws -> [JSON] {
        var tests: [(JSON) -> Bool] = []
        for term in Self.searchTerms(query) {
            let pieces = term.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if pieces.count == 1 {
                let value = term.lowercased()
                if term.hasPrefix("+") {
                    tests.append { $0["phone"].string == term }
                } else if term.contains("@") {
                    tests.append { $0["email"].string?.lowercased() == value }
                } else {
                    tests.append { user in
                        [user["name"].string, user["email"].string, user["external_id"].string, user["phone"].string]
                            .compactMap { $0?.lowercased() }.contains { $0.contains(value) }
                    }
                }
                continue
            }
            let (key, value) = (pieces[0].lowercased(), pieces[1])
            switch key {
            case "email": tests.append { $0["email"].string?.lowercased() == value.lowercased() }
            case "name": tests.append { $0["name"].string?.lowercased().contains(value.lowercased()) == true }
            case "phone", "external_id", "role": tests.append { !value.isEmpty && $0[key].string == value }
            case "type" where value == "user": continue
            default: throw ZendeskRefusal.badRequest("Invalid search term \(term)", error: "invalid")
            }
        }
        return sortedUsers.filter { user in tests.allSatisfy { $0(user) } }
    }

    func listGroups(_ c: ZendeskCall) -> ServerResponse {
        page(c, "groups", groups.values.sorted { ($0["id"].int ?? 0) < ($1["id"].int ?? 0) }.map { groupView(c, $0) })
    }

    func showGroup(_ c: ZendeskCall, _ idText: String) throws -> ServerResponse {
        guard let id = Int64(idText), let group = groups[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["group": groupView(c, group)])
    }

    func groupView(_ c: ZendeskCall, _ group: JSON) -> JSON {
        group.merging(["url": .string("\(c.baseURL)/api/v2/groups/\(group["id"].int ?? 0).json")])
    }

    func listBrands(_ c: ZendeskCall) -> ServerResponse {
        page(c, "brands", brands.values.sorted { ($0["id"].int ?? 0) < ($1["id"].int ?? 0) }.map { brandView(c, $0) })
    }

    func showBrand(_ c: ZendeskCall, _ idText: String) throws -> ServerResponse {
        guard let id = Int64(idText), let brand = brands[id] else { throw ZendeskRefusal.notFound }
        return .json(200, ["brand": brandView(c, brand)])
    }

    func brandView(_ c: ZendeskCall, _ brand: JSON) -> JSON {
        brand.merging(["url": .string("\(c.baseURL)/api/v2/brands/\(brand["id"].int ?? 0).json")])
    }

    /// `1,2,3` → ids; nil when empty or not all numbers.
    static func idList(_ text: String?) -> [Int64]? {
        let parts = (text ?? "").split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
        let ids = parts.compactMap { Int64($0) }
        return ids.isEmpty || ids.count != parts.count ? nil : ids
    }

    /// Search query terms: white space separates, double quotes group (and are dropped).
    static func searchTerms(_ query: String) -> [String] {
        var terms: [String] = [], current = "", quoted = false
        for ch in query {
            if ch == "\"" { quoted.toggle(); continue }
            if ch.isWhitespace && !quoted {
                if !current.isEmpty { terms.append(current); current = "" }
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { terms.append(current) }
        return terms
    }
}
