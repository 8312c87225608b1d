import Testing
import FunctionRuntime
import SandboxKit

/// The sandbox's Twilio IncomingPhoneNumbers resources, over real HTTP.
@Suite struct TwilioIncomingNumbersTests {
    @Test func listFetchAndPointANumberAtAURL() throws {
        let sandbox = Sandbox()
        _ = try sandbox.start()
        defer { sandbox.stop() }
        try sandbox.seed(["twilio": ["numbers": ["+15550100100", "+15550100200"]]])
        let auth = ("Authorization", "Basic " + Crypto.base64(Array("AC_test:tw-token".utf8)))
        let http = HTTPClient(deadline: Deadline(seconds: 10))
        let base = sandbox.baseURL + "/twilio/2010-04-01/Accounts/AC_test/IncomingPhoneNumbers"

        let list = try http.send(HTTPRequest("GET", base + ".json", headers: [auth]))
        #expect(list.status == 200)
        let numbers = list.json["incoming_phone_numbers"].array ?? []
        #expect(numbers.map { $0["phone_number"].string } == ["+15550100100", "+15550100200"])
        let sid = try #require(numbers.first?["sid"].string)
        #expect(sid.hasPrefix("PN") && sid.count == 34)
        #expect(numbers.first?["sms_url"] == "")

        let filtered = try http.send(HTTPRequest("GET", base + ".json?PhoneNumber=%2B15550100200", headers: [auth]))
        #expect(filtered.json["incoming_phone_numbers"].array?.count == 1)

        let update = try http.send(
            HTTPRequest(
                "POST", base + "/\(sid).json", headers: [auth, ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("SmsUrl=https%3A%2F%2Fh.example.com%2Fsms%2Finbound&SmsMethod=POST".utf8)))
        #expect(update.status == 200)
        #expect(update.json["sms_url"] == "https://h.example.com/sms/inbound")
        #expect(sandbox.twilio.smsURL(for: "+15550100100") == "https://h.example.com/sms/inbound")

        let bad = try http.send(
            HTTPRequest(
                "POST", base + "/\(sid).json", headers: [auth, ("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("SmsUrl=ftp%3A%2F%2Fx".utf8)))
        #expect(bad.status == 400)
        #expect(bad.json["code"] == 21502)
        let missing = try http.send(
            HTTPRequest("GET", base + "/PN00000000000000000000000000000000.json", headers: [auth]))
        #expect(missing.status == 404)
        let unauthenticated = try http.send(HTTPRequest("GET", base + ".json"))
        #expect(unauthenticated.status == 401)
    }
}
