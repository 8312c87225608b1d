import FoundationEssentials
import FunctionRuntime
import HTTPServer

/// The report as one self-contained HTML page: inline CSS and SVG, no script and nothing fetched
/// (`Content-Security-Policy: default-src 'none'`), every name escaped; readable on a laptop
/// screen and without JavaScript. Numbers carry their raw values in `data-*` attributes.
extension SupportReport {
    static func minutesText(_ m: Int?) -> String {
        guard let m else { return "–" }
        if m < 60 { return "\(m) min" }
        if m < 1440 { return "\(m / 60) h \(m % 60) min" }
        return "\(m / 1440) d \(m % 1440 / 60) h"
    }

    static func minutesCell(_ cls: String, _ m: Int?) -> String {
        "<td class=\"\(cls) num\" data-minutes=\"\(m.map(String.init) ?? "")\">\(minutesText(m))</td>"
    }

    static let style = """
        body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1f2430;background:#fafafa}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
        .meta{color:#5a6170;margin:0 0 16px}
        .cards{display:flex;flex-wrap:wrap;gap:12px}
        .card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:150px}
        .card .label{color:#5a6170;font-size:13px}.card .value{font-size:24px;font-weight:600}
        .card .sub{color:#5a6170;font-size:13px}
        table{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;width:100%;font-size:14px}
        th,td{padding:5px 9px;border-bottom:1px solid #eef0f4;text-align:left}th{background:#f2f4f7;font-weight:600}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        svg{background:#fff;border:1px solid #dde1e8;border-radius:8px;max-width:100%;height:auto}
        .legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px}
        .created{fill:#3b6fd8}.solved{fill:#2e9e6b}.reopened{fill:#d8873b}
        .sw.created{background:#3b6fd8}.sw.solved{background:#2e9e6b}.sw.reopened{background:#d8873b}
        .axis{fill:#5a6170;font-size:11px}.grid{stroke:#eef0f4}.bar{fill:#7a5cd8}
        .cols{display:grid;grid-template-columns:1fr 1fr;gap:20px}@media (max-width:900px){.cols{grid-template-columns:1fr}}
        """

    /// The daily volume chart: created, solved and reopened side by side per day.
    func volumeChart() -> String {
        let width = 1140, height = 260, left = 40, bottom = 40, top = 14
        let highest = max(1, days.map { max($0.counts.created, $0.counts.solved, $0.counts.reopened) }.max() ?? 1)
        // Four whole-number steps up to at least the highest bar.
        let step = (highest + 3) / 4
        let maximum = step * 4
        let plotW = Double(width - left - 10), plotH = Double(height - bottom - top)
        let slot = plotW / Double(max(1, days.count))
        let bar = max(1, slot / 3.6)
        var out =
            "<svg id=\"volume-chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"Tickets created, solved and reopened per day\">"
        for tick in 0...4 {
            let v = Double(step * tick)
            let y = Double(top) + plotH - plotH * Double(tick) / 4
            out += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(Int(y))\" y2=\"\(Int(y))\"/>"
            out +=
                "<text class=\"axis\" x=\"\(left - 6)\" y=\"\(Int(y) + 4)\" text-anchor=\"end\">\(Int(v.rounded()))</text>"
        }
        let labelEvery = max(1, days.count / 12)
        for (i, d) in days.enumerated() {
            let x0 = Double(left) + slot * Double(i) + (slot - bar * 3) / 2
            for (k, (cls, value)) in [
                ("created", d.counts.created), ("solved", d.counts.solved), ("reopened", d.counts.reopened),
            ].enumerated() {
                let h = plotH * Double(value) / Double(maximum)
                let x = x0 + bar * Double(k)
                out +=
                    "<rect class=\"\(cls)\" data-date=\"\(d.day)\" data-value=\"\(value)\" x=\"\(String(format2(x)))\" y=\"\(String(format2(Double(top) + plotH - h)))\" width=\"\(String(format2(bar)))\" height=\"\(String(format2(h)))\"><title>\(d.day): \(value) \(cls)</title></rect>"
            }
            if i % labelEvery == 0 {
                out +=
                    "<text class=\"axis\" x=\"\(Int(Double(left) + slot * (Double(i) + 0.5)))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(d.day.dropFirst(5))</text>"
            }
        }
        return out + "</svg>"
    }

    /// A horizontal bar per group: its median first reply time.
    func replyChart(_ groups: [Group], id: String) -> String {
        let rows = Array(groups.filter { $0.counts.firstReply.median != nil }.prefix(12))
        let height = 24 * max(1, rows.count) + 16, width = 540, left = 170
        let maximum = max(1, rows.compactMap { $0.counts.firstReply.median }.max() ?? 1)
        var out =
            "<svg id=\"\(id)\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"Median first reply time per assignee\">"
        for (i, g) in rows.enumerated() {
            let m = g.counts.firstReply.median ?? 0
            let w = Double(width - left - 90) * Double(m) / Double(maximum)
            let y = 8 + 24 * i
            out +=
                "<text class=\"axis\" x=\"\(left - 8)\" y=\"\(y + 14)\" text-anchor=\"end\">\(HTMLText.escape(String(g.name.prefix(24))))</text>"
            out +=
                "<rect class=\"bar\" data-key=\"\(HTMLText.escape(g.key))\" data-minutes=\"\(m)\" x=\"\(left)\" y=\"\(y)\" width=\"\(format2(max(1, w)))\" height=\"18\"><title>\(HTMLText.escape(g.name)): \(Self.minutesText(m))</title></rect>"
            out +=
                "<text class=\"axis\" x=\"\(Int(Double(left) + max(1, w)) + 6)\" y=\"\(y + 14)\">\(Self.minutesText(m))</text>"
        }
        return out + "</svg>"
    }

