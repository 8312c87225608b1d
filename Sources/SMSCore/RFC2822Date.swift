/// Reads the RFC 2822 dates Twilio puts in message resources (`Sat, 21 Nov 2026 13:30:06 +0000`).
public enum RFC2822Date {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970-01-01 UTC, or nil when the text is not such a date.
    public static func epochSeconds(_ text: String) -> Int64? {
        var parts = text.split(separator: " ").map(String.init)
        if let first = parts.first, first.hasSuffix(",") { parts.removeFirst() }
        guard parts.count >= 4, let day = Int64(parts[0]),
              let monthIndex = months.firstIndex(of: parts[1].lowercased().prefix(3).description),
              let year = Int64(parts[2]) else { return nil }
        let hms = parts[3].split(separator: ":").compactMap { Int64($0) }
        guard hms.count >= 2 else { return nil }
        var offset: Int64 = 0
        if parts.count >= 5, let zone = Int64(parts[4].replacingAll("+", with: "")), parts[4].count == 5 {
            let sign: Int64 = parts[4].hasPrefix("-") ? -1 : 1
            let v = abs(zone)
            offset = sign * ((v / 100) * 3600 + (v % 100) * 60)
        }
        let days = daysFromCivil(year, Int64(monthIndex + 1), day)
        return days * 86400 + hms[0] * 3600 + hms[1] * 60 + (hms.count > 2 ? hms[2] : 0) - offset
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Seconds since 1970 of an ISO-8601 UTC time (`2026-11-20T10:00:00Z`, fractions and
    /// `±hh:mm` offsets allowed), or nil.
    public static func isoEpochSeconds(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        guard chars.count >= 19 else { return nil }
        func num(_ a: Int, _ b: Int) -> Int64? { Int64(String(decoding: chars[a..<b], as: UTF8.self)) }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13), let mi = num(14, 16), let s = num(17, 19) else { return nil }
        var offset: Int64 = 0
        if let signIndex = chars[19...].firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }), chars.count >= signIndex + 6,
           let oh = num(signIndex + 1, signIndex + 3), let om = num(signIndex + 4, signIndex + 6) {
            offset = (chars[signIndex] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
        }
        return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    }
}

import FunctionRuntime
