import FunctionRuntime
import ServiceClients
import TicketMetrics
import Testing

/// A ticket.created / status_changed payload in Zendesk's official shape (string ids, UPPERCASE).
func subscriptionEvent(
    _ type: String, ticket: Int = 7, current: String? = nil, time: String = "2026-03-04T05:06:07.123456789Z"
) -> JSON {
    var event: JSON = ["meta": ["sequence": ["id": "X", "position": 1, "total": 1]]]
    if let current { event["current"] = .string(current); event["previous"] = "SOLVED" }
    return [
        "type": .string("zen:event-type:\(type)"), "account_id": 10001, "id": "e1", "time": .string(time),
        "zendesk_event_version": "2022-11-06", "subject": .string("zen:ticket:\(ticket)"),
        "detail": [
            "id": .string("\(ticket)"), "status": .string(current ?? "NEW"), "priority": "HIGH", "type": "QUESTION",
            "subject": "Order late", "description": "Where is it?", "tags": ["vip", "sms"], "assignee_id": "300",
            "group_id": "77", "requester_id": "200", "brand_id": "1", "created_at": "2026-03-01T00:00:00Z",
            "via": ["channel": "web_service"],
        ],
        "event": event,
    ]
}

let restTicket: JSON = [
    "id": 7, "status": "closed", "priority": "low", "type": "task", "subject": "Order late (edited)",
    "description": "Where is it?", "tags": ["vip", "sms", "later"], "requester_id": 200, "assignee_id": 300,
    "group_id": 77,
    "created_at": "2026-03-01T00:00:00Z", "updated_at": "2026-03-05T00:00:00Z",
    "custom_fields": [["id": 360001, "value": "gold"], ["id": 360002, "value": nil]],
    "via": ["channel": "api", "source": ["rel": nil]],
]

func facts(email: String? = "pat@example.com", phone: String? = "+1 (555) 123-0000") -> TicketFacts {
    var requester: JSON = ["id": 200, "name": "Pat"]
    if let email { requester["email"] = .string(email) }
    if let phone { requester["phone"] = .string(phone) }
    return TicketFacts(
        ticket: restTicket, requester: requester,
        assignee: ["id": 300, "name": "Ann Agent", "email": "ann@example.com"],
        group: ["id": 77, "name": "Tier 1"], agentURL: "https://acme.zendesk.com/agent/tickets/7")
}

@Suite struct TicketEventTests {
    @Test func subscriptionPayloadsAreRead() throws {
        let created = try TicketEvent.parse(subscriptionEvent("ticket.created"))
        #expect(created.kind == .created)
        #expect(created.ticketID == 7)
        #expect(created.time == "2026-03-04T05:06:07Z")
        let closed = try TicketEvent.parse(subscriptionEvent("ticket.status_changed", current: "CLOSED"))
        #expect(closed.kind == .statusChanged(current: "closed", previous: "solved"))
    }

    @Test func triggerBodiesAreRead() throws {
        let e = try TicketEvent.parse(["type": "ticket.status_changed", "ticket_id": "12", "status": "Closed"])
        #expect(e.ticketID == 12)
        #expect(e.kind == .statusChanged(current: "closed", previous: nil))
        #expect(e.time == nil)
        let nested = try TicketEvent.parse(["type": "ticket.created", "ticket": ["id": 13]])
        #expect(nested.ticketID == 13)
        #expect(nested.kind == .created)
    }

    @Test func eventsWithoutTicketOrTypeAreInvalid() {
        #expect(throws: RuntimeError.self) { try TicketEvent.parse(["type": "ticket.created"]) }
        #expect(throws: RuntimeError.self) { try TicketEvent.parse(["ticket_id": "3"]) }
        #expect(throws: RuntimeError.self) { try TicketEvent.parse(.array([])) }
    }

    @Test func timesAreNormalisedToWholeSeconds() {
        #expect(TicketEvent.normalizedTime("2026-03-04T05:06:07.000000000Z") == "2026-03-04T05:06:07Z")
        #expect(TicketEvent.normalizedTime("2026-03-04T07:06:07+02:00") == "2026-03-04T05:06:07Z")
        #expect(TicketEvent.normalizedTime("yesterday") == nil)
    }
}

@Suite struct TicketMetricsRuleTests {
    @Test func createdIsOpenedTicket() {
        #expect(TicketMetricsRules.metric(for: .created) == .record(.opened))
    }

