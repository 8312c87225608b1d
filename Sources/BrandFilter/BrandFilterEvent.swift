import FunctionRuntime
import ServiceClients

/// What `brand-filter` reads of an event: its brand, nothing else.
public struct BrandFilterEvent: Sendable, Equatable {
    /// The brand id (`ZendeskWebhookEvent.brandID(of:)`), nil when the event names none.
    public var brandID: String?

    public init(brandID: String?) { self.brandID = brandID }

    /// A Zendesk event is a JSON object: an array, a string or a number is bad input
    /// (`.invalidEvent`), never passed on.
    public init(_ json: JSON) throws {
        guard json.object != nil else { throw RuntimeError(.invalidEvent, "the event must be a JSON object") }
        brandID = ZendeskWebhookEvent.brandID(of: json)
    }
}
