import Foundation
import FunctionRuntime
import SandboxKit
import Testing
import TestSupport

/// End to end: the sandbox, the invoker serving the product's functions.json (route
/// `POST /zendesk/tickets` → pipeline [brand-filter, ticket-metrics]), and signed Zendesk webhooks.
@Suite(.serialized) struct MetricsE2ETests {
    static let seed: JSON = [
        "zendesk": [
            "brands": [["id": 1, "name": "Main", "default": true], ["id": 2, "name": "Other"]],
            "users": [
                [
                    "id": 2001, "name": "Pat Doe", "email": "pat@example.com", "phone": "+15551230000",
                    "role": "end-user",
                ],
                ["id": 2002, "name": "Anon", "role": "end-user"],
                ["id": 3001, "name": "Ann Agent", "email": "ann@example.com", "role": "agent"],
            ],
            "groups": [["id": 77, "name": "Tier 1"]],
            "tickets": [
                [
                    "id": 1, "subject": "Order late", "status": "open", "requester_id": 2001, "assignee_id": 3001,
                    "group_id": 77,
                    "brand_id": 1, "priority": "high", "type": "question", "tags": ["vip"],
                    "custom_fields": [["id": 360001, "value": "gold"]],
                    "comments": [["author_id": 2001, "body": "Where is my order?"]],
                ],
                [
                    "id": 2, "subject": "No contact", "status": "open", "requester_id": 2002, "brand_id": 1,
                    "comments": [["author_id": 2002, "body": "Hello"]],
                ],
                [
                    "id": 3, "subject": "Other brand", "status": "open", "requester_id": 2001, "brand_id": 2,
                    "comments": [["author_id": 2001, "body": "Hi"]],
                ],
            ],
        ]
    ]

