import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `POST /api/events` (create_event): 202 with an empty body.
///
/// The body follows `EventCreateQueryV2`: `data.type` "event"; `data.attributes` with
/// `properties` (an object of at most 400 keys), `metric.data` (type "metric", `attributes.name`
/// under 128 characters), `profile.data` (type "profile", with at least one of id, email,
/// phone_number (E.164), external_id), optional `time` (ISO-8601, after 1990, at most a year
/// ahead), `value` (number), `value_currency`, `unique_id`, `backfill`. The profile is found by
/// id, email, phone_number or external_id, or created. An event with the same profile, metric
/// and `unique_id` (or, without one, the same time to the second) is recorded once.
extension KlaviyoEmulator {
    static let eventAttributes: Set<String> = [
        "properties", "time", "value", "value_currency", "unique_id", "backfill", "metric", "profile",
    ]
    static let eventProfileAttributes: Set<String> = [
        "email", "phone_number", "external_id", "anonymous_id", "_kx", "first_name",
        "last_name", "organization", "locale", "title", "image", "location",
        "properties", "meta",
    ]

    static func eventKey(profileID: String, metric: String, uniqueID: String?, time: String) -> String {
        [profileID, metric, uniqueID ?? "time:" + time].joined(separator: "\u{1F}")
    }

    /// An event's attributes, checked (everything but the profile).
    struct CheckedEvent {
        var metric: String
        var properties: [String: JSON]
        var time: String
        var uniqueID: String?
        var value: JSON
        var currency: JSON
        var backfill: Bool
    }

    /// Checks an event's attributes against `EventCreateQueryV2` (the bulk job's events the same,
    /// `profile` aside), pointers under `base` (`/data/attributes`).
    func checkEvent(
        _ attributes: [String: JSON], base: String, allowed: Set<String>, context: EmulatorContext
    ) throws -> CheckedEvent {
        for key in attributes.keys where !allowed.contains(key) {
            throw KlaviyoError(
                400, "'\(key)' is not a valid field for the resource 'event'.", pointer: "\(base)/\(key)")
        }
        guard let properties = attributes["properties"]?.object else {
            throw KlaviyoError(
                400, "'properties' is a required property and must be an object.", pointer: "\(base)/properties")
        }
        if properties.count > 400 {
            throw KlaviyoError(
                400, "Event properties must not exceed 400 properties (got \(properties.count)).",
                pointer: "\(base)/properties")
        }
        let metricData = (attributes["metric"] ?? .null)["data"]
        try Self.expectType(metricData, "metric", pointer: "\(base)/metric/data/type")
        guard let metric = metricData.at("attributes.name").string, !metric.isEmpty else {
            throw KlaviyoError(400, "'name' is a required property.", pointer: "\(base)/metric/data/attributes/name")
        }
        if metric.count >= 128 {
            throw KlaviyoError(
                400, "Metric name must be less than 128 characters.", pointer: "\(base)/metric/data/attributes/name")
        }
        try Self.expectOptional(attributes["value"], pointer: "\(base)/value", "a number") {
            if case .int = $0 { return true }; if case .double = $0 { return true }; return false
        }
        for key in ["unique_id", "value_currency"] {
            try Self.expectOptional(attributes[key], pointer: "\(base)/\(key)", "a string") {
                if case .string = $0 { return true }; return false
            }
        }
        try Self.expectOptional(attributes["backfill"], pointer: "\(base)/backfill", "a boolean") {
            if case .bool = $0 { return true }; return false
        }
        let time = try eventTime(attributes["time"] ?? .null, context: context, pointer: "\(base)/time")
        return CheckedEvent(
            metric: metric, properties: properties, time: time, uniqueID: attributes["unique_id"]?.string,
            value: attributes["value"] ?? .null, currency: attributes["value_currency"] ?? .null,
            backfill: attributes["backfill"]?.bool ?? false)
    }

    func createEvent(_ request: ServerRequest, context: EmulatorContext) throws -> ServerResponse {
        let body = try document(of: request)
        let data = body["data"]
        try Self.expectType(data, "event", pointer: "/data/type")
        guard let attributes = data["attributes"].object else {
            throw KlaviyoError(400, "'attributes' is a required property.", pointer: "/data/attributes")
        }
        let event = try checkEvent(
            attributes, base: "/data/attributes", allowed: Self.eventAttributes, context: context)
        // profile
        let profileData = data.at("attributes.profile.data")
        try Self.expectType(profileData, "profile", pointer: "/data/attributes/profile/data/type")
        guard profileData["attributes"].object != nil else {
            throw KlaviyoError(
                400, "'attributes' is a required property.", pointer: "/data/attributes/profile/data/attributes")
        }
        let profileIndex = try resolveProfile(profileData, context: context)
        let profileID = profiles[profileIndex]["id"].string ?? ""
        let metric = event.metric
        let key = Self.eventKey(profileID: profileID, metric: metric, uniqueID: event.uniqueID, time: event.time)
        if !eventKeys.contains(key) {
            storeEvent(
                metric: metric, profileID: profileID, properties: .object(event.properties), time: event.time,
                uniqueID: event.uniqueID, value: event.value, currency: event.currency, backfill: event.backfill,
                received: context.nowISO)
            context.log("klaviyo event \"\(metric)\" recorded for profile \(profileID)")
        } else {
            context.log("klaviyo event \"\(metric)\" for profile \(profileID) deduplicated")
        }
        return ServerResponse(status: 202, headers: [("Content-Type", Self.mediaType)])
    }

