import Testing
import FunctionRuntime
import SetupKit
import SMSCore

@Suite struct SetupOptionsTests {
    @Test func parsesFlagsAndNormalisesTheURL() throws {
        let o = try SetupOptions.parse([
            "setup", "--public-url", "https://h.example.com/", "--brands", "1,2", "--sms", "--survey", "--apply",
        ])
        #expect(o.mode == .setup)
        #expect(o.publicURL == "https://h.example.com")
        #expect(o.brands == ["1", "2"])
        #expect(o.sms && o.survey && o.apply && !o.remove)
        #expect(try SetupOptions.parse(["setup", "--brands", "all"], defaultPublicURL: "https://x").brands == nil)
    }

    @Test(arguments: [
        ["bogus"], ["setup", "--public-url"], ["setup", "--public-url", "ftp://x"],
        ["setup", "--brands", "a,b", "--public-url", "https://x"],
        ["setup", "--wat", "--public-url", "https://x"], ["check", "--apply"], ["setup"],
    ])
    func refusesBadArguments(_ args: [String]) {
        #expect(throws: SetupError.self) { try SetupOptions.parse(args) }
    }
}

@Suite struct DesiredObjectsTests {
    func objects(_ flags: [String], klaviyo: Bool = true) throws -> [ManagedObject] {
        DesiredObjects.objects(
            for: try SetupOptions.parse(["setup", "--public-url", "https://h.example.com"] + flags),
            klaviyo: klaviyo, surveyTag: "pesquisa2listen_disparada", smsTopics: SMSSettings().klaviyoTopics)
    }

