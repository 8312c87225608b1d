import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time and the ISO-8601 forms the vendors use.
///
/// Formatting and parsing are done by hand on UTC fields: Foundation's `ISO8601FormatStyle`
/// builds a calendar and a time zone on first use, which alone costs more than the rest of a
/// function's start.
public enum Clock {
    public static func now() -> Date { Date() }

    /// `2026-11-20T10:00:00Z` (whole seconds, UTC).
    public static func iso8601(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var f = tm()
        gmtime_r(&t, &f)
        var out = [UInt8]()
        out.reserveCapacity(20)
        func put(_ v: Int32, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var n = Int(v)
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10
            }
            out.append(contentsOf: digits)
        }
        put(f.tm_year + 1900, 4); out.append(UInt8(ascii: "-")); put(f.tm_mon + 1, 2); out.append(UInt8(ascii: "-"));
        put(f.tm_mday, 2)
        out.append(UInt8(ascii: "T")); put(f.tm_hour, 2); out.append(UInt8(ascii: ":")); put(f.tm_min, 2);
        out.append(UInt8(ascii: ":")); put(f.tm_sec, 2)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)` (a space may replace `T`), or a
    /// date alone (`YYYY-MM-DD`, midnight UTC). Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.trimmed().utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var v = 0
            for k in i..<(i + count) {
                guard b[k] >= 48 && b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool { if i < b.count && b[i] == c { i += 1; return true }; return false }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offset = 0
        if i < b.count {
            guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "t")),
                let h = number(2), expect(UInt8(ascii: ":")), let m = number(2), expect(UInt8(ascii: ":")),
                let s = number(2),
                h < 24, m < 60, s <= 60
            else { return nil }
            hour = h; minute = m; second = s
            if expect(UInt8(ascii: ".")) {
                var scale = 0.1
                let start = i
                while i < b.count, b[i] >= 48 && b[i] <= 57 {
                    fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1
                }
                if i == start { return nil }
            }
            if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = number(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                guard let om = number(2) else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
            guard i == b.count else { return nil }
        }
        var f = tm()
        f.tm_year = Int32(year - 1900); f.tm_mon = Int32(month - 1); f.tm_mday = Int32(day)
        f.tm_hour = Int32(hour); f.tm_min = Int32(minute); f.tm_sec = Int32(second)
        let seconds = timegm(&f)
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }

    /// Parses the RFC 2822 / IMF-fixdate forms of HTTP `Date` headers and Twilio's resources:
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sat, 21 Nov 2026 13:30:06 +0000` (the weekday is
    /// optional; `GMT`/`UT`/`Z` or a `±hhmm` offset). Nil for anything else.
    public static func parseRFC2822(_ text: String) -> Date? {
        var parts = text.trimmed().split(separator: " ").map(String.init)
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard parts.count == 5, let day = Int(parts[0]), (1...31).contains(day),
            let month = months.firstIndex(of: parts[1].lowercased()), let year = Int(parts[2]), parts[2].count == 4
        else { return nil }
        let hms = parts[3].split(separator: ":")
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 && Int($0) != nil }) else { return nil }
        let zone = parts[4]
        var offset = ""
        switch zone.uppercased() {
        case "GMT", "UT", "UTC", "Z": offset = "Z"
        default:
            guard zone.count == 5, zone.first == "+" || zone.first == "-", Int(zone.dropFirst()) != nil else {
                return nil
            }
            offset = String(zone.prefix(3)) + ":" + String(zone.suffix(2))
        }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return parse("\(year)-\(two(month + 1))-\(two(day))T\(parts[3])\(offset)")
    }

    /// The IMF-fixdate form of HTTP dates (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`
    /// (English names whatever the locale).
    public static func httpDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) "
            + "\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }

    /// Milliseconds on a monotonic clock, for durations.
    public static func monotonicMS() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }

    /// Sleeps for `seconds` (resumed after signals until the time has passed).
    public static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var left = timespec()
        while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
    }
}
