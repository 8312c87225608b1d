import FunctionRuntime
import ServiceClients

/// What `brand-filter` reads of an event: its brand, nothing else.
public struct BrandFilterEvent: Sendable, Equatable {
    /// The brand id (`ZendeskWebhookEvent.brandID(of:)`), nil when the event names none.
    public var brandID: String?

    public init(brandID: String?) { self.brandID = brandID }

    /// The brand paths as member names (`detail.brand_id` → `["detail", "brand_id"]`).
    static let paths = ZendeskWebhookEvent.brandPathMembers

    /// Reads the brand from the bytes with `JSONScanner` (the document is checked whole but not
    /// built), then applies the one brand rule of `ZendeskWebhookEvent` to the members it found.
    /// A Zendesk event is a JSON object: an array, a string or a number is bad input
    /// (`.invalidEvent`), never passed on.
    public init(raw: [UInt8]) throws {
        let (root, values) = try JSONScanner.scan(raw, paths: Self.paths)
        guard root == .object else { throw RuntimeError(.invalidEvent, "the event must be a JSON object") }
        var found: JSON = [:]
        for (path, value) in zip(Self.paths, values) {
            if let value { found = Self.setting(found, path[...], value) }
        }
        brandID = ZendeskWebhookEvent.brandID(of: found)
    }

    static func setting(_ doc: JSON, _ path: ArraySlice<String>, _ value: JSON) -> JSON {
        guard let key = path.first else { return value }
        var object = doc.object ?? [:]
        object[key] = setting(object[key] ?? [:], path.dropFirst(), value)
        return .object(object)
    }
}
