import BundleCore
import Foundation
import HTTPServer
import FunctionRuntime
import InvokerKit
import SandboxKit
import Testing
import TestSupport

/// The fault soak: customers' texts, agent replies, closed tickets and surveys through the
/// invoker (spooled routes as shipped in functions.json) against the sandbox with ~20 % of
/// service calls faulted (503, 429, reset before processing, answer lost after processing) and
/// ~13 % of deliveries duplicated (at the same moment or later), each delivery retried the way
/// its sender retries: Twilio never re-delivers; Zendesk re-delivers 409/429/503 and dropped
/// connections up to three times. At the end the faults stop, the spool drains and a
/// `survey-dispatch --scan` runs (as cron would); then every expected effect is counted:
///
/// - **lost**: an effect that did not happen and is listed nowhere for a person;
/// - **duplicated**: an effect that happened more than once;
/// - **needs a person**: an effect that did not happen or cannot be confirmed, listed in the
///   attention file with what to do (an unconfirmed survey: 2listen has no idempotency and no
///   lookup, so a reset after the POST was sent cannot be settled by the bundle).
///
/// `SOAK_EVENTS` sets the size (default 200 here; `bench/soak` runs 1,000).
@Suite(.serialized) struct SoakTests {
    @Test func faultSoakLosesAndDuplicatesNothing() throws {
        let events = Int(ProcessInfo.processInfo.environment["SOAK_EVENTS"] ?? "") ?? 200
        let report = try Soak(events: events).run()
        print(report.summary)
        #expect(report.lost == 0, "\(report.summary)\n\(report.details.joined(separator: "\n"))")
        #expect(report.duplicated == 0, "\(report.summary)\n\(report.details.joined(separator: "\n"))")
        #expect(report.faultsFired > events / 4, "faults really fired: \(report.faultsFired)")
    }
}

struct SoakReport {
    var kinds: [String: (expected: Int, lost: Int, duplicated: Int, flagged: Int)] = [:]
    var details: [String] = []
    var faultsFired = 0
    var serviceCalls = 0
    var deliveries = 0
    var seconds = 0.0

    var lost: Int { kinds.values.map(\.lost).reduce(0, +) }
    var duplicated: Int { kinds.values.map(\.duplicated).reduce(0, +) }
    var flagged: Int { kinds.values.map(\.flagged).reduce(0, +) }

    mutating func count(_ kind: String, happened: Int, flagged isFlagged: Bool, what: String) {
        var k = kinds[kind] ?? (0, 0, 0, 0)
        k.expected += 1
        if happened > 1 { k.duplicated += 1; details.append("duplicated ×\(happened): \(what)") }
        // Done but also listed (an unconfirmed survey that did go out) counts as done.
        if happened == 0 {
            if isFlagged { k.flagged += 1 } else { k.lost += 1; details.append("lost: \(what)") }
        }
        kinds[kind] = k
    }

    var summary: String {
        let share = serviceCalls > 0 ? 100 * Double(faultsFired) / Double(serviceCalls) : 0
        var lines = [
            "soak: \(deliveries) deliveries, \(faultsFired) of \(serviceCalls) service calls faulted (\(String(format: "%.1f", share)) %), \(String(format: "%.1f", seconds)) s"
        ]
        for (kind, k) in kinds.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "  \(kind): \(k.expected) expected, \(k.lost) lost, \(k.duplicated) duplicated, \(k.flagged) missing but listed for a person"
            )
        }
        lines.append("soak: \(lost) lost, \(duplicated) duplicated, \(lost) silent, \(flagged) listed for a person")
        return lines.joined(separator: "\n")
    }
}

/// One soak run (see `SoakTests`).
final class Soak: @unchecked Sendable {
    typealias B = SMSBench
    let events: Int
    let customers: [String]
    let bench: SMSBench
    let state: String
    /// Customers whose handset never receives a text.
    let unreachable: Set<String>

