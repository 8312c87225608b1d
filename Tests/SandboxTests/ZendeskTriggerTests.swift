import Testing
import FunctionRuntime
import SandboxKit

/// Triggers run after ticket changes made through the API: each trigger whose conditions hold
/// for that change fires once, calling its webhook signed, with `{{ticket.*}}` filled in.
@Suite struct ZendeskTriggerTests {
    static let agent = Caller.zendeskAgent

    func setUp() throws -> (Sandbox, Receiver, Caller, String) {
        let sandbox = try startSandbox()
        let receiver = try Receiver()
        let caller = Caller(sandbox)
        let (status, hookID, _) = try caller.zendeskWebhook(
            name: "t", endpoint: receiver.url + "/hook", subscriptions: ["conditional_ticket_events"])
        #expect(status == 201)
        func trigger(_ title: String, _ all: JSON, _ body: String) throws {
            let r = try caller.json(
                "POST", "/zendesk/api/v2/triggers",
                [
                    "trigger": [
                        "title": .string(title), "conditions": ["all": all, "any": []],
                        "actions": [["field": "notification_webhook", "value": [.string(hookID), .string(body)]]],
                    ]
                ], headers: [Self.agent])
            #expect(r.status == 201, "\(r.text)")
        }
        try trigger(
            "created", [["field": "update_type", "operator": "is", "value": "Create"]],
            #"{"on":"created","id":"{{ticket.id}}"}"#)
        try trigger(
            "closed", [["field": "status", "operator": "changed_to", "value": "closed"]],
            #"{"on":"closed","id":"{{ticket.id}}"}"#)
        try trigger(
            "public agent comment",
            [
                ["field": "comment_is_public", "operator": "is", "value": "true"],
                ["field": "role", "operator": "is", "value": "agent"],
            ], #"{"on":"comment","id":"{{ticket.id}}"}"#)
        return (sandbox, receiver, caller, hookID)
    }

    func received(_ receiver: Receiver, _ sandbox: Sandbox) -> [String] {
        _ = sandbox.waitForDeliveries(timeout: 10)
        return receiver.received.compactMap { (try? JSON.parse($0.body))?["on"].string }
    }

    @Test func eachTriggerFiresOnceForTheChangeItMatches() throws {
        let (sandbox, receiver, caller, _) = try setUp()
        defer { sandbox.stop(); receiver.stop() }
        // Creation with a public comment by the API user (an agent): "created" and "comment" fire.
        let created = try caller.json(
            "POST", "/zendesk/api/v2/tickets",
            ["ticket": ["subject": "s", "comment": ["body": "hi", "public": true]]],
            headers: [Self.agent])
        #expect(created.status == 201)
        let id = try #require(created.json["ticket"]["id"].int)
        #expect(received(receiver, sandbox).sorted() == ["comment", "created"])

        // A private note: nothing; solving: nothing; closing: "closed" once.
        _ = try caller.json(
            "PUT", "/zendesk/api/v2/tickets/\(id)", ["ticket": ["comment": ["body": "note", "public": false]]],
            headers: [Self.agent])
        _ = try caller.json(
            "PUT", "/zendesk/api/v2/tickets/\(id)", ["ticket": ["status": "solved"]], headers: [Self.agent])
        #expect(received(receiver, sandbox).sorted() == ["comment", "created"])
        _ = try caller.json(
            "PUT", "/zendesk/api/v2/tickets/\(id)", ["ticket": ["status": "closed"]], headers: [Self.agent])
        #expect(received(receiver, sandbox).sorted() == ["closed", "comment", "created"])

        // The call is signed like every Zendesk webhook and carries the filled-in ticket id.
        let closedCall = try #require(receiver.received.first { (try? JSON.parse($0.body))?["on"] == "closed" })
        #expect(closedCall.header("X-Zendesk-Webhook-Signature") != nil)
        #expect(try JSON.parse(closedCall.body)["id"] == .string(String(id)))
        #expect(sandbox.deliveryLog().allSatisfy { $0["type"].string?.hasPrefix("trigger:") == true })
    }

    @Test func inactiveTriggersDoNotFire() throws {
        let (sandbox, receiver, caller, _) = try setUp()
        defer { sandbox.stop(); receiver.stop() }
        let triggers =
            try caller.send("GET", "/zendesk/api/v2/triggers", headers: [Self.agent]).json["triggers"].array ?? []
        for t in triggers {
            _ = try caller.json(
                "PUT", "/zendesk/api/v2/triggers/\(t["id"].int ?? 0)", ["trigger": ["active": false]],
                headers: [Self.agent])
        }
        _ = try caller.json(
            "POST", "/zendesk/api/v2/tickets",
            ["ticket": ["subject": "s", "comment": ["body": "hi", "public": true]]], headers: [Self.agent])
        #expect(received(receiver, sandbox).isEmpty)
    }
}
