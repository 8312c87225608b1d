import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// Profiles: `GET /api/profiles?filter=equals(field,"value")`, `GET /api/profiles/{id}`,
/// `GET /api/profiles/{id}/conversation`.
extension KlaviyoEmulator {
    /// The profile attributes Klaviyo stores (besides `id`, `created`, `updated`, `subscriptions`).
    static let profileAttributes = [
        "email", "phone_number", "external_id", "anonymous_id", "first_name", "last_name",
        "organization", "locale", "title", "image", "location", "properties",
    ]
    /// The fields `equals(…)` may filter on.
    static let filterFields = ["id", "email", "phone_number", "external_id"]
    static let consents = ["SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED"]
    static let additionalFields = ["subscriptions", "predictive_analytics"]

    func profile(id: String) -> JSON? { profiles.first { $0["id"].string == id } }

    /// A profile record from a seed or from an event's profile attributes. SMS consent comes from
    /// `subscriptions.sms.{marketing,transactional}.consent` (default NEVER_SUBSCRIBED).
    func newProfile(_ spec: JSON, context: EmulatorContext) throws -> JSON {
        let stamp = context.nowISO
        var p: [String: JSON] = [:]
        for key in Self.profileAttributes where key != "anonymous_id" { p[key] = .null }
        p["id"] = .string(spec["id"].string ?? EmulatorSupport.klaviyoID())
        p["created"] = .string(stamp)
        p["updated"] = .string(stamp)
        for (key, value) in spec.object ?? [:] where !["subscriptions", "id", "predictive_analytics"].contains(key) {
            p[key] = value
        }
        p["predictive_analytics"] = try Self.predictiveAnalytics(spec["predictive_analytics"])
        if let phone = p["phone_number"]?.string, !EmulatorSupport.isE164(phone) {
            throw KlaviyoError(
                400, "Invalid phone number format '\(phone)'; use E.164.", pointer: "/data/attributes/phone_number")
        }
        let sms = spec.at("subscriptions.sms")
        p["subscriptions"] = [
            "sms": [
                "marketing": try Self.consent(sms["marketing"], channel: "marketing", stamp: stamp),
                "transactional": try Self.consent(sms["transactional"], channel: "transactional", stamp: stamp),
            ]
        ]
        return .object(p)
    }

    /// The members of Klaviyo's `PredictiveAnalytics` schema (all nullable).
    static let predictiveMembers = [
        "historic_clv", "predicted_clv", "total_clv", "historic_number_of_orders", "predicted_number_of_orders",
        "average_days_between_orders", "average_order_value", "churn_probability", "expected_date_of_next_order",
        "ranked_channel_affinity",
    ]

    /// A profile's predictive analytics from a seed: every member of the schema, null unless
    /// seeded (Klaviyo leaves them null for accounts and profiles that do not qualify). `total_clv`
    /// is the sum of historic and predicted CLV when both are given.
    static func predictiveAnalytics(_ spec: JSON) throws -> JSON {
        var record: [String: JSON] = [:]
        for key in predictiveMembers { record[key] = .null }
        for (key, value) in spec.object ?? [:] {
            guard predictiveMembers.contains(key) else {
                throw RuntimeError(.usage, "predictive_analytics has no member \(key.debugDescription)")
            }
            record[key] = value
        }
        if record["total_clv"]?.isNull == true, let h = record["historic_clv"]?.double,
            let p = record["predicted_clv"]?.double
        {
            record["total_clv"] = .double(h + p)
        }
        return .object(record)
    }

    static func consent(_ spec: JSON, channel: String, stamp: String) throws -> JSON {
        let consent = spec["consent"].string ?? "NEVER_SUBSCRIBED"
        guard consents.contains(consent) else {
            throw RuntimeError(.usage, "sms \(channel) consent must be one of \(consents)")
        }
        let never = consent == "NEVER_SUBSCRIBED"
        var record: JSON = [
            "can_receive_sms_\(channel)": .bool(consent == "SUBSCRIBED"), "consent": .string(consent),
            "consent_timestamp": never ? .null : .string(stamp), "method": never ? .null : "TEXT",
            "method_detail": "", "last_updated": .string(stamp),
        ]
        record = record.merging(spec)
        return record
    }

    /// True when the profile may receive SMS (marketing or transactional consent).
    func hasSMSConsent(_ profile: JSON) -> Bool {
        let sms = profile.at("subscriptions.sms")
        return sms.at("marketing.consent").string == "SUBSCRIBED"
            || sms.at("transactional.consent").string == "SUBSCRIBED"
            || sms.at("marketing.can_receive_sms_marketing").bool == true
            || sms.at("transactional.can_receive_sms_transactional").bool == true
    }

