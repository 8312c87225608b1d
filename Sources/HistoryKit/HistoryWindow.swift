import FoundationEssentials
import FunctionRuntime

/// The time window a backfill or a report covers: `[since, until)` in Unix seconds.
public struct HistoryWindow: Sendable, Equatable {
    public var since: Int64
    public var until: Int64

    public init(since: Int64, until: Int64) {
        self.since = since
        self.until = until
    }

    /// `2026-11-20T10:00:00Z` for Unix seconds.
    public static func iso(_ seconds: Int64) -> String { Clock.iso8601(Date(timeIntervalSince1970: Double(seconds))) }

    /// `{"since", "until"}` as ISO-8601 (in the backfill's summary and the report's JSON).
    public var json: JSON { ["since": .string(Self.iso(since)), "until": .string(Self.iso(until))] }

    /// True when `time` (ISO-8601) falls in the window.
    public func contains(_ time: String?) -> Bool {
        guard let t = time.flatMap(Clock.parse) else { return false }
        let s = Int64(t.timeIntervalSince1970.rounded(.down))
        return s >= since && s < until
    }

    /// Reads `2026-01-31`, `2026-01-31T12:00:00Z`, or an age before `now`: `30d` (whole days:
    /// 30 days before today's 00:00 UTC, so the same command run again names the same window — a
    /// backfill resumes by it), `12h`, `90m`.
    public static func parseTime(_ text: String, now: Int64, option: String) throws -> Int64 {
        let t = text.trimmed()
        if let last = t.last, let n = Int64(t.dropLast()), n >= 0 {
            switch last {
            case "d": return now - now % 86400 - n * 86400
            case "h": return now - n * 3600
            case "m": return now - n * 60
            default: break
            }
        }
        let iso = t.count == 10 ? t + "T00:00:00Z" : t
        guard let date = Clock.parse(iso) else {
            throw HistoryError(
                .usage, "\(option) \(text): use a date (2026-01-31), a time (2026-01-31T12:00:00Z) or an age (30d, 12h)"
            )
        }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
