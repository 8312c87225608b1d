import FoundationEssentials
import FunctionRuntime

/// Reads a history command's arguments one by one, with the values both commands take: the
/// window's ends and the export's settings.
struct HistoryArguments {
    let arguments: [String]
    let usage: String
    let now: Int64
    private var i = -1

    init(_ arguments: [String], usage: String, now: Int64) {
        self.arguments = arguments
        self.usage = usage
        self.now = now
    }

    /// The next option, nil at the end.
    mutating func next() -> String? {
        i += 1
        return i < arguments.count ? arguments[i] : nil
    }

    /// The value after option `name`.
    mutating func value(_ name: String) throws -> String {
        i += 1
        guard i < arguments.count else { throw HistoryError(.usage, "\(name) needs a value\n\(usage)") }
        return arguments[i]
    }

    /// A count per minute above 0.
    mutating func rate(_ name: String) throws -> Int {
        let v = try value(name)
        guard let n = Int(v), n > 0 else { throw HistoryError(.usage, "\(name) \(v): a count per minute above 0") }
        return n
    }

    /// A time (see `HistoryWindow.parseTime`).
    mutating func time(_ name: String) throws -> Int64 {
        try HistoryWindow.parseTime(try value(name), now: now, option: name)
    }

    /// Reads `option` into `settings` when it is one of the export's; false when it is not.
    mutating func export(_ option: String, into settings: inout ExportSettings) throws -> Bool {
        switch option {
        case "--export-rate": settings.exportRate = try rate(option)
        case "--zendesk-rate": settings.zendeskRate = try rate(option)
        case "--progress":
            let v = try value(option)
            guard let style = ExportProgress.Style(rawValue: v) else {
                throw HistoryError(.usage, "--progress \(v): live, plain or none")
            }
            settings.progress = style
        case "--page-size":
            let v = try value(option)
            guard let n = Int(v), (1...1000).contains(n) else {
                throw HistoryError(.usage, "--page-size \(v): 1 to 1000 tickets")
            }
            settings.pageSize = n
        default: return false
        }
        return true
    }

    func unknown(_ option: String) -> HistoryError {
        option == "-h" || option == "--help"
            ? HistoryError(.help, usage) : HistoryError(.usage, "unknown option \(option)\n\(usage)")
    }
}

/// How a command reads the export: its quotas (requests a minute: the export — Zendesk's 10, 30
/// with the high-volume add-on — and the account's whole API, 200–2,500 by plan, which the export
/// counts against too), the page size and the progress line.
public struct ExportSettings: Sendable, Equatable {
    public var exportRate = 10
    public var zendeskRate = 200
    /// Tickets per export page (1–1,000, Zendesk's `per_page`; default 1,000).
    public var pageSize: Int?
    public var progress: ExportProgress.Style?

    public init() {}

    /// The two pacers of the export (the export's, then the account's).
    func pacers() -> [QuotaPacer] {
        [QuotaPacer(name: "export", perMinute: exportRate), QuotaPacer(name: "zendesk", perMinute: zendeskRate)]
    }
}

/// A client for one long call of a history command: `seconds` to answer, 5xx retried by the
/// client, 429 left to the caller's pacer (which honours its `Retry-After` and counts it).
func pacedClient(transport: HTTPTransport, seconds: Double = 120) -> HTTPClient {
    var policy = RetryPolicy()
    policy.retryStatuses = [502, 503, 504]
    return HTTPClient(deadline: Deadline(seconds: seconds), policy: policy, transport: transport)
}
