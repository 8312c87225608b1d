import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// The Klaviyo side end to end: system-webhook batches signed with `Klaviyo-Signature` to
/// `/klaviyo/webhooks`, replies through Klaviyo's Conversations API, campaign/flow SMS as private
/// notes that are never relayed.
@Suite struct E2EKlaviyoTests {
    typealias B = SMSBench
    static let klaviyoNumber = "+15550001111"
    static let secret = "kl-webhook-secret"
    static let patProfile = "01PATPROFILE0000000000000A"

    /// POSTs a Klaviyo system-webhook batch signed with `secret`.
    func postBatch(_ bench: SMSBench, _ items: [JSON], secret: String = E2EKlaviyoTests.secret) throws -> SMSBench.Answer {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let body: JSON = ["data": .array(items), "meta": ["webhook_id": "WH1", "timestamp": .string(timestamp)]]
        let bytes = body.serializedBytes()
        return try bench.post("/klaviyo/webhooks", headers: [
            ("Content-Type", "application/json"), ("Klaviyo-Webhook-Id", "WH1"), ("Klaviyo-Timestamp", timestamp),
            ("Klaviyo-Signature", WebhookSignature.klaviyo(secret: secret, timestamp: timestamp, body: bytes))], body: bytes)
    }

    /// A campaign SMS Klaviyo sent to Pat (`event:klaviyo.sent_sms`).
    func campaignItem(id: String, body: String, campaign: String) -> JSON {
        ["external_id": .string(id), "topic": "event:klaviyo.sent_sms",
         "payload": ["data": ["type": "event", "id": .string(id),
                              "attributes": ["datetime": "2026-11-21T10:00:00+00:00",
                                             "event_properties": ["message_body": .string(body), "campaign_name": .string(campaign),
                                                                  "to_number": .string(B.pat)]],
                              "relationships": ["profile": ["data": ["type": "profile", "id": .string(Self.patProfile)]]]]]]
    }

    /// The customer texts the Klaviyo number of their conversation; Klaviyo's signed batch opens
    /// the ticket, and the agent's answer goes back through the same conversation.
    @Test func klaviyoConversationRoundTrip() throws {
        let bench = try SMSBench(seed: B.seed(["klaviyo": ["conversations": [
            ["id": "CONV-PAT", "profile_id": .string(Self.patProfile), "number": .string(Self.klaviyoNumber)]]]]))
        try bench.sandbox.seed(["klaviyo": ["webhooks": [
            ["id": "WH1", "name": "bundle", "endpoint_url": .string(bench.invokerURL + "/klaviyo/webhooks"),
             "secret_key": .string(Self.secret), "topics": ["event:klaviyo.received_sms"]]]]])
        bench.configure(["SMS_PROVIDER": "klaviyo", "KLAVIYO_WEBHOOK_SECRET": Self.secret])

        let r = try bench.sandboxCall("POST", "/_ctl/phone/text",
                                      json: ["from": .string(B.pat), "to": .string(Self.klaviyoNumber), "body": "Hi, texting your Klaviyo number"])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["delivered"].bool == true, "\(r.text) \(bench.accessLines.value)")
        #expect(r.json["webhooks"][0]["status"].int == 200)
        let tickets = bench.tickets(customer: B.pat, brand: Self.klaviyoNumber)
        #expect(tickets.count == 1, "\(bench.tickets.map { $0["external_id"] })")
        let id = tickets.first?["id"].int ?? -1
        #expect(bench.comments(id).map { $0["body"].string } == ["Hi, texting your Klaviyo number"])
        #expect(bench.comments(id).first?["author_id"].int == B.patID)

        let c = try bench.addComment(ticket: id, body: "Thanks Pat, looking into it.")
        let reply = try bench.commentAdded(ticket: id, comment: c)
        #expect(reply.outcome == "sent", "\(reply.text)")
        #expect(reply.json["provider"].string == "klaviyo")
        #expect(bench.klaviyoMessages.count == 1)
        #expect(bench.klaviyoMessages.first?["conversation_id"].string == "CONV-PAT")
        #expect(bench.klaviyoMessages.first?["from_number"].string == Self.klaviyoNumber)
        #expect(bench.klaviyoMessages.first?["body"].string == "Thanks Pat, looking into it.")
        #expect(bench.sentSMS.isEmpty)
    }

    @Test func campaignSMSBecomesAPrivateNoteThatIsNeverRelayed() throws {
        let bench = try SMSBench(seed: B.seed(["zendesk": ["tickets": [
            ["id": 701, "status": "open", "requester_id": .int(B.patID), "external_id": .string("sms:\(B.pat):\(B.brandA)"),
             "tags": ["sms"], "comments": [["author_id": .int(B.patID), "body": "Hello", "public": true]]]]]]),
            env: ["KLAVIYO_WEBHOOK_SECRET": Self.secret])
        let other: JSON = ["external_id": "EVT-OTHER", "topic": "event:klaviyo.opened_email",
                           "payload": ["data": ["type": "event", "id": "EVT-OTHER", "attributes": ["event_properties": [:]]]]]
        let r = try postBatch(bench, [campaignItem(id: "EVT-CAMPAIGN-1", body: "20% off today only", campaign: "Spring Sale"), other])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.outcome == "batch", "\(r.text)")
        let results = r.json["results"].array ?? []
        #expect(results.count == 2)
        #expect(results.first?["outcome"].string == "noted", "\(r.text)")
        #expect(results.first?["ticket_id"].int == 701)
        #expect(results.last?["outcome"].string == "ignored")
        #expect(results.last?["reason"].string == "topic")

        let note = bench.comments(701).last ?? .null
        #expect(note["public"].bool == false)
        #expect((note["body"].string ?? "").contains("20% off today only"))
        #expect((note["body"].string ?? "").contains("Spring Sale"))
        #expect(bench.ticket(701)["status"].string == "open")

        // The note reaches agent-reply like any comment and is not texted back.
        let relay = try bench.commentAdded(ticket: 701, comment: note["id"].int ?? -1)
        #expect(relay.outcome == "skipped" && relay.reason == "private", "\(relay.text)")
        #expect(bench.sentSMS.isEmpty)

        // A re-delivered batch adds nothing.
        let again = try postBatch(bench, [campaignItem(id: "EVT-CAMPAIGN-1", body: "20% off today only", campaign: "Spring Sale")])
        #expect(again.json["results"][0]["outcome"].string == "duplicate", "\(again.text)")
        #expect(bench.comments(701).count == 2)

        // A batch with a wrong signature is refused.
        let forged = try postBatch(bench, [campaignItem(id: "EVT-CAMPAIGN-2", body: "x", campaign: "y")], secret: "wrong")
        #expect(forged.status == 401)
        #expect(bench.comments(701).count == 2)
    }
}
