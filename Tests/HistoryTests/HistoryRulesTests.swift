import Foundation
import FunctionRuntime
import HistoryKit
import ServiceClients
import Synchronization
import Testing

/// The pure parts: pacing, job cutting, the bulk body, percentiles, options, the checkpoint.
@Suite struct HistoryRulesTests {
    /// A clock the pacer reads and a sleeper that moves it.
    final class FakeClock: Sendable {
        let now = Mutex(0.0)
        var clock: @Sendable () -> Double { { self.now.withLock { $0 } } }
        var sleeper: @Sendable (Double) -> Void { { s in self.now.withLock { $0 += s } } }
    }

    @Test func thePacerSpacesRequestsEvenlyAndHoldsForRetryAfter() {
        let t = FakeClock()
        let pacer = QuotaPacer(name: "export", perMinute: 600, margin: 1, clock: t.clock, sleeper: t.sleeper)
        var starts: [Double] = []
        for _ in 0..<5 {
            pacer.take()
            starts.append(t.clock())
        }
        #expect(zip(starts, starts.dropFirst()).allSatisfy { abs($1 - $0 - 0.1) < 1e-9 }, "\(starts)")
        #expect(abs(pacer.usage.share - 1) < 1e-9, "exactly the quota")
        let throttled = HTTPResponse(status: 429, headers: ["retry-after": "7"])
        #expect(pacer.observe(throttled))
        let before = t.clock()
        pacer.take()
        #expect(abs(t.clock() - before - 7) < 1e-9, "held for Retry-After")
        #expect(pacer.usage.throttled == 1)
        // A quota left at 0 holds for one interval.
        let empty = HTTPResponse(status: 200, headers: ["x-rate-limit-remaining": "0"])
        #expect(!pacer.observe(empty))
        let at = t.clock()
        pacer.take()
        #expect(t.clock() - at >= 0.1 - 1e-9)
    }

    static func event(
        _ n: Int, email: String = "a@example.com", metric: String = "Opened Ticket", big: Int = 0
    )
        -> KlaviyoEvent
    {
        KlaviyoEvent(
            metric: metric, email: email,
            properties: ["Ticket_id": .int(Int64(n)), "Description": .string(String(repeating: "x", count: big))],
            time: "2026-11-01T00:00:00Z", uniqueID: "zendesk:acme:\(n):opened", backfill: true)
    }

    @Test func jobsLeaveOutRepeatsAndAreCutAtAThousandEventsOrTheByteLimit() {
        var events = (0..<2500).map { Self.event($0) }
        events.insert(Self.event(7), at: 100)  // a repeat of the same profile, metric and unique_id
        events.append(Self.event(7, email: "b@example.com"))  // another profile: not a repeat
        let jobs = BulkEventSender.jobs(events)
        #expect(jobs.map(\.events.count) == [1000, 1000, 501])
        #expect(jobs.allSatisfy { job in Set(job.events.map(KlaviyoBulkEvents.key)).count == job.events.count })
        // The body written by concatenation is the JSON the events make.
        let parsed = try? JSON.parse(jobs[2].body)
        #expect(parsed == KlaviyoBulkEvents.body(jobs[2].events))
        #expect((parsed?.at("data.attributes")["events-bulk-create"]["data"].array ?? []).count == 2)
        let big = (0..<20).map { Self.event($0, big: 400_000) }  // ~400 KB each
        let cut = BulkEventSender.jobs(big)
        #expect(cut.count == 2 && cut.allSatisfy { $0.body.count < KlaviyoBulkEvents.maxBytes })
    }

    @Test func theBulkBodyGroupsEventsByProfileAsTheSpecShapesIt() {
        let body = KlaviyoBulkEvents.body([Self.event(1), Self.event(2, email: "b@example.com"), Self.event(3)])
        #expect(body.at("data.type").string == "event-bulk-create-job")
        let entries = body.at("data.attributes")["events-bulk-create"]["data"].array ?? []
        #expect(entries.count == 2)
        #expect(entries[0]["type"].string == "event-bulk-create")
        #expect(entries[0].at("attributes.profile.data.attributes.email").string == "a@example.com")
        let first = entries[0].at("attributes.events.data").array ?? []
        #expect(first.count == 2 && first[0]["type"].string == "event")
        #expect(first[0].at("attributes").object?["profile"] == nil, "the profile is named once, by the entry")
        #expect(first[0].at("attributes.unique_id").string == "zendesk:acme:1:opened")
        #expect(first[0].at("attributes.backfill").bool == true && entries[0].at("attributes.backfill").bool == true)
    }

    @Test func percentilesAreByNearestRank() {
        #expect(SupportReport.percentile([], 0.5) == nil)
        #expect(SupportReport.percentile([42], 0.9) == 42)
        #expect(SupportReport.percentile(Array(1...10), 0.5) == 5)
        #expect(SupportReport.percentile(Array(1...10), 0.9) == 9)
        #expect(SupportReport.percentile([5, 1, 3], 0.5) == 3)
        #expect(SupportReport.percentile(Array(1...11), 0.9) == 10)
    }

    @Test func optionsAreCheckedAndAgesNameTheSameWindowAllDay() throws {
        let now: Int64 = 1_796_200_000
        let o = try BackfillOptions.parse(["--since", "2026-01-01", "--brands", "2,1", "--apply"], now: now)
        #expect(o.window.since == 1_767_225_600 && o.window.until == now && !o.untilGiven)
        #expect(o.brands == [1, 2] && o.apply)
        #expect(o.defaultStatePath(directory: "/s") == "/s/backfill-1767225600-now-1-2.json")
        let a = try BackfillOptions.parse(["--since", "90d"], now: now)
        let b = try BackfillOptions.parse(["--since", "90d"], now: now + 3600)
        #expect(a.window.since == b.window.since && a.window.since % 86400 == 0)
        for bad in [
            ["--since"], ["--since", "soon"], ["--since", "1d", "--until", "2d"],
            ["--bulk-rate", "0", "--since", "1d"],
        ] {
            #expect(throws: HistoryError.self) { try BackfillOptions.parse(bad, now: now) }
        }
        let r = try ReportOptions.parse(["--format", "csv", "--channel", "sms", "--brand", "3"], now: now)
        #expect(r.format == .csv && r.channel == .sms && r.brand == 3 && r.window.until - r.window.since >= 30 * 86400)
        #expect(throws: HistoryError.self) { try ReportOptions.parse(["--format", "pdf"], now: now) }
    }

    @Test func theCheckpointRoundTripsAndRefusesWhatIsNotOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cp-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ExportCheckpoint.load(path) == nil)
        var c = ExportCheckpoint(window: HistoryWindow(since: 10, until: 20), brands: [3])
        c.cursor = "abc=="
        c.pages = 4
        c.tickets = 4000
        c.counts = ["Opened Ticket": 3990]
        try c.save(path)
        #expect(try ExportCheckpoint.load(path) == c)
        try Data("{\"kind\":\"other\"}".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: HistoryError.self) { try ExportCheckpoint.load(path) }
    }
}