    init(events: Int) throws {
        self.events = events
        customers = (0..<60).map { "+1555300" + String(format4: $0) }
        let surveys = max(4, events / 10), closes = max(4, events / 10)
        var profiles: [JSON] = [], users: [JSON] = []
        for (i, phone) in customers.enumerated() {
            profiles.append([
                "id": .string("01SOAK\(String(format4: i))PROFILE000000A"), "phone_number": .string(phone),
                "first_name": .string("C\(i)"),
                "subscriptions": ["sms": ["marketing": ["consent": "SUBSCRIBED"]]],
            ])
            users.append([
                "id": .int(Int64(5000 + i)), "name": .string("Customer \(i)"), "phone": .string(phone),
                "role": "end-user",
                "email": .string("c\(i)@example.com"),
            ])
        }
        var tickets: [JSON] = []
        for i in 0..<surveys {
            tickets.append([
                "id": .int(Int64(900 + i)), "subject": "Survey me", "status": "solved",
                "requester_id": .int(Int64(5000 + i % 60)),
                "created_at": "now-5h", "updated_at": "now-3h", "solved_at": "now-3h",
                "comments": [
                    ["author_id": .int(Int64(5000 + i % 60)), "body": "Help", "public": true],
                    ["author_id": 1, "body": "Done", "public": true],
                ],
            ])
        }
        for i in 0..<closes {
            tickets.append([
                "id": .int(Int64(1900 + i)), "subject": "Close me", "status": "solved",
                "requester_id": .int(Int64(5000 + i % 60)),
                "comments": [["author_id": .int(Int64(5000 + i % 60)), "body": "Question", "public": true]],
            ])
        }
        // Every tenth customer's handset cannot be reached: Twilio accepts the replies, then
        // reports them undelivered through the status callback (spooled like the webhooks).
        unreachable = Set(customers.enumerated().filter { $0.offset % 10 == 3 }.map(\.element))
        bench = try SMSBench(
            seed: B.seed([
                "klaviyo": ["profiles": .array(profiles)],
                "zendesk": ["users": .array(users), "tickets": .array(tickets)],
                "twilio": ["unreachable": JSON(unreachable.sorted())],
            ]))
        state = NSTemporaryDirectory() + "soak-" + SMSBench.randomHex(6)
        // The product's default: new SMS tickets get the customer-context note.
        bench.configure(["SMS_CONTEXT_NOTE": "1"], state: try InvokerState(directory: state))
    }

    deinit { try? FileManager.default.removeItem(atPath: state) }

    var faults: JSON {
        [
            "rules": [
                ["mode": "status", "status": 503, "retry_after": 0, "times": 0, "probability": 0.06],
                ["mode": "status", "status": 429, "retry_after": 0, "times": 0, "probability": 0.045],
                ["mode": "reset", "times": 0, "probability": 0.05],
                ["mode": "lose_response", "times": 0, "probability": 0.055],
            ]
        ]
    }

    /// What proxies in front of the bundle add, a different few on each delivery: each one a CGI
    /// variable the warm worker's last request may have lacked (which moves its environment).
    static let proxyHeaders = [
        ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"), ("Via", "1.1 edge"),
        ("X-Request-Id", "soak-request"), ("X-Amzn-Trace-Id", "Root=1-65f0a1b2-0123456789abcdef01234567"),
    ]

    /// Zendesk's webhook retries: 409, 429, 503 and dropped connections, up to three more times.
    func zendeskDelivery(_ path: String, _ payload: JSON) {
        for attempt in 0..<4 {
            let extra = Self.proxyHeaders.filter { _ in Bool.random() }
            let r = try? bench.postZendesk(path, payload, extraHeaders: extra)
            if let r, ![409, 429, 503].contains(r.status) { return }
            Clock.sleep(0.2 * Double(attempt + 1))
        }
    }

    /// Twilio posts an inbound text once (a 5xx is not re-delivered).
    func twilioDelivery(_ body: String, from: String, sid: String) {
        _ = try? bench.text(body, from: from, to: B.brandA, sid: sid)
    }

