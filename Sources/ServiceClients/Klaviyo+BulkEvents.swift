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

    /// One event as an entry's item, `{"type":"event","attributes":{…}}`, without the profile
    /// (the entry names it once).
    public static func item(_ e: KlaviyoEvent) -> [UInt8] {
        var a = e.body.at("data.attributes").object ?? [:]
        a.removeValue(forKey: "profile")
        return JSON.object(["type": "event", "attributes": .object(a)]).serializedBytes()
    }

    /// The job body from events and their serialized items (`item(_:)`): one `event-bulk-create`
    /// entry per profile (by email, then phone, then external id), each with its events, in
    /// first-seen order; `backfill` on the entry when every event of it has it. Written by
    /// concatenation, so each event is serialized once.
    public static func body(items: [(event: KlaviyoEvent, bytes: [UInt8])]) -> [UInt8] {
        var order: [String] = []
        var byProfile: [String: [Int]] = [:]
        for (i, x) in items.enumerated() {
            let e = x.event
            let key = [e.email ?? "", e.phoneNumber ?? "", e.externalID ?? ""].joined(separator: "\u{1F}")
            if byProfile[key] == nil { order.append(key) }
            byProfile[key, default: []].append(i)
        }
        var out = Array(#"{"data":{"type":"event-bulk-create-job","attributes":{"events-bulk-create":{"data":["#.utf8)
        for (n, key) in order.enumerated() {
            let members = byProfile[key]!
            let first = items[members[0]].event
            var profile: JSON = [:]
            if let email = first.email { profile["email"] = .string(email) }
            if let phone = first.phoneNumber { profile["phone_number"] = .string(phone) }
            if let external = first.externalID { profile["external_id"] = .string(external) }
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"type":"event-bulk-create","attributes":{"profile":"#.utf8)
            out += JSON.object(["data": ["type": "profile", "attributes": profile]]).serializedBytes()
            out += Array(#","events":{"data":["#.utf8)
            for (k, i) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out += items[i].bytes
            }
            out += Array("]}".utf8)
            if members.allSatisfy({ items[$0].event.backfill }) { out += Array(#","backfill":true"#.utf8) }
            out += Array("}}".utf8)
        }
        out += Array("]}}}}".utf8)
        return out
    }

    /// The job body for `events` (see `body(items:)`), as JSON.
    public static func body(_ events: [KlaviyoEvent]) -> JSON {
        (try? JSON.parse(body(items: events.map { ($0, item($0)) }))) ?? .null
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
