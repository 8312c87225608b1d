import FunctionRuntime
import ServiceClients

/// The brand filter's one rule: pass an event whose brand is selected, drop the others.
public enum BrandFilterRules {
    /// What happens to one event.
    public enum Decision: Sendable, Equatable {
        case pass(brandID: String?)
        /// `reason` is `brand_not_selected` or `no_brand`.
        case filter(brandID: String?, reason: String)
    }

    /// The event's brand id (`ZendeskWebhookEvent.brandID(of:)`: `detail.brand_id`,
    /// `ticket.brand_id`, `ticket.brand.id`, then `brand_id`; null, empty and `0` mean no brand).
    public static func brandID(of event: JSON) -> String? { ZendeskWebhookEvent.brandID(of: event) }

    /// Passes everything with `.all`; with a list, passes only events whose brand is listed (an
    /// event without a brand is dropped).
    public static func decide(event: JSON, selection: BrandSelection) -> Decision {
        decide(brandID: brandID(of: event), selection: selection)
    }

    /// The decision for an event whose brand is `brand` (nil: none).
    public static func decide(brandID brand: String?, selection: BrandSelection) -> Decision {
        switch selection {
        case .all:
            return .pass(brandID: brand)
        case .only(let ids):
            guard let brand else { return .filter(brandID: nil, reason: "no_brand") }
            return ids.contains(brand) ? .pass(brandID: brand) : .filter(brandID: brand, reason: "brand_not_selected")
        }
    }
}
