import FoundationEssentials
import FunctionRuntime
import SandboxKit
import SMSInbound
import Testing

/// `sms-inbound` end to end: signed Twilio webhooks through the invoker, against the sandbox.
@Suite struct E2EInboundTests {
    typealias B = SMSBench

    /// True when some ticket of the sandbox has a comment whose body contains `text`.
    func landed(_ bench: SMSBench, _ text: String) -> Bool {
        bench.tickets.contains { t in (t["comments"].array ?? []).contains { ($0["body"].string ?? "").contains(text) }
        }
    }

    struct Case: Sendable {
        var body: String
        var from: String
        /// nil: an ordinary message (a ticket is opened or continued); else the keyword kind.
        var keyword: String?
    }

    func check(_ bench: SMSBench, _ cases: [Case]) throws {
        for c in cases {
            let r = try bench.text(c.body, from: c.from)
            #expect(r.status == 200, "\(c.body.debugDescription): HTTP \(r.status) \(r.text)")
            if let kind = c.keyword {
                #expect(
                    r.outcome == "ignored" && r.reason == "keyword",
                    "\(c.body.debugDescription) from \(c.from) should be a keyword: \(r.text)")
                #expect(r.json["detail"].string == kind, "\(c.body.debugDescription): \(r.text)")
                #expect(r.json["ticket_id"].isNull)
                #expect(!landed(bench, c.body), "\(c.body.debugDescription) must not reach Zendesk")
            } else {
                #expect(
                    ["created", "commented"].contains(r.outcome ?? ""),
                    "\(c.body.debugDescription) from \(c.from) should open/continue a ticket: \(r.text)")
                let id = r.json["ticket_id"].int ?? -1
                #expect(
                    bench.comments(id).contains { $0["body"].string == c.body },
                    "\(c.body.debugDescription) not on ticket \(id)")
            }
        }
    }

    @Test func keywordTableWithContainsWordMatching() throws {
        let bench = try SMSBench(env: ["SMS_KEYWORDS": "PROMO, vip"])
        var cases: [Case] = []
        for word in ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"] {
            cases.append(Case(body: word, from: B.pat, keyword: "opt_out"))
        }
        for variant in ["stop", "Stop.", "  STOP!  ", "cancel?", "Opt-Out", "opt  out", "\"quit\""] {
            cases.append(Case(body: variant, from: B.pat, keyword: "opt_out"))
        }
        for word in ["JOIN", "START", "UNSTOP", "YES", "SUBSCRIBE", "join!", "Start.", " yes ", "Subscribe?"] {
            cases.append(Case(body: word, from: B.pat, keyword: "opt_in"))
        }
        for word in ["PROMO", "promo!", "VIP", "Vip."] {
            cases.append(Case(body: word, from: B.pat, keyword: "automation"))
        }
        // Opt-out words count anywhere as a whole word (Klaviyo's default), from any country.
        cases.append(Case(body: "Please stop texting me", from: B.pat, keyword: "opt_out"))
        cases.append(Case(body: "please STOP, thanks", from: B.kim, keyword: "opt_out"))
        cases.append(Case(body: "I want to unsubscribe now", from: B.kim, keyword: "opt_out"))
        cases.append(Case(body: "STOP", from: B.kim, keyword: "opt_out"))
        cases.append(Case(body: "Join", from: B.kim, keyword: "opt_in"))
        // HELP and INFO open a conversation; longer texts that merely contain JOIN/HELP/YES are ordinary.
        for body in ["HELP", "help?", "Info", "INFO!"] { cases.append(Case(body: body, from: B.pat, keyword: nil)) }
        cases.append(Case(body: "I want to join the loyalty club", from: B.pat, keyword: nil))
        cases.append(Case(body: "Can you help me with my order?", from: B.pat, keyword: nil))
        cases.append(Case(body: "Yes please, the blue one", from: B.pat, keyword: nil))
        cases.append(Case(body: "I'm stopping by the store later", from: B.pat, keyword: nil))
        cases.append(Case(body: "The promo code did not work", from: B.pat, keyword: nil))
        cases.append(Case(body: "help", from: B.kim, keyword: nil))
        cases.append(Case(body: "How do I join the club?", from: B.kim, keyword: nil))
        try check(bench, cases)
        // The ordinary texts continued one conversation per customer.
        #expect(bench.tickets(customer: B.pat, brand: B.brandA).count == 1)
        #expect(bench.tickets(customer: B.kim, brand: B.brandA).count == 1)
        #expect(bench.tickets.count == 2)
    }

    @Test func keywordTableWithExactMatching() throws {
        let bench = try SMSBench(env: ["SMS_OPTOUT_MATCH": "exact"])
        try check(
            bench,
            [
                // Whole-message opt-outs still match, from anywhere.
                Case(body: "STOP", from: B.kim, keyword: "opt_out"),
                Case(body: "unsubscribe.", from: B.kim, keyword: "opt_out"),
                Case(body: "Cancel", from: B.pat, keyword: "opt_out"),
                // STOP from a US number is always a contains-word match…
                Case(body: "Please stop texting me", from: B.pat, keyword: "opt_out"),
                // …but not from a non-US number, and other words need the whole message.
                Case(body: "Please stop texting me", from: B.kim, keyword: nil),
                Case(body: "Can I cancel my order?", from: B.pat, keyword: nil),
                Case(body: "I want to unsubscribe from the newsletter", from: B.kim, keyword: nil),
                Case(body: "HELP", from: B.kim, keyword: nil),
            ])
    }

    @Test func brandedSenderIsIgnored() throws {
        let bench = try SMSBench()
        for to in ["ACME", "AcmeShop", "ACME-SMS"] {
            let r = try bench.text("Hi there", to: to)
            #expect(r.status == 200)
            #expect(r.outcome == "ignored" && r.reason == "branded_sender", "\(to): \(r.text)")
        }
        #expect(bench.tickets.isEmpty)
    }

    @Test func nonConsentedSendersOpenNothing() throws {
        let bench = try SMSBench()
        for from in [B.lee, B.stranger] {
            let r = try bench.text("Where is my order?", from: from)
            #expect(r.status == 200, "\(bench.accessLines.value)")
            #expect(r.outcome == "ignored" && r.reason == "not_consented", "\(from): \(r.text)")
        }
        #expect(bench.tickets.isEmpty, "\(bench.accessLines.value)")
        #expect(
            !bench.users.contains { [B.lee, B.stranger].contains($0["phone"].string ?? "") },
            "no Zendesk user for them either")
    }

    @Test func badTwilioSignatureIsRefused() throws {
        let bench = try SMSBench()
        let r = try bench.text("Hello", signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        #expect(r.status == 401)
        #expect(r.exit == "77")
        #expect(bench.tickets.isEmpty)
    }

    /// Twilio's own delivery (no `Accept` naming JSON) is answered as Twilio reads an answer:
    /// empty TwiML as `text/xml`, the outcome in `X-Function-Outcome` — a JSON answer would be
    /// Twilio's error 12300. A refusal keeps its JSON error (Twilio records any non-2xx as 11200).
    @Test func twilioIsAnsweredWithEmptyTwiML() throws {
        let bench = try SMSBench()
        let r = try bench.text("Is my order on its way?", asJSON: false)
        #expect(r.status == 200, "\(r.text)")
        #expect(r.headers["content-type"]?.hasPrefix("text/xml") == true, "\(r.headers)")
        #expect(r.text == #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"# + "\n")
        #expect(r.headers["x-function-outcome"] == "created")
        #expect(r.exit == "0")
        #expect(bench.tickets(customer: B.pat, brand: B.brandA).count == 1)
        let ignored = try bench.text("STOP", asJSON: false)
        #expect(ignored.status == 200 && ignored.headers["x-function-outcome"] == "ignored", "\(ignored.headers)")
        let refused = try bench.text("Hello", signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", asJSON: false)
        #expect(refused.status == 401)
        #expect(refused.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(refused.json["error"]["code"] == "bad_signature", "\(refused.text)")
    }

    /// open → commented, solved → reopened, closed → follow-up, none → created, each comment
    /// authored by the requester.
    @Test func eachTicketState() throws {
        func ticket(_ id: Int64, _ status: String, _ customer: String, _ requester: Int64, _ brand: String) -> JSON {
            [
                "id": .int(id), "status": .string(status), "requester_id": .int(requester),
                "subject": "SMS conversation",
                "external_id": .string("sms:\(customer):\(brand)"), "tags": ["sms"],
                "comments": [["author_id": .int(requester), "body": "earlier text", "public": true]],
            ]
        }
        let bench = try SMSBench(
            seed: B.seed([
                "zendesk": [
                    "tickets": [
                        ticket(501, "open", B.pat, B.patID, B.brandA),
                        ticket(502, "solved", B.pat, B.patID, B.brandB),
                        ticket(503, "closed", B.kim, B.kimID, B.brandA),
                    ]
                ]
            ]))

        let open = try bench.text("A question about my open ticket", from: B.pat, to: B.brandA)
        #expect(open.outcome == "commented" && open.json["ticket_id"].int == 501, "\(open.text)")
        #expect(bench.ticket(501)["status"].string == "open")
        #expect(bench.comments(501).count == 2)
        #expect(bench.comments(501).last?["author_id"].int == B.patID)
        #expect(bench.comments(501).last?["public"].bool == true)

        let solved = try bench.text("It broke again", from: B.pat, to: B.brandB)
        #expect(solved.outcome == "reopened" && solved.json["ticket_id"].int == 502, "\(solved.text)")
        #expect(bench.ticket(502)["status"].string == "open")
        #expect(bench.ticket(502)["reopens"].int == 1)
        #expect(bench.comments(502).last?["body"].string == "It broke again")
        #expect(bench.comments(502).last?["author_id"].int == B.patID)

        let closed = try bench.text("Hello again", from: B.kim, to: B.brandA)
        #expect(closed.outcome == "followup", "\(closed.text)")
        let followUp = closed.json["ticket_id"].int ?? -1
        #expect(followUp != 503 && followUp > 0)
        let f = bench.ticket(followUp)
        #expect(f["followup_source_id"].int == 503)
        #expect(f.at("via.source.rel").string == "follow_up")
        #expect(f.at("via.source.from.ticket_id").int == 503)
        #expect(f["external_id"].string == "sms:\(B.kim):\(B.brandA)")
        #expect(f["requester_id"].int == B.kimID)
        #expect((f["tags"].array ?? []).contains("sms"))
        #expect(bench.comments(followUp).map { $0["author_id"].int } == [B.kimID])
        #expect(bench.ticket(503)["status"].string == "closed")
        #expect(bench.comments(503).count == 1, "the closed ticket is left alone")

        let none = try bench.text("First text on this number", from: B.kim, to: B.brandB)
        #expect(none.outcome == "created", "\(none.text)")
        let created = bench.ticket(none.json["ticket_id"].int ?? -1)
        #expect(created["external_id"].string == "sms:\(B.kim):\(B.brandB)")
        #expect(created["requester_id"].int == B.kimID)
        #expect(created["status"].string != "closed")
        #expect((created["tags"].array ?? []).contains("sms"))
        #expect((created["subject"].string ?? "").contains("Kim"))
        #expect(created.at("via.channel").string == "api")
        #expect(created["comments"].array?.count == 1)
        #expect(created["comments"][0]["author_id"].int == B.kimID)
        #expect(created["comments"][0]["body"].string == "First text on this number")
        #expect(bench.tickets.count == 5)
    }

    /// The standard seed plus Pat's open conversation ticket `id` on brand number A holding
    /// `comments` earlier texts.
    func longConversation(_ id: Int64, comments: Int) -> JSON {
        let earlier: [JSON] = (1...comments).map {
            ["author_id": .int(B.patID), "body": .string("text \($0)"), "public": true]
        }
        let ticket: JSON = [
            "id": .int(id), "status": "open", "requester_id": .int(B.patID), "subject": "SMS conversation",
            "external_id": .string("sms:\(B.pat):\(B.brandA)"), "tags": ["sms"], "comments": .array(earlier),
        ]
        return B.seed(["zendesk": ["tickets": [ticket]]])
    }

    /// Zendesk refuses a 5001st comment with 422 but still takes other updates: the full ticket is
    /// tagged and the conversation goes on in a new ticket that names it; no text is lost or
    /// landed twice, also when the text that filled the ticket is delivered again.
    @Test func aFullTicketIsContinuedInANewTicket() throws {
        let bench = try SMSBench(seed: longConversation(601, comments: 4999))
        let fillingSID = B.messageSID()
        let filling = try bench.text("The 5000th comment", sid: fillingSID)
        #expect(filling.outcome == "commented" && filling.json["ticket_id"].int == 601, "\(filling.text)")

        let nextSID = B.messageSID()
        let next = try bench.text("One text too many for #601", sid: nextSID)
        #expect(next.status == 200)
        #expect(next.outcome == "continued", "\(next.text)")
        #expect(next.json["continues_ticket_id"].int == 601)
        let id = next.json["ticket_id"].int ?? -1
        #expect(id > 601)

        let more = try bench.text("And one more")
        #expect(more.outcome == "commented" && more.json["ticket_id"].int == id, "\(more.text)")
        #expect(try bench.text("One text too many for #601", sid: nextSID).outcome == "duplicate")
        let again = try bench.text("The 5000th comment", sid: fillingSID)
        #expect(again.outcome == "duplicate" && again.json["ticket_id"].int == 601, "\(again.text)")

        let tickets = bench.tickets
        let full = tickets.first { $0["id"].int == 601 } ?? .null
        let continued = tickets.first { $0["id"].int == id } ?? .null
        #expect(full["comments"].array?.count == 5000)
        #expect(full["status"].string == "open", "a full ticket is left as it was, only tagged")
        #expect((full["tags"].array ?? []).contains(.string(InboundRules.fullTag)))
        #expect((continued["subject"].string ?? "").contains("continued from #601"), "\(continued["subject"])")
        #expect(continued["external_id"].string == "sms:\(B.pat):\(B.brandA)")
        #expect(continued["requester_id"].int == B.patID)
        let bodies = (continued["comments"].array ?? []).filter { $0["public"].bool == true }.map { $0["body"].string }
        #expect(bodies == ["One text too many for #601", "And one more"])
        #expect(tickets.count == 2)
    }

    /// A busy ticket has more audits than comments; beyond the 5,000 oldest a repeated delivery is
    /// still found among the newest, never landed twice.
    @Test func aRepeatedTextIsFoundBeyondTheFirst5000Audits() throws {
        let bench = try SMSBench(seed: longConversation(701, comments: 4990))
        for n in 1...20 {  // updates without a comment: an audit each
            #expect(
                try bench.zendesk(
                    "PUT", "/api/v2/tickets/701.json", ["ticket": ["priority": n % 2 == 0 ? "high" : "low"]]
                ).status == 200)
        }
        let sid = B.messageSID()
        #expect(try bench.text("Late at night", sid: sid).outcome == "commented")
        let again = try bench.text("Late at night", sid: sid)
        #expect(again.outcome == "duplicate" && again.json["ticket_id"].int == 701, "\(again.text)")
        let landed = bench.comments(701).filter { $0["body"].string == "Late at night" }
        #expect(landed.count == 1)
        #expect((bench.ticket(701)["audits"].array?.count ?? 0) == 4990 + 20 + 1, "the history is past 5,000")
    }

    /// A long-standing customer's conversation spans more tickets than one page of Zendesk's
    /// listing (100): the open one on page two still takes the text, no new follow-up is opened.
    @Test func theOpenTicketBeyondTheFirstPageOfTheConversationTakesTheText() throws {
        func ticket(_ id: Int64, _ status: String) -> JSON {
            [
                "id": .int(id), "status": .string(status), "requester_id": .int(B.patID), "subject": "SMS conversation",
                "external_id": .string("sms:\(B.pat):\(B.brandA)"), "tags": ["sms"],
                "comments": [["author_id": .int(B.patID), "body": "earlier text", "public": true]],
            ]
        }
        let closed = (1...120).map { ticket(Int64(1000 + $0), "closed") }
        let bench = try SMSBench(seed: B.seed(["zendesk": ["tickets": .array(closed + [ticket(1200, "pending")])]]))
        let r = try bench.text("Still waiting for my refund")
        #expect(r.outcome == "commented" && r.json["ticket_id"].int == 1200, "\(r.text)")
        #expect(bench.tickets.count == 121)
    }

    /// A customer unknown to Zendesk becomes an end-user named from the Klaviyo profile; the
    /// comment is theirs, never the API agent's, so it neither echoes back nor looks like a reply.
    @Test func commentAuthorIsTheRequesterNeverTheAPIAgent() throws {
        let brands: JSON = [
            "zendesk": ["brands": [["id": 1, "name": "Default", "default": true], ["id": 7, "name": "SMS brand"]]]
        ]
        let bench = try SMSBench(seed: B.seed(brands), env: ["ZENDESK_SMS_BRAND_ID": "7"])
        let r = try bench.text("Hi, I have a question", from: B.sam)
        #expect(r.outcome == "created", "\(r.text)")
        let t = bench.ticket(r.json["ticket_id"].int ?? -1)
        let user = bench.users.first { $0["phone"].string == B.sam }
        #expect(user != nil, "an end-user was created for the phone")
        #expect(user?["role"].string == "end-user")
        #expect(user?["name"].string == "Sam Stone")
        #expect(user?["email"].string == "sam@example.com")
        #expect(t["requester_id"].int == user?["id"].int)
        #expect(t["brand_id"].int == 7)
        #expect(t["subject"].string?.contains("Sam Stone") == true)
        let author = t["comments"][0]["author_id"].int
        #expect(author == user?["id"].int)
        #expect(author != 1, "never the API agent")
        #expect(t["replies"].int == 0, "the customer's text is not an agent reply")

        // A second text lands on the same ticket, by the same user.
        let again = try bench.text("Still there?", from: B.sam)
        #expect(again.outcome == "commented" && again.json["ticket_id"] == t["id"], "\(again.text)")
        #expect(bench.comments(t["id"].int ?? -1).map { $0["author_id"].int } == [author, author])
        #expect(bench.users.filter { $0["phone"].string == B.sam }.count == 1)
    }

    @Test func mediaOnlyAndVerbatimBodies() throws {
        let bench = try SMSBench()
        let media = try bench.text("", media: ["https://api.twilio.com/m/1.jpg", "https://api.twilio.com/m/2.gif"])
        #expect(media.outcome == "created", "\(media.text)")
        let id = media.json["ticket_id"].int ?? -1
        let note = bench.comments(id).first?["body"].string ?? ""
        #expect(note.contains("2 attachments"), "\(note)")

        let body = "Café crème 😊 ñ — «ok»\nline two"
        let both = try bench.text(body, media: ["https://api.twilio.com/m/3.png"])
        #expect(both.outcome == "commented" && both.json["ticket_id"].int == id, "\(both.text)")
        let text = bench.comments(id).last?["body"].string ?? ""
        #expect(text.hasPrefix(body), "the body is kept verbatim: \(text.debugDescription)")
        #expect(text.contains("1 attachment"), "\(text)")

        let nul = try bench.text("a\u{0}b")
        #expect(nul.outcome == "commented")
        #expect(bench.comments(id).last?["body"].string == "ab")

        let empty = try bench.text("   ")
        #expect(empty.outcome == "ignored", "no text and no media: \(empty.text)")
        #expect(bench.comments(id).count == 3)
    }

    @Test func duplicateDeliveriesInSequence() throws {
        let bench = try SMSBench()
        let sid = B.messageSID()
        let first = try bench.text("My parcel is late", sid: sid)
        #expect(first.outcome == "created")
        let id = first.json["ticket_id"].int ?? -1
        let second = try bench.text("My parcel is late", sid: sid)
        #expect(second.status == 200)
        #expect(second.outcome == "duplicate" && second.json["ticket_id"].int == id, "\(second.text)")

        let other = B.messageSID()
        #expect(try bench.text("Any news?", sid: other).outcome == "commented")
        let repeated = try bench.text("Any news?", sid: other)
        #expect(repeated.outcome == "duplicate" && repeated.json["ticket_id"].int == id, "\(repeated.text)")
        #expect(bench.comments(id).map { $0["body"].string } == ["My parcel is late", "Any news?"])
        #expect(bench.tickets.count == 1)
    }

    @Test func duplicateDeliveriesAtTheSameMoment() throws {
        let bench = try SMSBench()
        // Writes are held back a moment so that every copy has read the same state before the first lands.
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "POST", "path_regex": "^/api/v2/tickets\\.json$", "mode": "delay",
                    "ms": 300, "times": 0,
                ],
                [
                    "service": "zendesk", "method": "PUT", "path_regex": "^/api/v2/tickets/[0-9]+\\.json$",
                    "mode": "delay", "ms": 300, "times": 0,
                ],
            ]
        ])
        // A new conversation: four copies of the first text.
        let sid = B.messageSID()
        let answers = simultaneously(
            (0..<4).map { _ in { @Sendable in try? bench.text("Is anyone there?", sid: sid) } })
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers.map { $0?.text ?? "no answer" })")
        let outcomes = answers.compactMap { $0?.outcome }
        #expect(outcomes.filter { $0 == "created" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "duplicate" }.count == 3, "\(outcomes)")
        let tickets = bench.tickets(customer: B.pat, brand: B.brandA)
        #expect(tickets.count == 1)
        let id = tickets.first?["id"].int ?? -1
        #expect(bench.comments(id).count == 1)

        // An open ticket: four copies of a follow-up text.
        let next = B.messageSID()
        let again = simultaneously((0..<4).map { _ in { @Sendable in try? bench.text("Hello?", sid: next) } })
        let outcomes2 = again.compactMap { $0?.outcome }
        #expect(outcomes2.filter { $0 == "commented" }.count == 1, "\(outcomes2) \(again.map { $0?.text ?? "" })")
        #expect(outcomes2.filter { $0 == "duplicate" }.count == 3, "\(outcomes2)")
        #expect(bench.comments(id).map { $0["body"].string } == ["Is anyone there?", "Hello?"])
        let writes = bench.requests.filter {
            ["POST", "PUT"].contains($0["method"].string ?? "")
                && ($0["path"].string ?? "").hasPrefix("/api/v2/tickets")
        }
        #expect(
            writes.filter { $0["status"].int == 201 }.count >= 2, "copies raced to create (replayed by Idempotency-Key)"
        )
        #expect(
            writes.filter { $0["status"].int == 409 }.count >= 1, "copies raced to comment (refused by safe_update)")
    }

    @Test func firstTextsArrivingTogetherEndAsOneTicket() throws {
        let bench = try SMSBench()
        // Ticket creations are held back a moment, so all three texts find no ticket and race to create one.
        try bench.faults([
            "rules": [
                [
                    "service": "zendesk", "method": "POST", "path_regex": "^/api/v2/tickets\\.json$", "mode": "delay",
                    "ms": 400, "times": 0,
                ]
            ]
        ])
        let bodies = ["Hi!", "I need help with order 123", "It arrived broken"]
        let answers = simultaneously(
            bodies.map { body in { @Sendable in try? bench.text(body, from: B.kim, to: B.brandB) } })
        #expect(answers.allSatisfy { $0?.status == 200 }, "\(answers.map { $0?.text ?? "no answer" })")
        let all = bench.tickets(customer: B.kim, brand: B.brandB)
        let live = all.filter { $0["status"].string != "closed" }
        #expect(live.count == 1, "one open conversation ticket, got \(all.map { "\($0["id"]) \($0["status"])" })")
        let id = live.first?["id"].int ?? -1
        let texts = bench.comments(id).compactMap { $0["body"].string }
        for body in bodies {
            #expect(texts.filter { $0 == body }.count == 1, "\(body) exactly once on the ticket: \(texts)")
        }
        #expect(
            Set(answers.compactMap { $0?.json["ticket_id"].int }) == [id], "every answer names the surviving ticket")
        let creations = bench.requests.filter {
            $0["method"].string == "POST" && $0["path"].string == "/api/v2/tickets.json"
        }
        #expect(creations.filter { $0["status"].int == 201 }.count == 1)
        #expect(
            creations.filter { $0["status"].int == 400 }.count >= 1,
            "the race happened: a competing creation was refused (Idempotency-Key)")
    }

    /// Loss 5: Twilio does not re-deliver an inbound-message webhook answered 5xx. Twenty first
    /// texts from one new number arriving at the same moment, each delivered once, all land on
    /// one ticket with no 5xx.
    @Test func twentyFirstTextsAtOnceAllLandOnOneTicket() throws {
        let bench = try SMSBench()
        let bodies = (1...20).map { "burst text \($0)" }
        let answers = simultaneously(
            bodies.map { body in { @Sendable in try? bench.text(body, from: B.kim, to: B.brandB) } })
        #expect(
            answers.allSatisfy { $0?.status == 200 },
            "\(answers.map { "\($0?.status ?? 0) \($0?.text ?? "no answer")" })")
        let live = bench.tickets(customer: B.kim, brand: B.brandB).filter { $0["status"].string != "closed" }
        #expect(live.count == 1, "\(live.map { $0["id"] })")
        let texts = bench.comments(live.first?["id"].int ?? -1).compactMap { $0["body"].string }
        #expect(Set(texts) == Set(bodies), "every text once: \(texts.count) comments")
        #expect(texts.count == 20)
    }

    @Test func zendeskUnavailableBrieflyIsRetriedWithinTheBudget() throws {
        let bench = try SMSBench()
        try bench.faults([
            "rules": [["service": "zendesk", "mode": "status", "status": 503, "retry_after": 1, "times": 1]]
        ])
        let r = try bench.text("Hello after a hiccup")
        #expect(r.status == 200)
        #expect(r.outcome == "created", "\(r.text)")
        let zendesk = bench.requests.filter { $0["service"].string == "zendesk" }
        #expect(zendesk.first?["status"].int == 503)
        #expect(zendesk.count >= 2 && zendesk[1]["path"] == zendesk[0]["path"], "the refused call was repeated")
        #expect(bench.tickets.count == 1)
    }

    @Test func zendeskUnavailableForLongAnswers503WithRetryAfter() throws {
        let bench = try SMSBench()
        try bench.faults([
            "rules": [["service": "zendesk", "mode": "status", "status": 503, "retry_after": 1, "times": 0]]
        ])
        let started = Clock.monotonicMS()
        let sid = B.messageSID()
        let r = try bench.text("Hello while Zendesk is down", sid: sid)
        let seconds = (Clock.monotonicMS() - started) / 1000
        #expect(r.status == 503, "\(r.text)")
        #expect(r.exit == "75")
        #expect(Int(r.headers["retry-after"] ?? "") ?? 0 >= 1, "\(r.headers)")
        let zendesk = bench.requests.filter { $0["service"].string == "zendesk" }
        #expect(zendesk.count >= 2, "retried before giving up")
        #expect(zendesk.allSatisfy { $0["status"].int == 503 })
        #expect(seconds < 9.5, "within the invocation budget (\(seconds) s)")
        #expect(bench.tickets.isEmpty)

        // Once Zendesk is back, Twilio's retry of the same message lands once.
        try bench.faults(["rules": []])
        #expect(try bench.text("Hello while Zendesk is down", sid: sid).outcome == "created")
        #expect(bench.tickets.count == 1)
    }

    /// The sandbox's phone texts an owned number; Twilio's signed webhook reaches the invoker.
    @Test func sandboxPhoneDeliversASignedWebhook() throws {
        let bench = try SMSBench()
        try bench.routeTwilioNumber(B.brandA)
        let r = try bench.sandboxCall(
            "POST", "/_ctl/phone/text",
            json: ["from": .string(B.pat), "to": .string(B.brandA), "body": "Texting from my phone"])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["delivered"].bool == true, "\(r.text)")
        #expect(r.json["status"].int == 200)
        // Twilio reads the answer as TwiML: nothing to send back, no Debugger alert.
        #expect(r.json.at("read_as.kind") == "twiml", "\(r.text)")
        #expect(r.json.at("read_as.replies") == [])
        #expect(r.json["response"].string?.contains("<Response></Response>") == true, "\(r.text)")
        #expect(r.json.at("response_headers.content-type").string?.hasPrefix("text/xml") == true)
        #expect(r.json.at("response_headers.x-function-outcome") == "created", "\(r.text)")
        let tickets = bench.tickets(customer: B.pat, brand: B.brandA)
        #expect(tickets.count == 1)
        #expect(tickets.first?["comments"][0]["body"].string == "Texting from my phone")
        #expect(tickets.first?["comments"][0]["author_id"].int == B.patID)

        // STOP from the phone: Twilio opts the number out, the function opens nothing.
        let stop = try bench.sandboxCall(
            "POST", "/_ctl/phone/text", json: ["from": .string(B.pat), "to": .string(B.brandA), "body": "STOP"])
        #expect(stop.json.at("response_headers.x-function-outcome") == "ignored", "\(stop.text)")
        #expect(stop.json.at("read_as.kind") == "twiml")
        #expect(bench.comments(tickets.first?["id"].int ?? -1).count == 1)
        #expect(bench.state().at("twilio.alerts") == [], "Twilio recorded no Debugger alert")
    }

    /// Twilio signs a JSON body through the URL: `bodySHA256` in the query, no parameters. A JSON
    /// body with a signature over the bare URL is refused.
    @Test func aTwilioSignedJSONBodyNeedsBodySHA256() throws {
        let bench = try SMSBench()
        let body = Array(#"{"message_id":"SMjson1","from":"+15551230000","to":"+15559870000","body":"json text"}"#.utf8)
        func post(_ query: String, signedURL: String) throws -> SMSBench.Answer {
            let sig = try WebhookSignature.twilio(authToken: SMSBench.twilioToken, url: signedURL, params: [])
            return try bench.post(
                "/sms/inbound" + query, headers: [("Content-Type", "application/json"), ("X-Twilio-Signature", sig)],
                body: body)
        }
        let bare = try post("", signedURL: bench.invokerURL + "/sms/inbound")
        #expect(bare.status == 401, "\(bare.text)")
        let hash = Crypto.hex(try Crypto.sha256(body))
        let wrong = "?bodySHA256=" + String(repeating: "0", count: 64)
        #expect(try post(wrong, signedURL: bench.invokerURL + "/sms/inbound" + wrong).status == 401)
        let right = "?bodySHA256=" + hash
        let ok = try post(right, signedURL: bench.invokerURL + "/sms/inbound" + right)
        #expect(ok.status == 200 && ok.outcome == "created", "\(ok.text)")
    }

    /// Bad input is a 400 with a clear error, never a 500: a sender that is no phone number, a
    /// message id of a kilobyte.
    @Test func badSendersAndMessageIDsAre400() throws {
        let bench = try SMSBench()
        let notAPhone = try bench.text("hi", from: "not-a-phone")
        #expect(notAPhone.status == 400, "\(notAPhone.text)")
        let longID = try bench.text("hi", sid: "SM" + String(repeating: "a", count: 1100))
        #expect(longID.status == 400, "\(longID.text)")
        #expect(bench.tickets.isEmpty)
    }

    /// A Zendesk webhook's secret bound to its route (`/route=secret`) does not sign requests to
    /// another route.
    @Test func aZendeskSecretIsValidOnlyOnItsRoute() throws {
        let bench = try SMSBench()
        bench.configure(zendeskSecret: "/zendesk/tickets=tickets-secret")
        let event: JSON = [
            "type": "zen:event-type:ticket.comment_added", "detail": ["id": "1"], "event": ["comment": ["id": "5"]],
        ]
        let r = try bench.postZendesk("/zendesk/comments", event, secret: "tickets-secret")
        #expect(r.status == 401, "\(r.text)")
        let zero = try bench.postZendesk("/zendesk/comments", ["ticket_id": 0], secret: "tickets-secret")
        #expect(zero.status == 401)
        bench.configure(zendeskSecret: "/zendesk/comments=comments-secret")
        #expect(
            try bench.postZendesk("/zendesk/comments", ["ticket_id": 0], secret: "comments-secret").status == 400,
            "ticket id 0 is bad input")
    }
}
