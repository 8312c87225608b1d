import FunctionRuntime

/// The brand filter's one rule: pass an event whose brand is selected, drop the others.
public enum BrandFilterRule {
    /// What happens to one event.
    public enum Decision: Sendable, Equatable {
        case pass(brandID: String?)
        /// `reason` is `brand_not_selected` or `no_brand`.
        case filter(brandID: String?, reason: String)
    }

    /// The event's brand id, as a decimal string, from the first of:
    /// `detail.brand_id` (event-subscription payload), `ticket.brand_id`, `ticket.brand.id`,
    /// `brand_id` (trigger bodies, e.g. `"brand_id":"{{ticket.brand.id}}"`). Null, empty and `0`
    /// mean "no brand".
    public static func brandID(of event: JSON) -> String? {
        for path in ["detail.brand_id", "ticket.brand_id", "ticket.brand.id", "brand_id"] {
            let v = event.at(path)
            if let s = v.nonEmptyString {
                if let n = Int64(s) { if n > 0 { return String(n) } else { continue } }
                return s
            }
        }
        return nil
    }

    /// Passes everything with `.all`; with a list, passes only events whose brand is listed (an
    /// event without a brand is dropped).
    public static func decide(event: JSON, selection: BrandSelection) -> Decision {
        let brand = brandID(of: event)
        switch selection {
        case .all:
            return .pass(brandID: brand)
        case .only(let ids):
            guard let brand else { return .filter(brandID: nil, reason: "no_brand") }
            return ids.contains(brand) ? .pass(brandID: brand) : .filter(brandID: brand, reason: "brand_not_selected")
        }
    }
}
