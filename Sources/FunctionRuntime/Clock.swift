import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time and the ISO-8601 forms the vendors use.
public enum Clock {
    public static func now() -> Date { Date() }

    /// `2026-11-20T10:00:00Z` (whole seconds, UTC).
    public static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// Parses ISO-8601 timestamps with or without fractional seconds, `Z` or a numeric offset.
    public static func parse(_ text: String) -> Date? {
        let t = text.trimmed()
        if let d = try? Date(t, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) { return d }
        if let d = try? Date(t, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return nil
    }

    /// Milliseconds on a monotonic clock, for durations.
    public static func monotonicMS() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}