    @Test func metricsOnlyNeedsOneWebhook() throws {
        let list = try objects([])
        #expect(list.count == 1)
        #expect(list[0].kind == .zendeskWebhook)
        #expect(list[0].body["endpoint"] == "https://h.example.com/zendesk/tickets")
        #expect(
            list[0].body["subscriptions"] == ["zen:event-type:ticket.created", "zen:event-type:ticket.status_changed"])
    }

    @Test func smsAddsCommentWebhookAutomationViewAndKlaviyoWebhook() throws {
        let list = try objects(["--sms"])
        #expect(
            list.map(\.kind) == [.zendeskWebhook, .zendeskWebhook, .zendeskAutomation, .zendeskView, .klaviyoWebhook])
        let automation = list[2].body
        let all = automation["conditions"]["all"].array ?? []
        #expect(all.contains(["field": "SOLVED", "operator": "greater_than", "value": "24"]))
        #expect(all.contains(["field": "current_tags", "operator": "includes", "value": "sms"]))
        // The action closes the ticket, which nullifies the "status is solved" condition.
        #expect(automation["actions"] == [["field": "status", "value": "closed"]])
        #expect(
            list[3].body["all"].array?.contains(["field": "status", "operator": "less_than", "value": "closed"]) == true
        )
        #expect(try objects(["--sms"], klaviyo: false).contains { $0.kind == .klaviyoWebhook } == false)
        // Klaviyo only calls https endpoints.
        // The SMS topics, with Klaviyo's meaning: "Sent SMS" is the customer's text (inbound),
        // "Received SMS" a message of the brand that reached the customer (outbound), "Failed to
        // Deliver SMS" one that did not.
        #expect(
            list[4].body["topics"] == [
                "event:klaviyo.sent_sms", "event:klaviyo.received_sms", "event:klaviyo.failed_to_deliver_sms",
            ])
        let http = DesiredObjects.objects(
            for: try SetupOptions.parse(["setup", "--public-url", "http://h", "--sms"]), klaviyo: true, surveyTag: "t",
            smsTopics: ["x"])
        #expect(!http.contains { $0.kind == .klaviyoWebhook })
    }

    @Test func surveyAutomationCallsItsWebhookOncePerSolve() throws {
        let list = try objects(["--survey"])
        let automation = try #require(list.first { $0.kind == .zendeskAutomation })
        let all = automation.body["conditions"]["all"].array ?? []
        #expect(
            all.contains(["field": "current_tags", "operator": "not_includes", "value": "pesquisa2listen_disparada"]))
        #expect(
            all.contains([
                "field": "current_tags", "operator": "not_includes",
                "value": .string(DesiredObjects.surveyRequestedTag),
            ]))
        #expect(all.contains(["field": "ticket_is_public", "operator": "is", "value": "public"]))
        let actions = automation.body["actions"].array ?? []
        #expect(actions.contains(["field": "current_tags", "value": .string(DesiredObjects.surveyRequestedTag)]))
        #expect(actions.first?["value"][0] == .string("{{webhook:\(DesiredObjects.surveyWebhookName)}}"))
    }

    @Test func triggersReplaceEventSubscriptions() throws {
        let list = try objects(["--triggers", "--sms"])
        let hooks = list.filter { $0.kind == .zendeskWebhook }
        #expect(
            hooks.map(\.name) == [DesiredObjects.ticketTriggerWebhookName, DesiredObjects.commentTriggerWebhookName])
        for hook in hooks { #expect(hook.body["subscriptions"] == ["conditional_ticket_events"]) }
        let triggers = list.filter { $0.kind == .zendeskTrigger }
        #expect(
            triggers.map(\.name) == [
                DesiredObjects.createdTriggerName, DesiredObjects.closedTriggerName, DesiredObjects.commentTriggerName,
            ])
        // Each trigger calls its webhook with the trigger body the function reads.
        let created = try JSON.parse(triggers[0].body["actions"][0]["value"][1].string ?? "")
        #expect(created["type"] == "ticket.created")
        #expect(created["ticket_id"] == "{{ticket.id}}")
        #expect(created["brand_id"] == "{{ticket.brand.id}}")
        #expect(
            triggers[0].body["actions"][0]["value"][0]
                == .string("{{webhook:\(DesiredObjects.ticketTriggerWebhookName)}}"))
        let closed = try JSON.parse(triggers[1].body["actions"][0]["value"][1].string ?? "")
        #expect(closed["status"] == "closed")
        #expect(
            triggers[1].body["conditions"]["all"] == [["field": "status", "operator": "changed_to", "value": "closed"]])
        #expect(
            triggers[2].body["actions"][0]["value"][0]
                == .string("{{webhook:\(DesiredObjects.commentTriggerWebhookName)}}"))
        #expect(
            !list.contains {
                $0.name == DesiredObjects.ticketWebhookName || $0.name == DesiredObjects.commentWebhookName
            })
    }

    @Test func removeWantsNothing() throws {
        #expect(
            DesiredObjects.objects(
                for: try SetupOptions.parse(["setup", "--remove", "--sms"]), klaviyo: true, surveyTag: "t",
                smsTopics: ["x"]
            ).isEmpty)
    }
}

@Suite struct SetupPlanTests {
    let hook = ManagedObject(
        kind: .zendeskWebhook, name: "[zk-bundle] a",
        body: [
            "name": "[zk-bundle] a", "endpoint": "https://h/x", "http_method": "POST", "request_format": "json",
            "status": "active",
            "subscriptions": ["s1", "s2"],
        ])

    @Test func createsWhatIsMissingAndLeavesWhatMatches() {
        #expect(SetupPlan.make(desired: [hook], existing: []).map(\.action) == [.create])
        // Same fields in another order, plus fields Zendesk adds: unchanged.
        var served = hook.body
        served["subscriptions"] = ["s2", "s1"]
        served["id"] = "01ABC"
        served["created_at"] = "2026-01-01T00:00:00Z"
        let existing = ExistingObject(kind: .zendeskWebhook, id: "01ABC", name: hook.name, body: served)
        let steps = SetupPlan.make(desired: [hook], existing: [existing])
        #expect(steps.map(\.action) == [.unchanged])
        #expect(steps[0].id == "01ABC")
    }

    @Test func updatesWhatDrifted() {
        var served = hook.body
        served["endpoint"] = "https://old/x"
        served["status"] = "inactive"
        let steps = SetupPlan.make(
            desired: [hook], existing: [ExistingObject(kind: .zendeskWebhook, id: "1", name: hook.name, body: served)])
        #expect(steps.map(\.action) == [.update])
        #expect(steps[0].changes == ["endpoint", "status"])
    }

