import Foundation
import FunctionRuntime
import HTTPServer
import InvokerKit
import SandboxKit
import Testing
import TestSupport

/// `./invoke report` against a fixture account whose answers are worked out here: the JSON, the
/// CSV and the HTML (rendered in headless Chromium) carry them; `GET /report` needs its token.
@Suite(.serialized) final class ReportTests {
    struct Case {
        var id: Int64
        var createdDaysAgo: Int64
        var replyMinutes: Int64?
        var solvedMinutes: Int64?
        var closed = false
        var reopens: Int64 = 0
        var assignee: Int64?
        var brand: Int64 = 1
        var tags: [String] = []
    }

    /// Created over the last 20 days; some answered, some solved, two reopened, SMS ones tagged.
    static let cases: [Case] = [
        Case(id: 1, createdDaysAgo: 19, replyMinutes: 30, solvedMinutes: 600, assignee: 10, tags: ["sms"]),
        Case(id: 2, createdDaysAgo: 18, replyMinutes: 5, solvedMinutes: 90, closed: true, assignee: 10),
        Case(
            id: 3, createdDaysAgo: 15, replyMinutes: 240, solvedMinutes: 3000, reopens: 1, assignee: 11,
            tags: ["refund"]),
        Case(id: 4, createdDaysAgo: 12, replyMinutes: 61, assignee: 11, brand: 2, tags: ["sms", "refund"]),
        Case(id: 5, createdDaysAgo: 10, replyMinutes: 12, solvedMinutes: 200, assignee: 10, tags: ["sms"]),
        Case(id: 6, createdDaysAgo: 8, replyMinutes: nil, assignee: nil, brand: 2),
        Case(id: 7, createdDaysAgo: 6, replyMinutes: 720, solvedMinutes: 1440, reopens: 2, assignee: 11, tags: ["sms"]),
        Case(id: 8, createdDaysAgo: 4, replyMinutes: 3, solvedMinutes: 45, assignee: 10, brand: 2),
        Case(id: 9, createdDaysAgo: 2, replyMinutes: 90, assignee: 10, tags: ["sms"]),
        Case(id: 10, createdDaysAgo: 45, replyMinutes: 20, solvedMinutes: 100, assignee: 10),  // before the window
    ]

    let sandbox: Sandbox
    let now = Int64(Date().timeIntervalSince1970) / 86400 * 86400 + 43200  // noon today (UTC)
    var since: Int64 { now - 21 * 86400 }

    init() throws {
        sandbox = Sandbox(options: SandboxOptions())
        try sandbox.start(host: "127.0.0.1", port: 0)
        var tickets: [JSON] = []
        for c in Self.cases {
            let created = now - c.createdDaysAgo * 86400 - 7200
            var comments: [JSON] = [["author_id": 2000, "body": "help", "created_at": .string(Self.iso(created))]]
            if let r = c.replyMinutes {
                comments.append([
                    "author_id": .int(c.assignee ?? 10), "body": "on it",
                    "created_at": .string(Self.iso(created + r * 60)),
                ])
            }
            var t: JSON = [
                "id": .int(c.id), "requester_id": 2000, "brand_id": .int(c.brand), "tags": JSON(c.tags),
                "created_at": .string(Self.iso(created)), "comments": .array(comments), "reopens": .int(c.reopens),
                "status": .string(c.solvedMinutes == nil ? "open" : (c.closed ? "closed" : "solved")),
            ]
            if let a = c.assignee { t["assignee_id"] = .int(a) }
            if let s = c.solvedMinutes {
                t["solved_at"] = .string(Self.iso(created + s * 60))
                t["updated_at"] = .string(Self.iso(created + s * 60))
            }
            tickets.append(t)
        }
        try sandbox.seed([
            "config": ["zendesk": ["export_rate_limit": 0]],
            "zendesk": [
                "users": [
                    ["id": 10, "name": "Agent Smith", "email": "smith@support.example", "role": "agent"],
                    ["id": 11, "name": "Agent <Jones>", "email": "jones@support.example", "role": "agent"],
                    ["id": 2000, "name": "Customer", "email": "customer@example.com", "role": "end-user"],
                ],
                "brands": [["id": 1, "name": "Main"], ["id": 2, "name": "Outlet & Co"]],
                "tickets": .array(tickets),
            ],
        ])
    }

