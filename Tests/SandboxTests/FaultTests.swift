import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct FaultTests {
    static func event(_ unique: String) -> JSON {
        [
            "data": [
                "type": "event",
                "attributes": [
                    "properties": [:], "unique_id": .string(unique),
                    "metric": ["data": ["type": "metric", "attributes": ["name": "Fault Test"]]],
                    "profile": ["data": ["type": "profile", "attributes": ["email": "f@example.com"]]],
                ],
            ]
        ]
    }

    @Test func statusFaultAnswersInTheServiceFormatThenExpires() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let set = try c.ctl(
            "POST", "/faults",
            [
                "rules": [
                    [
                        "service": "klaviyo", "method": "POST", "path_regex": "^/api/events", "times": 1,
                        "mode": "status", "status": 503, "retry_after": 2,
                    ]
                ]
            ])
        #expect(set.status == 200)
        // A GET is not matched by the rule.
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 200)
        let faulted = try c.json("POST", "/klaviyo/api/events", Self.event("a"), headers: Caller.klaviyoHeaders)
        #expect(faulted.status == 503)
        #expect(faulted.retryAfter == 2)
        #expect(faulted.json["errors"][0]["status"].int == 503)
        #expect(sandbox.state()["klaviyo"]["events"].array?.isEmpty == true)
        let next = try c.json("POST", "/klaviyo/api/events", Self.event("a"), headers: Caller.klaviyoHeaders)
        #expect(next.status == 202)
        let log = sandbox.requestLog()
        #expect(log.contains { $0["fault"].string == "status" && $0["status"].int == 503 })
    }

    @Test func statusFaultsUseEachServicesErrorShape() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.setFaults(["rules": [["mode": "status", "status": 429, "times": 0]]])
        let c = Caller(sandbox)
        let twilio = try c.send("GET", TwilioEmulatorTests.messages, headers: [Caller.twilioAuth])
        #expect(twilio.status == 429)
        #expect(twilio.json["code"].int == 20429)
        #expect(twilio.retryAfter == 1)
        let zendesk = try c.send("GET", "/zendesk/api/v2/tickets.json")
        #expect(zendesk.status == 429)
        // Zendesk answers a 429 in plain text, not JSON, with Retry-After.
        #expect(zendesk.json.isNull)
        #expect(zendesk.retryAfter == 1)
        let survey = try c.json(
            "POST", "/survey/s1", ["name": "a", "email": "b@example.com"], headers: [Caller.surveyAuth])
        #expect(survey.status == 429)
        #expect(survey.json["status"].string == "error")
        // times 0 = always
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 429)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 429)
    }

    @Test func delayWaitsThenProcesses() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.setFaults([["service": "klaviyo", "mode": "delay", "ms": 400]])
        let c = Caller(sandbox)
        let started = Clock.monotonicMS()
        let r = try c.json("POST", "/klaviyo/api/events", Self.event("d"), headers: Caller.klaviyoHeaders)
        #expect(r.status == 202)
        #expect(Clock.monotonicMS() - started >= 400)
        #expect(sandbox.state()["klaviyo"]["events"].array?.count == 1)
    }

    @Test func resetDropsTheConnectionBeforeProcessing() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.setFaults([["service": "klaviyo", "path_regex": "events", "mode": "reset"]])
        let c = Caller(sandbox)
        #expect(throws: RuntimeError.self) {
            try c.json("POST", "/klaviyo/api/events", Self.event("r"), headers: Caller.klaviyoHeaders)
        }
        #expect(sandbox.state()["klaviyo"]["events"].array?.isEmpty == true)
        #expect(sandbox.requestLog().last?["fault"].string == "reset")
    }

    @Test func loseResponseProcessesThenDropsTheConnection() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(TwilioEmulatorTests.seed)
        try sandbox.setFaults([["service": "twilio", "method": "POST", "mode": "lose_response"]])
        let c = Caller(sandbox)
        #expect(throws: RuntimeError.self) {
            try c.form(
                TwilioEmulatorTests.messages, [("To", "+15551230000"), ("From", "+15559870000"), ("Body", "hi")],
                headers: [Caller.twilioAuth])
        }
        // The state changed although the caller saw an error: a retry would send twice.
        #expect(sandbox.state()["twilio"]["messages"].array?.count == 1)
        let entry = sandbox.requestLog().last
        #expect(entry?["fault"].string == "lose_response")
        #expect(entry?["status"].int == 201)
    }

    @Test func malformedRulesAreRefused() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        #expect(try c.ctl("POST", "/faults", ["rules": [["mode": "explode"]]]).status == 400)
        #expect(try c.ctl("POST", "/faults", ["rules": [["mode": "status", "path_regex": "(("]]]).status == 400)
        #expect(try c.ctl("POST", "/faults", ["rules": [["mode": "status", "service": "nope"]]]).status == 400)
        #expect(try c.ctl("POST", "/faults", ["rules": [["mode": "status", "probability": 2]]]).status == 400)
        let listed = try c.ctl("GET", "/faults")
        #expect(listed.json["rules"].array?.isEmpty == true)
    }

    @Test func probabilityZeroNeverFiresAndTheFirstMatchingRuleWins() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.setFaults([
            ["service": "klaviyo", "mode": "status", "status": 500, "times": 0, "probability": 0],
            ["service": "klaviyo", "mode": "status", "status": 429, "times": 1],
            ["service": "klaviyo", "mode": "status", "status": 503, "times": 1],
        ])
        let c = Caller(sandbox)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 429)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 503)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 200)
        let rules = sandbox.faultRules()["rules"].array ?? []
        #expect(rules.map { $0["times"].int ?? -1 } == [0, 0, 0])
        #expect(rules.first?["always"].bool == true)
    }
}