    /// Records one event with the fields `GET /api/events` lists, and its dedupe key (profile,
    /// metric, `unique_id` — or the time without one); returns its id. The caller checked the key.
    @discardableResult
    func storeEvent(
        id: String = EmulatorSupport.klaviyoID(), metric: String, profileID: String, properties: JSON, time: String,
        uniqueID: String?, value: JSON = .null, currency: JSON = .null, backfill: Bool, received: String
    ) -> String {
        events.append([
            "id": .string(id), "metric": .string(metric), "profile_id": .string(profileID), "properties": properties,
            "time": .string(time), "value": value, "value_currency": currency, "unique_id": JSON(uniqueID),
            "backfill": .bool(backfill), "received": .string(received),
        ])
        eventKeys.insert(Self.eventKey(profileID: profileID, metric: metric, uniqueID: uniqueID, time: time))
        return id
    }

    static func expectType(_ resource: JSON, _ type: String, pointer: String) throws {
        guard resource.object != nil else {
            throw KlaviyoError(
                400, "'data' is a required property and must be an object.", pointer: String(pointer.dropLast(5)))
        }
        guard let t = resource["type"].string else {
            throw KlaviyoError(400, "'type' is a required property.", pointer: pointer)
        }
        guard t == type else {
            throw KlaviyoError(
                409, "'\(t)' is not a valid type for this resource; expected '\(type)'.", pointer: pointer)
        }
    }

    static func expectOptional(_ value: JSON?, pointer: String, _ what: String, _ ok: (JSON) -> Bool) throws {
        guard let value, !value.isNull else { return }
        guard ok(value) else { throw KlaviyoError(400, "Invalid value: must be \(what).", pointer: pointer) }
    }

    /// The event time as ISO-8601 to the second (now when absent).
    func eventTime(_ value: JSON, context: EmulatorContext, pointer: String = "/data/attributes/time") throws -> String
    {
        guard !value.isNull else { return context.nowISO }
        guard let text = value.string, let date = Clock.parse(text) else {
            throw KlaviyoError(400, "Invalid date-time for 'time'; use ISO-8601.", pointer: pointer)
        }
        let t = date.timeIntervalSince1970
        if t < 631_152_000 || date > context.now.addingTimeInterval(365 * 86400) {
            throw KlaviyoError(
                400, "Event time must be after 1990 and at most 1 year in the future.", pointer: pointer)
        }
        return Clock.iso8601(Date(timeIntervalSince1970: t.rounded(.down)))
    }

    /// Finds the event's profile by id, email, phone_number or external_id, creating it when none
    /// matches; returns its index in `profiles`.
    func resolveProfile(_ data: JSON, context: EmulatorContext) throws -> Int {
        let pointer = "/data/attributes/profile/data/attributes"
        var given = (data["attributes"].object ?? [:]).filter { !$0.value.isNull }
        for key in given.keys where !Self.eventProfileAttributes.contains(key) {
            throw KlaviyoError(
                400, "'\(key)' is not a valid field for the resource 'profile'.", pointer: "\(pointer)/\(key)")
        }
        if let phone = given["phone_number"] {
            guard let p = phone.string, EmulatorSupport.isE164(p) else {
                throw KlaviyoError(
                    400, "Invalid phone number format; use E.164 (e.g. +15005550006).",
                    pointer: "\(pointer)/phone_number")
            }
        }
        if let email = given["email"] {
            guard let e = email.string, EmulatorSupport.isEmail(e) else {
                throw KlaviyoError(400, "Invalid email address.", pointer: "\(pointer)/email")
            }
        }
        given["meta"] = nil
        if let index = findProfile(data) {
            for (key, value) in given where Self.profileAttributes.contains(key) {
                if profiles[index][key].isNull || !Self.filterFields.contains(key) { profiles[index][key] = value }
            }
            profiles[index]["updated"] = .string(context.nowISO)
            indexProfile(index)
            return index
        }
        guard
            data["id"].string != nil
                || ["email", "phone_number", "external_id", "anonymous_id", "_kx"].contains(where: {
                    given[$0]?.string?.isEmpty == false
                })
        else {
            throw KlaviyoError(
                400, "A profile identifier (id, email, phone_number or external_id) is required.", pointer: pointer)
        }
        var spec = JSON.object(given.filter { Self.profileAttributes.contains($0.key) })
        if let id = data["id"].string { spec["id"] = .string(id) }
        profiles.append(try newProfile(spec, context: context))
        indexProfile(profiles.count - 1)
        return profiles.count - 1
    }
}
