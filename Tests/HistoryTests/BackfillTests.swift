import Foundation
import FunctionRuntime
import SandboxKit
import Testing
import TestSupport

/// `./invoke backfill` against the sandbox: the plan and the events sent match what the fixture
/// says ticket by ticket; a killed run resumes without counting anything twice; a live delivery
/// after the backfill records nothing new.
@Suite(.serialized) final class BackfillTests {
    let sandbox: Sandbox
    let fixture = HistoryFixture()

    init() throws {
        sandbox = Sandbox(options: SandboxOptions())
        try sandbox.start(host: "127.0.0.1", port: 0)
        try sandbox.seed(fixture.seed)
    }

    deinit { sandbox.stop() }

    var env: [String: String] { sandbox.functionEnvironment() }
    var zendeskURL: String { env[ConfigKey.zendeskURL]! }
    var window: [String] {
        ["--since", HistoryFixture.iso(fixture.since), "--until", HistoryFixture.iso(fixture.until)]
    }

    func backfill(_ args: [String], env extra: [String: String] = [:]) throws -> Exec.Output {
        try Exec.run(
            "bundle-history", ["backfill"] + window + ["--progress", "none", "--export-rate", "600"] + args,
            env: env.merging(extra) { _, b in b }, stdin: "")
    }

    static func diff(_ a: [HistoryFixture.Expected], _ b: [HistoryFixture.Expected]) -> String {
        let missing = b.filter { !a.contains($0) }.map(\.description)
        let extra = a.filter { !b.contains($0) }.map(\.description)
        return "missing \(missing.prefix(5)), unexpected \(extra.prefix(5))"
    }

