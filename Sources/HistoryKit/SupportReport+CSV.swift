import FoundationEssentials
import FunctionRuntime

/// The report as one CSV table (RFC 4180): a `section` column says what each row is — `total`, a
/// `day`, or a group (`assignee`, `tag`, `channel`, `brand`); the other columns are the JSON's.
extension SupportReport {
    static let csvHeader = [
        "section", "key", "name", "date", "created", "solved", "reopened", "first_reply_count",
        "first_reply_median_min", "first_reply_p90_min", "full_resolution_count", "full_resolution_median_min",
        "full_resolution_p90_min",
    ]

    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingAll("\"", with: "\"\"") + "\"" : s
    }

    static func row(_ section: String, key: String, name: String, date: String, _ c: Counts) -> String {
        let n: (Int?) -> String = { $0.map(String.init) ?? "" }
        return [
            section, key, name, date, String(c.created), String(c.solved), String(c.reopened),
            String(c.firstReply.minutes.count), n(c.firstReply.median), n(c.firstReply.p90),
            String(c.fullResolution.minutes.count), n(c.fullResolution.median), n(c.fullResolution.p90),
        ].map(field).joined(separator: ",")
    }

    public var csv: String {
        var lines = [Self.csvHeader.joined(separator: ",")]
        lines.append(Self.row("total", key: "", name: "", date: "", totals))
        for d in days { lines.append(Self.row("day", key: "", name: "", date: d.day, d.counts)) }
        for dim in Dimension.allCases {
            for g in sorted(dim) { lines.append(Self.row(dim.rawValue, key: g.key, name: g.name, date: "", g.counts)) }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
