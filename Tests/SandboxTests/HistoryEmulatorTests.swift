import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

/// What a backfill needs of the emulators, as the vendors document it: the export's sideloads and
/// its own quota; Klaviyo's Bulk Create Events with its limits and its repeated-`unique_id` rule.
@Suite struct HistoryEmulatorTests {
    static let klaviyo: [(String, String)] = [
        ("Authorization", "Klaviyo-API-Key pk_test"), ("revision", "2026-07-15"),
    ]

    static func job(_ entries: [(email: String, ids: [String])]) -> JSON {
        [
            "data": [
                "type": "event-bulk-create-job",
                "attributes": [
                    "events-bulk-create": [
                        "data": .array(
                            entries.map { e in
                                [
                                    "type": "event-bulk-create",
                                    "attributes": [
                                        "profile": [
                                            "data": ["type": "profile", "attributes": ["email": .string(e.email)]]
                                        ],
                                        "events": [
                                            "data": .array(
                                                e.ids.map { id in
                                                    [
                                                        "type": "event",
                                                        "attributes": [
                                                            "properties": ["Ticket_id": 1],
                                                            "metric": [
                                                                "data": [
                                                                    "type": "metric",
                                                                    "attributes": ["name": "Opened Ticket"],
                                                                ]
                                                            ],
                                                            "unique_id": .string(id), "backfill": true,
                                                        ],
                                                    ]
                                                })
                                        ],
                                    ],
                                ]
                            })
                    ]
                ],
            ]
        ]
    }

    @Test func bulkJobsRecordAllOrNothingAndRefuseARepeatedUniqueID() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let c = Caller(sandbox)
        func post(_ body: JSON) throws -> HTTPResponse {
            try c.json(
                "POST", "/klaviyo/api/event-bulk-create-jobs", body, headers: Self.klaviyo,
                contentType: "application/vnd.api+json")
        }
        let ok = try post(Self.job([("a@example.com", ["u1", "u2"]), ("b@example.com", ["u1"])]))
        #expect(ok.status == 202, "\(ok.text)")
        let events = sandbox.state().at("klaviyo.events").array ?? []
        #expect(events.count == 3 && events.allSatisfy { $0["backfill"].bool == true })
        // Repeated inside one job: refused, nothing of it recorded.
        let inside = try post(Self.job([("c@example.com", ["x", "x"])]))
        #expect(inside.status == 400)
        #expect(inside.json["errors"][0]["source"]["pointer"].string?.hasSuffix("/unique_id") == true)
        // Already recorded for that profile and metric: the whole job refused, the new one too.
        let again = try post(Self.job([("d@example.com", ["new"]), ("a@example.com", ["u2"])]))
        #expect(again.status == 400)
        #expect((sandbox.state().at("klaviyo.events").array ?? []).count == 3)
        // More than 1,000 events.
        let many = try post(Self.job([("e@example.com", (0...1000).map { "m\($0)" })]))
        #expect(many.status == 400)
        let counts = try c.send("GET", "/_ctl/counts").json
        #expect(counts.at("klaviyo.bulk_refusals").int == 2)
        #expect(counts.at("klaviyo.events_by_metric")["Opened Ticket"].int == 3)
    }

    @Test func bulkJobsHaveTheirOwnQuotaAndSizeLimit() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.configure(["klaviyo": ["bulk_rate_limit": 2]])
        let c = Caller(sandbox)
        var statuses: [Int] = []
        for n in 0..<3 {
            statuses.append(
                try c.json(
                    "POST", "/klaviyo/api/event-bulk-create-jobs", Self.job([("q\(n)@example.com", ["u"])]),
                    headers: Self.klaviyo, contentType: "application/vnd.api+json"
                ).status)
        }
        #expect(statuses == [202, 202, 429])
        try sandbox.configure(["klaviyo": ["bulk_rate_limit": 150]])
        let big = Array(repeating: UInt8(ascii: " "), count: 5_000_001)
        let huge = try c.send(
            "POST", "/klaviyo/api/event-bulk-create-jobs",
            headers: Self.klaviyo + [("Content-Type", "application/vnd.api+json")], body: big)
        #expect(huge.status == 413, "Klaviyo: the maximum allowed payload size is 5MB")
    }

    @Test func theExportSideloadsWhatItsTicketsNameAndHasItsOwnQuota() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.seed([
            "config": ["zendesk": ["export_rate_limit": 3]],
            "zendesk": [
                "users": [
                    ["id": 10, "name": "Agent", "email": "agent10@example.com", "role": "agent"],
                    ["id": 2000, "name": "Pat", "email": "pat@example.com"],
                ],
                "groups": [["id": 7, "name": "Tier 1"]],
                "brands": [["id": 1, "name": "Main"]],
                "tickets": [
                    [
                        "id": 1, "requester_id": 2000, "assignee_id": 10, "group_id": 7, "status": "solved",
                        "created_at": "now-3h", "updated_at": "now-1h", "solved_at": "now-1h",
                        "comments": [["body": "hi"], ["author_id": 10, "body": "hello", "created_at": "now-150m"]],
                    ]
                ],
            ],
        ])
        let c = Caller(sandbox)
        let auth = [("Authorization", "Basic " + Crypto.base64(Array("agent@example.com/token:zd-token".utf8)))]
        let start = Int(Date().timeIntervalSince1970) - 86400
        let page = try c.send(
            "GET",
            "/zendesk/api/v2/incremental/tickets/cursor.json?start_time=\(start)&include=users,groups,brands,metric_sets",
            headers: auth)
        #expect(page.status == 200)
        let j = page.json
        #expect(Set((j["users"].array ?? []).compactMap { $0["id"].int }) == [10, 2000])
        #expect(j["groups"][0]["name"].string == "Tier 1" && j["brands"][0]["name"].string == "Main")
        let m = j["metric_sets"][0]
        #expect(m["ticket_id"].int == 1 && m["reply_time_in_minutes"]["calendar"].int == 30)
        #expect(m["full_resolution_time_in_minutes"]["calendar"].int == 120)
        // Without include: no sideloads.
        let plain = try c.send(
            "GET", "/zendesk/api/v2/incremental/tickets/cursor.json?start_time=\(start)", headers: auth)
        #expect(plain.json["users"].isNull && plain.json["metric_sets"].isNull)
        // Three export requests a minute: the fourth is refused.
        #expect(
            try c.send("GET", "/zendesk/api/v2/incremental/tickets/cursor.json?start_time=\(start)", headers: auth)
                .status == 200)
        let limited = try c.send(
            "GET", "/zendesk/api/v2/incremental/tickets/cursor.json?start_time=\(start)", headers: auth)
        #expect(limited.status == 429 && limited.retryAfter != nil)
        // Other endpoints are not held by the export's quota.
        #expect(try c.send("GET", "/zendesk/api/v2/tickets/1.json", headers: auth).status == 200)
    }
}
