import FoundationEssentials
import FunctionRuntime
import ServiceClients

/// Seed 003's support dashboard, computed from the incremental export (pure: tickets in, numbers
/// out).
///
/// - Volume per day (UTC): tickets created, solved (the metric set's `solved_at`) and reopened.
///   The export carries how often a ticket was reopened (`reopens`), not when: a reopened ticket
///   is counted on the day it was last solved (or last updated, when it is not solved now).
/// - First reply time: the metric set's `reply_time_in_minutes.calendar` of the tickets created in
///   the window — Zendesk's own count, which a reopen does not reset. Full resolution time:
///   `full_resolution_time_in_minutes.calendar` of the tickets solved in the window.
/// - Medians and 90th percentiles by nearest rank (the smallest value with at least that share of
///   values at or below it), also per assignee, per tag, per channel (`via.channel`) and per brand.
/// - `--channel sms`: tickets tagged `sms` (the bridge's) or on Zendesk's own `sms` channel.
public struct SupportReport: Sendable {
    public static let sideloads = ["users", "brands", "metric_sets"]

    public struct Times: Sendable, Equatable {
        public var minutes: [Int] = []
        public var median: Int? { SupportReport.percentile(minutes, 0.5) }
        public var p90: Int? { SupportReport.percentile(minutes, 0.9) }
        public var json: JSON {
            [
                "count": .int(Int64(minutes.count)), "median": JSON(median.map { Int64($0) }),
                "p90": JSON(p90.map { Int64($0) }),
            ]
        }
    }

    public struct Counts: Sendable, Equatable {
        public var created = 0
        public var solved = 0
        public var reopened = 0
        public var firstReply = Times()
        public var fullResolution = Times()
    }

    public struct Group: Sendable, Equatable {
        public var key: String
        public var name: String
        public var counts = Counts()
    }

    public enum Dimension: String, Sendable, CaseIterable {
        case assignee, tag, channel, brand
    }

    public let window: HistoryWindow
    public let brand: Int64?
    public let channel: ReportOptions.Channel
    public private(set) var totals = Counts()
    /// Reopens in all (a ticket reopened twice counts 2 here, 1 in `reopened`).
    public private(set) var reopens = 0
    /// Per day `yyyy-mm-dd` (every day of the window, in order).
    public private(set) var days: [(day: String, counts: Counts)]
    private var dayIndex: [String: Int] = [:]
    public private(set) var groups: [Dimension: [String: Group]] = [:]

    public init(window: HistoryWindow, brand: Int64? = nil, channel: ReportOptions.Channel = .all) {
        self.window = window
        self.brand = brand
        self.channel = channel
        var list: [(String, Counts)] = []
        var d = window.since - window.since % 86400
        while d < window.until {
            list.append((Self.day(d), Counts()))
            d += 86400
        }
        days = list
        for (i, entry) in list.enumerated() { dayIndex[entry.0] = i }
    }

    static func day(_ seconds: Int64) -> String {
        String(HistoryWindow.iso(seconds).prefix(10))
    }

    static func day(_ iso: String?) -> String? {
        iso.flatMap(Clock.parse).map { Self.day(Int64($0.timeIntervalSince1970)) }
    }

