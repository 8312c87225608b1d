import Foundation
import FunctionRuntime
import SandboxKit
import Testing
import TestSupport

/// End to end against the sandbox: the survey rules, exactly-once under duplicates and faults, `--scan`.
@Suite struct SurveyE2ETests {
    static let surveyTag = "pesquisa2listen_disparada"

    static func seed(_ tickets: [JSON]) -> JSON {
        [
            "zendesk": [
                "users": [
                    ["id": 2001, "name": "Pat Doe", "email": "pat@example.com", "role": "end-user"],
                    ["id": 2002, "name": "No Mail", "role": "end-user"],
                ],
                "tickets": .array(tickets),
            ]
        ]
    }

    static func solved(
        _ id: Int, ago: String = "now-3h", requester: Int = 2001, publicReply: Bool = true, tags: [String] = []
    ) -> JSON {
        [
            "id": .int(Int64(id)), "subject": .string("Help \(id)"), "status": "solved",
            "requester_id": .int(Int64(requester)),
            "created_at": "now-5h", "updated_at": .string(ago), "solved_at": .string(ago), "tags": JSON(tags),
            "comments": [
                ["author_id": .int(Int64(requester)), "body": "Help please", "public": .bool(publicReply)],
                ["author_id": 1, "body": "Done", "public": .bool(publicReply)],
            ],
        ]
    }

    func claims(_ tags: [String]) -> [String] { tags.filter { $0.hasPrefix(Self.surveyTag + "_claim_") } }