    /// Runs `jobs` on 8 threads; about 13 % are delivered twice, half of those at the same moment.
    func deliver(_ jobs: [@Sendable () -> Void], report: inout SoakReport) {
        var all: [@Sendable () -> Void] = []
        for job in jobs {
            all.append(job)
            let roll = Double.random(in: 0..<1)
            if roll < 0.065 {
                all.append({
                    job(); Clock.sleep(0.05); job()
                })
            }  // soon after
            else if roll < 0.13 {
                all.append(job)
            }  // at about the same moment
        }
        report.deliveries += all.count
        let queue = Locked<[@Sendable () -> Void]>(all.shuffled())
        let done = Locked(0)
        for _ in 0..<8 {
            Thread.detach {
                while let job = queue.withValue({ $0.popLast() }) { job() }
                done.withValue { $0 += 1 }
            }
        }
        while done.value < 8 { Clock.sleep(0.02) }
    }

    func drain(timeout: Double = 180) {
        let until = Date().addingTimeInterval(timeout)
        while Date() < until, !Spool.snapshot(directory: state + "/spool").pending.isEmpty { Clock.sleep(0.2) }
    }

    func run() throws -> SoakReport {
        var report = SoakReport()
        let started = Date()
        let textCount = events * 45 / 100, replyCount = events * 35 / 100
        let surveys = max(4, events / 10), closes = max(4, events / 10)
        try bench.faults(faults)

        // Phase 1: customers text.
        var texts: [(body: String, from: String, sid: String)] = []
        for i in 0..<textCount {
            texts.append(
                ("soak text \(i) " + SMSBench.randomHex(3), customers[i % customers.count], SMSBench.messageSID()))
        }
        var before = bench.sandbox.traffic
        deliver(texts.map { t in { [self] in twilioDelivery(t.body, from: t.from, sid: t.sid) } }, report: &report)
        drain()  // spooled work runs under the same faults
        try bench.faults(["rules": []])
        var after = bench.sandbox.traffic
        report.serviceCalls += after.requests - before.requests
        report.faultsFired += after.faults - before.faults
        drain()

        // Phase 2: agents reply on those conversations, tickets close, surveys go out.
        var replies: [(ticket: Int64, comment: Int64, body: String, customer: String)] = []
        let conversations = customers.compactMap { c -> (Int64, String)? in
            bench.tickets(customer: c, brand: B.brandA).first { $0["status"].string != "closed" }?["id"].int.map {
                ($0, c)
            }
        }
        for i in 0..<replyCount where !conversations.isEmpty {
            let (ticket, customer) = conversations[i % conversations.count]
            let body = "soak reply \(i) " + SMSBench.randomHex(3)
            replies.append((ticket, try bench.addComment(ticket: ticket, body: body, author: 1), body, customer))
        }
        var closeEvents: [JSON] = []
        for i in 0..<closes {
            let id = Int64(1900 + i)
            _ = try bench.zendesk("PUT", "/api/v2/tickets/\(id).json", ["ticket": ["status": "closed"]])
            let r = try bench.sandboxCall(
                "GET", "/_ctl/zendesk-event?type=ticket.status_changed&ticket=\(id)&previous=SOLVED")
            closeEvents.append(r.json)
        }
        try bench.faults(faults)
        before = bench.sandbox.traffic
        var jobs: [@Sendable () -> Void] = []
        for r in replies {
            let event = try bench.zendeskEvent(ticket: r.ticket, comment: r.comment)
            jobs.append { [self] in zendeskDelivery("/zendesk/comments", event) }
        }
        for e in closeEvents { jobs.append { [self] in zendeskDelivery("/zendesk/tickets", e) } }
        for i in 0..<surveys {
            jobs.append { [self] in zendeskDelivery("/survey/dispatch", ["ticket_id": .string(String(900 + i))]) }
        }
        deliver(jobs, report: &report)
        drain()
        // Twilio's status callbacks of the replies sent meanwhile, still under the faults.
        _ = bench.sandbox.waitForDeliveries(timeout: 60)
        drain()
        try bench.faults(["rules": []])
        after = bench.sandbox.traffic
        report.serviceCalls += after.requests - before.requests
        report.faultsFired += after.faults - before.faults
        _ = bench.sandbox.waitForDeliveries(timeout: 60)
        drain()
        // The survey backstop a deployment runs from cron.
        var env = bench.sandbox.functionEnvironment()
        env["PATH"] = "/usr/bin:/bin"
        env[ConfigKey.attentionLog] = state + "/attention.jsonl"
        _ = try? Exec.run("survey-dispatch", ["--scan"], env: env, stdin: "")

        // Counting.
        let st = bench.state()
        let attention = JSONLines.read(state + "/attention.jsonl").lines
        let flaggedTickets = Set(attention.compactMap { $0["ticket_id"].int })
        let dead = Spool.snapshot(directory: state + "/spool")
        let allComments = (st.at("zendesk.tickets").array ?? []).flatMap { $0["comments"].array ?? [] }.compactMap {
            $0["body"].string
        }
        let commentCounts = Dictionary(allComments.map { ($0, 1) }, uniquingKeysWith: +)
        // A text is listed for a person when its request is a dead letter of the spool.
        let deadTexts = Set(
            dead.dead.compactMap { d in FormDecoding.pairs(d.item.request.body).last { $0.0 == "Body" }?.1 })
        for t in texts {
            report.count(
                "customer text → ticket comment", happened: commentCounts[t.body] ?? 0,
                flagged: deadTexts.contains(t.body), what: t.body)
        }
        // Each live SMS conversation ticket holds its customer-context note exactly once.
        for t in st.at("zendesk.tickets").array ?? [] {
            guard t["external_id"].string?.hasPrefix("sms:") == true, t["status"].string != "closed" else { continue }
            let notes = (t["comments"].array ?? []).filter {
                $0["public"].bool == false && $0["body"].string?.hasPrefix("Customer context from Klaviyo") == true
            }.count
            report.count(
                "new SMS ticket → context note", happened: notes, flagged: false,
                what: "ticket \(t["id"].int ?? 0)")
        }
        let sms = (st.at("twilio.messages").array ?? []).compactMap { $0["body"].string }
        let smsCounts = Dictionary(sms.map { ($0, 1) }, uniquingKeysWith: +)
        let events = st.at("klaviyo.events").array ?? []
        for r in replies {
            // Listed for a person: an attention entry about this very comment.
            let listed = attention.contains {
                $0["ticket_id"].int == r.ticket && ($0["detail"].string ?? "").contains("comment \(r.comment)")
            }
            report.count(
                "agent reply → SMS", happened: smsCounts[r.body] ?? 0, flagged: listed,
                what: "ticket \(r.ticket) comment \(r.comment)")
            let recorded = events.filter {
                $0["metric"] == "Zendesk SMS Reply" && $0["properties"]["zendesk_comment_id"].int == r.comment
            }.count
            report.count(
                "agent reply → Zendesk SMS Reply event", happened: recorded, flagged: listed,
                what: "comment \(r.comment)")
        }
        // A reply the customer's handset never got: one internal note about it on its ticket.
        let tickets = st.at("zendesk.tickets").array ?? []
        for r in replies where unreachable.contains(r.customer) {
            let comments = tickets.first { $0["id"].int == r.ticket }?["comments"].array ?? []
            let notes = comments.filter {
                $0["public"].bool == false && ($0["body"].string ?? "").hasPrefix("SMS not delivered")
                    && ($0["body"].string ?? "").contains("comment \(r.comment)")
            }.count
            let listed = attention.contains {
                $0["kind"].string == "reply_undelivered" && $0["ticket_id"].int == r.ticket
                    && ($0["detail"].string ?? "").contains("comment \(r.comment)")
            }
            report.count(
                "undelivered reply → note on its ticket", happened: notes, flagged: listed,
                what: "ticket \(r.ticket) comment \(r.comment)")
        }
        for i in 0..<closes {
            let id = Int64(1900 + i)
            let n = events.filter { $0["metric"] == "Resolved Ticket" && ($0["properties"]["Ticket_id"].int == id) }
                .count
            report.count(
                "closed ticket → Resolved Ticket", happened: n, flagged: flaggedTickets.contains(id),
                what: "ticket \(id)")
        }
        let submissions = st.at("survey.submissions").array ?? []
        for i in 0..<surveys {
            let id = Int64(900 + i)
            let n = submissions.filter {
                $0["body"]["ticket_id"].int == id || $0["body"]["ticket_id"].string == String(id)
            }.count
            report.count(
                "solved ticket → survey", happened: n, flagged: flaggedTickets.contains(id), what: "ticket \(id)")
        }
        for d in dead.dead { report.details.append("dead letter \(d.item.id): \(d.reason)") }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
