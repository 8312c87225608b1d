import FunctionRuntime

/// The `brand-filter` function: a filter stage in front of the other Zendesk functions.
///
/// A selected event is written out unchanged, byte for byte (so `brand-filter < e.json |
/// ticket-metrics` chains); a dropped one produces no output and exit 0, and `--stream` drops the
/// line. Over plain HTTP it answers `{"outcome":"passed"|"filtered"}`; as an invoker pipeline
/// stage, a filtered event ends the pipeline with 200.
public enum BrandFilterFunction {
    public static let definition = FunctionDefinition(
        name: "brand-filter",
        summary: "passes Zendesk events of the selected brands (ZENDESK_BRANDS), drops the others",
        details: """
            Input: a Zendesk event-subscription payload (detail.brand_id) or a trigger body carrying
            "brand_id" (or "ticket": {"brand_id"}). ZENDESK_BRANDS = all (default) or brand ids "1,2".
            An event without a brand passes only with `all`. A passing event is written out unchanged.
            """,
        signatures: [.zendesk],
        readsRawEvent: true
    ) { event, context in
        try BrandFilterHandler.handle(
            try BrandFilterEvent(raw: event.raw), selection: BrandSelection(config: context.config))
    }
}
