import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskStateTests {
    @Test func seedKeepsIDsResolvesTimesAndDefaults() throws {
        let zd = ZendeskHarness()
        try zd.emulator.seed(
            [
                "users": [["id": 2001, "name": "Pat", "phone": "+15551230000"]],
                "tickets": [
                    [
                        "id": 40, "requester_id": 2001, "status": "solved", "updated_at": "now-3h",
                        "created_at": "now-1d",
                        "comments": [["body": "hi"], ["author_id": 1, "body": "answer", "public": true]],
                    ]
                ],
            ], context: zd.context)
        let t = zd.state(40)
        #expect(t["status"] == "solved")
        #expect(t["comments"][0]["author_id"] == 2001)
        #expect(t["comments"][1]["author_id"] == 1)
        #expect(t["solved_at"] == t["updated_at"])
        let updated = Clock.parse(t["updated_at"].string ?? "")
        #expect(updated != nil && abs(updated!.timeIntervalSince(zd.context.now) + 3 * 3600) < 5)
        // New records continue after the seeded ids.
        let next = zd.ticket(["comment": ["body": "x"]])
        #expect(next == 41)
        #expect(throws: (any Error).self) {
            try zd.emulator.seed(["users": [["name": "Bad", "phone": "12"]]], context: zd.context)
        }
        #expect(throws: (any Error).self) { try zd.emulator.seed(["planets": []], context: zd.context) }
    }

    @Test func snapshotRestoresIntoAFreshEmulator() throws {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat", email: "pat@example.com")
        let id = zd.ticket(
            ["requester_id": .int(pat), "comment": ["body": "x", "author_id": .int(pat)]],
            headers: [ZendeskHarness.auth, ("Idempotency-Key", "k1")])
        _ = zd.update(id, ["status": "solved"])
        let hook = zd.call("POST", "/api/v2/webhooks", ZendeskRulesTests.hook).json["webhook"]["id"].string ?? ""
        let snapshot = zd.emulator.snapshot()

        let copy = ZendeskHarness()
        try copy.emulator.restore(try JSON.parse(snapshot.serialized()))
        #expect(copy.emulator.snapshot() == snapshot)
        #expect(copy.call("GET", "/api/v2/tickets/\(id).json").json["ticket"]["status"] == "solved")
        #expect(copy.state(id)["status_history"].array?.count == 1)
        #expect(copy.emulator.webhookTargets(for: "ticket.status_changed").first?.id == hook)
        let replay = copy.call(
            "POST", "/api/v2/tickets.json",
            ["ticket": ["requester_id": .int(pat), "comment": ["body": "x", "author_id": .int(pat)]]],
            headers: [ZendeskHarness.auth, ("Idempotency-Key", "k1")])
        #expect(replay.header("x-idempotency-lookup") == "hit")
        #expect(copy.ticket(["comment": ["body": "new"]]) == id + 1)

        copy.emulator.reset()
        #expect(copy.emulator.snapshot()["tickets"] == [])
        #expect(copy.emulator.snapshot()["users"].array?.count == 1)
    }
}
