import FoundationEssentials
import FunctionRuntime
import SandboxKit
import Testing

@Suite struct ZendeskTicketTests {
    @Test func createAnswers201WithLocationTicketAndAudit() {
        let zd = ZendeskHarness()
        let reply = zd.call(
            "POST", "/api/v2/tickets.json",
            [
                "ticket": [
                    "subject": "SMS from +15551230000", "tags": ["sms", "inbound"], "external_id": "sms:+15551230000",
                    "requester": ["name": "Pat", "phone": "+15551230000"],
                    "comment": ["body": "Where is order #123?", "public": true],
                    "custom_fields": [["id": 360001, "value": "abc"]], "metadata": ["source": "sms-inbound"],
                ]
            ])
        #expect(reply.status == 201)
        let id = reply.json["ticket"]["id"].int ?? 0
        #expect(reply.header("Location") == "http://zd.test/zendesk/api/v2/tickets/\(id).json")
        #expect(reply.json["ticket"]["status"] == "new")
        #expect(reply.json["ticket"]["via"]["channel"] == "api")
        #expect(reply.json["ticket"]["tags"] == ["sms", "inbound"])
        #expect(reply.json["ticket"]["description"] == "Where is order #123?")
        #expect(reply.json["audit"]["metadata"]["custom"] == ["source": "sms-inbound"])
        let requester = reply.json["ticket"]["requester_id"].int ?? 0
        #expect(requester >= 1000)
        #expect(zd.call("GET", "/api/v2/users/\(requester).json").json["user"]["phone"] == "+15551230000")
        // Without author_id the comment is the API user's.
        #expect(zd.state(id)["comments"][0]["author_id"] == 1)
    }

    @Test func createNeedsAComment() {
        let zd = ZendeskHarness()
        let reply = zd.call("POST", "/api/v2/tickets.json", ["ticket": ["subject": "x"]])
        #expect(reply.status == 422)
        #expect(reply.json["error"] == "RecordInvalid")
    }

    @Test func idempotencyKeyMissHitAndMismatch() {
        let zd = ZendeskHarness()
        let headers = [ZendeskHarness.auth, ("Idempotency-Key", "msg-1")]
        let body: JSON = ["ticket": ["subject": "Hi", "comment": ["body": "one", "public": true]]]
        let first = zd.call("POST", "/api/v2/tickets.json", body, headers: headers)
        #expect(first.status == 201)
        #expect(first.header("x-idempotency-lookup") == "miss")
        let again = zd.call("POST", "/api/v2/tickets.json", body, headers: headers)
        #expect(again.status == 201)
        #expect(again.header("x-idempotency-lookup") == "hit")
        #expect(again.json["ticket"]["id"] == first.json["ticket"]["id"])
        #expect(zd.emulator.snapshot()["tickets"].array?.count == 1)
        let other = zd.call(
            "POST", "/api/v2/tickets.json", ["ticket": ["subject": "Hi", "comment": ["body": "two", "public": true]]],
            headers: headers)
        #expect(other.status == 400)
        #expect(other.json["error"] == "IdempotentRequestError")
        // After the 2 h window the key is free again.
        zd.context.offset += 2 * 3600 + 1
        let later = zd.call("POST", "/api/v2/tickets.json", body, headers: headers)
        #expect(later.header("x-idempotency-lookup") == "miss")
        #expect(later.json["ticket"]["id"] != first.json["ticket"]["id"])
    }

