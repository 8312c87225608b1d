import FoundationEssentials
import FunctionRuntime

/// `report [--since 30d] [--until DATE] [--brand ID] [--channel sms|all] [--format html|json|csv]
/// [--out FILE] [--export-rate N] [--zendesk-rate N] [--progress live|plain|none] [--page-size N]`.
public struct ReportOptions: Sendable, Equatable {
    public enum Format: String, Sendable { case html, json, csv }
    public enum Channel: String, Sendable { case sms, all }

    public var window: HistoryWindow
    public var brand: Int64?
    public var channel: Channel = .all
    public var format: Format = .html
    public var out: String?
    public var export = ExportSettings()

    public static let usage = """
        Usage: ./invoke report [--since 30d] [--until DATE] [--brand ID] [--channel sms|all]
                               [--format html|json|csv] [--out FILE] [--export-rate N] [--zendesk-rate N]
          The support dashboard of the Klaviyo Inbox for a Zendesk account: tickets created, solved and
          reopened per day; first reply and full resolution times (median, p90), also per assignee,
          tag, channel and brand. Read from Zendesk's incremental export within its quota (10
          requests a minute; 30 with the high-volume add-on: --export-rate 30). --channel sms: the
          tickets the SMS bridge made (tag sms) or Zendesk's own SMS channel. Written to standard
          output unless --out.
        """

    public init(window: HistoryWindow) { self.window = window }

    public static func parse(_ arguments: [String], now: Int64) throws -> ReportOptions {
        var o = ReportOptions(window: HistoryWindow(since: now - 30 * 86400, until: now))
        var since: Int64?
        var until: Int64?
        var args = HistoryArguments(arguments, usage: usage, now: now)
        while let a = args.next() {
            switch a {
            case "--since": since = try args.time(a)
            case "--until": until = try args.time(a)
            case "--brand":
                let v = try args.value(a)
                guard let id = Int64(v), id > 0 else { throw HistoryError(.usage, "--brand \(v): a brand id") }
                o.brand = id
            case "--channel":
                let v = try args.value(a)
                guard let c = Channel(rawValue: v) else { throw HistoryError(.usage, "--channel \(v): sms or all") }
                o.channel = c
            case "--format":
                let v = try args.value(a)
                guard let f = Format(rawValue: v) else {
                    throw HistoryError(.usage, "--format \(v): html, json or csv")
                }
                o.format = f
            case "--out": o.out = try args.value(a)
            default: guard try args.export(a, into: &o.export) else { throw args.unknown(a) }
            }
        }
        o.window = HistoryWindow(since: since ?? now - 30 * 86400, until: until ?? now)
        guard o.window.since < o.window.until else { throw HistoryError(.usage, "--since must be before --until") }
        return o
    }
}
