import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskSearchTests {
    /// Three tickets: 1 open sms (Pat, ext-1), 2 solved sms (Pat), 3 closed email (Sam), updated 5h, 2h, now.
    func world() throws -> (ZendeskHarness, pat: Int64) {
        let zd = ZendeskHarness()
        try zd.emulator.seed(
            [
                "users": [
                    ["id": 2001, "name": "Pat", "email": "pat@example.com", "phone": "+15551230000"],
                    ["id": 2002, "name": "Sam", "email": "sam@example.com"],
                ],
                "tickets": [
                    [
                        "id": 1, "requester_id": 2001, "tags": ["sms"], "external_id": "ext-1", "status": "open",
                        "created_at": "now-6h", "updated_at": "now-5h", "comments": [["body": "order #123"]],
                    ],
                    [
                        "id": 2, "requester_id": 2001, "tags": ["sms", "vip"], "status": "solved",
                        "created_at": "now-3h", "updated_at": "now-2h", "comments": [["body": "hello"]],
                    ],
                    [
                        "id": 3, "requester_id": 2002, "tags": ["email"], "status": "closed",
                        "created_at": "now-1h", "updated_at": "now", "comments": [["body": "bye"]],
                    ],
                ],
            ], context: zd.context)
        return (zd, 2001)
    }

    func ids(_ zd: ZendeskHarness, _ query: String) -> [Int64]? {
        let reply = zd.call("GET", "/api/v2/search.json?query=" + FormDecoding.encode(query))
        guard reply.status == 200 else { return nil }
        #expect(reply.json["count"].int == Int64(reply.json["results"].array?.count ?? -1))
        return reply.json["results"].array?.compactMap { $0["id"].int }
    }

    @Test func statusTagsRequesterAndExternalIDTerms() throws {
        let (zd, pat) = try world()
        #expect(ids(zd, "type:ticket status<closed") == [1, 2])
        #expect(ids(zd, "type:ticket status<solved") == [1])
        #expect(ids(zd, "type:ticket status:solved") == [2])
        #expect(ids(zd, "type:ticket status>open") == [2, 3])
        #expect(ids(zd, "type:ticket tags:sms") == [1, 2])
        #expect(ids(zd, "type:ticket tags:sms -tags:vip") == [1])
        #expect(ids(zd, "type:ticket requester:\(pat) status<closed") == [1, 2])
        #expect(ids(zd, "type:ticket requester:sam@example.com") == [3])
        #expect(ids(zd, "type:ticket external_id:ext-1") == [1])
        #expect(ids(zd, "type:ticket order") == [1])
        let results = zd.call("GET", "/api/v2/search.json?query=type:ticket%20tags:vip").json["results"]
        #expect(results[0]["result_type"] == "ticket")
    }

    @Test func updatedTermsWithDatesAndRelativeAges() throws {
        let (zd, _) = try world()
        #expect(ids(zd, "type:ticket updated<4hours") == [1])
        #expect(ids(zd, "type:ticket updated>4hours") == [2, 3])
        let cutoff = Clock.iso8601(zd.context.now.addingTimeInterval(-3 * 3600))
        #expect(ids(zd, "type:ticket updated<\(cutoff)") == [1])
        let tomorrow = String(Clock.iso8601(zd.context.now.addingTimeInterval(86400)).prefix(10))
        #expect(ids(zd, "type:ticket updated<\(tomorrow)") == [1, 2, 3])
        #expect(zd.call("GET", "/api/v2/search.json?query=type:ticket%20updated<soon").status == 400)
        #expect(zd.call("GET", "/api/v2/search.json").status == 400)
    }

    @Test func sortByUpdatedAt() throws {
        let (zd, _) = try world()
        let reply = zd.call("GET", "/api/v2/search.json?query=type:ticket&sort_by=updated_at&sort_order=desc")
        #expect(reply.json["results"].array?.compactMap { $0["id"].int } == [3, 2, 1])
    }

    @Test func incrementalExportPagesUntilEndOfStream() throws {
        let (zd, _) = try world()
        let start = Int(zd.context.now.timeIntervalSince1970) - 24 * 3600
        // Zendesk leaves out what changed in the last minute: ticket 3 was updated just now.
        #expect(
            zd.call("GET", "/api/v2/incremental/tickets/cursor.json?start_time=\(start)").json["tickets"].array?
                .compactMap { $0["id"].int } == [1, 2])
        zd.context.offset += 120
        var seen: [Int64] = []
        var reply = zd.call("GET", "/api/v2/incremental/tickets/cursor.json?start_time=\(start)&per_page=2")
        #expect(reply.json["end_of_stream"] == false)
        seen += reply.json["tickets"].array?.compactMap { $0["id"].int } ?? []
        var pages = 1
        while reply.json["end_of_stream"] == false, pages < 5 {
            let cursor = FormDecoding.encode(reply.json["after_cursor"].string ?? "")
            reply = zd.call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)&per_page=2")
            seen += reply.json["tickets"].array?.compactMap { $0["id"].int } ?? []
            pages += 1
        }
        #expect(reply.json["end_of_stream"] == true)
        #expect(seen == [1, 2, 3])
        #expect(pages == 2)
        // Nothing changed since the last cursor: an empty page at the end of the stream.
        let cursor = FormDecoding.encode(reply.json["after_cursor"].string ?? "")
        let empty = zd.call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        #expect(empty.json["tickets"] == [])
        #expect(empty.json["end_of_stream"] == true)
        // Changes after the cursor show up.
        zd.context.offset += 5
        _ = zd.update(1, ["tags": ["sms", "later"]])
        #expect(
            zd.call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)").json["tickets"] == [],
            "changed within the last minute")
        zd.context.offset += 61
        let next = zd.call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        #expect(next.json["tickets"].array?.compactMap { $0["id"].int } == [1])
        #expect(zd.call("GET", "/api/v2/incremental/tickets/cursor.json").status == 400)
    }
}
