import FoundationEssentials
import FunctionRuntime
import HTTPServer
import InvokerKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The spool of `"ack": "spooled"` routes: acknowledged once on disk, run until done or a dead
/// letter, replayed after a crash, never run again once done.
@Suite struct SpoolRulesTests {
    @Test func verdicts() {
        #expect(SpoolRules.verdict(status: 200, exit: 0, attempts: 1) == .done)
        #expect(SpoolRules.verdict(status: 503, exit: 75, attempts: 9) == .retry)
        #expect(SpoolRules.verdict(status: 504, exit: nil, attempts: 1) == .retry, "timed out")
        #expect(SpoolRules.verdict(status: 500, exit: nil, attempts: 1) == .retry, "crashed")
        #expect(SpoolRules.verdict(status: 429, exit: nil, attempts: 1) == .retry)
        #expect(SpoolRules.verdict(status: 500, exit: 70, attempts: 1) == .retry)
        #expect(SpoolRules.verdict(status: 500, exit: 70, attempts: 3) != .retry)
        #expect(SpoolRules.verdict(status: 400, exit: 65, attempts: 1) == .dead("refused with HTTP 400, exit 65"))
        #expect(SpoolRules.verdict(status: 401, exit: 77, attempts: 1) != .retry)
        #expect(SpoolRules.verdict(status: 500, exit: 78, attempts: 1) != .retry, "configuration: a person fixes it")
        let delays = (1...12).map { SpoolRules.backoff(attempts: $0) }
        #expect(delays[0] >= 0.75 && delays[0] <= 1.25)
        #expect(delays[3] >= 6 && delays[3] <= 10)
        #expect(delays.allSatisfy { $0 <= 375 })
    }
}

@Suite struct SpoolJournalTests {
    func request(_ body: String) -> ServerRequest {
        ServerRequest(
            method: "POST", target: "/hook?x=1", headerList: [("Content-Type", "application/json"), ("X-Sig", "s")],
            body: Array(body.utf8), remoteAddress: "10.0.0.7", remotePort: 4242)
    }

