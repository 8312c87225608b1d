import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ControlAPITests {
    @Test func seedStateAndReset() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let seeded = try c.ctl(
            "POST", "/seed",
            [
                "klaviyo": ["profiles": [["id": "P1", "email": "a@example.com", "seen": "now-3h"]]],
                "twilio": ["numbers": ["+15559870000"]],
                "config": ["survey": ["required_fields": ["email"]]],
            ])
        #expect(seeded.status == 200)
        let state = try c.ctl("GET", "/state").json
        for key in ["zendesk", "klaviyo", "twilio", "survey", "requests", "deliveries"] {
            #expect(!state[key].isNull, "\(key)")
        }
        #expect(state["klaviyo"]["profiles"][0]["id"].string == "P1")
        let seen = state["klaviyo"]["profiles"][0]["seen"].string.flatMap(Clock.parse)
        #expect(seen != nil)
        if let seen { #expect(abs(Date().timeIntervalSince(seen) - 3 * 3600) < 120) }
        #expect(state["twilio"]["numbers"] == ["+15559870000"])
        #expect(try c.ctl("GET", "/config").json["survey"]["required_fields"] == ["email"])
        #expect(try c.ctl("POST", "/seed", ["nope": [:]]).status == 400)
        #expect(try c.ctl("POST", "/seed", ["twilio": ["numbers": ["555"]]]).status == 400)
        _ = try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders)
        let requests = try c.ctl("GET", "/requests").json["requests"].array ?? []
        #expect(requests.count == 1)
        #expect(requests.first?["service"].string == "klaviyo")
        #expect(requests.first?["headers"]["authorization"].string == "Klaviyo-API-Key [redacted]")
        #expect(requests.first?["seq"].int == 1)
        #expect(try c.ctl("POST", "/reset").status == 200)
        let cleared = try c.ctl("GET", "/state").json
        #expect(cleared["klaviyo"]["profiles"].array?.isEmpty == true)
        #expect(cleared["twilio"]["numbers"].array?.isEmpty == true)
        #expect(cleared["requests"].array?.isEmpty == true)
        #expect(try c.ctl("GET", "/config").json["survey"]["required_fields"] == ["name", "email"])
    }

    @Test func clockAdvances() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let before = try c.ctl("GET", "/clock").json["now"].string.flatMap(Clock.parse)
        let moved = try c.ctl("POST", "/clock", ["advance_seconds": 7200])
        #expect(moved.status == 200)
        #expect(moved.json["offset_seconds"].double == 7200)
        let after = moved.json["now"].string.flatMap(Clock.parse)
        if let before, let after {
            #expect(after.timeIntervalSince(before) >= 7199)
        } else {
            Issue.record("clock not readable")
        }
        // Seed times follow the sandbox clock.
        try sandbox.seed(["klaviyo": ["profiles": [["id": "P", "email": "p@example.com", "at": "now"]]]])
        let at = sandbox.state()["klaviyo"]["profiles"][0]["at"].string.flatMap(Clock.parse)
        if let at { #expect(at.timeIntervalSince(Date()) > 7000) } else { Issue.record("seed time missing") }
        #expect(try c.ctl("POST", "/clock", ["minutes": 3]).status == 400)
    }

    @Test func configChangesCredentialsAndEnvironment() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        #expect(
            try c.ctl("POST", "/config", ["klaviyo": ["api_key": "pk_other"], "twilio": ["auth_token": "t2"]]).status
                == 200)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 401)
        #expect(
            try c.send(
                "GET", "/klaviyo/api/profiles",
                headers: [("Authorization", "Klaviyo-API-Key pk_other"), ("revision", "2026-07-15")]
            ).status == 200)
        let env = sandbox.functionEnvironment()
        #expect(env["KLAVIYO_API_KEY"] == "pk_other")
        #expect(env["TWILIO_AUTH_TOKEN"] == "t2")
        #expect(env["KLAVIYO_URL"] == sandbox.baseURL + "/klaviyo")
        #expect(env["ZENDESK_URL"] == sandbox.baseURL + "/zendesk")
        #expect(env["KLAVIYO_REVISION"] == "2026-07-15")
        #expect(try c.ctl("POST", "/config", ["klaviyo": ["colour": "blue"]]).status == 400)
        #expect(try c.ctl("GET", "/nothing").status == 404)
    }

    @Test func eventLogLinesAreRedacted() throws {
        final class Lines: @unchecked Sendable { let lock = Lock(); var all: [String] = [] }
        let lines = Lines()
        let sandbox = try startSandbox(
            SandboxOptions(eventLog: { line in lines.lock.withLock { lines.all.append(line) } }))
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let filter = FormDecoding.encode("equals(phone_number,\"+15551234567\")")
        _ = try c.send("GET", "/klaviyo/api/profiles?filter=\(filter)", headers: Caller.klaviyoHeaders)
        let text = lines.lock.withLock { lines.all.joined(separator: "\n") }
        #expect(text.contains("klaviyo GET /api/profiles"))
        #expect(text.contains("→ 200"))
        #expect(!text.contains("15551234567"))
        #expect(!text.contains("pk_test"))
    }
}