    @Test func followUpOnlyForClosedTickets() {
        let zd = ZendeskHarness()
        let source = zd.ticket(["subject": "Old", "comment": ["body": "x"], "tags": ["sms"]])
        let refused = zd.call(
            "POST", "/api/v2/tickets.json",
            ["ticket": ["via_followup_source_id": .int(source), "comment": ["body": "again"]]])
        #expect(refused.status == 422)
        #expect(refused.json["details"]["via_followup_source_id"].array?.isEmpty == false)
        #expect(zd.update(source, ["status": "closed"]).status == 200)
        let followUp = zd.call(
            "POST", "/api/v2/tickets.json",
            ["ticket": ["via_followup_source_id": .int(source), "comment": ["body": "again"]]])
        #expect(followUp.status == 201)
        #expect(followUp.json["ticket"]["via"]["source"]["rel"] == "follow_up")
        #expect(followUp.json["ticket"]["tags"] == ["sms"])
        #expect(
            zd.call("GET", "/api/v2/tickets/\(source).json").json["ticket"]["followup_ids"] == [
                followUp.json["ticket"]["id"]
            ])
    }

    @Test func closedTicketRefusesUpdates() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "x"], "status": "solved"])
        #expect(zd.update(id, ["status": "closed"]).status == 200)
        let refused = zd.update(id, ["comment": ["body": "late", "public": true]])
        #expect(refused.status == 422)
        #expect(
            refused.json["details"]["status"][0]["description"].string?.contains("closed prevents ticket update")
                == true)
        let tags = zd.call("PUT", "/api/v2/tickets/\(id)/tags.json", ["tags": ["x"]])
        #expect(tags.status == 422)
    }

    @Test func endUserCommentReopensButAgentCommentDoesNot() {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat", phone: "+15551230000")
        let id = zd.ticket(["requester_id": .int(pat), "comment": ["body": "hi", "author_id": .int(pat)]])
        #expect(
            zd.update(id, ["status": "solved", "comment": ["body": "Done", "public": true]]).json["ticket"]["status"]
                == "solved")
        #expect(zd.state(id)["solved_at"].string != nil)
        let agent = zd.update(id, ["comment": ["body": "note", "public": false]])
        #expect(agent.json["ticket"]["status"] == "solved")
        let reopened = zd.update(id, ["comment": ["body": "Still broken", "author_id": .int(pat), "public": true]])
        #expect(reopened.json["ticket"]["status"] == "open")
        #expect(zd.state(id)["reopens"] == 1)
        #expect(zd.call("GET", "/api/v2/tickets/\(id)/metrics.json").json["ticket_metric"]["reopens"] == 1)
        for status in ["pending", "hold"] {
            _ = zd.update(id, ["status": .string(status)])
            let reply = zd.update(id, ["comment": ["body": "hello?", "author_id": .int(pat)]])
            #expect(reply.json["ticket"]["status"] == "open", "from \(status)")
        }
        let history = zd.state(id)["status_history"].array?.compactMap { $0["to"].string }
        #expect(history == ["solved", "open", "pending", "open", "hold", "open"])
    }

    @Test func safeUpdateWithStaleStampIs409() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "x"]])
        let stamp = zd.call("GET", "/api/v2/tickets/\(id).json").json["ticket"]["updated_at"]
        #expect(zd.update(id, ["tags": ["a"]]).status == 200)
        let stale = zd.update(id, ["tags": ["b"], "safe_update": true, "updated_stamp": stamp])
        #expect(stale.status == 409)
        #expect(stale.json["error"] == "UpdateConflict")
        let current = zd.call("GET", "/api/v2/tickets/\(id).json").json["ticket"]["updated_at"]
        #expect(current != stamp)
        let fresh = zd.update(id, ["tags": ["b"], "safe_update": true, "updated_stamp": current])
        #expect(fresh.status == 200)
        #expect(fresh.json["ticket"]["tags"] == ["b"])
    }

    @Test func updateReplacesTagsMergesCustomFieldsAndRecordsMetadata() {
        let zd = ZendeskHarness()
        let id = zd.ticket([
            "comment": ["body": "x"], "tags": ["sms", "vip"], "custom_fields": [["id": 1, "value": "a"]],
        ])
        let reply = zd.update(
            id, ["tags": ["other"], "custom_fields": [["id": 2, "value": "b"]], "metadata": ["run": "r1"]])
        #expect(reply.json["ticket"]["tags"] == ["other"])
        #expect(reply.json["ticket"]["custom_fields"] == [["id": 1, "value": "a"], ["id": 2, "value": "b"]])
        let audits = zd.call("GET", "/api/v2/tickets/\(id)/audits.json").json["audits"].array ?? []
        #expect(audits.last?["metadata"]["custom"] == ["run": "r1"])
        #expect(
            audits.last?["events"].array?.contains {
                $0["field_name"] == "tags" && $0["previous_value"] == ["sms", "vip"]
            } == true)
    }

    @Test func tagsAddSetRemoveWithSafeUpdate() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "x"], "tags": ["sms"]])
        #expect(
            zd.call("PUT", "/api/v2/tickets/\(id)/tags.json", ["tags": ["a", "sms"]]).json["tags"] == ["sms", "a"])
        #expect(zd.call("POST", "/api/v2/tickets/\(id)/tags.json", ["tags": ["b"]]).json["tags"] == ["b"])
        _ = zd.call("PUT", "/api/v2/tickets/\(id)/tags.json", ["tags": ["c", "d"]])
        #expect(zd.call("DELETE", "/api/v2/tickets/\(id)/tags.json", ["tags": ["c"]]).json["tags"] == ["b", "d"])
        #expect(zd.call("GET", "/api/v2/tickets/\(id)/tags.json").json["tags"] == ["b", "d"])
        let stale = zd.call(
            "PUT", "/api/v2/tickets/\(id)/tags.json",
            [
                "tags": ["e"], "safe_update": true,
                "updated_stamp": "2000-01-01T00:00:00Z",
            ])
        #expect(stale.status == 409)
        let stamp = zd.call("GET", "/api/v2/tickets/\(id).json").json["ticket"]["updated_at"]
        #expect(
            zd.call(
                "PUT", "/api/v2/tickets/\(id)/tags.json", ["tags": ["e"], "safe_update": true, "updated_stamp": stamp]
            ).status == 200)
    }

    @Test func showWithSideloadsListByExternalIDAndShowMany() throws {
        let zd = ZendeskHarness()
        try zd.emulator.seed(["groups": [["id": 5, "name": "SMS"]]], context: zd.context)
        let pat = zd.endUser("Pat", email: "pat@example.com")
        let a = zd.ticket(["requester_id": .int(pat), "group_id": 5, "external_id": "ext-1", "comment": ["body": "x"]])
        let b = zd.ticket(["external_id": "ext-1", "comment": ["body": "y"]])
        _ = zd.ticket(["external_id": "ext-2", "comment": ["body": "z"]])
        let shown = zd.call("GET", "/api/v2/tickets/\(a).json?include=users,groups").json
        #expect(shown["users"].array?.compactMap { $0["id"].int }.sorted() == [1, pat])
        #expect(shown["groups"][0]["id"] == 5)
        let listed = zd.call("GET", "/api/v2/tickets.json?external_id=ext-1").json
        #expect(listed["tickets"].array?.compactMap { $0["id"].int } == [a, b])
        #expect(zd.call("GET", "/api/v2/tickets/show_many.json?ids=\(b),\(a)").json["tickets"].array?.count == 2)
        #expect(zd.call("GET", "/api/v2/tickets/999.json").status == 404)
    }

    @Test func commentsAscendingByDefaultAndDescOnRequest() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "first"]])
        _ = zd.update(id, ["comment": ["body": "second"]])
        _ = zd.update(id, ["comment": ["html_body": "<p>third &amp; last</p>"]])
        let asc = zd.call("GET", "/api/v2/tickets/\(id)/comments.json").json["comments"].array?.compactMap {
            $0["body"].string
        }
        #expect(asc == ["first", "second", "third & last"])
        let desc = zd.call("GET", "/api/v2/tickets/\(id)/comments.json?sort_order=desc").json["comments"].array?
            .compactMap { $0["body"].string }
        #expect(desc == ["third & last", "second", "first"])
    }

    @Test func publicDefaultsToTheFirstCommentsValue() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "internal start", "public": false]])
        _ = zd.update(id, ["comment": ["body": "no flag"]])
        #expect(zd.state(id)["comments"][1]["public"] == false)
    }

    @Test func mergeClosesSourcesAndNotesTheTarget() {
        let zd = ZendeskHarness()
        let target = zd.ticket(["comment": ["body": "target"]])
        let source = zd.ticket(["comment": ["body": "duplicate question"]])
        let job = zd.call(
            "POST", "/api/v2/tickets/\(target)/merge.json", ["ids": [.int(source)], "target_comment": "Merged"])
        #expect(job.status == 200)
        #expect(job.json["job_status"]["status"] == "queued")
        let id = job.json["job_status"]["id"].string ?? ""
        #expect(zd.call("GET", "/api/v2/job_statuses/\(id).json").json["job_status"]["status"] == "completed")
        #expect(zd.state(source)["status"] == "closed")
        let note = zd.state(target)["comments"].array?.last
        #expect(note?["public"] == false)
        #expect(note?["body"].string?.contains("Merged") == true)
        #expect(note?["body"].string?.contains("duplicate question") == true)
        let again = zd.call("POST", "/api/v2/tickets/\(target)/merge.json", ["ids": [.int(source)]])
        #expect(again.status == 422)
    }

    @Test func metricsCountRepliesAndSolvedAt() {
        let zd = ZendeskHarness()
        let pat = zd.endUser("Pat")
        let id = zd.ticket(["requester_id": .int(pat), "comment": ["body": "q", "author_id": .int(pat)]])
        _ = zd.update(id, ["comment": ["body": "answer", "public": true]])
        _ = zd.update(id, ["comment": ["body": "internal", "public": false]])
        _ = zd.update(id, ["status": "solved"])
        let metric = zd.call("GET", "/api/v2/tickets/\(id)/metrics.json").json["ticket_metric"]
        #expect(metric["replies"] == 1)
        #expect(metric["solved_at"] == zd.state(id)["solved_at"])
        #expect(metric["solved_at"].string != nil)
        #expect(metric["reopens"] == 0)
    }
}

@Suite struct ZendeskPaginationTests {
    @Test func commentsComeInPagesOfAtMost100() {
        let zd = ZendeskHarness()
        let id = zd.ticket(["comment": ["body": "c0"]])
        for i in 1...104 { _ = zd.update(id, ["comment": .object(["body": .string("c\(i)")])]) }
        let first = zd.call("GET", "/api/v2/tickets/\(id)/comments.json")
        #expect(first.json["comments"].array?.count == 100)
        #expect(first.json["count"] == 105)
        let next = first.json["next_page"].string ?? ""
        #expect(next.hasSuffix("page=2"))
        let second = zd.call("GET", "/api/v2/tickets/\(id)/comments.json?page=2")
        #expect(
            second.json["comments"].array?.compactMap { $0["body"].string } == ["c100", "c101", "c102", "c103", "c104"])
        #expect(second.json["next_page"].isNull)
        #expect(second.json["previous_page"].string != nil)
        let small = zd.call("GET", "/api/v2/tickets/\(id)/comments.json?sort_order=desc&per_page=2&page=3")
        #expect(small.json["comments"].array?.compactMap { $0["body"].string } == ["c100", "c99"])
    }
}