    deinit { sandbox.stop() }

    static func iso(_ t: Int64) -> String { Clock.iso8601(Date(timeIntervalSince1970: Double(t))) }

    /// Nearest rank, written out again: the smallest value with at least `q` of the values at or below it.
    static func rank(_ values: [Int64], _ q: Double) -> Int64? {
        if values.isEmpty { return nil }
        let s = values.sorted()
        var k = 0
        while Double(k + 1) < q * Double(s.count) { k += 1 }
        return s[k]
    }

    var inWindow: [Case] { Self.cases.filter { $0.createdDaysAgo < 21 } }

    func report(_ args: [String]) throws -> Exec.Output {
        try Exec.run(
            "bundle-history",
            ["report", "--since", Self.iso(since), "--until", Self.iso(now), "--progress", "none"] + args,
            env: sandbox.functionEnvironment(), stdin: "")
    }

    @Test func theNumbersAreTheFixturesInJSONAndCSV() throws {
        let run = try report(["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let r = run.json
        let created = inWindow
        let solved = created.filter { $0.solvedMinutes != nil }
        #expect(r.at("totals.created").int == Int64(created.count))
        #expect(r.at("totals.solved").int == Int64(solved.count))
        #expect(r.at("totals.reopened").int == 2 && r.at("totals.reopens").int == 3)
        let replies = created.compactMap(\.replyMinutes)
        #expect(r.at("totals.first_reply_minutes.median").int == Self.rank(replies, 0.5), "\(replies.sorted())")
        #expect(r.at("totals.first_reply_minutes.p90").int == Self.rank(replies, 0.9))
        let resolutions = solved.compactMap(\.solvedMinutes)
        #expect(r.at("totals.full_resolution_minutes.median").int == Self.rank(resolutions, 0.5))
        #expect(r.at("totals.full_resolution_minutes.p90").int == Self.rank(resolutions, 0.9))
        // Per assignee.
        for agent in [Int64(10), 11] {
            let mine = created.filter { $0.assignee == agent }
            let row = try #require((r["by_assignee"].array ?? []).first { $0["key"].string == String(agent) })
            #expect(row["created"].int == Int64(mine.count))
            #expect(row.at("first_reply_minutes.median").int == Self.rank(mine.compactMap(\.replyMinutes), 0.5))
        }
        #expect(
            (r["by_assignee"].array ?? []).contains { $0["key"].string == "none" && $0["name"].string == "Unassigned" })
        let refund = try #require((r["by_tag"].array ?? []).first { $0["key"].string == "refund" })
        #expect(refund["created"].int == 2)
        let outlet = try #require((r["by_brand"].array ?? []).first { $0["key"].string == "2" })
        #expect(outlet["name"].string == "Outlet & Co" && outlet["created"].int == 3)
        // Per day: every day of the window, the counts on the right days.
        let days = r["days"].array ?? []
        // Every calendar day (UTC) the window touches, worked out hour by hour.
        let dates = Set(stride(from: since, to: now, by: 3600).map { Self.iso($0).prefix(10) })
        #expect(days.count == dates.count && days.map { Substring($0["date"].string ?? "") } == dates.sorted())
        let createdPerDay = Dictionary(grouping: created) {
            Self.iso(now - $0.createdDaysAgo * 86400 - 7200).prefix(10)
        }
        for d in days {
            let date = d["date"].string ?? ""
            #expect(d["created"].int == Int64(createdPerDay[Substring(date)]?.count ?? 0), "\(date)")
        }
        // SMS only.
        let sms = try report(["--format", "json", "--channel", "sms"]).json
        #expect(sms.at("totals.created").int == Int64(created.filter { $0.tags.contains("sms") }.count))
        // CSV carries the same numbers.
        let csv = try report(["--format", "csv"])
        let rows = csv.stdout.split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(rows.first?.first == "section")
        let total = try #require(rows.first { $0.first == "total" })
        #expect(total[4] == String(created.count) && total[8] == String(Self.rank(replies, 0.5)!))
        #expect(rows.filter { $0.first == "day" }.count == days.count)
        #expect(csv.stdout.contains("\"Outlet & Co\"") == false && csv.stdout.contains("Outlet & Co"))
    }

    @Test func thePageRendersInChromiumWithTheNumbersAndNoConsoleErrors() throws {
        try #require(Chromium.isInstalled, "chromium is missing: ./invoke test installs Debian's chromium")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("report.html").path
        let run = try report(["--format", "html", "--out", file])
        #expect(run.status == 0, "\(run.stderr)")
        let (page, browser) = try Chromium.dom("file://" + file)
        #expect(browser.consoleErrors.isEmpty, "\(browser.consoleErrors)")
        let created = inWindow
        #expect(page.first("#total-created")?.attributes["data-value"] == String(created.count))
        let replies = created.compactMap(\.replyMinutes)
        #expect(page.first("#first-reply")?.attributes["data-value"] == String(Self.rank(replies, 0.5)!))
        #expect(page.all("script").isEmpty, "no script")
        let bars = page.all("#volume-chart rect.created")
        #expect(bars.count == Set(stride(from: since, to: now, by: 3600).map { Self.iso($0).prefix(10) }).count)
        #expect(bars.compactMap { Int($0.attributes["data-value"] ?? "") }.reduce(0, +) == created.count)
        let jones = try #require(page.all("#by-assignee tr").first { $0.attributes["data-key"] == "11" })
        #expect(jones.first("td.name")?.textContent == "Agent <Jones>", "the name stays text")
        #expect(jones.first("td.created")?.textContent == String(created.filter { $0.assignee == 11 }.count))
        let jonesReplies = created.filter { $0.assignee == 11 }.compactMap(\.replyMinutes)
        #expect(
            jones.first("td.first-reply-median")?.attributes["data-minutes"] == String(Self.rank(jonesReplies, 0.5)!))
        #expect(page.all("#by-tag tr").contains { $0.attributes["data-key"] == "sms" })
        #expect(!page.textContent.contains("customer@example.com"), "no customer data on the page")
        #expect(try Chromium.screenshot("file://" + file, to: Chromium.artifactDirectory + "/report.png", height: 1700))
    }

