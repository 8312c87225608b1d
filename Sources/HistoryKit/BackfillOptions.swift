import FoundationEssentials
import FunctionRuntime

/// `backfill --since DATE [--until DATE] [--brands ID,ID] [--apply] [--state FILE] [--list]
/// [--json] [--export-rate N] [--zendesk-rate N] [--bulk-rate N] [--progress live|plain|none] [--page-size N]`.
public struct BackfillOptions: Sendable, Equatable {
    public var window: HistoryWindow
    /// False when `--until` was left out (now): a resumed run then keeps the first run's end.
    public var untilGiven = false
    public var brands: [Int64] = []
    public var apply = false
    public var statePath: String?
    /// Print each planned event (the Klaviyo event body) as one JSON line on standard output.
    public var list = false
    public var json = false
    public var export = ExportSettings()
    /// Klaviyo's bulk jobs a minute (150 steady).
    public var bulkRate = 150

    public static let usage = """
        Usage: ./invoke backfill --since DATE [--until DATE] [--brands ID,ID] [--apply] [--state FILE]
                                 [--list] [--json] [--export-rate N] [--zendesk-rate N] [--bulk-rate N]
                                 [--progress live|plain|none] [--page-size N]
          Sends the "Opened Ticket" / "Resolved Ticket" history of the tickets created / closed in
          [since, until) to Klaviyo (backfill: true, the live unique_id). Dry run unless --apply: the
          plan (counts per metric and brand, a sample body) and nothing written. DATE: 2026-01-31,
          2026-01-31T12:00:00Z or an age (90d). --until defaults to now. With --apply the run is
          resumable: the state file (default under the bundle's state folder) holds the cursor and
          counts after each page; run the same command again to go on.
          Quotas (requests a minute): --export-rate 10 (30 with Zendesk's high-volume add-on),
          --zendesk-rate 200 (your plan's API limit), --bulk-rate 150 (Klaviyo's steady bulk limit).
        """

    public init(window: HistoryWindow) { self.window = window }

    public static func parse(_ arguments: [String], now: Int64) throws -> BackfillOptions {
        var since: Int64?
        var until: Int64?
        var o = BackfillOptions(window: HistoryWindow(since: 0, until: now))
        var args = HistoryArguments(arguments, usage: usage, now: now)
        while let a = args.next() {
            switch a {
            case "--since": since = try args.time(a)
            case "--until": until = try args.time(a)
            case "--brands":
                let v = try args.value(a)
                if v != "all" {
                    let ids = v.split(separator: ",").map { Int64($0.trimmed()) }
                    guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else {
                        throw HistoryError(.usage, "--brands \(v): brand ids separated by commas, or all")
                    }
                    o.brands = ids.compactMap { $0 }.sorted()
                }
            case "--apply": o.apply = true
            case "--state": o.statePath = try args.value(a)
            case "--list": o.list = true
            case "--json": o.json = true
            case "--bulk-rate": o.bulkRate = try args.rate(a)
            default: guard try args.export(a, into: &o.export) else { throw args.unknown(a) }
            }
        }
        guard let since else { throw HistoryError(.usage, "--since is required\n\(usage)") }
        o.window = HistoryWindow(since: since, until: until ?? now)
        o.untilGiven = until != nil
        guard o.window.since < o.window.until else { throw HistoryError(.usage, "--since must be before --until") }
        return o
    }

    /// The state file when none is given: one per window and brand choice in `directory`.
    public func defaultStatePath(directory: String) -> String {
        let brandPart = brands.isEmpty ? "all" : brands.map(String.init).joined(separator: "-")
        let end = untilGiven ? String(window.until) : "now"
        return "\(directory)/backfill-\(window.since)-\(end)-\(brandPart).json"
    }
}
