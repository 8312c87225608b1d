import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct TwilioEmulatorTests {
    static let messages = "/twilio/2010-04-01/Accounts/AC_test/Messages.json"
    static let seed: JSON = ["twilio": ["numbers": ["+15559870000"], "opted_out": ["+15551239999"]]]

    func send(
        _ c: Caller, to: String = "+15551230000", from: String = "+15559870000", body: String = "Hello"
    ) throws -> HTTPResponse {
        try c.form(Self.messages, [("To", to), ("From", from), ("Body", body)], headers: [Caller.twilioAuth])
    }

    @Test func sendsAMessageAsTwilioDescribesIt() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        let r = try send(c)
        #expect(r.status == 201)
        let sid = r.json["sid"].string ?? ""
        #expect(sid.hasPrefix("SM") && sid.count == 34 && sid.dropFirst(2).allSatisfy { $0.isHexDigit })
        #expect(r.json["status"].string == "queued")
        #expect(r.json["num_segments"] == "1")
        #expect(r.json["to"].string == "+15551230000")
        #expect(r.json["from"].string == "+15559870000")
        #expect(r.json["date_created"].string?.hasSuffix("+0000") == true)
        let shown = try c.send(
            "GET", "/twilio/2010-04-01/Accounts/AC_test/Messages/\(sid).json", headers: [Caller.twilioAuth])
        #expect(shown.status == 200)
        #expect(shown.json["sid"].string == sid)
        #expect(
            try c.send("GET", "/twilio/2010-04-01/Accounts/AC_test/Messages/SM00.json", headers: [Caller.twilioAuth])
                .status == 404)
        let account = try c.send("GET", "/twilio/2010-04-01/Accounts/AC_test.json", headers: [Caller.twilioAuth])
        #expect(account.status == 200)
        #expect(account.json["sid"].string == "AC_test")
        #expect(
            try c.send("GET", "/twilio/2010-04-01/Accounts/AC_else.json", headers: [Caller.twilioAuth]).status == 404)
        let state = sandbox.state()["twilio"]["messages"].array ?? []
        #expect(state.count == 1)
        #expect(state.first?["body"].string == "Hello")
    }

    @Test func eachErrorCode() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        let unauthenticated = try c.form(
            Self.messages, [("To", "+15551230000"), ("From", "+15559870000"), ("Body", "x")],
            headers: [Caller.basic("AC_test", "wrong")])
        #expect(unauthenticated.status == 401)
        #expect(unauthenticated.json["code"].int == 20003)
        #expect(unauthenticated.json["more_info"].string?.contains("20003") == true)
        let otherAccount = try c.form(
            "/twilio/2010-04-01/Accounts/AC_other/Messages.json",
            [("To", "+15551230000"), ("From", "+15559870000"), ("Body", "x")],
            headers: [Caller.twilioAuth])
        #expect(otherAccount.status == 404)
        #expect(otherAccount.json["code"].int == 20404)
        let notOwned = try send(c, from: "+15550000000")
        #expect(notOwned.status == 400)
        #expect(notOwned.json["code"].int == 21606)
        let badTo = try send(c, to: "5551230000")
        #expect(badTo.json["code"].int == 21211)
        #expect(badTo.json["status"].int == 400)
        let tooLong = try send(c, body: String(repeating: "a", count: 1601))
        #expect(tooLong.json["code"].int == 21617)
        #expect(try send(c, body: String(repeating: "a", count: 1600)).status == 201)
        // Code points count, not Characters: 801 "👍🏽" are 1,602.
        #expect(try send(c, body: String(repeating: "👍🏽", count: 801)).json["code"].int == 21617)
        let optedOut = try send(c, to: "+15551239999")
        #expect(optedOut.json["code"].int == 21610)
        #expect(sandbox.state()["twilio"]["messages"].array?.count == 1)
    }

    @Test func segmentsFollowGSM7AndUCS2() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        let cases: [(String, String)] = [
            (String(repeating: "a", count: 160), "1"), (String(repeating: "a", count: 161), "2"),
            (String(repeating: "a", count: 306), "2"), (String(repeating: "a", count: 307), "3"),
            (String(repeating: "{", count: 80), "1"), (String(repeating: "{", count: 81), "2"),
            (String(repeating: "é", count: 160), "1"), (String(repeating: "ç", count: 70), "1"),
            (String(repeating: "ç", count: 71), "2"), ("Olá 😀", "1"), (String(repeating: "😀", count: 35), "1"),
            (String(repeating: "😀", count: 36), "2"),
        ]
        for (body, expected) in cases {
            #expect(
                try send(c, body: body).json["num_segments"].string == expected,
                "body of \(body.count) × \(body.first!)")
        }
    }

    @Test func listFiltersByToFromAndDateSent() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(["twilio": ["numbers": ["+15559870000", "+15559870001"]]])
        let c = Caller(sandbox)
        _ = try send(c, to: "+15551230000", body: "one")
        _ = try send(c, to: "+15551230001", body: "two")
        _ = try send(c, to: "+15551230000", from: "+15559870001", body: "three")
        let all = try c.send("GET", Self.messages, headers: [Caller.twilioAuth]).json["messages"].array ?? []
        #expect(all.map { $0["body"].string ?? "" } == ["three", "two", "one"])
        let to =
            try c.send("GET", Self.messages + "?To=%2B15551230000", headers: [Caller.twilioAuth]).json["messages"].array
            ?? []
        #expect(to.count == 2)
        let toFrom =
            try c.send("GET", Self.messages + "?To=%2B15551230000&From=%2B15559870001", headers: [Caller.twilioAuth])
            .json["messages"].array ?? []
        #expect(toFrom.map { $0["body"].string ?? "" } == ["three"])
        // DateSent filters on the day a message was sent: queued messages are sent half a second later.
        Clock.sleep(1.1)
        let later = try c.send("GET", Self.messages, headers: [Caller.twilioAuth]).json["messages"].array ?? []
        #expect(later.allSatisfy { !$0["date_sent"].isNull && $0["status"] == "delivered" }, "\(later)")
        let today = String(Clock.iso8601(Date()).prefix(10))
        #expect(
            (try c.send("GET", Self.messages + "?DateSent=\(today)", headers: [Caller.twilioAuth]).json["messages"]
                .array ?? []).count == 3)
        #expect(
            (try c.send("GET", Self.messages + "?DateSent=2000-01-01", headers: [Caller.twilioAuth]).json["messages"]
                .array ?? []).isEmpty)
        #expect(
            (try c.send("GET", Self.messages + "?DateSent%3E=2000-01-01", headers: [Caller.twilioAuth]).json["messages"]
                .array ?? []).count == 3)
        #expect(
            (try c.send("GET", Self.messages + "?DateSent%3C=2000-01-01", headers: [Caller.twilioAuth]).json["messages"]
                .array ?? []).isEmpty)
    }
}

