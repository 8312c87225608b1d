import Testing
import FoundationEssentials
import FunctionRuntime

/// Vectors computed independently of this code base (Python's hmac module, and the example in
/// Twilio's own SDK tests), never by the functions under test.
@Suite struct SignatureTests {
    static let zendeskSecret = "dGhpc19zZWNyZXQ"
    static let zendeskTimestamp = "2026-11-21T10:00:00Z"
    static let zendeskBody = #"{"type":"zen:event-type:ticket.created","id":"1"}"#
    static let zendeskSignature = "fCZ7qoC9Lna8NWwiDXxHvJescbUVIe0YX1o3WN/JCE8="
    static let at = Clock.parse("2026-11-21T10:01:00Z")!

    @Test func zendeskMatchesIndependentVector() throws {
        #expect(
            try WebhookSignature.zendesk(
                secret: Self.zendeskSecret, timestamp: Self.zendeskTimestamp, body: Array(Self.zendeskBody.utf8))
                == Self.zendeskSignature)
        try WebhookSignature.verifyZendesk(
            secret: Self.zendeskSecret, signature: Self.zendeskSignature, timestamp: Self.zendeskTimestamp,
            body: Array(Self.zendeskBody.utf8), now: Self.at)
    }

    @Test func zendeskRejectsTamperedBodyWrongSecretStaleAndFuture() throws {
        func verify(
            secret: String = SignatureTests.zendeskSecret, body: String = SignatureTests.zendeskBody,
            timestamp: String = SignatureTests.zendeskTimestamp, signature: String? = SignatureTests.zendeskSignature,
            now: Date = SignatureTests.at
        ) -> RuntimeError.Code? {
            do {
                try WebhookSignature.verifyZendesk(
                    secret: secret, signature: signature, timestamp: timestamp, body: Array(body.utf8), now: now)
                return nil
            } catch let e as RuntimeError { return e.code } catch { return .internal }
        }
        #expect(verify(body: Self.zendeskBody + " ") == .badSignature)
        #expect(verify(secret: "other") == .badSignature)
        #expect(verify(signature: nil) == .badSignature)
        #expect(verify(now: Self.at.addingTimeInterval(300)) == .badSignature)  // 6 minutes old
        #expect(verify(now: Self.at.addingTimeInterval(-120)) == .badSignature)  // 1 minute in the future
        #expect(verify(timestamp: "yesterday") == .badSignature)
        #expect(verify(now: Self.at.addingTimeInterval(230)) == nil)  // 4 min 50 s old: still fresh
    }

    @Test func twilioMatchesTheSDKExample() throws {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        let params = [
            ("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
            ("From", "+14158675309"), ("To", "+18005551212"),
        ]
        #expect(
            try WebhookSignature.twilio(authToken: "12345", url: url, params: params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        // Order of the parameters as received does not matter.
        try WebhookSignature.verifyTwilio(
            authToken: "12345", signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, params: params.reversed())
        #expect(throws: RuntimeError.self) {
            try WebhookSignature.verifyTwilio(
                authToken: "12345", signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url,
                params: params.map { $0.0 == "Digits" ? ($0.0, "1235") : $0 })
        }
        #expect(throws: RuntimeError.self) {
            try WebhookSignature.verifyTwilio(
                authToken: "54321", signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, params: params)
        }
    }

    /// Twilio's back end signs with or without the default port; its SDKs accept both, and so
    /// does the bundle — but never another port.
    @Test(arguments: [
        ("https://bundle.example.com/sms/inbound", "https://bundle.example.com:443/sms/inbound", true),
        ("https://bundle.example.com:443/sms/inbound", "https://bundle.example.com/sms/inbound", true),
        ("http://bundle.example.com/sms?x=1", "http://bundle.example.com:80/sms?x=1", true),
        ("https://bundle.example.com:8443/sms", "https://bundle.example.com/sms", true),
        ("https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms", true),
        ("https://bundle.example.com/sms/inbound", "https://bundle.example.com:8443/sms/inbound", false),
        ("https://bundle.example.com/sms/inbound", "http://bundle.example.com:443/sms/inbound", false),
        ("https://bundle.example.com/sms/inbound", "https://bundle.example.com:443/sms/inbound/", false),
    ])
    func twilioSignaturesWithAndWithoutTheDefaultPort(configured: String, signedOver: String, accepted: Bool) throws {
        let params = [("Body", "hi"), ("From", "+15551230000"), ("MessageSid", "SM1"), ("To", "+15559870000")]
        let signature = try WebhookSignature.twilio(authToken: "tw-token", url: signedOver, params: params)
        let outcome = Result {
            try WebhookSignature.verifyTwilio(
                authToken: "tw-token", signature: signature, url: configured, params: params)
        }
        #expect(((try? outcome.get()) != nil) == accepted, "\(configured) signed over \(signedOver)")
    }

    @Test func klaviyoMatchesIndependentVector() throws {
        let secret = "klaviyo-secret-0123456789", ts = "1763719200"
        let expected = "ceecf544b8d38e2535e607366cc24f4d541952b42abe82317ce5bef44223a6bc"
        #expect(
            try WebhookSignature.klaviyo(secret: secret, timestamp: ts, body: Array(Self.zendeskBody.utf8)) == expected)
        let now = Date(timeIntervalSince1970: 1_763_719_260)
        try WebhookSignature.verifyKlaviyo(
            secret: secret, signature: expected, timestamp: ts, body: Array(Self.zendeskBody.utf8), now: now)
        #expect(throws: RuntimeError.self) {
            try WebhookSignature.verifyKlaviyo(
                secret: secret, signature: expected, timestamp: ts, body: Array(Self.zendeskBody.utf8),
                now: now.addingTimeInterval(3600))
        }
    }

    @Test func constantTimeCompareNeedsEqualLengthAndContent() throws {
        #expect(try Crypto.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(try !Crypto.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(try !Crypto.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(try !Crypto.constantTimeEqual([], []))
    }
}

