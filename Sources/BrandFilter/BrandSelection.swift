import BundleCore
import FunctionRuntime

/// Which Zendesk brands the bundle syncs (`ZENDESK_BRANDS`): `all` (the default) or a
/// comma-separated list of brand ids. One brand per Klaviyo account is the recommended set-up.
public enum BrandSelection: Sendable, Equatable {
    case all
    case only(Set<String>)

    /// Reads `ZENDESK_BRANDS`. Unset, empty or `all` (any case) selects every brand; otherwise
    /// each comma-separated item must be a numeric brand id (`.configMissing` if not).
    public init(config: Config) throws {
        let text = config.value(ConfigKey.zendeskBrands)
        // A stream asks once per event with the same setting: parsed once per process.
        if let cached = Self.parsed.withLock({ $0 }), cached.text == text {
            self = cached.selection
            return
        }
        try self.init(parsing: text)
        let selection = self
        Self.parsed.withLock { $0 = (text, selection) }
    }

    private static let parsed = PlainMutex<(text: String?, selection: BrandSelection)?>(nil)

    public init(parsing value: String?) throws {
        let text = (value ?? "").trimmed()
        if text.isEmpty || text.lowercased() == "all" { self = .all; return }
        let items = text.split(separator: ",").map { $0.trimmed() }.filter { !$0.isEmpty }
        for item in items where Int64(item) == nil || item.hasPrefix("-") || item.hasPrefix("+") {
            throw RuntimeError(
                .configMissing,
                "ZENDESK_BRANDS must be `all` or comma-separated brand ids, got \(item.debugDescription)")
        }
        if items.isEmpty { self = .all; return }
        self = .only(Set(items.map { String(Int64($0)!) }))
    }
}