    @Test func deletesRulesBeforeWebhooksAndCreatesWebhooksBeforeRules() {
        let rule = ManagedObject(
            kind: .zendeskAutomation, name: "[zk-bundle] r",
            body: [
                "title": "[zk-bundle] r", "active": true, "conditions": ["all": [], "any": []],
                "actions": [["field": "notification_webhook", "value": ["{{webhook:[zk-bundle] a}}", "{}"]]],
            ])
        let created = SetupPlan.make(desired: [rule, hook], existing: [])
        #expect(created.map(\.kind) == [.zendeskWebhook, .zendeskAutomation])
        let old = [
            ExistingObject(kind: .zendeskWebhook, id: "w", name: "[zk-bundle] old hook", body: [:]),
            ExistingObject(kind: .zendeskView, id: "v", name: "[zk-bundle] old view", body: [:]),
        ]
        let removed = SetupPlan.make(desired: [], existing: old)
        #expect(removed.map(\.action) == [.delete, .delete])
        #expect(removed.map(\.kind) == [.zendeskView, .zendeskWebhook])
    }

    @Test func resolvesWebhookPlaceholders() {
        let v: JSON = ["actions": [["field": "notification_webhook", "value": ["{{webhook:[zk-bundle] a}}", "{}"]]]]
        #expect(SetupPlan.resolve(v, webhookIDs: ["[zk-bundle] a": "01XYZ"])["actions"][0]["value"][0] == "01XYZ")
    }

    @Test func viewConditionsCompareAcrossRequestAndResponseShapes() {
        let request: JSON = [
            "active": true, "all": [["field": "status", "operator": "less_than", "value": "closed"]], "any": [],
        ]
        let response: JSON = [
            "active": true,
            "conditions": ["all": [["field": "status", "operator": "less_than", "value": "closed"]], "any": []],
        ]
        #expect(SetupPlan.fingerprint(.zendeskView, request) == SetupPlan.fingerprint(.zendeskView, response))
    }
}

@Suite struct TwilioNumberPlanTests {
    let free = TwilioNumberPlan.Number(sid: "PN1", phoneNumber: "+15550000001", smsURL: "")
    let ours = TwilioNumberPlan.Number(sid: "PN2", phoneNumber: "+15550000002", smsURL: "https://h/sms/inbound")
    let other = TwilioNumberPlan.Number(
        sid: "PN3", phoneNumber: "+15550000003", smsURL: "https://elsewhere.example.com/sms")
    let oldHost = TwilioNumberPlan.Number(sid: "PN4", phoneNumber: "+15550000004", smsURL: "https://old/sms/inbound")

    @Test func pointsFreeAndOwnNumbersAndLeavesOthersAlone() throws {
        let steps = try TwilioNumberPlan.make(
            numbers: [free, ours, other, oldHost], publicURL: "https://h", chosen: nil, remove: false)
        #expect(steps.map(\.action) == [.point, .unchanged, .leave, .point])
        #expect(steps[0].detail == "https://h/sms/inbound")
        #expect(steps[2].detail.contains("--sms-numbers"))
    }

    @Test func namedNumbersAreTakenOverAndOnlyThem() throws {
        let steps = try TwilioNumberPlan.make(
            numbers: [free, other], publicURL: "https://h", chosen: ["+15550000003"], remove: false)
        #expect(steps.map(\.action) == [.point])
        #expect(steps[0].number.sid == "PN3")
        #expect(throws: SetupError.self) {
            try TwilioNumberPlan.make(numbers: [free], publicURL: "https://h", chosen: ["+15559999999"], remove: false)
        }
    }

    @Test func removeClearsOnlyWhatPostsToTheBundle() throws {
        let steps = try TwilioNumberPlan.make(
            numbers: [free, ours, other], publicURL: "https://h", chosen: nil, remove: true)
        #expect(steps.map(\.number.sid) == ["PN2"])
        #expect(steps.map(\.action) == [.clear])
    }
}