@Suite struct ClockTests {
    @Test func parsesTheFormsVendorsSend() {
        #expect(Clock.parse("2026-11-20T10:00:00Z")?.timeIntervalSince1970 == 1_795_168_800)
        #expect(Clock.parse("2026-11-20T12:00:00+02:00")?.timeIntervalSince1970 == 1_795_168_800)
        #expect(Clock.parse("2026-11-20T10:00:00.250Z")?.timeIntervalSince1970 == 1_795_168_800.25)
        #expect(Clock.parse("2026-11-20")?.timeIntervalSince1970 == 1_795_132_800)
        #expect(Clock.parse("2026-13-20T10:00:00Z") == nil)
        #expect(Clock.parse("2026-11-20T10:00:00") == nil)  // no zone: ambiguous, refused
        #expect(Clock.iso8601(Date(timeIntervalSince1970: 1_795_168_800.9)) == "2026-11-20T10:00:00Z")
    }

    @Test func parsesHTTPAndTwilioDates() {
        #expect(Clock.parseRFC2822("Sun, 06 Nov 1994 08:49:37 GMT") == Clock.parse("1994-11-06T08:49:37Z"))
        #expect(Clock.parseRFC2822("Fri, 20 Nov 2026 11:00:00 +0100")?.timeIntervalSince1970 == 1_795_168_800)
        #expect(Clock.parseRFC2822("20 Nov 2026 10:00:00 +0000")?.timeIntervalSince1970 == 1_795_168_800)
        #expect(Clock.parseRFC2822("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(Clock.parseRFC2822("Fri, 20 Nov 2026 10:00 +0000") == nil)
        #expect(Clock.parseRFC2822("garbage") == nil)
    }
}