    @Test func openedTicketHasAllFourteenPropertiesAndIsRecordedOnce() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        let event = try bench.zendeskEvent("ticket.created", ticket: 1)
        let first = try invoker.postSigned("/zendesk/tickets", event)
        #expect(first.status == 200)
        #expect(first.json["outcome"] == "emitted")
        let again = try invoker.postSigned("/zendesk/tickets", event)
        #expect(again.status == 200)
        let events = bench.klaviyoEvents()
        #expect(events.count == 1)
        let e = events.first ?? .null
        #expect(e["metric"] == "Opened Ticket")
        let p = e["properties"]
        #expect(
            Set(p.object?.keys.map { $0 } ?? []) == [
                "Assignee_email", "Assignee_name", "Channel", "Description", "Fields", "Group_name",
                "Priority", "Subject", "Tags", "Ticket_id", "Type", "Via", "Zendesk_url", "Status",
            ])
        #expect(p["Assignee_email"] == "ann@example.com")
        #expect(p["Assignee_name"] == "Ann Agent")
        #expect(p["Description"] == "Where is my order?")
        #expect(p["Fields"] == ["360001": "gold"])
        #expect(p["Group_name"] == "Tier 1")
        #expect(p["Priority"] == "high")
        #expect(p["Subject"] == "Order late")
        #expect(p["Tags"] == ["vip"])
        #expect(p["Ticket_id"] == 1)
        #expect(p["Type"] == "question")
        #expect(p["Status"] == "open")
        #expect(p["Zendesk_url"].string?.hasSuffix("/agent/tickets/1") == true)
        #expect(p["Channel"].string != nil)
        #expect(e["unique_id"].string?.hasSuffix(":1:opened") == true)
        // `time` is when the ticket was created in Zendesk, not when the event was recorded.
        #expect(Clock.parse(e["time"].string ?? "") == Clock.parse(bench.ticket(1)["created_at"].string ?? "x"))
    }

    @Test func solvedGivesNothingAndClosedGivesResolvedTicket() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        try bench.agent("PUT", "/api/v2/tickets/1.json", ["ticket": ["status": "solved"]])
        let solved = try invoker.postSigned(
            "/zendesk/tickets", try bench.zendeskEvent("ticket.status_changed", ticket: 1))
        #expect(solved.status == 200)
        #expect(solved.json["outcome"] == "skipped")
        #expect(bench.klaviyoEvents().isEmpty)
        try bench.agent("PUT", "/api/v2/tickets/1.json", ["ticket": ["status": "closed"]])
        let closedEvent = try bench.zendeskEvent("ticket.status_changed", ticket: 1)
        let closed = try invoker.postSigned("/zendesk/tickets", closedEvent)
        #expect(closed.status == 200)
        #expect(try invoker.postSigned("/zendesk/tickets", closedEvent).status == 200)  // re-delivery
        let events = bench.klaviyoEvents()
        #expect(events.count == 1)
        #expect(events.first?["metric"] == "Resolved Ticket")
        #expect(events.first?["properties"]["Status"] == "closed")
        #expect(events.first?["properties"].object?.count == 14)
        #expect(events.first?["unique_id"].string?.hasSuffix(":1:resolved") == true)
    }

    @Test func requesterWithoutEmailOrPhoneIsSkipped() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        let r = try invoker.postSigned("/zendesk/tickets", try bench.zendeskEvent("ticket.created", ticket: 2))
        #expect(r.status == 200)
        #expect(r.json["outcome"] == "skipped")
        #expect(r.json["reason"] == "no_email_or_phone")
        #expect(bench.klaviyoEvents().isEmpty)
    }

    @Test func brandFilterPassesSelectedBrandAndEndsThePipelineOtherwise() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(
            env: bench.env.merging(["ZENDESK_BRANDS": "1"]) { _, b in b }, secret: bench.secret)
        let other = try invoker.postSigned("/zendesk/tickets", try bench.zendeskEvent("ticket.created", ticket: 3))
        #expect(other.status == 200)
        #expect(bench.klaviyoEvents().isEmpty)
        let noBrand = try invoker.postSigned("/zendesk/tickets", ["type": "ticket.created", "ticket_id": "1"])
        #expect(noBrand.status == 200)
        #expect(bench.klaviyoEvents().isEmpty)
        let main = try invoker.postSigned("/zendesk/tickets", try bench.zendeskEvent("ticket.created", ticket: 1))
        #expect(main.status == 200)
        #expect(bench.klaviyoEvents().count == 1)
    }

    @Test func withAllBrandsAnEventWithoutBrandPasses() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        let r = try invoker.postSigned("/zendesk/tickets", ["type": "ticket.created", "ticket_id": "1"])
        #expect(r.status == 200)
        #expect(bench.klaviyoEvents().count == 1)
    }

    @Test func badSignatureIsRefusedAndRecordsNothing() throws {
        let bench = try Bench(seed: Self.seed)
        let invoker = try InvokerProcess(env: bench.env, secret: bench.secret)
        let r = try invoker.postSigned(
            "/zendesk/tickets", try bench.zendeskEvent("ticket.created", ticket: 1), signature: "bm9wZQ==")
        #expect(r.status == 401)
        #expect(bench.klaviyoEvents().isEmpty)
    }

    @Test func brandFilterStreamKeepsMatchingLinesByteForByte() throws {
        let lines = [
            #"{"detail":{"brand_id":"1"},  "n":1}"#, #"{"detail":{"brand_id":"2"},"n":2}"#, #"{"n":3}"#,
            #"{"brand_id":1,"n":4}"#,
        ]
        let r = try Exec.run(
            "brand-filter", ["--stream"], env: ["ZENDESK_BRANDS": "1"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.status == 0)
        #expect(r.stdout == lines[0] + "\n" + lines[3] + "\n")
        let one = try Exec.run("brand-filter", env: ["ZENDESK_BRANDS": "2"], stdin: lines[0])
        #expect(one.status == 0)
        #expect(one.stdout.isEmpty)
        let all = try Exec.run("brand-filter", env: [:], stdin: lines[2])
        #expect(all.stdout == lines[2] + "\n")
    }

    @Test func streamDryRunTurnsEventsIntoKlaviyoBodiesWithoutSending() throws {
        let bench = try Bench(seed: Self.seed)
        let created = try bench.zendeskEvent("ticket.created", ticket: 1)
        let other = try bench.zendeskEvent("ticket.created", ticket: 3)
        let r = try Exec.run(
            "ticket-metrics", ["--stream", "--dry-run"],
            env: bench.env.merging(["TICKET_METRICS_BACKFILL": "1"]) { _, b in b },
            stdin: created.serialized() + "\n" + other.serialized() + "\n")
        #expect(r.status == 0)
        let out = r.lines
        #expect(out.count == 2)
        #expect(out.map { $0["ticket_id"] } == [1, 3])
        let body = out.first?["plan"][0]["body"] ?? .null
        #expect(body.at("data.attributes.metric.data.attributes.name") == "Opened Ticket")
        #expect(body.at("data.attributes.backfill") == true)
        #expect(body.at("data.attributes.properties").object?.count == 14)
        #expect(out.first?["plan"][0]["url"].string?.hasSuffix("/api/events") == true)
        #expect(bench.klaviyoEvents().isEmpty)
    }

    /// Reading ahead changes nothing but the speed: the same lines, in input order, with and
    /// without it — also for a ticket that is not there, an event skipped before any read, the
    /// same ticket twice in one window, and a Zendesk that answers 429 with Retry-After to reads.
    @Test func streamReadAheadKeepsOrderAndOutputs() throws {
        let bench = try Bench(seed: Self.seed)
        var lines: [String] = []
        for i in 0..<24 {
            switch i % 6 {
            case 0: lines.append(try bench.zendeskEvent("ticket.created", ticket: 1).serialized())
            case 1: lines.append(#"{"type":"ticket.created","ticket_id":"999"}"#)
            case 2: lines.append(#"{"type":"ticket.status_changed","ticket_id":"2","status":"solved"}"#)
            case 3: lines.append(try bench.zendeskEvent("ticket.created", ticket: 3).serialized())
            case 4: lines.append(#"{"type":"ticket.created","ticket_id":"1"}"#)
            default: lines.append(#"{"type":"ticket.created","ticket_id":"2"}"#)
            }
        }
        let input = lines.joined(separator: "\n") + "\n"
        func run(_ window: String) throws -> [JSON] {
            let r = try Exec.run(
                "ticket-metrics", ["--stream", "--dry-run"],
                env: bench.env.merging(["FUNCTION_STREAM_PREFETCH": window]) { _, b in b }, stdin: input)
            #expect(r.lines.count == lines.count, "\(r.stdout) \(r.stderr)")
            // Upstream timings differ from run to run; the decisions and bodies must not.
            return r.lines.map {
                var l = $0; l["duration_ms"] = nil; return l
            }
        }
        let plain = try run("1")
        let ahead = try run("8")
        #expect(ahead == plain)
        #expect(plain.map { $0["ticket_id"].int ?? 0 } == lines.indices.map { [1, 999, 2, 3, 1, 2][$0 % 6] })
        #expect(plain.filter { $0["would"] == "emitted" }.count == 12, "\(plain.map { $0["outcome"] })")
        #expect(plain.filter { $0["reason"] == "ticket_not_found" }.count == 4)
        #expect(plain.filter { $0["reason"] == "no_email_or_phone" }.count == 4)

        // Reads answered 429 (Retry-After: 1) are made again by the handler, honouring it.
        try bench.sandbox.setFaults([
            "rules": [
                [
                    "service": "zendesk", "method": "GET", "path_regex": "^/api/v2/tickets/", "mode": "status",
                    "status": 429, "retry_after": 1, "times": 3,
                ]
            ]
        ])
        let started = Clock.monotonicMS()
        let limited = try run("8")
        #expect(limited == plain)
        #expect(Clock.monotonicMS() - started >= 900, "the Retry-After was honoured")
    }

    /// While one window's events are handled (here: each Klaviyo write takes 150 ms), the next
    /// window's ticket reads are already made — before the window's last write, not after it.
    @Test func streamReadsTheNextWindowWhileWriting() throws {
        let bench = try Bench(seed: Self.seed)
        try bench.sandbox.setFaults([["service": "klaviyo", "method": "POST", "mode": "delay", "ms": 150, "times": 0]])
        let tickets = [1, 3, 1, 3, 1, 3, 1, 3]
        let input = tickets.map { #"{"type":"ticket.created","ticket_id":"\#($0)"}"# }.joined(separator: "\n") + "\n"
        let r = try Exec.run(
            "ticket-metrics", ["--stream"], env: bench.env.merging(["FUNCTION_STREAM_PREFETCH": "4"]) { _, b in b },
            stdin: input)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.lines.map { $0["ticket_id"].int ?? 0 } == tickets.map(Int64.init))
        #expect(r.lines.allSatisfy { $0["outcome"] == "emitted" || $0["outcome"] == "duplicate" }, "\(r.stdout)")
        let log = bench.sandbox.requestLog()
        let reads = log.filter { $0["service"] == "zendesk" && $0["method"] == "GET" }
        let writes = log.filter { $0["service"] == "klaviyo" && $0["method"] == "POST" }
        #expect(writes.count == tickets.count)
        guard writes.count == tickets.count else { return }
        // Window 1 reads tickets 1 and 3 ahead, and its events 3 and 4 read them again (an answer
        // read ahead serves one event): 4 reads before its last write. Window 2's two reads ahead
        // come on top while window 1 is still writing.
        let lastWrite = writes[3]["seq"].int ?? 0
        let readsBefore = reads.filter { ($0["seq"].int ?? .max) < lastWrite }.count
        #expect(readsBefore == 6, "\(log.map { "\($0["seq"]) \($0["service"]) \($0["method"])" })")
    }

    /// A service's 401 says the credentials were refused, not that something is missing.
    @Test func refusedCredentialsAreCalledThat() throws {
        let bench = try Bench(seed: Self.seed)
        let created = try bench.zendeskEvent("ticket.created", ticket: 1)
        let r = try bench.run("ticket-metrics", event: created, env: ["ZENDESK_API_TOKEN": "wrong-token"])
        #expect(r.status == 78)
        #expect(r.json["error"]["detail"] == "credentials_refused", "\(r.stdout)")
        #expect(r.json["error"]["message"].string?.contains("refused the credentials") == true)
    }
}