    /// The nearest-rank percentile `q` (0 < q ≤ 1) of `values`; nil when empty.
    public static func percentile(_ values: [Int], _ q: Double) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    /// Adds one exported ticket (with its page's sideloads).
    public mutating func add(_ t: JSON, page: ZendeskExportPage) {
        guard let id = t["id"].int, t["status"].string != "deleted" else { return }
        if let brand, t["brand_id"].int != brand { return }
        let tags = (t["tags"].array ?? []).compactMap(\.string)
        let via = t["via"]["channel"].string ?? "unknown"
        if channel == .sms && !(tags.contains("sms") || via == "sms") { return }
        let m = page.metricSets[id] ?? .null
        let created = window.contains(t["created_at"].string)
        let status = t["status"].string ?? ""
        let solvedAt = m["solved_at"].nonEmptyString
        let solved = (status == "solved" || status == "closed") && window.contains(solvedAt)
        let reopenCount = Int(m["reopens"].int ?? 0)
        let reopenDay = (status == "solved" || status == "closed") ? solvedAt : t["updated_at"].string
        let reopened = reopenCount > 0 && window.contains(reopenDay)
        guard created || solved || reopened else { return }
        let reply = created ? m["reply_time_in_minutes"]["calendar"].int.map(Int.init) : nil
        let resolution = solved ? m["full_resolution_time_in_minutes"]["calendar"].int.map(Int.init) : nil
        func count(_ c: inout Counts) {
            if created { c.created += 1 }
            if solved { c.solved += 1 }
            if reopened { c.reopened += 1 }
            if let reply { c.firstReply.minutes.append(reply) }
            if let resolution { c.fullResolution.minutes.append(resolution) }
        }
        count(&totals)
        if reopened { reopens += reopenCount }
        if created, let d = Self.day(t["created_at"].string), let i = dayIndex[d] { days[i].counts.created += 1 }
        if solved, let d = Self.day(solvedAt), let i = dayIndex[d] { days[i].counts.solved += 1 }
        if reopened, let d = Self.day(reopenDay), let i = dayIndex[d] { days[i].counts.reopened += 1 }
        let assignee = t["assignee_id"].int
        let assigneeName =
            assignee.flatMap { page.users[$0]?["name"].nonEmptyString }
            ?? (assignee == nil ? "Unassigned" : "Agent \(assignee!)")
        var keys: [(Dimension, String, String)] = [
            (.assignee, assignee.map(String.init) ?? "none", assigneeName),
            (.channel, via, via),
        ]
        let brandID = t["brand_id"].int
        keys.append(
            (
                .brand, brandID.map(String.init) ?? "none",
                brandID.flatMap { page.brands[$0]?["name"].nonEmptyString } ?? brandID.map { "Brand \($0)" }
                    ?? "No brand"
            ))
        for tag in Set(tags).sorted() { keys.append((.tag, tag, tag)) }
        for (dimension, key, name) in keys {
            var g = groups[dimension]?[key] ?? Group(key: key, name: name)
            count(&g.counts)
            groups[dimension, default: [:]][key] = g
        }
    }

    /// The groups of a dimension, most tickets created first (then by key).
    public func sorted(_ d: Dimension) -> [Group] {
        (groups[d] ?? [:]).values.sorted {
            ($0.counts.created, $0.counts.solved) != ($1.counts.created, $1.counts.solved)
                ? ($0.counts.created, $0.counts.solved) > ($1.counts.created, $1.counts.solved) : $0.key < $1.key
        }
    }

    static func countsJSON(_ c: Counts) -> JSON {
        [
            "created": .int(Int64(c.created)), "solved": .int(Int64(c.solved)), "reopened": .int(Int64(c.reopened)),
            "first_reply_minutes": c.firstReply.json, "full_resolution_minutes": c.fullResolution.json,
        ]
    }

    /// The report as JSON (the same numbers as the HTML and the CSV).
    public var json: JSON {
        var doc: JSON = [
            "window": window.json,
            "filters": ["brand": JSON(brand), "channel": .string(channel.rawValue)],
            "totals": Self.countsJSON(totals).merging(["reopens": .int(Int64(reopens))]),
            "days": .array(
                days.map { d in
                    [
                        "date": .string(d.day), "created": .int(Int64(d.counts.created)),
                        "solved": .int(Int64(d.counts.solved)), "reopened": .int(Int64(d.counts.reopened)),
                    ]
                }),
        ]
        for d in Dimension.allCases {
            doc["by_\(d.rawValue)"] = .array(
                sorted(d).map { g in
                    Self.countsJSON(g.counts).merging(["key": .string(g.key), "name": .string(g.name)])
                })
        }
        return doc
    }
}
