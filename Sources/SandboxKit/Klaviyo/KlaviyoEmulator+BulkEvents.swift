import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// `POST /api/event-bulk-create-jobs` (bulk_create_events, revision 2026-07-15): 202, empty body.
///
/// The body is an `event-bulk-create-job` whose `attributes."events-bulk-create".data` lists
/// `event-bulk-create` entries, each a `profile` (`data`: a profile resource with at least one
/// identifier) and its `events.data` (event resources checked like `POST /api/events`, without
/// a profile). Limits from the spec: at most 1,000 events and 5 MB per request (400 / 413),
/// 10/s burst and 150/min steady (429 + `Retry-After`; `bulk_burst_limit` / `bulk_rate_limit`
/// configure them). The spec: "If a unique_id is repeated for the same profile and metric, the
/// request will fail and no events will be processed" — read strictly here: a `unique_id`
/// repeated within the job or already recorded for that profile and metric refuses the whole job
/// (400), and nothing of it is recorded.
extension KlaviyoEmulator {
    static let bulkMaxEvents = 1000
    static let bulkMaxBytes = 5_000_000
    static let bulkEntryAttributes: Set<String> = ["profile", "events", "backfill"]
    static let bulkEventAttributes: Set<String> = [
        "properties", "time", "value", "value_currency", "unique_id", "backfill", "metric",
    ]

    func bulkCreateEvents(_ request: ServerRequest, context: EmulatorContext) throws -> ServerResponse {
        let now = Clock.monotonicMS() / 1000
        if let wait = bulkBurst.admit(now: now) ?? bulkSteady.admit(now: now) { throw KlaviyoError.throttled(wait) }
        if request.body.count > Self.bulkMaxBytes {
            throw KlaviyoError(413, "The maximum allowed payload size is 5MB.", code: "payload_too_large")
        }
        let body = try document(of: request)
        try Self.expectType(body["data"], "event-bulk-create-job", pointer: "/data/type")
        let base = "/data/attributes/events-bulk-create/data"
        guard let entries = body.at("data.attributes").object?["events-bulk-create"]?["data"].array else {
            throw KlaviyoError(400, "'events-bulk-create' is a required property.", pointer: "/data/attributes")
        }
        struct Planned {
            var profile: JSON
            var event: CheckedEvent
            var backfill: Bool
        }
        var planned: [Planned] = []
        var seen: Set<String> = []
        for (n, entry) in entries.enumerated() {
            let at = "\(base)/\(n)"
            try Self.expectType(entry, "event-bulk-create", pointer: "\(at)/type")
            guard let attributes = entry["attributes"].object else {
                throw KlaviyoError(400, "'attributes' is a required property.", pointer: "\(at)/attributes")
            }
            for key in attributes.keys where !Self.bulkEntryAttributes.contains(key) {
                throw KlaviyoError(400, "'\(key)' is not a valid field.", pointer: "\(at)/attributes/\(key)")
            }
            let profile = entry.at("attributes.profile.data")
            try Self.expectType(profile, "profile", pointer: "\(at)/attributes/profile/data/type")
            guard let events = entry.at("attributes.events").object?["data"]?.array else {
                throw KlaviyoError(400, "'events' is a required property.", pointer: "\(at)/attributes/events")
            }
            // Who the profile is, before anything is created: an existing profile's id, else its
            // identifiers (a new profile has no events yet, so only repeats within the job count).
            let who = try existingProfileID(profile) ?? profileIdentity(profile, pointer: "\(at)/attributes/profile")
            for (k, e) in events.enumerated() {
                let eventAt = "\(at)/attributes/events/data/\(k)"
                try Self.expectType(e, "event", pointer: "\(eventAt)/type")
                guard let ea = e["attributes"].object else {
                    throw KlaviyoError(400, "'attributes' is a required property.", pointer: "\(eventAt)/attributes")
                }
                let checked = try checkEvent(
                    ea, base: "\(eventAt)/attributes", allowed: Self.bulkEventAttributes, context: context)
                let key = Self.eventKey(
                    profileID: who, metric: checked.metric, uniqueID: checked.uniqueID, time: checked.time)
                if seen.contains(key) || eventKeys.contains(key) {
                    bulkRefusals += 1
                    throw KlaviyoError(
                        400,
                        "The unique_id '\(checked.uniqueID ?? checked.time)' is repeated for the same profile and metric; no events were processed.",
                        code: "duplicate_unique_id", pointer: "\(eventAt)/attributes/unique_id")
                }
                seen.insert(key)
                planned.append(
                    Planned(
                        profile: profile, event: checked,
                        backfill: checked.backfill || attributes["backfill"]?.bool == true))
            }
            if planned.count > Self.bulkMaxEvents {
                throw KlaviyoError(400, "A bulk create job accepts at most 1,000 events.", pointer: base)
            }
        }
        for p in planned {
            let index = try resolveProfile(p.profile, context: context)
            let profileID = profiles[index]["id"].string ?? ""
            storeEvent(
                metric: p.event.metric, profileID: profileID, properties: .object(p.event.properties),
                time: p.event.time,
                uniqueID: p.event.uniqueID, value: p.event.value, currency: p.event.currency, backfill: p.backfill,
                received: context.nowISO)
        }
        context.log("klaviyo bulk job recorded \(planned.count) events")
        return ServerResponse(status: 202, headers: [("Content-Type", Self.mediaType)])
    }

    /// The id of the existing profile a bulk entry names (by id, email, phone_number or
    /// external_id, as `resolveProfile` finds it), nil when it would be created.
    func existingProfileID(_ data: JSON) -> String? { findProfile(data).flatMap { profiles[$0]["id"].string } }

    /// A stand-in id for a profile not created yet: its identifiers; 400 when it has none.
    func profileIdentity(_ data: JSON, pointer: String) throws -> String {
        let a = data["attributes"]
        let parts = ["email", "phone_number", "external_id"].compactMap { a[$0].nonEmptyString }
        guard !parts.isEmpty || data["id"].string != nil else {
            throw KlaviyoError(
                400, "A profile identifier (id, email, phone_number or external_id) is required.",
                pointer: "\(pointer)/data/attributes")
        }
        return "new:" + (data["id"].string ?? parts.joined(separator: "|"))
    }
}
