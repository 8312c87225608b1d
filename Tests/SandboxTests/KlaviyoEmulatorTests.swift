import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct KlaviyoEmulatorTests {
    static let seed: JSON = [
        "klaviyo": [
            "profiles": [
                [
                    "id": "P1", "email": "ana@example.com", "phone_number": "+15551230000",
                    "subscriptions": ["sms": ["marketing": ["consent": "SUBSCRIBED"]]],
                ],
                ["id": "P2", "email": "bo@example.com", "phone_number": "+15551230001"],
            ],
            "conversations": [
                ["id": "C1", "profile_id": "P1", "number": "+15559870000"],
                ["id": "C2", "profile_id": "P2", "number": "+15559870000"],
            ],
        ]
    ]

    static func event(
        metric: String = "Ticket Solved", email: String = "ana@example.com", uniqueID: String? = nil,
        time: String? = nil, properties: JSON = ["ticket_id": 1]
    ) -> JSON {
        var attributes: JSON = [
            "properties": properties,
            "metric": ["data": ["type": "metric", "attributes": ["name": .string(metric)]]],
            "profile": ["data": ["type": "profile", "attributes": ["email": .string(email)]]],
        ]
        if let uniqueID { attributes["unique_id"] = .string(uniqueID) }
        if let time { attributes["time"] = .string(time) }
        return ["data": ["type": "event", "attributes": attributes]]
    }

    @Test func authenticationAndRevisionAreRequired() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let noAuth = try c.send("GET", "/klaviyo/api/profiles", headers: [("revision", "2026-07-15")])
        #expect(noAuth.status == 401)
        #expect(noAuth.json["errors"][0]["code"].string == "not_authenticated")
        #expect(noAuth.json["errors"][0]["id"].string?.isEmpty == false)
        let wrongKey = try c.send(
            "GET", "/klaviyo/api/profiles",
            headers: [("Authorization", "Klaviyo-API-Key nope"), ("revision", "2026-07-15")])
        #expect(wrongKey.status == 401)
        let bearer = try c.send(
            "GET", "/klaviyo/api/profiles", headers: [("Authorization", "Bearer pk_test"), ("revision", "2026-07-15")])
        #expect(bearer.status == 401)
        let noRevision = try c.send(
            "GET", "/klaviyo/api/profiles", headers: [("Authorization", "Klaviyo-API-Key pk_test")])
        #expect(noRevision.status == 400)
        #expect(noRevision.json["errors"][0]["source"]["parameter"].string == "revision")
        let badRevision = try c.send(
            "GET", "/klaviyo/api/profiles",
            headers: [("Authorization", "Klaviyo-API-Key pk_test"), ("revision", "July 2026")])
        #expect(badRevision.status == 400)
        let ok = try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders)
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"] == "application/vnd.api+json")
        let suffixed = try c.send(
            "GET", "/klaviyo/api/profiles",
            headers: [("Authorization", "Klaviyo-API-Key pk_test"), ("revision", "2026-07-15.pre")])
        #expect(suffixed.status == 200)
    }

    @Test func profileFilterFindsByPhoneAndRejectsAnUnencodedPlus() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        let filter = FormDecoding.encode("equals(phone_number,\"+15551230000\")")
        let found = try c.send(
            "GET", "/klaviyo/api/profiles?filter=\(filter)&additional-fields%5Bprofile%5D=subscriptions",
            headers: Caller.klaviyoHeaders)
        #expect(found.status == 200)
        #expect(found.json["data"].array?.count == 1)
        #expect(found.json["data"][0]["id"].string == "P1")
        #expect(found.json["data"][0].at("attributes.subscriptions.sms.marketing.consent").string == "SUBSCRIBED")
        #expect(
            found.json["data"][0].at("attributes.subscriptions.sms.marketing.can_receive_sms_marketing").bool == true)
        let withoutFields = try c.send("GET", "/klaviyo/api/profiles?filter=\(filter)", headers: Caller.klaviyoHeaders)
        #expect(withoutFields.json["data"][0].at("attributes.subscriptions").isNull)
        let byEmail = try c.send(
            "GET", "/klaviyo/api/profiles?filter=\(FormDecoding.encode("equals(email,\"bo@example.com\")"))",
            headers: Caller.klaviyoHeaders)
        #expect(byEmail.json["data"][0]["id"].string == "P2")
        let none = try c.send(
            "GET", "/klaviyo/api/profiles?filter=\(FormDecoding.encode("equals(email,\"nobody@example.com\")"))",
            headers: Caller.klaviyoHeaders)
        #expect(none.json["data"].array?.isEmpty == true)
        // A literal + in a query string means a space: Klaviyo sees " 15551230000".
        let plus = try c.send(
            "GET", "/klaviyo/api/profiles?filter=equals(phone_number,%22+15551230000%22)",
            headers: Caller.klaviyoHeaders)
        #expect(plus.status == 400)
        #expect(plus.json["errors"][0]["source"]["parameter"].string == "filter")
        let unquoted = try c.send(
            "GET", "/klaviyo/api/profiles?filter=equals(email,bo@example.com)", headers: Caller.klaviyoHeaders)
        #expect(unquoted.status == 400)
        let otherOp = try c.send(
            "GET", "/klaviyo/api/profiles?filter=\(FormDecoding.encode("contains(email,\"bo\")"))",
            headers: Caller.klaviyoHeaders)
        #expect(otherOp.status == 400)
    }

    @Test func profileAndConversationLookups() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        #expect(
            try c.send("GET", "/klaviyo/api/profiles/P1", headers: Caller.klaviyoHeaders).json["data"]["attributes"][
                "email"
            ].string == "ana@example.com")
        #expect(try c.send("GET", "/klaviyo/api/profiles/NOPE", headers: Caller.klaviyoHeaders).status == 404)
        let conversation = try c.send("GET", "/klaviyo/api/profiles/P1/conversation", headers: Caller.klaviyoHeaders)
        #expect(conversation.status == 200)
        #expect(conversation.json["data"]["id"].string == "C1")
        #expect(conversation.json["data"]["type"].string == "conversation")
        try sandbox.seed(["klaviyo": ["profiles": [["id": "P3", "email": "cy@example.com"]]]])
        #expect(
            try c.send("GET", "/klaviyo/api/profiles/P3/conversation", headers: Caller.klaviyoHeaders).status == 404)
    }

    @Test func eventsAreValidatedAndDeduplicatedByUniqueID() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        let h = Caller.klaviyoHeaders
        let first = try c.json(
            "POST", "/klaviyo/api/events", Self.event(uniqueID: "t1-solved"), headers: h,
            contentType: "application/vnd.api+json")
        #expect(first.status == 202)
        #expect(first.body.isEmpty)
        let again = try c.json(
            "POST", "/klaviyo/api/events", Self.event(uniqueID: "t1-solved"), headers: h,
            contentType: "application/vnd.api+json")
        #expect(again.status == 202)
        let other = try c.json("POST", "/klaviyo/api/events", Self.event(uniqueID: "t2-solved"), headers: h)
        #expect(other.status == 202)
        // Without unique_id, the same time to the second is the same event.
        _ = try c.json("POST", "/klaviyo/api/events", Self.event(time: "2026-01-02T03:04:05Z"), headers: h)
        _ = try c.json("POST", "/klaviyo/api/events", Self.event(time: "2026-01-02T03:04:05.400Z"), headers: h)
        _ = try c.json("POST", "/klaviyo/api/events", Self.event(time: "2026-01-02T03:04:06Z"), headers: h)
        let events = sandbox.state()["klaviyo"]["events"].array ?? []
        #expect(events.count == 4)
        #expect(events.filter { $0["unique_id"].string == "t1-solved" }.count == 1)
        #expect(events[0]["metric"].string == "Ticket Solved")
        #expect(events[0]["profile_id"].string == "P1")
        #expect(events[0]["properties"]["ticket_id"].int == 1)
        // A new identifier creates a profile.
        _ = try c.json("POST", "/klaviyo/api/events", Self.event(email: "new@example.com", uniqueID: "x"), headers: h)
        let profiles = sandbox.state()["klaviyo"]["profiles"].array ?? []
        #expect(profiles.contains { $0["email"].string == "new@example.com" })
    }

    @Test func eventBodyRules() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let h = Caller.klaviyoHeaders
        #expect(
            try c.json("POST", "/klaviyo/api/events", Self.event(), headers: h, contentType: "text/plain").status == 415
        )
        #expect(
            try c.send(
                "POST", "/klaviyo/api/events", headers: h + [("Content-Type", "application/json")],
                body: Array("{".utf8)
            ).status == 400)
        var wrongType = Self.event()
        wrongType["data"]["type"] = "profile"
        #expect(try c.json("POST", "/klaviyo/api/events", wrongType, headers: h).status == 409)
        var noMetric = Self.event()
        noMetric["data"]["attributes"]["metric"] = .null
        let missing = try c.json("POST", "/klaviyo/api/events", noMetric, headers: h)
        #expect(missing.status == 400)
        #expect(missing.json["errors"][0]["source"]["pointer"].string?.hasPrefix("/data/attributes/metric") == true)
        var noIdentifier = Self.event()
        noIdentifier["data"]["attributes"]["profile"] = [
            "data": ["type": "profile", "attributes": ["first_name": "Ana"]]
        ]
        #expect(try c.json("POST", "/klaviyo/api/events", noIdentifier, headers: h).status == 400)
        var badPhone = Self.event()
        badPhone["data"]["attributes"]["profile"] = [
            "data": ["type": "profile", "attributes": ["phone_number": "555-1234"]]
        ]
        #expect(try c.json("POST", "/klaviyo/api/events", badPhone, headers: h).status == 400)
        var many: [String: JSON] = [:]
        for i in 0..<401 { many["p\(i)"] = .int(Int64(i)) }
        #expect(
            try c.json("POST", "/klaviyo/api/events", Self.event(properties: .object(many)), headers: h).status == 400)
        many["p400"] = nil
        #expect(
            try c.json("POST", "/klaviyo/api/events", Self.event(properties: .object(many)), headers: h).status == 202)
        var badValue = Self.event()
        badValue["data"]["attributes"]["value"] = "ten"
        #expect(try c.json("POST", "/klaviyo/api/events", badValue, headers: h).status == 400)
        #expect(
            try c.json("POST", "/klaviyo/api/events", Self.event(time: "1970-01-01T00:00:00Z"), headers: h).status
                == 400)
        #expect(sandbox.state()["klaviyo"]["events"].array?.count == 1)
    }

    @Test func conversationMessagesNeedSMSConsent() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed(Self.seed)
        let c = Caller(sandbox)
        func message(_ conversation: String) -> JSON {
            [
                "data": [
                    "type": "conversation-message", "attributes": ["body": "Hi there"],
                    "relationships": ["conversation": ["data": ["type": "conversation", "id": .string(conversation)]]],
                ]
            ]
        }
        let sent = try c.json(
            "POST", "/klaviyo/api/conversation-messages", message("C1"), headers: Caller.klaviyoHeaders)
        #expect(sent.status == 202)
        #expect(sent.json["data"]["type"].string == "conversation-message")
        let refused = try c.json(
            "POST", "/klaviyo/api/conversation-messages", message("C2"), headers: Caller.klaviyoHeaders)
        #expect((400..<500).contains(refused.status))
        #expect(
            try c.json("POST", "/klaviyo/api/conversation-messages", message("C9"), headers: Caller.klaviyoHeaders)
                .status == 404)
        let messages = sandbox.state()["klaviyo"]["conversation_messages"].array ?? []
        #expect(messages.count == 1)
        #expect(messages.first?["from_number"].string == "+15559870000")
        #expect(messages.first?["body"].string == "Hi there")
    }

    @Test func rateLimitAnswers429WithRetryAfter() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.configure(["klaviyo": ["rate_limit": 2]])
        let c = Caller(sandbox)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 200)
        #expect(try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders).status == 200)
        let limited = try c.send("GET", "/klaviyo/api/profiles", headers: Caller.klaviyoHeaders)
        #expect(limited.status == 429)
        #expect((limited.retryAfter ?? 0) >= 1)
        #expect(limited.json["errors"][0]["code"].string == "throttled")
    }

    @Test func webhooksAndAccounts() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        let h = Caller.klaviyoHeaders
        #expect(try c.send("GET", "/klaviyo/api/accounts", headers: h).json["data"][0]["type"].string == "account")
        func hook(_ url: String) -> JSON {
            [
                "data": [
                    "type": "webhook", "attributes": ["name": "in", "endpoint_url": .string(url), "secret_key": "k"],
                    "relationships": [
                        "webhook-topics": ["data": [["type": "webhook-topic", "id": "event:klaviyo.received_sms"]]]
                    ],
                ]
            ]
        }
        #expect(
            try c.json("POST", "/klaviyo/api/webhooks", hook("http://insecure.example.com/x"), headers: h).status == 400
        )
        let created = try c.json(
            "POST", "/klaviyo/api/webhooks", hook("https://bundle.example.com/klaviyo/webhooks"), headers: h)
        #expect(created.status == 201)
        let id = created.json["data"]["id"].string ?? ""
        let listed = try c.send("GET", "/klaviyo/api/webhooks?include=webhook-topics", headers: h)
        #expect(
            listed.json["data"][0]["relationships"]["webhook-topics"]["data"][0]["id"].string
                == "event:klaviyo.received_sms")
        #expect(listed.json["data"][0]["attributes"]["secret_key"].isNull)
        #expect(try c.send("GET", "/klaviyo/api/webhooks/\(id)", headers: h).status == 200)
        #expect(try c.send("DELETE", "/klaviyo/api/webhooks/\(id)", headers: h).status == 204)
        #expect(try c.send("DELETE", "/klaviyo/api/webhooks/\(id)", headers: h).status == 404)
    }
}
