"""Starts the project's `sandbox` on a free port with a small seed, for the SDK contract suite.

The suite drives the sandbox with the vendors' own SDKs, unmodified: Klaviyo's `klaviyo-api`
(typed mode, its default) through its `test_host`, Zendesk's `zenpy` through its documented
`ZENPY_FORCE_SCHEME`/`ZENPY_FORCE_NETLOC` overrides, and Twilio's `twilio` with an HTTP client
that only changes the scheme and host. The sandbox serves each vendor at the vendor's own paths.
"""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BUNDLE_BIN", os.path.join(ROOT, ".build", "release"))

SEED = {
    "zendesk": {
        "users": [
            {"id": 2001, "name": "Pat Doe", "phone": "+15551230000", "role": "end-user", "email": "pat@example.com"},
        ],
        "tickets": [
            {"id": 601, "status": "open", "requester_id": 2001, "subject": "SMS conversation with Pat Doe",
             "external_id": "sms:+15551230000:+15559870000", "tags": ["sms"],
             "comments": [{"author_id": 2001, "body": "Where is my order?", "public": True}]},
            {"id": 602, "status": "solved", "requester_id": 2001, "subject": "Solved long ago",
             "created_at": "now-5h", "updated_at": "now-3h", "solved_at": "now-3h",
             "comments": [{"author_id": 2001, "body": "Help", "public": True}]},
        ],
    },
    "klaviyo": {
        "profiles": [
            {"id": "01PATPROFILE0000000000000A", "phone_number": "+15551230000", "email": "pat@example.com",
             "first_name": "Pat", "last_name": "Doe", "subscriptions": {"sms": {"marketing": {"consent": "SUBSCRIBED"}}}},
        ],
        "conversations": [{"id": "CONV-PAT", "profile_id": "01PATPROFILE0000000000000A", "number": "+15559870000"}],
    },
    "twilio": {"numbers": ["+15559870000"], "opted_out": ["+15551239999"]},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    def __init__(self, port):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def ctl(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_ctl" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def state(self):
        return self.ctl("GET", "/state")

    def faults(self, rules):
        return self.ctl("POST", "/faults", {"rules": rules})


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    port = free_port()
    seed = tmp_path_factory.mktemp("seed") / "seed.json"
    seed.write_text(json.dumps(SEED))
    proc = subprocess.Popen([os.path.join(BIN, "sandbox"), "--port", str(port), "--seed", str(seed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    box = Sandbox(port)
    for _ in range(200):
        try:
            box.ctl("GET", "/clock")
            break
        except Exception:
            time.sleep(0.05)
    yield box
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def no_faults(sandbox):
    sandbox.faults([])
    yield
    sandbox.faults([])
