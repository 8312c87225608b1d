import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// The sandbox's Twilio posts a message's later statuses to its `StatusCallback`, as Twilio does.
@Suite struct TwilioStatusCallbackTests {
    static let seed: JSON = [
        "twilio": [
            "numbers": ["+15559870000"],
            "unreachable": ["+15551230001", ["number": "+15551230002", "error_code": 30007]],
        ]
    ]

    func send(_ c: Caller, to: String, callback: String?) throws -> HTTPResponse {
        var form = [("To", to), ("From", "+15559870000"), ("Body", "Hello")]
        if let callback { form.append(("StatusCallback", callback)) }
        return try c.form(TwilioEmulatorTests.messages, form, headers: [Caller.twilioAuth])
    }

    func params(_ r: Receiver.Received) -> [(String, String)] { FormDecoding.pairs(r.body) }
    func value(_ r: Receiver.Received, _ name: String) -> String? { params(r).last { $0.0 == name }?.1 }

    @Test func laterStatusesArePostedSignedInOrder() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let receiver = try Receiver()
        defer { receiver.stop() }
        let c = Caller(sandbox)
        let delivered = try send(c, to: "+15551230000", callback: receiver.url + "/sms/status?ticket=1&comment=2")
        let lost = try send(c, to: "+15551230002", callback: receiver.url + "/sms/status?ticket=1&comment=3")
        _ = try send(c, to: "+15551230000", callback: nil)
        #expect(delivered.status == 201 && lost.status == 201)
        #expect(eventually { receiver.received.count >= 4 }, "\(receiver.received.count)")
        Clock.sleep(0.3)
        let got = receiver.received
        #expect(got.count == 4, "one post per later status, none for the initial queued, none without a callback")
        for sid in [delivered.json["sid"].string, lost.json["sid"].string] {
            let mine = got.filter { value($0, "MessageSid") == sid }
            let statuses = mine.compactMap { value($0, "MessageStatus") }
            #expect(statuses.first == "sent", "\(statuses)")
            #expect(mine.allSatisfy { value($0, "SmsStatus") == value($0, "MessageStatus") })
            for r in mine {
                // Twilio's signature over the callback URL as given, query included.
                let url = receiver.url + r.target
                #expect(throws: Never.self, "\(r.target)") {
                    try WebhookSignature.verifyTwilio(
                        authToken: "tw-token", signature: r.header("x-twilio-signature"), url: url, params: params(r))
                }
                #expect(r.header("content-type") == "application/x-www-form-urlencoded")
                #expect(value(r, "AccountSid") == "AC_test")
                #expect(value(r, "From") == "+15559870000")
            }
        }
        let final = got.filter { value($0, "MessageStatus") != "sent" }
        #expect(
            final.first { value($0, "MessageSid") == delivered.json["sid"].string }.map { value($0, "MessageStatus") }
                == "delivered")
        let failed = final.first { value($0, "MessageSid") == lost.json["sid"].string }
        #expect(failed.map { value($0, "MessageStatus") } == "undelivered")
        #expect(failed.map { value($0, "ErrorCode") } == "30007")
        #expect(
            final.first { value($0, "MessageSid") == delivered.json["sid"].string }.map { value($0, "ErrorCode") }
                == .some(nil))
        // The message resource agrees, and the state records each post.
        let shown = try c.send(
            "GET", "/twilio/2010-04-01/Accounts/AC_test/Messages/\(lost.json["sid"].string ?? "").json",
            headers: [Caller.twilioAuth])
        #expect(shown.json["status"].string == "undelivered")
        #expect(shown.json["error_code"].int == 30007)
        #expect(shown.json["error_message"].string == "Message filtered")
        let recorded = sandbox.state()["twilio"]["status_callbacks"].array ?? []
        #expect(recorded.count == 4)
        #expect(recorded.allSatisfy { $0["answer"].int == 200 })
    }

    @Test func aCallbackURLTwilioWouldRefuseIsRefused() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        for bad in ["ftp://host.example/s", "https://bad_host.example/s", "status"] {
            let r = try send(c, to: "+15551230000", callback: bad)
            #expect(r.status == 400, "\(bad)")
            #expect(r.json["code"].int == 21609, "\(bad): \(r.text)")
        }
        #expect((sandbox.state()["twilio"]["messages"].array ?? []).isEmpty)
        #expect(throws: (any Error).self) {
            try sandbox.seed(["twilio": ["unreachable": [["number": "+15551230003", "error_code": 12345]]]])
        }
    }
}