@Suite struct ExitStatusTests {
    @Test func everyCodeHasItsExitAndHTTPStatus() {
        let expected: [RuntimeError.Code: (Int32, Int)] = [
            .usage: (64, 500), .invalidEvent: (65, 400), .badSignature: (77, 401),
            .upstreamUnavailable: (75, 503), .configMissing: (78, 500), .internal: (70, 500),
        ]
        for code in RuntimeError.Code.allCases {
            #expect(code.exitStatus == expected[code]!.0)
            #expect(ExitStatus.httpStatus(for: code.exitStatus) == expected[code]!.1)
            #expect(RuntimeError.Code(exitStatus: code.exitStatus) == code)
        }
        #expect(ExitStatus.httpStatus(for: 0) == 200)
    }
}

@Suite struct RedactionTests {
    @Test func masksPhonesEmailsAndSecrets() {
        let r = Redactor(secrets: ["sk_live_abcdef"])
        let out = r.redact("from +15551230000 to %2B15559870000 mail pat.doe@example.com key sk_live_abcdef id 12345")
        #expect(!out.contains("5551230000"))
        #expect(!out.contains("5559870000"))
        #expect(!out.contains("pat.doe@"))
        #expect(!out.contains("sk_live_abcdef"))
        #expect(out.contains("@example.com"))
        #expect(out.contains("id 12345"))  // short numbers (ids) stay
        #expect(r.redact("p%40example.com").contains("%40example.com"))
        #expect(!r.redact("p.doe%40example.com").contains("p.doe"))
    }
}

@Suite struct RedactionScopeTests {
    /// Ids stay greppable: digits inside a Twilio SID or a hex id are not a phone number.
    @Test func idsAreNotMasked() {
        let r = Redactor()
        #expect(r.redact("SM609b1a5e9172424fbce773bc1169b403") == "SM609b1a5e9172424fbce773bc1169b403")
        #expect(r.redact("sp1796158287017-4e5a870790") == "sp1796158287017-4e5a870790")
        #expect(r.redact("query=phone%3A%2B447700900123") == "query=phone%3A%2B447*******23")
        #expect(r.redact("from +15551230000.") == "from +155******00.")
        #expect(r.redact("phone+15551230000") == "phone+155******00", "a + starts a number even after a word")
        #expect(
            r.redact("/twilio/2010-04-01/Accounts/AC1/Messages.json")
                == "/twilio/2010-04-01/Accounts/AC1/Messages.json", "dates stay")
        #expect(r.redact("at 2026-12-01T21:27:25Z") == "at 2026-12-01T21:27:25Z")
        #expect(r.redact("call 555-123-4567") == "call 555*****67")
    }
}