    @Test func aDryRunPlansExactlyTheExpectedEventsAndSendsNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(UUID().uuidString)").path
        let run = try backfill(["--list", "--json"], env: ["BUNDLE_STATE_DIR": dir])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.lines
        let summary = try #require(lines.last)
        let planned = HistoryFixture.planned(Array(lines.dropLast()))
        let expected = fixture.expected(zendeskURL: zendeskURL)
        #expect(planned == expected, "\(Self.diff(planned, expected))")
        #expect(expected.count > 20, "the fixture gives both metrics: \(expected.count)")
        #expect(summary["mode"].string == "dry_run")
        #expect(
            summary.at("events.Opened Ticket.total").int
                == Int64(expected.filter { $0.metric == "Opened Ticket" }.count))
        let brand2 = expected.filter { e in
            fixture.tickets.first { $0.id == e.ticket }!.brand == 2 && e.metric == "Resolved Ticket"
        }
        #expect((summary.at("events.Resolved Ticket.by_brand.2").int ?? 0) == Int64(brand2.count))
        #expect(summary["skipped"]["Opened Ticket:no_email_or_phone"].int ?? 0 > 0)
        #expect(!summary["sample"].isNull)
        // Nothing written: no Klaviyo event, no state file.
        #expect(HistoryFixture.recorded(sandbox.state()).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir))
        // The plain-text plan a person reads.
        let text = try backfill([])
        #expect(text.stdout.contains("dry run: nothing was sent") && text.stdout.contains("Run again with --apply"))
    }

    @Test func anAppliedRunSendsTheExpectedEventsInBulkJobsMarkedBackfill() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let run = try backfill(["--apply", "--json", "--state", state, "--page-size", "10", "--export-rate", "600"])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = fixture.expected(zendeskURL: zendeskURL)
        let recorded = HistoryFixture.recorded(sandbox.state())
        #expect(recorded == expected, "\(Self.diff(recorded, expected))")
        let events = sandbox.state().at("klaviyo.events").array ?? []
        #expect(events.allSatisfy { $0["backfill"].bool == true }, "backfill: true on every event")
        let summary = run.json
        #expect(summary.at("sent.bulk_jobs").int ?? 0 >= 3, "a job per page of 10 with events: \(summary["sent"])")
        #expect(summary.at("sent.fallback_jobs").int == 0)
        #expect(summary["complete"].bool == true)
        let bulk = sandbox.requestLog().filter { $0["path"].string == "/api/event-bulk-create-jobs" }
        #expect(bulk.allSatisfy { $0["status"].int == 202 })
        // Run again: already complete, nothing sent.
        let again = try backfill(["--apply", "--state", state])
        #expect(again.status == 0 && again.stdout.contains("already complete"))
        #expect(sandbox.requestLog().filter { $0["path"].string == "/api/event-bulk-create-jobs" }.count == bulk.count)
    }

    @Test func aRunKilledAtARandomPageResumesAndCountsNothingTwice() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let exported = fixture.tickets.filter { $0.updated >= fixture.since }.count
        let pages = (exported + 3) / 4
        let killAt = Int.random(in: 2...(pages - 2))
        // 4 tickets a page, 120 pages a minute: a page every half second, time to kill it mid-run.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Exec.path("bundle-history"))
        p.arguments =
            ["backfill"] + window + [
                "--apply", "--state", state, "--page-size", "4", "--export-rate", "120", "--progress", "none",
            ]
        p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: state), let doc = try? JSON.parse(Array(data)),
                let n = doc["pages"].int, n >= killAt
            {
                seen = Int(n)
                break
            }
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(seen >= killAt, "the run got to page \(killAt)")
        let midway = try #require(try? JSON.parse(Array(FileManager.default.contents(atPath: state)!)))
        #expect(midway["done"].bool == false, "killed before the end (page \(seen) of \(pages))")
        let resumed = try backfill(["--apply", "--json", "--state", state, "--page-size", "4", "--export-rate", "600"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let summary = resumed.json
        #expect(summary["resumed"].bool == true && summary["complete"].bool == true)
        let expected = fixture.expected(zendeskURL: zendeskURL)
        // The counts carried over plus the resumed part: each event once.
        #expect(
            summary.at("events.Opened Ticket.total").int
                == Int64(expected.filter { $0.metric == "Opened Ticket" }.count))
        #expect(
            summary.at("events.Resolved Ticket.total").int
                == Int64(expected.filter { $0.metric == "Resolved Ticket" }.count))
        // The export holds the tickets changed since the window began: each read once over both runs.
        #expect(summary["tickets"].int == Int64(exported), "every ticket read once in all: \(summary["tickets"])")
        let recorded = HistoryFixture.recorded(sandbox.state())
        #expect(recorded == expected, "\(Self.diff(recorded, expected))")
    }

    @Test func eventsAlreadyRecordedLiveMakeTheJobFallBackAndALiveDeliveryAfterRecordsNothingNew() throws {
        let expected = fixture.expected(zendeskURL: zendeskURL)
        let first = try #require(expected.first { $0.metric == "Opened Ticket" })
        // The live function records one ticket's "Opened Ticket" before the backfill runs.
        let event = try zendeskEvent("ticket.created", ticket: first.ticket)
        let live = try Exec.run(
            "ticket-metrics", [], env: env.merging(["ALLOW_UNSIGNED": "1"]) { _, b in b }, stdin: event.serialized())
        #expect(live.status == 0, "\(live.stderr)")
        #expect(HistoryFixture.recorded(sandbox.state()).count == 1)
        let run = try backfill(["--apply", "--json", "--state", tempState()])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.json.at("sent.fallback_jobs").int ?? 0 >= 1,
            "the job holding the live event was refused: \(run.json["sent"])")
        let counts = try counts()
        #expect(counts.at("klaviyo.bulk_refusals").int ?? 0 >= 1)
        let recorded = HistoryFixture.recorded(sandbox.state())
        #expect(recorded.count == expected.count, "each event once: \(Self.diff(recorded, expected))")
        #expect(Set(recorded.map(\.uniqueID)) == Set(expected.map(\.uniqueID)))
        // A live delivery for a backfilled ticket afterwards: nothing new.
        let other = try #require(expected.last { $0.metric == "Resolved Ticket" })
        let closed = try zendeskEvent("ticket.status_changed", ticket: other.ticket, previous: "solved")
        let after = try Exec.run(
            "ticket-metrics", [], env: env.merging(["ALLOW_UNSIGNED": "1"]) { _, b in b }, stdin: closed.serialized())
        #expect(after.status == 0 && after.json["outcome"].string == "emitted", "\(after.stdout)")
        #expect(HistoryFixture.recorded(sandbox.state()).count == expected.count, "Klaviyo recorded nothing new")
    }

    @Test func aThrottledExportPageIsWaitedOutAndAskedAgain() throws {
        try sandbox.setFaults([
            "rules": [
                [
                    "service": "zendesk", "path_regex": "incremental", "mode": "status", "status": 429,
                    "retry_after": 1, "times": 1,
                ]
            ]
        ])
        let run = try backfill(["--apply", "--json", "--state", tempState()])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json.at("quota.export.throttled").int == 1, "\(run.json["quota"])")
        #expect(HistoryFixture.recorded(sandbox.state()).count == fixture.expected(zendeskURL: zendeskURL).count)
        #expect(run.json["duration_s"].double ?? 0 >= 1, "the Retry-After was honoured")
    }

    @Test func brandsLimitTheEventsAndBadOptionsAreUsageErrors() throws {
        let run = try backfill(["--brands", "2", "--list", "--json"])
        #expect(run.status == 0)
        let planned = HistoryFixture.planned(Array(run.lines.dropLast()))
        #expect(planned == fixture.expected(zendeskURL: zendeskURL, brands: [2]))
        #expect(try Exec.run("bundle-history", ["backfill"], env: env, stdin: "").status == 64, "--since is required")
        #expect(try backfill(["--brands", "x"]).status == 64)
        #expect(try backfill(["--page-size", "5000"]).status == 64)
        let help = try Exec.run("bundle-history", ["backfill", "--help"], env: env, stdin: "")
        #expect(help.status == 0 && help.stdout.contains("--export-rate"))
        // A state file of another window is refused, not silently reused.
        let state = tempState()
        #expect(try backfill(["--apply", "--state", state, "--brands", "1"]).status == 0)
        let other = try backfill(["--apply", "--state", state, "--brands", "2"])
        #expect(other.status == 65 && other.stderr.contains("belongs to another run"), "\(other.stderr)")
    }

    func tempState() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bf-\(UUID().uuidString).json").path
    }

    func counts() throws -> JSON {
        let client = HTTPClient(deadline: Deadline(seconds: 5))
        return try client.send(HTTPRequest("GET", sandbox.baseURL + "/_ctl/counts")).json
    }

    func zendeskEvent(_ type: String, ticket: Int64, previous: String? = nil) throws -> JSON {
        var path = "/_ctl/zendesk-event?type=\(type)&ticket=\(ticket)"
        if let previous { path += "&previous=\(previous)" }
        let client = HTTPClient(deadline: Deadline(seconds: 5))
        let r = try client.send(HTTPRequest("GET", sandbox.baseURL + path))
        guard r.status == 200 else { throw RuntimeError(.internal, "zendesk-event: \(r.status) \(r.text)") }
        return r.json
    }
}
