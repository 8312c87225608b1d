import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskRulesTests {
    static let hook: JSON = [
        "webhook": [
            "name": "bundle", "endpoint": "http://127.0.0.1:9/zendesk", "http_method": "POST",
            "request_format": "json", "status": "active",
            "subscriptions": ["zen:event-type:ticket.comment_added", "zen:event-type:ticket.status_changed"],
        ]
    ]

    @Test func webhookSigningSecretAndTargets() {
        let zd = ZendeskHarness()
        let created = zd.call("POST", "/api/v2/webhooks", Self.hook)
        #expect(created.status == 201)
        let id = created.json["webhook"]["id"].string ?? ""
        #expect(id.count == 26)
        #expect(created.json["webhook"]["signing_secret"].isNull)
        let secret = zd.call("GET", "/api/v2/webhooks/\(id)/signing_secret")
        #expect(secret.status == 200)
        #expect(secret.json["signing_secret"]["algorithm"] == "SHA256")
        let value = secret.json["signing_secret"]["secret"].string ?? ""
        #expect(value.count >= 32)
        let targets = zd.emulator.webhookTargets(for: "ticket.comment_added")
        #expect(targets.count == 1)
        #expect(
            targets.first?.id == id && targets.first?.endpoint == "http://127.0.0.1:9/zendesk"
                && targets.first?.secret == value)
        #expect(zd.emulator.webhookTargets(for: "ticket.created").isEmpty)
        // Deactivated webhooks receive nothing.
        #expect(zd.call("PATCH", "/api/v2/webhooks/\(id)", ["webhook": ["status": "inactive"]]).status == 204)
        #expect(zd.emulator.webhookTargets(for: "ticket.comment_added").isEmpty)
        #expect(zd.call("DELETE", "/api/v2/webhooks/\(id)").status == 204)
        #expect(zd.call("GET", "/api/v2/webhooks/\(id)/signing_secret").status == 404)
    }

    @Test func webhookValidation() {
        let zd = ZendeskHarness()
        var bad = Self.hook
        bad["webhook"]["subscriptions"] = ["ticket.created"]
        bad["webhook"]["http_method"] = "FETCH"
        let reply = zd.call("POST", "/api/v2/webhooks", bad)
        #expect(reply.status == 422)
        #expect(reply.json["errors"].array?.count == 2)
    }

    @Test func automationNeedsTimeConditionAndNullifyingAction() {
        let zd = ZendeskHarness()
        let good: JSON = [
            "automation": [
                "title": "Close 24h after solved",
                "conditions": [
                    "all": [
                        ["field": "status", "operator": "is", "value": "solved"],
                        ["field": "SOLVED", "operator": "greater_than", "value": "24"],
                    ]
                ],
                "actions": [["field": "status", "value": "closed"]],
            ]
        ]
        let created = zd.call("POST", "/api/v2/automations.json", good)
        #expect(created.status == 201)
        #expect(created.json["automation"]["id"].int ?? 0 >= 100)

        var noTime = good
        noTime["automation"]["conditions"] = ["all": [["field": "status", "operator": "is", "value": "solved"]]]
        let r1 = zd.call("POST", "/api/v2/automations.json", noTime)
        #expect(r1.status == 422)
        #expect(
            r1.json["details"]["base"].array?.contains { $0["description"].string?.contains("time-based") == true }
                == true)

        var noNullify = good
        noNullify["automation"]["actions"] = [["field": "priority", "value": "high"]]
        let r2 = zd.call("POST", "/api/v2/automations.json", noNullify)
        #expect(r2.status == 422)
        #expect(r2.json["error"] == "RecordInvalid")

        // A tag guard nullifies too.
        let tagged: JSON = [
            "automation": [
                "title": "Survey",
                "conditions": [
                    "all": [
                        ["field": "SOLVED", "operator": "greater_than", "value": "2"],
                        ["field": "current_tags", "operator": "not_includes", "value": "survey_sent"],
                    ]
                ],
                "actions": [["field": "current_tags", "value": "survey_sent"]],
            ]
        ]
        #expect(zd.call("POST", "/api/v2/automations.json", tagged).status == 201)

        var unknown = good
        unknown["automation"]["conditions"]["all"] = [
            ["field": "status", "operator": "resembles", "value": "solved"],
            ["field": "SOLVED", "operator": "greater_than", "value": "24"],
        ]
        #expect(zd.call("POST", "/api/v2/automations.json", unknown).status == 422)
    }

    @Test func viewNeedsAnAllConditionOnACoreField() {
        let zd = ZendeskHarness()
        let bad = zd.call(
            "POST", "/api/v2/views.json",
            ["view": ["title": "SMS", "any": [["field": "current_tags", "operator": "includes", "value": "sms"]]]])
        #expect(bad.status == 422)
        let good = zd.call(
            "POST", "/api/v2/views.json",
            [
                "view": [
                    "title": "SMS",
                    "all": [["field": "status", "operator": "less_than", "value": "solved"]],
                    "any": [["field": "current_tags", "operator": "includes", "value": "sms"]],
                ]
            ])
        #expect(good.status == 201)
        #expect(good.json["view"]["conditions"]["all"][0]["field"] == "status")
        let id = good.json["view"]["id"].int ?? 0
        #expect(zd.call("GET", "/api/v2/views/\(id).json").json["view"]["title"] == "SMS")
        #expect(zd.call("GET", "/api/v2/views.json").json["count"] == 1)
    }

    @Test func triggerValidatesFieldsAndWebhookReference() {
        let zd = ZendeskHarness()
        var hook = Self.hook
        hook["webhook"]["subscriptions"] = ["conditional_ticket_events"]
        let hookID = zd.call("POST", "/api/v2/webhooks", hook).json["webhook"]["id"].string ?? ""
        func trigger(_ webhook: String, field: String = "status") -> JSON {
            [
                "trigger": [
                    "title": "Notify",
                    "conditions": ["all": [["field": .string(field), "operator": "changed", "value": nil]]],
                    "actions": [
                        ["field": "notification_webhook", "value": [.string(webhook), "{\"id\":\"{{ticket.id}}\"}"]]
                    ],
                ]
            ]
        }
        #expect(zd.call("POST", "/api/v2/triggers.json", trigger(hookID)).status == 201)
        #expect(zd.call("POST", "/api/v2/triggers.json", trigger("01NOPE")).status == 422)
        #expect(zd.call("POST", "/api/v2/triggers.json", trigger(hookID, field: "mood")).status == 422)
        let list = zd.call("GET", "/api/v2/triggers.json").json
        #expect(list["triggers"].array?.count == 1)
    }
}

