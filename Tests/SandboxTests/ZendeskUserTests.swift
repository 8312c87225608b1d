import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskAuthAndUserTests {
    @Test func requestsWithoutValidCredentialsGet401() {
        let zd = ZendeskHarness()
        let none = zd.call("GET", "/api/v2/users/1.json", headers: [])
        #expect(none.status == 401)
        #expect(none.json == ["error": "Couldn't authenticate you"])
        let wrong = zd.call(
            "GET", "/api/v2/users/1.json",
            headers: [("Authorization", "Basic " + Crypto.base64(Array("agent@example.com/token:nope".utf8)))])
        #expect(wrong.status == 401)
        // The API token is not an OAuth token.
        #expect(zd.call("GET", "/api/v2/users/1.json", headers: [("Authorization", "Bearer zd-token")]).status == 401)
        #expect(
            zd.call("GET", "/api/v2/users/1.json", headers: [("Authorization", "Bearer zd-oauth-token")]).status == 200)
        let ok = zd.call("GET", "/api/v2/users/1.json")
        #expect(ok.status == 200)
        #expect(ok.json["user"]["name"] == "Support Agent")
        #expect(ok.json["user"]["role"] == "agent")
    }

    @Test func configuredCredentialsReplaceTheDefaults() throws {
        let zd = ZendeskHarness()
        try zd.emulator.configure(["email": "ops@brand.test", "token": "t2", "oauth_token": "o2", "account_id": 42])
        #expect(zd.call("GET", "/api/v2/users/1.json").status == 401)
        let basic = ("Authorization", "Basic " + Crypto.base64(Array("ops@brand.test/token:t2".utf8)))
        #expect(zd.call("GET", "/api/v2/users/1.json", headers: [basic]).status == 200)
        #expect(zd.call("GET", "/api/v2/users/1.json", headers: [("Authorization", "Bearer o2")]).status == 200)
        #expect(throws: (any Error).self) { try zd.emulator.configure(["colour": "blue"]) }
    }

    @Test func rateLimitAnswers429WithRetryAfter() throws {
        let zd = ZendeskHarness()
        try zd.emulator.configure(["rate_limit": 2])
        #expect(zd.call("GET", "/api/v2/brands.json").status == 200)
        #expect(zd.call("GET", "/api/v2/brands.json").status == 200)
        let limited = zd.call("GET", "/api/v2/brands.json")
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        zd.context.offset += 61
        #expect(zd.call("GET", "/api/v2/brands.json").status == 200)
    }

    @Test func userPhoneMustBeE164() {
        let zd = ZendeskHarness()
        let bad = zd.call("POST", "/api/v2/users.json", ["user": ["name": "Pat", "phone": "555-123-0000"]])
        #expect(bad.status == 422)
        #expect(bad.json["error"] == "RecordInvalid")
        #expect(bad.json["details"]["phone"][0]["description"].string?.contains("555-123-0000") == true)
        let good = zd.call("POST", "/api/v2/users.json", ["user": ["name": "Pat", "phone": "+15551230000"]])
        #expect(good.status == 201)
        #expect(good.json["user"]["role"] == "end-user")
        #expect(good.json["user"]["id"].int ?? 0 >= 1000)
    }

    @Test func duplicateEmailIsRefused() {
        let zd = ZendeskHarness()
        _ = zd.endUser("Pat", email: "pat@example.com")
        let dup = zd.call("POST", "/api/v2/users.json", ["user": ["name": "Other", "email": "PAT@example.com"]])
        #expect(dup.status == 422)
        #expect(dup.json["details"]["email"][0]["error"] == "DuplicateValue")
    }

    @Test func createOrUpdateMatchesEmailOrExternalIDButNeverPhone() {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat", email: "pat@example.com", phone: "+15551230000")
        let byEmail = zd.call(
            "POST", "/api/v2/users/create_or_update.json", ["user": ["email": "pat@example.com", "name": "Pat D"]])
        #expect(byEmail.status == 200)
        #expect(byEmail.json["user"]["id"].int == pat)
        #expect(byEmail.json["user"]["name"] == "Pat D")
        let byPhone = zd.call(
            "POST", "/api/v2/users/create_or_update.json", ["user": ["phone": "+15551230000", "name": "Pat SMS"]])
        #expect(byPhone.status == 201)
        #expect(byPhone.json["user"]["id"].int != pat)
    }

    @Test func userSearchByPhoneEmailExternalIDAndBareValues() {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat", email: "pat@example.com", phone: "+15551230000")
        _ = zd.endUser("Sam", email: "sam@example.com", phone: "+15559990000")
        _ = zd.call("PUT", "/api/v2/users/\(pat).json", ["user": ["external_id": "kl-1"]])
        for query in [
            "phone:%2B15551230000", "email:pat@example.com", "external_id:kl-1", "%2B15551230000", "pat@example.com",
        ] {
            let found = zd.call("GET", "/api/v2/users/search.json?query=\(query)")
            #expect(found.status == 200)
            #expect(found.json["users"].array?.compactMap { $0["id"].int } == [pat], "query \(query)")
        }
        // A '+' sent unencoded arrives as a space and matches nothing.
        #expect(zd.call("GET", "/api/v2/users/search.json?query=phone:+15551230000").json["count"] == 0)
        let many = zd.call("GET", "/api/v2/users/show_many.json?ids=1,\(pat),999999")
        #expect(many.json["users"].array?.compactMap { $0["id"].int } == [1, pat])
    }

    @Test func brandsAndGroupsComeFromTheSeed() throws {
        let zd = ZendeskHarness()
        #expect(zd.call("GET", "/api/v2/brands.json").json["brands"][0]["id"] == 1)
        try zd.emulator.seed(
            ["brands": [["id": 7, "name": "Acme"]], "groups": [["id": 3, "name": "SMS"]]], context: zd.context)
        let brands = zd.call("GET", "/api/v2/brands.json").json["brands"].array ?? []
        #expect(brands.compactMap { $0["id"].int } == [7])
        #expect(zd.call("GET", "/api/v2/brands/7.json").json["brand"]["name"] == "Acme")
        #expect(zd.call("GET", "/api/v2/groups/3.json").json["group"]["name"] == "SMS")
        #expect(zd.call("GET", "/api/v2/groups/4.json").status == 404)
        #expect(zd.call("GET", "/api/v2/nothing/here.json").status == 404)
    }
}
