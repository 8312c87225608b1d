"""Klaviyo's own SDK (`klaviyo-api`, typed models) against the sandbox: every call the bundle,
`setup` and `check` make, and the documented errors."""
import pytest
from klaviyo_api import KlaviyoAPI
from openapi_client.exceptions import ApiException

PAT = "01PATPROFILE0000000000000A"


def client(sandbox, key="pk_test"):
    return KlaviyoAPI(key, max_delay=0, max_retries=0, test_host=sandbox.url)


def test_profile_by_phone_with_subscriptions(sandbox):
    r = client(sandbox).Profiles.get_profiles(filter='equals(phone_number,"+15551230000")', additional_fields_profile=["subscriptions"])
    assert len(r.data) == 1
    p = r.data[0]
    assert p.id == PAT
    assert p.attributes.subscriptions.sms.marketing.consent == "SUBSCRIBED"
    assert r.links.var_self


def test_profile_by_id(sandbox):
    r = client(sandbox).Profiles.get_profile(PAT, additional_fields_profile=["subscriptions"])
    assert r.data.attributes.phone_number == "+15551230000"
    assert r.data.relationships.lists.links.related


def test_profile_conversation(sandbox):
    r = client(sandbox).Profiles.get_conversation_for_profile(PAT)
    assert r.data.id == "CONV-PAT"


def test_accounts(sandbox):
    r = client(sandbox).Accounts.get_accounts()
    a = r.data[0]
    assert a.attributes.contact_information.default_sender_email
    assert a.attributes.test_account is False
    assert a.links.var_self


def test_create_event_then_read_it_back(sandbox):
    k = client(sandbox)
    body = {"data": {"type": "event", "attributes": {
        "properties": {"zendesk_ticket_id": 601}, "unique_id": "sdk-contract-1",
        "metric": {"data": {"type": "metric", "attributes": {"name": "Zendesk SMS Reply"}}},
        "profile": {"data": {"type": "profile", "attributes": {"phone_number": "+15551230000"}}}}}}
    assert k.Events.create_event(body) is None  # 202, no body
    metrics = k.Metrics.get_metrics()
    metric = next(m for m in metrics.data if m.attributes.name == "Zendesk SMS Reply")
    events = k.Events.get_events(filter=f'equals(profile_id,"{PAT}"),equals(metric_id,"{metric.id}")', sort="-datetime")
    assert [e.attributes.event_properties["zendesk_ticket_id"] for e in events.data] == [601]


def test_conversation_message_is_recorded_as_received_sms(sandbox):
    k = client(sandbox)
    k.Conversations.create_conversation_message({"data": {"type": "conversation-message", "attributes": {"body": "From the SDK"},
                                                          "relationships": {"conversation": {"data": {"type": "conversation", "id": "CONV-PAT"}}}}})
    metric = next(m for m in k.Metrics.get_metrics().data if m.attributes.name == "Received SMS")
    events = k.Events.get_events(filter=f'equals(profile_id,"{PAT}"),equals(metric_id,"{metric.id}")')
    assert any(e.attributes.event_properties.get("Message Body") == "From the SDK" for e in events.data)


def test_webhooks_create_list_delete(sandbox):
    k = client(sandbox)
    created = k.Webhooks.create_webhook({"data": {"type": "webhook", "attributes": {
        "name": "[zk-bundle] inbound SMS → sms-inbound", "endpoint_url": "https://bundle.example.com/klaviyo/webhooks", "secret_key": "s3cret"},
        "relationships": {"webhook-topics": {"data": [{"type": "webhook-topic", "id": "event:klaviyo.sent_sms"},
                                                      {"type": "webhook-topic", "id": "event:klaviyo.received_sms"}]}}}})
    hook_id = created.data.id
    listed = k.Webhooks.get_webhooks()
    assert hook_id in [w.id for w in listed.data]
    assert listed.links.var_self
    k.Webhooks.delete_webhook(hook_id)
    assert hook_id not in [w.id for w in k.Webhooks.get_webhooks().data]


def test_wrong_key_is_401_in_klaviyos_error_shape(sandbox):
    with pytest.raises(ApiException) as e:
        client(sandbox, key="pk_wrong").Accounts.get_accounts()
    assert e.value.status == 401
    assert '"errors"' in e.value.body


def test_unknown_profile_is_404(sandbox):
    with pytest.raises(ApiException) as e:
        client(sandbox).Profiles.get_profile("01NOSUCHPROFILE")
    assert e.value.status == 404


def test_429_carries_retry_after_and_the_sdk_waits_for_it(sandbox):
    import time
    import urllib.error
    import urllib.request
    sandbox.faults([{"service": "klaviyo", "mode": "status", "status": 429, "retry_after": 1, "times": 1}])
    req = urllib.request.Request(sandbox.url + "/api/accounts", headers={"Authorization": "Klaviyo-API-Key pk_test", "revision": "2026-07-15"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 429 and e.value.headers["Retry-After"] == "1"
    assert '"throttled"' in e.value.read().decode()
    # The SDK retries a 429 after Retry-After and then succeeds.
    sandbox.faults([{"service": "klaviyo", "mode": "status", "status": 429, "retry_after": 1, "times": 1}])
    started = time.monotonic()
    assert client(sandbox).Accounts.get_accounts().data[0].id
    assert time.monotonic() - started >= 0.9


@pytest.mark.parametrize("revision", ["2031-02-30", "2999-01-01", "15-07-2026"])
def test_a_revision_that_does_not_exist_is_refused(sandbox, revision):
    k = client(sandbox)
    k.api_client.default_headers["revision"] = revision
    with pytest.raises(ApiException) as e:
        k.Accounts.get_accounts()
    assert e.value.status == 400


def bulk_job(events):
    """An event-bulk-create-job: one entry per (email, unique ids)."""
    return {"data": {"type": "event-bulk-create-job", "attributes": {"events-bulk-create": {"data": [
        {"type": "event-bulk-create", "attributes": {
            "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
            "events": {"data": [{"type": "event", "attributes": {
                "properties": {"Ticket_id": 601}, "unique_id": uid, "backfill": True, "time": "2026-11-01T10:00:00Z",
                "metric": {"data": {"type": "metric", "attributes": {"name": "Opened Ticket"}}}}} for uid in ids]}}}
        for email, ids in events]}}}}


def test_bulk_create_events_and_the_repeated_unique_id_rule(sandbox):
    k = client(sandbox)
    assert k.Events.bulk_create_events(bulk_job([("bulk1@example.com", ["b-1", "b-2"])])) is None  # 202
    metric = next(m for m in k.Metrics.get_metrics().data if m.attributes.name == "Opened Ticket")
    profiles = k.Profiles.get_profiles(filter='equals(email,"bulk1@example.com")').data
    events = k.Events.get_events(filter=f'equals(profile_id,"{profiles[0].id}"),equals(metric_id,"{metric.id}")')
    assert len(events.data) == 2
    # The spec: a unique_id repeated for the same profile and metric fails the whole request.
    with pytest.raises(ApiException) as e:
        k.Events.bulk_create_events(bulk_job([("bulk2@example.com", ["b-3"]), ("bulk1@example.com", ["b-2"])]))
    assert e.value.status == 400
    assert k.Profiles.get_profiles(filter='equals(email,"bulk2@example.com")').data == [], "nothing was processed"