    @Test func closedIsResolvedTicket() {
        #expect(
            TicketMetricsRules.metric(for: .statusChanged(current: "closed", previous: "solved")) == .record(.resolved))
    }

    @Test func solvedAndOtherStatusesGiveNothing() {
        #expect(
            TicketMetricsRules.metric(for: .statusChanged(current: "solved", previous: "open"))
                == .skip(reason: "status_solved_not_tracked"))
        #expect(
            TicketMetricsRules.metric(for: .statusChanged(current: "pending", previous: "open"))
                == .skip(reason: "status_pending_not_tracked"))
        #expect(
            TicketMetricsRules.metric(for: .other("ticket.comment_added"))
                == .skip(reason: "event_ticket.comment_added_not_tracked"))
    }

    @Test func missingStatusIsReadLive() {
        let kind = TicketEvent.Kind.statusChanged(current: nil, previous: nil)
        #expect(TicketMetricsRules.metric(for: kind) == .needsLiveStatus)
        #expect(TicketMetricsRules.metric(for: kind, liveStatus: "closed") == .record(.resolved))
        #expect(
            TicketMetricsRules.metric(for: kind, liveStatus: "solved") == .skip(reason: "status_solved_not_tracked"))
    }

    @Test func propertiesHaveExactlyTheFourteenKeys() throws {
        let event = try TicketEvent.parse(subscriptionEvent("ticket.status_changed", current: "CLOSED"))
        let p = TicketMetricsRules.properties(event: event, facts: facts())
        #expect(Set(p.object!.keys) == Set(TicketMetricsRules.propertyKeys))
        #expect(p.object!.count == 14)
        #expect(p["Assignee_email"] == "ann@example.com")
        #expect(p["Assignee_name"] == "Ann Agent")
        #expect(p["Channel"] == "api")
        #expect(p["Description"] == "Where is it?")
        #expect(p["Fields"] == ["360001": "gold"])
        #expect(p["Group_name"] == "Tier 1")
        #expect(p["Ticket_id"] == 7)
        #expect(p["Zendesk_url"] == "https://acme.zendesk.com/agent/tickets/7")
        #expect(p["Via"]["channel"] == "api")
    }

    @Test func changingFieldsComeFromTheEventSnapshotInLowerCase() throws {
        let event = try TicketEvent.parse(subscriptionEvent("ticket.status_changed", current: "CLOSED"))
        let p = TicketMetricsRules.properties(event: event, facts: facts())
        #expect(p["Priority"] == "high")
        #expect(p["Type"] == "question")
        #expect(p["Status"] == "closed")
        #expect(p["Subject"] == "Order late")
        #expect(p["Tags"] == ["vip", "sms"])
    }

    @Test func triggerBodiesTakeEverythingFromTheTicket() throws {
        let event = try TicketEvent.parse(["type": "ticket.status_changed", "ticket_id": "7"])
        var f = facts()
        f.assignee = nil
        f.group = nil
        let p = TicketMetricsRules.properties(event: event, facts: f)
        #expect(p.object!.count == 14)
        #expect(p["Priority"] == "low")
        #expect(p["Subject"] == "Order late (edited)")
        #expect(p["Tags"] == ["vip", "sms", "later"])
        #expect(p["Assignee_email"] == .null)
        #expect(p["Group_name"] == .null)
    }

    @Test func profileIsEmailAndE164Phone() throws {
        let event = try TicketEvent.parse(subscriptionEvent("ticket.created"))
        guard
            case .emit(let e) = TicketMetricsRules.plan(event: event, metric: .opened, facts: facts(), account: "acme")
        else {
            Issue.record("expected an event"); return
        }
        #expect(e.email == "pat@example.com")
        #expect(e.phoneNumber == "+15551230000")
        #expect(e.metric == "Opened Ticket")
        let phoneOnly = TicketMetricsRules.plan(
            event: event, metric: .opened, facts: facts(email: nil), account: "acme")
        guard case .emit(let p) = phoneOnly else { Issue.record("expected an event"); return }
        #expect(p.email == nil)
        #expect(p.phoneNumber == "+15551230000")
    }

    @Test func noEmailAndNoUsablePhoneIsSkipped() throws {
        let event = try TicketEvent.parse(subscriptionEvent("ticket.created"))
        #expect(
            TicketMetricsRules.plan(event: event, metric: .opened, facts: facts(email: nil, phone: nil), account: "a")
                == .skip(reason: "no_email_or_phone"))
        #expect(
            TicketMetricsRules.plan(
                event: event, metric: .opened, facts: facts(email: nil, phone: "555-1234"), account: "a")
                == .skip(reason: "no_email_or_phone"))
    }

    @Test func e164Normalisation() {
        #expect(PhoneNumber.e164("+44 20 7946 0958") == "+442079460958")
        #expect(PhoneNumber.e164("0044 20 7946 0958") == "+442079460958")
        #expect(PhoneNumber.e164("(555) 123-0000") == nil)
        #expect(PhoneNumber.e164("+0123456789") == nil)
        #expect(PhoneNumber.e164("+12") == nil)
    }

    /// One E.164 rule for the Klaviyo profile and the SMS functions: 7 to 15 digits.
    @Test func e164BoundariesAreTheSameEverywhere() {
        for (number, valid) in [
            ("+290123", false), ("+2901234", true), ("+123456789012345", true), ("+1234567890123456", false),
        ] {
            #expect(PhoneNumber.isE164(number) == valid, "\(number)")
            #expect((PhoneNumber.e164(number) != nil) == valid, "\(number)")
            let planned = TicketMetricsRules.plan(
                event: TicketEvent(kind: .created, ticketID: 1), metric: .opened,
                facts: facts(email: nil, phone: number), account: "a")
            #expect((planned != .skip(reason: "no_email_or_phone")) == valid, "\(number)")
        }
    }

    @Test func uniqueIDIsPerTicketAndMetric() throws {
        let created = try TicketEvent.parse(subscriptionEvent("ticket.created"))
        let closed = try TicketEvent.parse(subscriptionEvent("ticket.status_changed", current: "CLOSED"))
        guard
            case .emit(let a) = TicketMetricsRules.plan(
                event: created, metric: .opened, facts: facts(), account: "acme"),
            case .emit(let b) = TicketMetricsRules.plan(
                event: closed, metric: .resolved, facts: facts(), account: "acme"),
            case .emit(let again) = TicketMetricsRules.plan(
                event: closed, metric: .resolved, facts: facts(), account: "acme")
        else {
            Issue.record("expected events"); return
        }
        #expect(a.uniqueID == "zendesk:acme:7:opened")
        #expect(b.uniqueID == "zendesk:acme:7:resolved")
        #expect(again.uniqueID == b.uniqueID)
    }

    @Test func timeIsWhenItHappenedInZendesk() throws {
        let closed = try TicketEvent.parse(
            subscriptionEvent("ticket.status_changed", current: "CLOSED", time: "2025-01-08T14:25:30.000000000Z"))
        guard
            case .emit(let e) = TicketMetricsRules.plan(
                event: closed, metric: .resolved, facts: facts(), account: "acme")
        else {
            Issue.record("expected an event"); return
        }
        #expect(e.time == "2025-01-08T14:25:30Z")
        let trigger = try TicketEvent.parse(["type": "ticket.status_changed", "ticket_id": "7", "status": "closed"])
        guard
            case .emit(let t) = TicketMetricsRules.plan(
                event: trigger, metric: .resolved, facts: facts(), account: "acme"),
            case .emit(let o) = TicketMetricsRules.plan(
                event: trigger, metric: .opened, facts: facts(), account: "acme")
        else {
            Issue.record("expected events"); return
        }
        #expect(t.time == "2026-03-05T00:00:00Z")
        #expect(o.time == "2026-03-01T00:00:00Z")
    }

    @Test func accountKeyFromZendeskURL() {
        #expect(TicketMetricsRules.accountKey(zendeskURL: "https://Acme.zendesk.com/") == "acme")
        #expect(TicketMetricsRules.accountKey(zendeskURL: "http://127.0.0.1:8080/zendesk") == "127.0.0.1:8080/zendesk")
    }

    @Test func klaviyoBodyShape() {
        let e = KlaviyoEvent(
            metric: "Opened Ticket", email: "p@example.com", properties: ["A": 1], time: "2026-01-01T00:00:00Z",
            uniqueID: "u1", backfill: true)
        let b = e.body
        #expect(b.at("data.type") == "event")
        #expect(b.at("data.attributes.metric.data.attributes.name") == "Opened Ticket")
        #expect(b.at("data.attributes.profile.data.attributes") == ["email": "p@example.com"])
        #expect(b.at("data.attributes.unique_id") == "u1")
        #expect(b.at("data.attributes.backfill") == true)
        #expect(KlaviyoEvent(metric: "M", email: "x@y.z").body.at("data.attributes.backfill") == .null)
    }
}