    @Test func delayBoundaryOneHourFiftyNineVersusTwoHours() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1, ago: "now-119m"), Self.solved(2, ago: "now-2h")]))
        let early = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(early.status == 0)
        #expect(early.json["outcome"] == "skipped")
        #expect(early.json["reason"] == "too_soon")
        let due = try bench.run("survey-dispatch", event: ["ticket_id": "2"])
        #expect(due.status == 0)
        #expect(due.json["outcome"] == "dispatched")
        let subs = bench.surveySubmissions()
        #expect(subs.count == 1)
        #expect(subs.first?["body"]["email"] == "pat@example.com")
        #expect(subs.first?["body"]["name"] == "Pat Doe")
        #expect(subs.first?["body"]["ticket_id"] == 2)
        #expect(bench.tags(2) == [Self.surveyTag])
        #expect(bench.tags(1).isEmpty)
    }

    @Test func noPublicCommentAlreadyTaggedAndNoEmailAreSkipped() throws {
        let bench = try Bench(
            seed: Self.seed([
                Self.solved(1, publicReply: false), Self.solved(2, tags: [Self.surveyTag]),
                Self.solved(3, requester: 2002),
            ]))
        #expect(try bench.run("survey-dispatch", event: ["ticket_id": "1"]).json["reason"] == "no_public_comment")
        #expect(try bench.run("survey-dispatch", event: ["ticket_id": "2"]).json["reason"] == "already_surveyed")
        #expect(try bench.run("survey-dispatch", event: ["ticket_id": "3"]).json["reason"] == "no_requester_email")
        #expect(bench.surveySubmissions().isEmpty)
    }

    @Test func reopenedBeforeTheDelayIsNotSurveyedUntilSolvedAgain() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1, ago: "now-1h")]))
        // The customer writes back: an end-user comment reopens the solved ticket.
        try bench.agent(
            "PUT", "/api/v2/tickets/1.json",
            ["ticket": ["comment": ["body": "Still broken", "public": true, "author_id": 2001]]])
        #expect(bench.ticket(1)["status"] == "open")
        let reopened = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(reopened.json["reason"] == "not_solved")
        try bench.agent("PUT", "/api/v2/tickets/1.json", ["ticket": ["status": "solved"]])
        let again = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(again.json["reason"] == "too_soon")
        // Due two hours after the new solve, not after the first one.
        let due = Clock.parse(again.json["due_at"].string ?? "")
        #expect(due != nil && due! > Date().addingTimeInterval(3600 + 1800))
        #expect(bench.surveySubmissions().isEmpty)
    }

    @Test func duplicateConcurrentDeliveriesSendOneSurvey() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        let event: JSON = [
            "type": "zen:event-type:ticket.status_changed", "subject": "zen:ticket:1", "detail": ["id": "1"],
        ]
        let results = Locked([Exec.Output?](repeating: nil, count: 4))
        let env = bench.env
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let r = try? Exec.run("survey-dispatch", env: env, stdin: event.serialized())
            results.withValue { $0[i] = r }
        }
        let outputs = results.value
        #expect(outputs.allSatisfy { $0?.status == 0 })
        #expect(outputs.filter { $0?.json["outcome"] == "dispatched" }.count == 1)
        #expect(bench.surveySubmissions().count == 1)
        #expect(bench.tags(1) == [Self.surveyTag])
        // A later re-delivery changes nothing.
        #expect(try bench.run("survey-dispatch", event: event).json["reason"] == "already_surveyed")
        #expect(bench.surveySubmissions().count == 1)
    }

    @Test func throughTheInvokerWithASignedWebhook() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        let r = try invoker.postSigned("/survey/dispatch", ["ticket_id": "1"])
        #expect(r.status == 200, "\(r.text) \(invoker.log.value)")
        #expect(r.json["outcome"] == "dispatched")
        #expect(bench.surveySubmissions().count == 1)
    }

    @Test func surveyEndpoint401ReleasesTheClaimAndSendsNothing() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        let r = try bench.run("survey-dispatch", event: ["ticket_id": "1"], env: ["SURVEY_TOKEN": "wrong-token"])
        #expect(r.status == 78)
        #expect(bench.surveySubmissions().isEmpty)
        #expect(bench.tags(1).isEmpty)  // no survey tag, claim released
        let fixed = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(fixed.json["outcome"] == "dispatched")
        #expect(bench.surveySubmissions().count == 1)
    }

    @Test func surveyEndpoint503IsRetriedLaterNotLost() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        try bench.sandbox.setFaults([
            "rules": [["service": "survey", "times": 0, "mode": "status", "status": 503, "retry_after": 1]]
        ])
        let r = try bench.run("survey-dispatch", event: ["ticket_id": "1"], env: ["FUNCTION_BUDGET_MS": "3000"])
        #expect(r.status == 75)
        #expect(bench.surveySubmissions().isEmpty)
        #expect(bench.tags(1).isEmpty)
        try bench.sandbox.setFaults(["rules": []])
        let retry = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(retry.json["outcome"] == "dispatched")
        #expect(bench.surveySubmissions().count == 1)
        #expect(bench.tags(1) == [Self.surveyTag])
    }

    @Test func tagWriteFailingAfterASuccessfulPostNeverSendsTwice() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        try bench.sandbox.setFaults([
            "rules": [
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "tickets/1\\.json", "times": 0,
                    "mode": "status", "status": 503, "retry_after": 1,
                ]
            ]
        ])
        let r = try bench.run("survey-dispatch", event: ["ticket_id": "1"], env: ["FUNCTION_BUDGET_MS": "3000"])
        #expect(r.status == 0)
        #expect(r.json["outcome"] == "dispatched")
        #expect(r.json["recorded"] == false)
        #expect(attention(r.stderr) == ["survey_not_recorded"], "listed for a person: \(r.stderr)")
        #expect(bench.surveySubmissions().count == 1)
        #expect(claims(bench.tags(1)).count == 1)
        try bench.sandbox.setFaults(["rules": []])
        let redelivered = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(redelivered.json["outcome"] == "skipped")
        #expect(redelivered.json["reason"] == "claimed")
        #expect(bench.surveySubmissions().count == 1)
    }

    /// The kinds of the `attention` entries in a function's log lines.
    func attention(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").compactMap { try? JSON.parse(Array($0.utf8)) }.flatMap { line in
            (line["attention"].array ?? []).compactMap { $0["kind"].string }
        }
    }

    /// 2listen's answer lost after the POST was sent: whether it took the survey cannot be
    /// settled (no idempotency key, no lookup), so it is never re-sent — and never silent: the
    /// log line is a warning listing it for a person, with what to do.
    @Test func aLostSurveyAnswerIsListedForAPerson() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        try bench.sandbox.setFaults(["rules": [["service": "survey", "times": 1, "mode": "lose_response"]]])
        let r = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(r.json["outcome"] == "dispatched")
        #expect(r.json["confirmed"] == false)
        #expect((r.json["action"].string ?? "").contains("check 2listen"))
        #expect(attention(r.stderr) == ["survey_unconfirmed"], "\(r.stderr)")
        #expect(r.stderr.contains(#""level":"warn""#))
        #expect(bench.tags(1).sorted() == [Self.surveyTag, Self.surveyTag + "_unconfirmed"])
        #expect(bench.surveySubmissions().count == 1)
        // A re-delivery sends nothing more.
        #expect(try bench.run("survey-dispatch", event: ["ticket_id": "1"]).json["reason"] == "already_surveyed")
        #expect(bench.surveySubmissions().count == 1)
    }

    /// A survey endpoint that refuses the connection never received the survey: not ambiguous,
    /// the claim is released and the delivery is retried.
    @Test func aRefusedConnectionIsNotAmbiguous() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        let r = try bench.run(
            "survey-dispatch", event: ["ticket_id": "1"],
            env: ["SURVEY_URL": "http://127.0.0.1:9/survey/s1", "FUNCTION_BUDGET_MS": "2000"])
        #expect(r.status == 75, "\(r.stdout)")
        #expect(bench.tags(1).isEmpty, "claim released, no survey tag")
        #expect(attention(r.stderr).isEmpty)
    }

    @Test func lostAnswerToTheClaimIsRecognisedAsOurOwn() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1)]))
        try bench.sandbox.setFaults([
            "rules": [
                ["service": "zendesk", "method": "PUT", "path_regex": "tags", "times": 1, "mode": "lose_response"]
            ]
        ])
        let r = try bench.run("survey-dispatch", event: ["ticket_id": "1"])
        #expect(r.json["outcome"] == "dispatched")
        #expect(bench.surveySubmissions().count == 1)
        #expect(bench.tags(1) == [Self.surveyTag])
    }

    @Test func scanFindsDueTicketsAndDispatchesEach() throws {
        let bench = try Bench(
            seed: Self.seed([
                Self.solved(1), Self.solved(2, ago: "now-30m"), Self.solved(3, tags: [Self.surveyTag]),
                Self.solved(4, ago: "now-4h"),
            ]))
        let r = try bench.run("survey-dispatch", ["--scan"], event: .null)
        #expect(r.status == 0)
        let lines = r.lines
        let summary = lines.last ?? .null
        #expect(summary["outcome"] == "scanned")
        #expect(summary["found"] == 2)
        #expect(summary["dispatched"] == 2)
        #expect(Set(lines.dropLast().compactMap { $0["ticket_id"].int }) == [1, 4])
        #expect(Set(bench.surveySubmissions().compactMap { $0["body"]["ticket_id"].int }) == [1, 4])
        // A second scan finds nothing left to do.
        let again = try bench.run("survey-dispatch", ["--scan"], event: .null)
        #expect(again.lines.last?["found"] == 0)
        #expect(bench.surveySubmissions().count == 2)
    }

    /// Tickets skipped for good stay solved and untagged; a thousand of them must not hide a
    /// ticket that just came due behind Zendesk's 1000 search results.
    @Test func scanChecksTheMostRecentlyUpdatedFirst() throws {
        let skippedForGood = (1...1000).map { Self.solved($0, ago: "now-5h", publicReply: false) }
        let bench = try Bench(seed: Self.seed(skippedForGood + [Self.solved(5000, ago: "now-3h")]))
        let r = try bench.run("survey-dispatch", ["--scan"], event: .null)
        #expect(r.status == 0)
        let summary = r.lines.last ?? .null
        #expect(summary["outcome"] == "scanned")
        #expect(summary["found"] == 1000)
        #expect(summary["not_returned"] == 1, "\(summary)")
        #expect(summary["dispatched"] == 1, "\(summary)")
        #expect(r.lines.first?["ticket_id"] == 5000)
        #expect(bench.surveySubmissions().compactMap { $0["body"]["ticket_id"].int } == [5000])
        #expect(r.stderr.contains("not checked in this scan"), "the cap is logged")
    }

    /// `--scan --dry-run` says what it would do for each due ticket and does none of it.
    @Test func scanDryRunReportsIntentNotEffects() throws {
        let bench = try Bench(seed: Self.seed([Self.solved(1), Self.solved(4, ago: "now-4h")]))
        let r = try bench.run("survey-dispatch", ["--scan", "--dry-run"], event: .null)
        #expect(r.status == 0, "\(r.stdout)")
        let lines = Array(r.lines.dropLast())
        #expect(lines.count == 2)
        for line in lines {
            #expect(line["outcome"] == "planned", "\(line)")
            #expect(line["would"] == "dispatched")
            #expect(
                line["confirmed"].isNull && line["recorded"].isNull,
                "nothing was sent, so nothing is confirmed: \(line)")
            #expect(line["plan"].array?.contains { $0["url"].string?.contains("/survey/") == true } == true, "\(line)")
        }
        #expect(bench.surveySubmissions().isEmpty)
        #expect(bench.tags(1).isEmpty && bench.tags(4).isEmpty)
    }
}
