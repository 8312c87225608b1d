import FunctionRuntime

/// Klaviyo's Bulk Create Events (`POST /api/event-bulk-create-jobs`, revision 2026-07-15):
/// up to 1,000 events and 5 MB per request, grouped by profile; 10/s burst, 150/min steady; 202
/// when accepted. The spec: "If a unique_id is repeated for the same profile and metric, the
/// request will fail and no events will be processed" — so a job must not repeat one, and a job
/// refused for it is sent again as single `POST /api/events` (which records the first and
/// ignores repeats).
public enum KlaviyoBulkEvents {
    public static let maxEvents = 1000
    public static let maxBytes = 5_000_000
    public static let path = "/api/event-bulk-create-jobs"

    /// The job body: one `event-bulk-create` entry per profile (by email, then phone, then
    /// external id), each with its events, in first-seen order. `backfill` is set on the entry
    /// and on each event that has it.
    public static func body(_ events: [KlaviyoEvent]) -> JSON {
        var order: [String] = []
        var byProfile: [String: [KlaviyoEvent]] = [:]
        for e in events {
            let key = [e.email ?? "", e.phoneNumber ?? "", e.externalID ?? ""].joined(separator: "\u{1F}")
            if byProfile[key] == nil { order.append(key) }
            byProfile[key, default: []].append(e)
        }
        let entries: [JSON] = order.map { key in
            let list = byProfile[key]!
            let first = list[0]
            var profile: JSON = [:]
            if let email = first.email { profile["email"] = .string(email) }
            if let phone = first.phoneNumber { profile["phone_number"] = .string(phone) }
            if let external = first.externalID { profile["external_id"] = .string(external) }
            let items: [JSON] = list.map { e in
                var a = e.body.at("data.attributes").object ?? [:]
                a.removeValue(forKey: "profile")  // the entry names the profile once
                return ["type": "event", "attributes": .object(a)]
            }
            var attributes: JSON = [
                "profile": ["data": ["type": "profile", "attributes": profile]],
                "events": ["data": .array(items)],
            ]
            if list.allSatisfy(\.backfill) { attributes["backfill"] = true }
            return ["type": "event-bulk-create", "attributes": attributes]
        }
        return [
            "data": [
                "type": "event-bulk-create-job",
                "attributes": ["events-bulk-create": ["data": .array(entries)]],
            ]
        ]
    }

    /// The dedupe key Klaviyo applies: profile, metric and `unique_id`.
    public static func key(_ e: KlaviyoEvent) -> String {
        [e.email ?? "", e.phoneNumber ?? "", e.externalID ?? "", e.metric, e.uniqueID ?? ""]
            .joined(separator: "\u{1F}")
    }
}

extension Klaviyo {
    /// Sends one bulk job (the caller keeps it within 1,000 events / 5 MB, no repeated
    /// `unique_id`) and returns the answer whatever its status: 202 accepted, 400 refused (a
    /// repeated `unique_id` among them), 429 with `Retry-After`.
    public func createEventsInBulk(_ body: [UInt8]) throws -> HTTPResponse {
        try client.send("POST", KlaviyoBulkEvents.path, body: body, contentType: Klaviyo.mediaType, retrySafe: true)
    }
}