    @Test func getReportNeedsItsTokenAndRefusesBadQueries() throws {
        let functions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("functions.json").path
        let file = try FunctionsFile.load(path: functions, functionsDirectory: Exec.directory)
        var environment = sandbox.functionEnvironment()
        environment["REPORT_TOKEN"] = "report-secret"
        let invoker = Invoker(file: file, environment: environment)
        func get(_ target: String, token: String?) -> ServerResponse {
            var headers: [(String, String)] = [("Host", "localhost")]
            if let token { headers.append(("Authorization", "Bearer " + token)) }
            return invoker.handle(ServerRequest(method: "GET", target: target, headerList: headers))
        }
        #expect(get("/report", token: nil).status == 401)
        #expect(get("/report", token: nil).headers.contains { $0.0 == "WWW-Authenticate" })
        #expect(get("/report", token: "wrong").status == 401)
        #expect(get("/report?since=yesterday", token: "report-secret").status == 400)
        #expect(get("/report?format=pdf", token: "report-secret").status == 400)
        let ok = get("/report?since=\(Self.iso(since))&until=\(Self.iso(now))&format=json", token: "report-secret")
        #expect(ok.status == 200, "\(String(decoding: ok.body, as: UTF8.self))")
        #expect(ok.headers.contains { $0.0 == "Cache-Control" && $0.1 == "no-store" })
        let doc = try JSON.parse(ok.body)
        #expect(doc.at("totals.created").int == Int64(inWindow.count))
        let html = get("/report?since=21d", token: "report-secret")
        #expect(html.status == 200 && html.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("text/html") })
        // Without REPORT_TOKEN the page does not exist.
        let off = Invoker(file: file, environment: sandbox.functionEnvironment())
        #expect(off.handle(ServerRequest(method: "GET", target: "/report")).status == 404)
    }
}
