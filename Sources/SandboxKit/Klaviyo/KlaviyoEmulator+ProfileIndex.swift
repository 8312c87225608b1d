import FoundationEssentials
import FunctionRuntime

/// Finding a profile by identifier without scanning them all (a backfill resolves a profile per
/// event, over hundreds of thousands of profiles). The index keeps, per identifier field and
/// value, the first profile holding it — what a scan in creation order would find.
extension KlaviyoEmulator {
    static let identityFields = ["id", "email", "phone_number", "external_id"]

    static func lookupKey(_ field: String, _ value: String) -> String { field + "\u{1F}" + value }

    /// Indexes the identifiers of the profile at `i` (after it was added or changed).
    func indexProfile(_ i: Int) {
        for field in Self.identityFields {
            guard let value = profiles[i][field].string else { continue }
            let key = Self.lookupKey(field, value)
            if let existing = profileLookup[key], existing <= i,
                profiles[existing][field].string == value
            {
                continue
            }
            profileLookup[key] = i
        }
    }

    /// Rebuilds the index (after profiles were replaced or restored).
    func reindexProfiles() {
        profileLookup = [:]
        for i in profiles.indices { indexProfile(i) }
    }

    /// The profile a profile resource names: by `id`, else by its `email`, `phone_number` or
    /// `external_id` attribute, in that order (how Klaviyo matches an event's profile).
    func findProfile(_ data: JSON) -> Int? {
        if let id = data["id"].string, let i = profileIndex("id", id) { return i }
        for field in ["email", "phone_number", "external_id"] {
            if let v = data["attributes"][field].string, let i = profileIndex(field, v) { return i }
        }
        return nil
    }

    /// The index of the first profile whose `field` is `value`.
    func profileIndex(_ field: String, _ value: String) -> Int? {
        guard let i = profileLookup[Self.lookupKey(field, value)], i < profiles.count,
            profiles[i][field].string == value
        else { return nil }
        return i
    }
}
