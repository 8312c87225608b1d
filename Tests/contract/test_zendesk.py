"""Zendesk's most used Python SDK (`zenpy`, unmodified; its documented scheme/host overrides)
against the sandbox: the calls the bundle, `setup` and `check` make, cursor pagination, rate-limit
headers, and the documented errors."""
import datetime
import os
import urllib.error
import urllib.request

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User, Webhook
from zenpy.lib.exception import APIException, RecordNotFoundException


@pytest.fixture
def zd(sandbox):
    os.environ["ZENPY_FORCE_SCHEME"] = "http"
    os.environ["ZENPY_FORCE_NETLOC"] = f"127.0.0.1:{sandbox.port}"
    z = Zenpy(subdomain="sandbox", email="agent@example.com", token="zd-token")
    z.disable_caching()
    return z


def raw(sandbox, path, token="zd-token"):
    import base64
    auth = base64.b64encode(f"agent@example.com/token:{token}".encode()).decode()
    return urllib.request.urlopen(urllib.request.Request(sandbox.url + path, headers={"Authorization": "Basic " + auth}), timeout=10)


def test_ticket_comments_audits_metrics(zd):
    t = zd.tickets(id=601)
    assert t.subject == "SMS conversation with Pat Doe" and t.status == "open" and t.external_id.startswith("sms:")
    assert [c.body for c in zd.tickets.comments(ticket=601)] == ["Where is my order?"]
    assert len(list(zd.tickets.audits(ticket=601))) >= 1
    assert zd.tickets.metrics(602).solved_at is not None


def test_create_update_tags(zd):
    created = zd.tickets.create(Ticket(subject="From the SDK", comment=Comment(body="hello", public=True), requester_id=2001, tags=["sms"]))
    tid = created.ticket.id
    zd.tickets.add_tags(tid, ["sdk_tag"])
    assert "sdk_tag" in zd.tickets(id=tid).tags
    audit = zd.tickets.update(Ticket(id=tid, status="pending", comment=Comment(body="agent answer", public=True)))
    assert audit.ticket.status == "pending"


def test_search_and_users(zd):
    assert 601 in [t.id for t in zd.search(type="ticket", tags="sms")]
    users = list(zd.users.search(query="phone:+15551230000"))
    assert [u.id for u in users] == [2001]
    u = zd.users(id=2001)
    assert u.name == "Pat Doe" and u.phone == "+15551230000" and u.role == "end-user"
    for field in ["url", "created_at", "updated_at", "time_zone", "locale", "verified", "active", "shared", "suspended", "tags"]:
        assert getattr(u, field, "missing") != "missing", field
    made = zd.users.create_or_update(User(name="New Person", email="new@example.com"))
    assert made.email == "new@example.com"


def test_cursor_pagination(zd, sandbox):
    for i in range(5):
        zd.tickets.create(Ticket(subject=f"page {i}", comment=Comment(body="x", public=True), requester_id=2001))
    page = json_get(sandbox, "/api/v2/tickets.json?page%5Bsize%5D=2")
    assert len(page["tickets"]) == 2
    assert page["meta"]["has_more"] is True and page["links"]["next"]
    seen = [t["id"] for t in page["tickets"]]
    while page["meta"]["has_more"]:
        nxt = page["links"]["next"]
        page = json_get(sandbox, nxt[nxt.index("/api/v2/"):])
        seen += [t["id"] for t in page["tickets"]]
    assert len(seen) == len(set(seen)) and len(seen) >= 7
    # zenpy walks the same cursor pages.
    assert len(list(zd.tickets(cursor_pagination=2))) == len(seen)


def json_get(sandbox, path):
    import json
    with raw(sandbox, path) as r:
        return json.loads(r.read())


def test_rate_limit_headers(sandbox):
    with raw(sandbox, "/api/v2/tickets/601.json") as r:
        assert int(r.headers["X-Rate-Limit"]) > 0
        assert int(r.headers["X-Rate-Limit-Remaining"]) >= 0


def test_429_is_text_with_retry_after(sandbox):
    sandbox.faults([{"service": "zendesk", "mode": "status", "status": 429, "retry_after": 3, "times": 1}])
    with pytest.raises(urllib.error.HTTPError) as e:
        raw(sandbox, "/api/v2/tickets/601.json")
    assert e.value.code == 429 and e.value.headers["Retry-After"] == "3"
    assert e.value.headers["Content-Type"].startswith("text/plain")


def test_incremental_export_excludes_the_last_minute(zd, sandbox):
    import json
    start = int((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).timestamp())
    zd.tickets.create(Ticket(subject="just now", comment=Comment(body="x", public=True), requester_id=2001))
    with raw(sandbox, f"/api/v2/incremental/tickets/cursor.json?start_time={start}") as r:
        doc = json.loads(r.read())
    assert "just now" not in [t["subject"] for t in doc["tickets"]], "Zendesk leaves out the last minute"
    assert doc["end_of_stream"] is True and "after_cursor" in doc


def test_errors(zd, sandbox):
    with pytest.raises(RecordNotFoundException):
        zd.tickets(id=999999)
    with pytest.raises(urllib.error.HTTPError) as e:
        raw(sandbox, "/api/v2/tickets/601.json", token="wrong")
    assert e.value.code == 401
    zd.tickets.update(Ticket(id=602, status="closed"))
    with pytest.raises(APIException) as closed:
        zd.tickets.update(Ticket(id=602, comment=Comment(body="late", public=True)))
    assert "closed" in str(closed.value).lower()


def test_business_rules_and_webhooks(zd):
    hook = zd.webhooks.create(Webhook(name="[zk-bundle] sdk", endpoint="https://bundle.example.com/zendesk/comments", http_method="POST",
                                      request_format="json", status="active", subscriptions=["zen:event-type:ticket.comment_added"]))
    assert hook.id in [w.id for w in zd.webhooks()]
    assert zd.webhooks.show_secret(hook).secret
    assert isinstance(list(zd.triggers()), list) and isinstance(list(zd.automations()), list) and isinstance(list(zd.views()), list)


def test_merge_job_status_brands_groups(zd):
    a = zd.tickets.create(Ticket(subject="dup a", comment=Comment(body="a", public=True), requester_id=2001)).ticket.id
    b = zd.tickets.create(Ticket(subject="dup b", comment=Comment(body="b", public=True), requester_id=2001)).ticket.id
    job = zd.tickets.merge(a, [b], target_comment="merged here", source_comment="merged away")
    assert job.status in ("queued", "working", "completed")
    assert zd.job_status(id=job.id).status in ("queued", "working", "completed")
    assert zd.tickets(id=b).status == "closed"
    assert [x.id for x in zd.brands()]
    assert isinstance(list(zd.groups()), list)


def test_cursor_incremental_export_with_sideloads(zd, sandbox):
    # A ticket of its own, last changed two hours ago (other tests change theirs just now, and the
    # export leaves out the last minute).
    sandbox.ctl("POST", "/seed", {"zendesk": {"tickets": [
        {"id": 650, "status": "solved", "requester_id": 2001, "subject": "Exported", "created_at": "now-4h",
         "updated_at": "now-2h", "solved_at": "now-2h", "comments": [{"author_id": 2001, "body": "Hi", "public": True}]}]}})
    start = int((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).timestamp())
    tickets = list(zd.tickets.incremental(start_time=start, include=["users", "metric_sets"]))
    solved = next(t for t in tickets if t.id == 650)
    assert solved.requester.name == "Pat Doe", "the requester comes from the users sideload"
    assert solved.status == "solved"
