"""Twilio's own SDK (`twilio` 9.x, unmodified; an HTTP client that only changes scheme and host)
against the sandbox: sending and listing messages, the numbers `setup` points at the bundle, the
account `check` reads, the documented refusals, and webhook signatures made by Twilio's own
RequestValidator checked by `sms-inbound`."""
import os
import subprocess
import time
import urllib.parse
from xml.etree import ElementTree

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from conftest import BIN

SID, TOKEN = "AC_test", "tw-token"


class ToSandbox(TwilioHttpClient):
    def __init__(self, base):
        super().__init__()
        self.base = base

    def request(self, method, url, *args, **kwargs):
        parts = urllib.parse.urlsplit(url)
        return super().request(method, self.base + parts.path + (("?" + parts.query) if parts.query else ""), *args, **kwargs)


@pytest.fixture
def tw(sandbox):
    return Client(SID, TOKEN, http_client=ToSandbox(sandbox.url))


def test_send_then_list_and_fetch(tw):
    m = tw.messages.create(to="+15551230000", from_="+15559870000", body="Your order ships today.")
    assert m.sid.startswith("SM") and m.status == "queued" and m.num_segments == "1"
    listed = tw.messages.list(to="+15551230000", from_="+15559870000", limit=20)
    assert m.sid in [x.sid for x in listed]
    # Real messages move on: queued → sent → delivered, and get date_sent.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fetched = tw.messages(m.sid).fetch()
        if fetched.status == "delivered":
            break
        time.sleep(0.2)
    assert fetched.status == "delivered"
    assert fetched.date_sent is not None


def test_date_sent_filters_on_the_send_date(tw):
    m = tw.messages.create(to="+15551230000", from_="+15559870000", body="dated")
    time.sleep(1.5)
    today = tw.messages(m.sid).fetch().date_sent.date()
    assert m.sid in [x.sid for x in tw.messages.list(date_sent=today, limit=50)]
    assert tw.messages.list(date_sent_before=today.replace(year=today.year - 1), limit=50) == []


def test_paging_gives_next_page_uri(tw):
    for i in range(5):
        tw.messages.create(to="+15551230000", from_="+15559870000", body=f"page {i}")
    page = tw.messages.page(page_size=2)
    assert len(list(page)) == 2
    assert page.next_page_url
    seen = {m.sid for m in tw.messages.list(page_size=2, limit=100)}
    assert len(seen) >= 5


def test_numbers_and_account(tw):
    numbers = tw.incoming_phone_numbers.list()
    assert [n.phone_number for n in numbers] == ["+15559870000"]
    n = numbers[0]
    updated = tw.incoming_phone_numbers(n.sid).update(sms_url="https://bundle.example.com/sms/inbound", sms_method="POST")
    assert updated.sms_url == "https://bundle.example.com/sms/inbound"
    for field in ["friendly_name", "capabilities", "date_created", "uri", "account_sid"]:
        assert getattr(updated, field) is not None, field
    account = tw.api.accounts(SID).fetch()
    assert account.sid == SID and account.status == "active"
    assert account.friendly_name and account.date_created and account.type


@pytest.mark.parametrize("to,code", [("+15551239999", 21610), ("5551230000", 21211)])
def test_refusals_carry_twilios_codes(tw, to, code):
    with pytest.raises(TwilioRestException) as e:
        tw.messages.create(to=to, from_="+15559870000", body="hi")
    assert e.value.code == code and e.value.status == 400


def test_wrong_from_and_wrong_credentials(sandbox, tw):
    with pytest.raises(TwilioRestException) as e:
        tw.messages.create(to="+15551230000", from_="+15550000000", body="hi")
    assert e.value.code == 21606
    bad = Client(SID, "wrong", http_client=ToSandbox(sandbox.url))
    with pytest.raises(TwilioRestException) as e:
        bad.messages.create(to="+15551230000", from_="+15559870000", body="hi")
    assert e.value.status == 401 and e.value.code == 20003


def run_inbound(params, signature, public_url="https://bundle.example.com"):
    """The HTTP status sms-inbound answers in CGI mode on a signed Twilio form."""
    out = cgi_inbound(params, signature, public_url).decode()
    return int(out.split("\r\n", 1)[0].split()[1])