    func format2(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    func groupTable(_ d: Dimension, title: String) -> String {
        var out =
            "<h2>\(title)</h2><table id=\"by-\(d.rawValue)\"><thead><tr><th>\(d.rawValue.capitalized)</th><th class=\"num\">Created</th><th class=\"num\">Solved</th><th class=\"num\">Reopened</th><th class=\"num\">First reply (median)</th><th class=\"num\">First reply (p90)</th><th class=\"num\">Resolution (median)</th><th class=\"num\">Resolution (p90)</th></tr></thead><tbody>"
        for g in sorted(d) {
            let c = g.counts
            out += "<tr data-key=\"\(HTMLText.escape(g.key))\"><td class=\"name\">\(HTMLText.escape(g.name))</td>"
            out +=
                "<td class=\"created num\">\(c.created)</td><td class=\"solved num\">\(c.solved)</td><td class=\"reopened num\">\(c.reopened)</td>"
            out +=
                Self.minutesCell("first-reply-median", c.firstReply.median)
                + Self.minutesCell("first-reply-p90", c.firstReply.p90)
            out +=
                Self.minutesCell("resolution-median", c.fullResolution.median)
                + Self.minutesCell("resolution-p90", c.fullResolution.p90)
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    func card(_ id: String, _ label: String, _ value: String, raw: String, sub: String = "") -> String {
        "<div class=\"card\" id=\"\(id)\" data-value=\"\(raw)\"><div class=\"label\">\(label)</div><div class=\"value\">\(value)</div>\(sub.isEmpty ? "" : "<div class=\"sub\">\(sub)</div>")</div>"
    }

    /// The page. `generated`: when it was made (ISO-8601).
    public func html(generated: String) -> String {
        let since = String(HistoryWindow.iso(window.since).prefix(16)).replacingAll(
            "T", with: " ")
        let until = String(HistoryWindow.iso(window.until).prefix(16)).replacingAll(
            "T", with: " ")
        var filters = ["channel: \(channel == .sms ? "SMS" : "all")"]
        if let brand { filters.append("brand \(brand)") }
        var out = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        out +=
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Support report \(since) – \(until) UTC</title>"
        out += "<style>\(Self.style)</style></head><body>"
        out +=
            "<h1>Support report</h1><p class=\"meta\" id=\"window\" data-since=\"\(window.since)\" data-until=\"\(window.until)\">\(since) – \(until) UTC · \(HTMLText.escape(filters.joined(separator: " · "))) · generated \(HTMLText.escape(generated))</p>"
        let t = totals
        out += "<div class=\"cards\">"
        out += card("total-created", "Tickets created", String(t.created), raw: String(t.created))
        out += card("total-solved", "Solved", String(t.solved), raw: String(t.solved))
        out += card(
            "total-reopened", "Reopened", String(t.reopened), raw: String(t.reopened), sub: "\(reopens) reopens")
        out += card(
            "first-reply", "First reply (median)", Self.minutesText(t.firstReply.median),
            raw: t.firstReply.median.map(String.init) ?? "",
            sub: "p90 " + Self.minutesText(t.firstReply.p90) + " · \(t.firstReply.minutes.count) tickets")
        out += card(
            "full-resolution", "Full resolution (median)", Self.minutesText(t.fullResolution.median),
            raw: t.fullResolution.median.map(String.init) ?? "",
            sub: "p90 " + Self.minutesText(t.fullResolution.p90) + " · \(t.fullResolution.minutes.count) tickets")
        out += "</div>"
        out +=
            "<h2>Ticket volume per day</h2><p class=\"legend\"><span><i class=\"sw created\"></i>created</span><span><i class=\"sw solved\"></i>solved</span><span><i class=\"sw reopened\"></i>reopened</span></p>"
        out += volumeChart()
        out +=
            "<div class=\"cols\"><div><h2>Median first reply per assignee</h2>"
            + replyChart(sorted(.assignee), id: "reply-chart") + "</div><div>"
        out += groupTable(.channel, title: "Per channel") + "</div></div>"
        out += groupTable(.assignee, title: "Per assignee")
        out += groupTable(.tag, title: "Per tag")
        out += groupTable(.brand, title: "Per brand")
        out +=
            "<h2>Per day</h2><table id=\"days\"><thead><tr><th>Date</th><th class=\"num\">Created</th><th class=\"num\">Solved</th><th class=\"num\">Reopened</th></tr></thead><tbody>"
        for d in days {
            out +=
                "<tr data-date=\"\(d.day)\"><td>\(d.day)</td><td class=\"created num\">\(d.counts.created)</td><td class=\"solved num\">\(d.counts.solved)</td><td class=\"reopened num\">\(d.counts.reopened)</td></tr>"
        }
        out +=
            "</tbody></table><p class=\"meta\">Times are calendar minutes from Zendesk's ticket metrics (first reply: tickets created in the window; resolution: tickets solved in it). A reopened ticket counts on the day it was last solved.</p></body></html>\n"
        return out
    }
}
