import FunctionRuntime

/// The output of `brand-filter` for one event: passed on unchanged, or dropped.
public enum BrandFilterHandler {
    public static func handle(_ event: BrandFilterEvent, selection: BrandSelection) -> FunctionOutput {
        switch BrandFilterRules.decide(brandID: event.brandID, selection: selection) {
        case .pass(let brand):
            return .passthrough(result: JSON.object(["outcome": "passed", "brand_id": JSON(brand)]).droppingNulls)
        case .filter(let brand, let reason):
            return .filtered(
                result: JSON.object(["outcome": "filtered", "reason": .string(reason), "brand_id": JSON(brand)])
                    .droppingNulls)
        }
    }
}