def cgi_inbound(params, signature, public_url="https://bundle.example.com"):
    """sms-inbound in CGI mode, as a CGI server or the invoker runs it, on a signed Twilio form: its output."""
    body = urllib.parse.urlencode(params).encode()
    env = {"PATH": "/usr/bin:/bin", "REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded",
           "CONTENT_LENGTH": str(len(body)), "SCRIPT_NAME": "/sms/inbound", "PATH_INFO": "", "QUERY_STRING": "",
           "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_X_TWILIO_SIGNATURE": signature,
           "PUBLIC_URL": public_url, "TWILIO_AUTH_TOKEN": TOKEN, "SMS_PROVIDER": "twilio",
           # Nothing listens here: a verified request gets as far as Zendesk (503), a refused one never does.
           "ZENDESK_URL": "http://127.0.0.1:9/zendesk", "ZENDESK_EMAIL": "a@example.com", "ZENDESK_API_TOKEN": "t",
           "FUNCTION_BUDGET_MS": "300"}
    return subprocess.run([os.path.join(BIN, "sms-inbound")], input=body, env=env, capture_output=True, timeout=30).stdout


def test_a_request_signed_by_twilios_validator_is_accepted_and_a_tampered_one_refused():
    params = {"MessageSid": "SM" + "a" * 32, "From": "+15551230000", "To": "+15559870000", "Body": "Hello from the SDK", "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature("https://bundle.example.com/sms/inbound", params)
    assert run_inbound(params, signature) == 503, "verified, then Zendesk (unreachable) was tried"
    tampered = dict(params, Body="Hello from someone else")
    assert run_inbound(tampered, signature) == 401


def test_a_handled_text_is_answered_with_the_twiml_the_sdk_writes_for_no_reply():
    """Twilio reads the answer as TwiML (a JSON one is its error 12300): the answer to a handled text
    must be the document the SDK's MessagingResponse() writes when nothing is sent back."""
    params = {"MessageSid": "SM" + "b" * 32, "From": "+15551230000", "To": "+15559870000", "Body": "STOP", "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature("https://bundle.example.com/sms/inbound", params)
    out = cgi_inbound(params, signature)
    head, _, answer = out.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
    assert headers["Status"].startswith("200"), head
    assert headers["Content-Type"].startswith("text/xml"), head
    assert headers["X-Function-Outcome"] == "ignored", head
    ours = ElementTree.fromstring(answer)
    sdk = ElementTree.fromstring(str(MessagingResponse()).encode())
    assert (ours.tag, list(ours), ours.attrib) == (sdk.tag, list(sdk), sdk.attrib) == ("Response", [], {})


def test_a_signature_over_the_url_with_the_default_port_is_accepted_as_the_sdk_accepts_it():
    """Twilio's back end sometimes signs https://host:443/… for a webhook set as https://host/…;
    the SDK's validator tries both forms, and so must sms-inbound (a refused text is lost: Twilio
    does not re-deliver)."""
    params = {"MessageSid": "SM" + "c" * 32, "From": "+15551230000", "To": "+15559870000", "Body": "Port test", "NumMedia": "0"}
    validator = RequestValidator(TOKEN)
    with_port = validator.compute_signature("https://bundle.example.com:443/sms/inbound", params)
    assert validator.validate("https://bundle.example.com/sms/inbound", params, with_port)
    assert run_inbound(params, with_port) == 503, "verified, then Zendesk (unreachable) was tried"
    other_port = validator.compute_signature("https://bundle.example.com:8443/sms/inbound", params)
    assert not validator.validate("https://bundle.example.com/sms/inbound", params, other_port)
    assert run_inbound(params, other_port) == 401


def test_status_callbacks_are_signed_as_the_sdks_validator_expects(sandbox, tw):
    """A message sent with status_callback gets its later statuses posted there: each post must pass
    Twilio's own RequestValidator over the callback URL as given (query included), and a handset
    that cannot be reached ends undelivered with its ErrorCode, as the SDK then fetches it."""
    import http.server
    import threading

    got = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)),
                        self.headers["X-Twilio-Signature"], self.headers["Content-Type"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox.ctl("POST", "/seed", {"twilio": {"unreachable": [{"number": "+15551230077", "error_code": 30005}]}})
        base = f"http://127.0.0.1:{server.server_address[1]}"
        m = tw.messages.create(to="+15551230077", from_="+15559870000", body="Will not arrive",
                               status_callback=base + "/sms/status?ticket=5&comment=6")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(got) < 2:
            time.sleep(0.05)
        assert [p["MessageStatus"] for _, p, _, _ in got] == ["sent", "undelivered"]
        validator = RequestValidator(TOKEN)
        for path, params, signature, content_type in got:
            assert path == "/sms/status?ticket=5&comment=6"
            assert content_type == "application/x-www-form-urlencoded"
            assert params["MessageSid"] == m.sid and params["AccountSid"] == SID
            assert validator.validate(base + path, params, signature)
            assert not validator.validate(base + "/sms/status?ticket=5&comment=7", params, signature)
        assert got[1][1]["ErrorCode"] == "30005" and "ErrorCode" not in got[0][1]
        fetched = tw.messages(m.sid).fetch()
        assert (fetched.status, fetched.error_code) == ("undelivered", 30005)
    finally:
        server.shutdown()