    @Test func aRequestAddedHeldIsNeverHandedOutMeanwhileButReplaysAfterARestart() throws {
        let dir = TempDir(); defer { dir.remove() }
        var id = ""
        do {
            let spool = try Spool(directory: dir.path + "/spool")
            id = try spool.add(request(#"{"n":1}"#), holdingFor: 60).id
            // The worker asks at once (the race the hold closes): nothing is due.
            #expect(spool.takeDue(now: Clock.now().timeIntervalSince1970, limit: 8).isEmpty)
            #expect(spool.takeDue(now: Clock.now().timeIntervalSince1970 + 61, limit: 8).map(\.id) == [id])
            spool.close()
        }
        let again = try Spool(directory: dir.path + "/spool")
        defer { again.close() }
        #expect(again.takeDue(now: Clock.now().timeIntervalSince1970, limit: 8).map(\.id) == [id])
    }

    @Test func theJournalSurvivesAReopen() throws {
        let dir = TempDir(); defer { dir.remove() }
        var ids: [String] = []
        do {
            let spool = try Spool(directory: dir.path + "/spool")
            #expect(throws: RuntimeError.self, "a second invoker cannot take the same spool") {
                try Spool(directory: dir.path + "/spool")
            }
            for body in [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#] { ids.append(try spool.add(request(body)).id) }
            spool.finish(ids[0], status: 200, exit: 0)
            spool.bury(ids[1], reason: "refused with HTTP 400", answer: #"{"error":"bad"}"#, status: 400, exit: 65)
            spool.reschedule(ids[2], attempts: 2, nextAt: 1, status: 503, exit: 75)
            spool.close()
        }
        let again = try Spool(directory: dir.path + "/spool")
        #expect(again.pendingItems.map(\.id) == [ids[2]], "done never runs again")
        let item = try #require(again.pendingItems.first)
        #expect(item.attempts == 2)
        #expect(item.request.body == Array(#"{"n":3}"#.utf8))
        #expect(item.request.target == "/hook?x=1")
        #expect(item.request.header("x-sig") == "s")
        #expect(item.request.remoteAddress == "10.0.0.7")
        #expect(again.deadLetters.map(\.item.id) == [ids[1]])
        #expect(again.deadLetters.first?.answer == #"{"error":"bad"}"#)
        // Another process puts the dead letter back; the spool picks it up.
        #expect(Spool.revive(directory: dir.path + "/spool", id: ids[1]))
        #expect(!Spool.revive(directory: dir.path + "/spool", id: "nope"))
        again.refresh()
        #expect(Set(again.pendingItems.map(\.id)) == [ids[1], ids[2]])
        #expect(again.deadLetters.isEmpty)
        var st = stat()
        stat(again.journalPath, &st)
        #expect(st.st_mode & 0o077 == 0, "the journal holds signatures and messages: owner only")
    }
}

@Suite(.serialized) struct SpooledRouteTests {
    static let environment = ["PATH": "/usr/bin:/bin", "ALLOW_UNSIGNED": "1"]

    static func config(concurrency: Int = 8) -> String {
        #"{"functions":{"test-echo":{"concurrency":\#(concurrency)}},"routes":[{"method":"POST","path":"/hook","function":"test-echo","ack":"spooled"}]}"#
    }

    @Test func aSpooledRequestIsAcknowledgedAndRetriedUntilDone() throws {
        let dir = TempDir(); defer { dir.remove() }
        let t = try TestInvoker(
            Self.config(), environment: Self.environment, state: try InvokerState(directory: dir.path));
        defer { t.stop() }
        let counter = dir.path + "/count"
        let r = try post("/hook", ["count_file": .string(counter), "fail_times": 2], port: t.port)
        #expect(r.status == 200)
        #expect(r.json["outcome"].string == "spooled")
        let id = try #require(r.json["spool_id"].string)
        #expect(eventually(timeout: 15) { t.invoker.spool?.pendingItems.isEmpty == true }, "retried until done")
        #expect(dir.read("count")?.trimmed() == "3", "two failures, then done — and never again")
        Clock.sleep(1.5)
        #expect(dir.read("count")?.trimmed() == "3")
        let journal = dir.read("spool/journal.jsonl") ?? ""
        #expect(journal.contains(#""op":"done""#) && journal.contains(id))
    }

    @Test func aRefusedRequestBecomesADeadLetterListedForAPerson() throws {
        let dir = TempDir(); defer { dir.remove() }
        let t = try TestInvoker(
            Self.config(), environment: Self.environment, state: try InvokerState(directory: dir.path));
        defer { t.stop() }
        let r = try post("/hook", ["fail": "invalid_event"], port: t.port)
        #expect(r.status == 200 && r.json["outcome"].string == "spooled")
        #expect(eventually(timeout: 10) { t.invoker.spool?.deadLetters.count == 1 })
        let letter = try #require(t.invoker.spool?.deadLetters.first)
        #expect(letter.reason.contains("400"))
        #expect(letter.answer.contains("invalid_event"))
        let attention = JSONLines.read(dir.path + "/attention.jsonl").lines
        #expect(attention.map { $0["kind"].string } == ["dead_letter"])
        #expect((attention.first?["action"].string ?? "").contains("--retry \(letter.item.id)"))
        #expect(AttentionListing.text(attention).contains("1 dead_letter"))
    }

    /// A burst over the function's concurrency is queued, not shed: every request is acknowledged
    /// and runs once a slot frees.
    @Test func aBurstOverTheConcurrencyIsQueuedNotShed() throws {
        let dir = TempDir(); defer { dir.remove() }
        let t = try TestInvoker(
            Self.config(concurrency: 2), environment: Self.environment, state: try InvokerState(directory: dir.path));
        defer { t.stop() }
        let files = (0..<8).map { dir.path + "/ran-\($0)" }
        let answers = (0..<8).map { i in
            try? post("/hook", ["sleep_ms": 200, "count_file": .string(files[i])], port: t.port)
        }
        #expect(answers.allSatisfy { $0?.status == 200 && $0?.json["outcome"].string == "spooled" })
        #expect(eventually(timeout: 20) { t.invoker.spool?.pendingItems.isEmpty == true })
        #expect(
            files.allSatisfy {
                FileManager.default.contents(atPath: $0).map { String(decoding: $0, as: UTF8.self).trimmed() } == "1"
            })
    }

    /// The invoker is killed (SIGKILL) while spooled requests run; the next start replays them,
    /// and each runs to completion once.
    @Test func requestsInFlightWhenTheInvokerIsKilledRunAfterTheRestart() throws {
        let dir = TempDir(); defer { dir.remove() }
        let config = Self.config()
        let (first, port) = try startInvokerProcess(
            config: config, in: dir, environment: Self.environment, arguments: ["--state-dir", dir.path + "/state"])
        let marks = (0..<4).map { dir.path + "/done-\($0)" }
        for i in 0..<4 {
            // Each first run sleeps long enough to be killed; the replay runs to the end.
            let r = try post("/hook", ["count_file": .string(marks[i]), "sleep_ms": 3000], port: port)
            #expect(r.status == 200 && r.json["outcome"].string == "spooled")
        }
        #expect(
            eventually(timeout: 5) { marks.allSatisfy { FileManager.default.fileExists(atPath: $0) } },
            "all four started")
        kill(first.pid, SIGKILL)
        _ = first.waitForExit()
        let (second, _) = try startInvokerProcess(
            config: config, in: dir, environment: Self.environment, arguments: ["--state-dir", dir.path + "/state"])
        defer { kill(second.pid, SIGTERM); _ = second.waitForExit() }
        let pending = { Spool.snapshot(directory: dir.path + "/state/spool").pending.count }
        #expect(eventually(timeout: 30) { pending() == 0 }, "replayed to completion: \(second.stderr)")
        for m in marks {
            #expect(
                FileManager.default.contents(atPath: m).map { String(decoding: $0, as: UTF8.self).trimmed() } == "2")
        }
    }
}
