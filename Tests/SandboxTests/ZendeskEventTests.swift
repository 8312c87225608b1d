import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskEventTests {
    @Test func createEmitsTicketCreatedWithStringIDsAndUppercaseStatus() throws {
        let zd = ZendeskHarness()
        try zd.emulator.configure(["account_id": 777])
        let pat = zd.endUser("Pat", phone: "+15551230000")
        let id = zd.ticket([
            "requester_id": .int(pat), "subject": "Hi", "tags": ["sms"], "priority": "high",
            "comment": ["body": "hello", "author_id": .int(pat)],
        ])
        #expect(zd.events.map(\.type) == ["ticket.created"])
        let event = zd.events[0].payload
        #expect(event["type"] == "zen:event-type:ticket.created")
        #expect(event["account_id"] == 777)
        #expect(event["zendesk_event_version"] == "2022-11-06")
        #expect(event["subject"] == .string("zen:ticket:\(id)"))
        #expect(event["id"].string?.count == 36)
        #expect(event["detail"]["id"] == .string(String(id)))
        #expect(event["detail"]["requester_id"] == .string(String(pat)))
        #expect(event["detail"]["status"] == "NEW")
        #expect(event["detail"]["priority"] == "HIGH")
        #expect(event["detail"]["via"]["channel"] == "web_service")
        #expect(event["detail"]["tags"] == ["sms"])
        #expect(event["detail"]["assignee_id"].isNull)
    }

    @Test func updateEmitsCommentAddedAndStatusChanged() {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat")
        let id = zd.ticket(["requester_id": .int(pat), "comment": ["body": "q", "author_id": .int(pat)]])
        zd.events.removeAll()
        _ = zd.update(id, ["status": "solved", "comment": ["body": "Fixed it", "public": true]])
        #expect(zd.events.map(\.type) == ["ticket.comment_added", "ticket.status_changed"])
        let comment = zd.events[0].payload["event"]["comment"]
        #expect(comment["body"] == "Fixed it")
        #expect(comment["is_public"] == true)
        #expect(comment["author"]["id"] == "1")
        #expect(comment["author"]["is_staff"] == true)
        #expect(comment["author"]["name"] == "Support Agent")
        #expect(comment["id"].string != nil)
        #expect(zd.events[1].payload["event"]["current"] == "SOLVED")
        #expect(zd.events[1].payload["event"]["previous"] == "NEW")
        // An update that changes nothing emits nothing.
        zd.events.removeAll()
        _ = zd.update(id, ["status": "solved"])
        #expect(zd.events.isEmpty)
        // The end-user's reply reopens: comment by a non-staff author, OPEN from SOLVED.
        _ = zd.update(id, ["comment": ["body": "not fixed", "author_id": .int(pat)]])
        #expect(zd.events.map(\.type) == ["ticket.comment_added", "ticket.status_changed"])
        #expect(zd.events[0].payload["event"]["comment"]["author"]["is_staff"] == false)
        #expect(zd.events[1].payload["event"]["previous"] == "SOLVED")
        #expect(zd.events[1].payload["event"]["current"] == "OPEN")
    }

    @Test func renderEventIsDeterministicAndHonoursArguments() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "first"]])
        _ = zd.update(id, ["comment": ["body": "second"], "status": "pending"])
        let a = zd.emulator.renderEvent(type: "ticket.comment_added", ticketID: id, commentID: nil, previous: nil)
        let b = zd.emulator.renderEvent(
            type: "zen:event-type:ticket.comment_added", ticketID: id, commentID: nil, previous: nil)
        #expect(a != nil && a == b)
        #expect(a?["event"]["comment"]["body"] == "second")
        let firstID = zd.state(id)["comments"][0]["id"].int
        let first = zd.emulator.renderEvent(
            type: "ticket.comment_added", ticketID: id, commentID: firstID, previous: nil)
        #expect(first?["event"]["comment"]["body"] == "first")
        #expect(first?["id"] != a?["id"])
        let status = zd.emulator.renderEvent(
            type: "ticket.status_changed", ticketID: id, commentID: nil, previous: "hold")
        #expect(status?["event"]["previous"] == "HOLD")
        #expect(status?["event"]["current"] == "PENDING")
        #expect(zd.emulator.renderEvent(type: "ticket.created", ticketID: 999, commentID: nil, previous: nil) == nil)
        #expect(zd.emulator.renderEvent(type: "ticket.comment_added", ticketID: id, commentID: 1, previous: nil) == nil)
    }
}