@Suite struct SurveyEmulatorTests {
    @Test func authenticationAndRequiredFields() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let body: JSON = ["name": "Ana", "email": "ana@example.com", "ticket_id": 7]
        #expect(try c.json("POST", "/survey/s1", body).status == 401)
        #expect(
            try c.json("POST", "/survey/s1", body, headers: [Caller.basic("survey@example.com", "sv-token")]).status
                == 401)
        #expect(
            try c.json("POST", "/survey/s1", body, headers: [Caller.basic("survey@example.com/token", "nope")]).status
                == 401)
        let missing = try c.json("POST", "/survey/s1", ["name": "Ana", "email": ""], headers: [Caller.surveyAuth])
        #expect(missing.status == 422)
        #expect(missing.json["message"].string?.contains("email") == true)
        let ok = try c.json("POST", "/survey/s1", body, headers: [Caller.surveyAuth])
        #expect(ok.status == 200)
        let submissions = sandbox.state()["survey"]["submissions"].array ?? []
        #expect(submissions.count == 1)
        #expect(submissions.first?["body"]["ticket_id"].int == 7)
        #expect(submissions.first?["path"].string == "/s1")
        let env = sandbox.functionEnvironment()
        #expect(env["SURVEY_URL"] == sandbox.baseURL + "/survey/s1")
        #expect(env["SURVEY_EMAIL"] == "survey@example.com")
        #expect(env["SURVEY_TOKEN"] == "sv-token")
    }
}