@Suite struct ZendeskAutomationRunTests {
    @Test func automationsFireOnceAfterTheirTimeAndCallWebhooks() throws {
        let zd = ZendeskHarness()
        var hook = ZendeskRulesTests.hook
        hook["webhook"]["subscriptions"] = ["conditional_ticket_events"]
        let hookID = zd.call("POST", "/api/v2/webhooks", hook).json["webhook"]["id"].string ?? ""
        let survey: JSON = [
            "automation": [
                "title": "Survey",
                "conditions": [
                    "all": [
                        ["field": "status", "operator": "is", "value": "solved"],
                        ["field": "updated_at", "operator": "greater_than", "value": "1"],
                        ["field": "current_tags", "operator": "not_includes", "value": "survey_requested"],
                    ]
                ],
                "actions": [
                    [
                        "field": "notification_webhook",
                        "value": [.string(hookID), "{\"ticket_id\":\"{{ticket.id}}\"}"],
                    ],
                    ["field": "current_tags", "value": "survey_requested"],
                ],
            ]
        ]
        #expect(zd.call("POST", "/api/v2/automations.json", survey).status == 201)
        let close: JSON = [
            "automation": [
                "title": "Close",
                "conditions": [
                    "all": [
                        ["field": "status", "operator": "is", "value": "solved"],
                        ["field": "SOLVED", "operator": "greater_than", "value": "24"],
                    ]
                ],
                "actions": [["field": "status", "value": "closed"]],
            ]
        ]
        #expect(zd.call("POST", "/api/v2/automations.json", close).status == 201)
        let id = zd.ticket(["comment": ["body": "x"], "status": "solved"])
        #expect(zd.emulator.runAutomations(context: zd.context).isEmpty)

        zd.context.offset += 2 * 3600 + 60
        let calls = zd.emulator.runAutomations(context: zd.context)
        #expect(calls.count == 1)
        #expect(calls.first?.body == "{\"ticket_id\":\"\(id)\"}")
        #expect(calls.first?.webhookID == hookID)
        #expect(zd.state(id)["tags"] == ["survey_requested"])
        #expect(zd.emulator.runAutomations(context: zd.context).isEmpty)

        zd.events.removeAll()
        zd.context.offset += 24 * 3600
        _ = zd.emulator.runAutomations(context: zd.context)
        #expect(zd.state(id)["status"] == "closed")
        #expect(zd.events.map(\.type) == ["ticket.status_changed"])
        #expect(zd.events.first?.payload["event"]["current"] == "CLOSED")
    }
}