@Suite struct SignatureScopeTests {
    @Test func klaviyoTimestampsThatAreNoTimeAreRefused() throws {
        let body = Array("{}".utf8)
        for stamp in ["nan", "inf", "-1", "0"] {
            let sig = try WebhookSignature.klaviyo(secret: "s", timestamp: stamp, body: body)
            #expect(throws: RuntimeError.self, "\(stamp)") {
                try WebhookSignature.verifyKlaviyo(secret: "s", signature: sig, timestamp: stamp, body: body)
            }
        }
    }

    /// A secret written `/route=secret` signs only requests to that route; a bare one any route.
    @Test func secretsCanBeBoundToTheirRoute() {
        let entries = ["/zendesk/comments=abc", "/zendesk/tickets=def", "legacy"]
        #expect(SignatureCheck.secrets(entries, path: "/zendesk/comments") == ["abc", "legacy"])
        #expect(SignatureCheck.secrets(entries, path: "/zendesk/tickets") == ["def", "legacy"])
        #expect(SignatureCheck.secrets(["/zendesk/comments=abc"], path: "/survey/dispatch").isEmpty)
    }

    /// A function that takes Zendesk's JSON and Twilio's forms (`agent-reply`) judges each
    /// request by its own sender's secret.
    @Test func eachKindOfRequestIsJudgedByItsOwnSendersSecret() throws {
        let json = IncomingRequest(method: "POST", path: "/zendesk/comments", contentType: "application/json")
        let form = IncomingRequest(
            method: "POST", path: "/sms/status", query: "ticket=1&comment=2",
            contentType: "application/x-www-form-urlencoded")
        let hashed = IncomingRequest(
            method: "POST", path: "/x", query: "bodySHA256=ab", contentType: "application/json")
        let both: [SignatureScheme] = [.zendesk, .twilio]
        #expect(SignatureCheck.candidates(both, request: json) == [.zendesk])
        #expect(SignatureCheck.candidates(both, request: form) == [.twilio])
        #expect(SignatureCheck.candidates(both, request: hashed) == [.zendesk, .twilio])
        #expect(SignatureCheck.candidates([.zendesk], request: form) == [.zendesk], "none fits: all")
        #expect(SignatureCheck.candidates([.twilio, .klaviyo], request: json) == [.klaviyo])

        func verify(_ r: IncomingRequest, _ env: [String: String]) throws {
            try SignatureCheck.verify(both, request: r, body: [], config: Config(environment: env), log: nil)
        }
        // Only Twilio's token set: an unsigned Zendesk event may run with ALLOW_UNSIGNED (local
        // testing), as before the function took Twilio's callbacks; without it, it is refused 401.
        try verify(json, ["TWILIO_AUTH_TOKEN": "t", "ALLOW_UNSIGNED": "1"])
        let refused = #expect(throws: RuntimeError.self) { try verify(json, ["TWILIO_AUTH_TOKEN": "t"]) }
        #expect(refused?.code == .badSignature)
        #expect(refused?.message.contains("ZENDESK_WEBHOOK_SECRET") == true)
        // Nothing set at all: a configuration fault, as for any function.
        #expect(throws: RuntimeError.self) { try verify(json, [:]) }.map { #expect($0.code == .configMissing) }
        // Twilio's form without its signature, the token set: refused.
        let unsigned = #expect(throws: RuntimeError.self) {
            try verify(form, ["TWILIO_AUTH_TOKEN": "t", "PUBLIC_URL": "https://h"])
        }
        #expect(unsigned?.code == .badSignature)
        // A Zendesk signature on a form is not Twilio's: refused, whatever Zendesk's secret.
        var forged = form
        forged.headers["x-zendesk-webhook-signature"] = "abc"
        forged.headers["x-zendesk-webhook-signature-timestamp"] = Clock.iso8601(Date())
        #expect(throws: RuntimeError.self) {
            try verify(forged, ["TWILIO_AUTH_TOKEN": "t", "ZENDESK_WEBHOOK_SECRET": "z", "PUBLIC_URL": "https://h"])
        }
    }
}

@Suite struct RedactionFalsePositiveTests {
    /// What a person greps for in a log stays as it was: Klaviyo profile and event ids, Zendesk
    /// ids, claim tags with Unix times, UUIDs, ISO times; only phones, emails and secrets go.
    @Test func greppableValuesStay() {
        let r = Redactor(secrets: ["tw-secret-token"])
        for text in [
            "profile 01JDQ8ZK4X2M3N5P6Q7R8S9T0V", "event 4Yc2DqXqF2Qr", "ticket 35436 comment 5003",
            "tag sms_reply_5003_claim_1796164220_95aef4b64482e5a5", "uuid 9f8e7d6c-5b4a-4321-8fed-cba987654321",
            "since 2026-12-01T21:27:25.123Z", "metric Y6Hk2p", "MM5f1e0d9c8b7a69584736251403f2e1d0",
            "/api/events?filter=equals(profile_id,\"01JDQ8ZK4X2M3N5P6Q7R8S9T0V\")",
        ] {
            #expect(r.redact(text) == text, "\(text) → \(r.redact(text))")
        }
        let line = r.redact("to +447700900123 mail kim@example.org token tw-secret-token ticket 35436")
        #expect(!line.contains("7700900123") && !line.contains("kim@") && !line.contains("tw-secret-token"), "\(line)")
        #expect(line.contains("ticket 35436"))
    }
}