    /// The JSON:API resource of a profile; `additional` names the additional fields asked for
    /// (`subscriptions`, `predictive_analytics`), which are left out otherwise.
    func resource(_ profile: JSON, request: ServerRequest, additional: Set<String>) -> JSON {
        var attributes = profile.object ?? [:]
        let id = profile["id"].string ?? ""
        attributes["id"] = nil
        for field in Self.additionalFields where !additional.contains(field) { attributes[field] = nil }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        return [
            "type": "profile", "id": .string(id), "attributes": .object(attributes),
            "relationships": [
                "lists": [
                    "links": [
                        "self": .string("\(base)/api/profiles/\(id)/relationships/lists/"),
                        "related": .string("\(base)/api/profiles/\(id)/lists/"),
                    ]
                ],
                "segments": [
                    "links": [
                        "self": .string("\(base)/api/profiles/\(id)/relationships/segments/"),
                        "related": .string("\(base)/api/profiles/\(id)/segments/"),
                    ]
                ],
            ],
            "links": ["self": .string("\(base)/api/profiles/\(id)/")],
        ]
    }

    /// `additional-fields[profile]`: a comma list of known names (400 otherwise).
    func additionalFields(_ request: ServerRequest) throws -> Set<String> {
        guard let value = request.queryValue("additional-fields[profile]") else { return [] }
        let names = value.split(separator: ",").map { $0.trimmed() }
        for n in names where !Self.additionalFields.contains(n) {
            throw KlaviyoError(
                400, "'\(n)' is not a valid field for additional-fields[profile].",
                parameter: "additional-fields[profile]")
        }
        return Set(names)
    }

    func listProfiles(_ request: ServerRequest) throws -> ServerResponse {
        let additional = try additionalFields(request)
        var found = profiles
        if let filter = request.queryValue("filter") {
            let (field, value) = try Self.parseFilter(filter)
            found = found.filter { $0[field].string == value }
        }
        var size = 20
        if let s = request.queryValue("page[size]") {
            guard let n = Int(s), (1...100).contains(n) else {
                throw KlaviyoError(400, "page[size] must be an integer between 1 and 100.", parameter: "page[size]")
            }
            size = n
        }
        let data = found.prefix(size).map { resource($0, request: request, additional: additional) }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        return Self.document(
            200,
            [
                "data": .array(Array(data)),
                "links": ["self": .string("\(base)/api/profiles/"), "next": .null, "prev": .null],
            ])
    }

    /// Parses `equals(field,"value")` (after query decoding). A value that begins with a space
    /// followed by a digit on `phone_number` is a `+` that was not percent-encoded: refused.
    static func parseFilter(_ text: String) throws -> (String, String) {
        let t = text.trimmed()
        guard let open = t.firstIndex(of: "("), t.hasSuffix(")") else {
            throw KlaviyoError(400, "Invalid filter provided: '\(text)'.", parameter: "filter")
        }
        let op = String(t[..<open])
        let inner = t[t.index(after: open)..<t.index(before: t.endIndex)]
        guard let comma = inner.firstIndex(of: ",") else {
            throw KlaviyoError(400, "Invalid filter provided: '\(text)'.", parameter: "filter")
        }
        let field = inner[..<comma].trimmed()
        let literal = inner[inner.index(after: comma)...].trimmed()
        guard op == "equals" else {
            throw KlaviyoError(
                400, "Filter operation '\(op)' is not allowed for this field; use equals.", parameter: "filter")
        }
        guard filterFields.contains(field) else {
            throw KlaviyoError(
                400, "'\(field)' is not a valid field for filtering profiles with equals.", parameter: "filter")
        }
        guard literal.count >= 2, literal.hasPrefix("\""), literal.hasSuffix("\"") else {
            throw KlaviyoError(
                400, "Invalid filter provided: string values must be in double quotes.", parameter: "filter")
        }
        let value = String(literal.dropFirst().dropLast())
        if field == "phone_number" {
            if value.hasPrefix(" ") {
                throw KlaviyoError(
                    400, "Invalid phone number '\(value)' in filter: a '+' must be sent URL-encoded as %2B.",
                    parameter: "filter")
            }
        }
        return (field, value)
    }

    func getProfile(_ request: ServerRequest, id: String) throws -> ServerResponse {
        let additional = try additionalFields(request)
        guard let p = profile(id: id) else { throw KlaviyoError(404, "A profile with id \(id) does not exist.") }
        return Self.document(200, ["data": resource(p, request: request, additional: additional)])
    }

    func profileConversation(_ request: ServerRequest, id: String) throws -> ServerResponse {
        guard profile(id: id) != nil else { throw KlaviyoError(404, "A profile with id \(id) does not exist.") }
        guard let c = conversations.first(where: { $0["profile_id"].string == id }), let cid = c["id"].string else {
            throw KlaviyoError(404, "No conversation exists for profile \(id).")
        }
        let base = "http://\(request.header("host") ?? "127.0.0.1")\(prefix)"
        return Self.document(
            200,
            [
                "data": [
                    "type": "conversation", "id": .string(cid),
                    "attributes": ["channel": c["channel"].isNull ? "sms" : c["channel"]],
                    "links": ["self": .string("\(base)/api/conversations/\(cid)/")],
                ],
                "links": ["self": .string("\(base)/api/profiles/\(id)/conversation/")],
            ])
    }
}
