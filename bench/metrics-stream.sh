#!/usr/bin/env bash
# bench/metrics-stream.sh — `ticket-metrics --stream --dry-run` against a Python script doing the
# same live read and transform, on the same sandbox, in one run.
#   [REPS=3] bench/metrics-stream.sh [EVENTS]      (default 2000 ticket.created events)
# Each event costs one Zendesk read (`GET /api/v2/tickets/{id}.json?include=users,groups`) and the
# Klaviyo event body (not sent: --dry-run). The Python script reads one event at a time over one
# keep-alive connection; ticket-metrics reads ahead (FUNCTION_STREAM_PREFETCH, default 16) on reused
# connections. The outputs are compared (the same ticket ids, each with an "Opened Ticket" body of
# 14 properties).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EVENTS="${1:-2000}"
BIN="$ROOT/.build/release"
WORK="$(mktemp -d)"
trap 'kill "${SANDBOX_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
[ -x "$BIN/ticket-metrics" ] || (cd "$ROOT" && swift build -c release >/dev/null)

python3 - "$EVENTS" "$WORK" <<'PY'
import json, sys
n, work = int(sys.argv[1]), sys.argv[2]
users = [{"id": 1000 + i, "name": "Customer %d" % i, "email": "c%d@example.com" % i, "phone": "+1555010%04d" % i, "role": "end-user"} for i in range(100)]
users.append({"id": 3001, "name": "Avery Agent", "email": "agent3001@example.com", "role": "agent"})
tickets = [{"id": i + 1, "subject": "Order question %d" % i, "status": "new", "requester_id": 1000 + i % 100, "assignee_id": 3001,
            "tags": ["order"], "priority": "normal", "type": "question",
            "comments": [{"author_id": 1000 + i % 100, "body": "Where is my order %d?" % i, "public": True}]} for i in range(n)]
json.dump({"zendesk": {"users": users, "tickets": tickets}}, open(work + "/seed.json", "w"))
with open(work + "/events.ndjson", "w") as f:
    for i in range(n):
        f.write(json.dumps({"type": "ticket.created", "ticket_id": str(i + 1)}) + "\n")
PY
"$BIN/sandbox" --port 0 --seed "$WORK/seed.json" > "$WORK/sandbox.out" 2>/dev/null &
SANDBOX_PID=$!
for _ in $(seq 100); do grep -q '^PORT=' "$WORK/sandbox.out" 2>/dev/null && break; sleep 0.05; done
PORT="$(sed -n 's/^PORT=//p' "$WORK/sandbox.out" | head -1)"
BASE="http://127.0.0.1:$PORT"

cat > "$WORK/metrics.py" <<'PY'
import base64, http.client, json, sys
host, port = "127.0.0.1", int(sys.argv[1])
auth = "Basic " + base64.b64encode(b"agent@example.com/token:zd-token").decode()
conn = http.client.HTTPConnection(host, port)
out = sys.stdout
for line in sys.stdin:
    e = json.loads(line)
    tid = e["ticket_id"]
    conn.request("GET", "/zendesk/api/v2/tickets/%s.json?include=users,groups" % tid, headers={"Authorization": auth, "Accept": "application/json"})
    r = conn.getresponse()
    doc = json.loads(r.read())
    t = doc["ticket"]
    users = {u["id"]: u for u in doc.get("users", [])}
    req = users.get(t.get("requester_id"), {})
    asg = users.get(t.get("assignee_id"), {})
    props = {"Assignee_email": asg.get("email"), "Assignee_name": asg.get("name"), "Brand_id": t.get("brand_id"),
             "Created_at": t.get("created_at"), "Group_name": None, "Priority": (t.get("priority") or "").lower() or None,
             "Requester_email": req.get("email"), "Requester_name": req.get("name"), "Subject": t.get("subject"),
             "Tags": t.get("tags"), "Ticket_id": t["id"], "Type": (t.get("type") or "").lower() or None,
             "Via": t.get("via"), "Zendesk_url": "http://%s:%d/zendesk/agent/tickets/%s" % (host, port, tid), "Status": t.get("status")}
    body = {"data": {"type": "event", "attributes": {"properties": props, "time": t.get("created_at"),
            "unique_id": "zendesk:x:%s:opened" % tid, "metric": {"data": {"type": "metric", "attributes": {"name": "Opened Ticket"}}},
            "profile": {"data": {"type": "profile", "attributes": {"email": req.get("email"), "phone_number": req.get("phone")}}}}}}
    out.write(json.dumps({"ticket_id": t["id"], "outcome": "planned", "plan": [{"method": "POST", "url": "/api/events", "body": body}]}) + "\n")
PY

run() { local s e; s=$(date +%s.%N); eval "$1" < "$WORK/events.ndjson" > "$WORK/$2.out" 2>/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
ENVS="ZENDESK_URL=$BASE/zendesk ZENDESK_EMAIL=agent@example.com ZENDESK_API_TOKEN=zd-token KLAVIYO_URL=$BASE/klaviyo KLAVIYO_API_KEY=pk_test"
# Interleaved, REPS times each (default 3); the best of each side is compared.
REPS="${REPS:-3}"
tms=(); pys=()
for _ in $(seq "$REPS"); do
  tms+=("$(run "env $ENVS $BIN/ticket-metrics --stream --dry-run" tm)")
  pys+=("$(run "python3 $WORK/metrics.py $PORT" py)")
done
python3 - "$WORK/tm.out" "$WORK/py.out" "$EVENTS" <<'PY' || { echo "metrics-stream: outputs disagree" >&2; exit 1; }
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
n = int(sys.argv[3])
ids = lambda xs: [x["ticket_id"] for x in xs]
ok = len(a) == len(b) == n and ids(a) == ids(b)
ok = ok and all(len(x["plan"][0]["body"]["data"]["attributes"]["properties"]) == 14 for x in a)
sys.exit(0 if ok else 1)
PY
best() { printf '%s\n' "$@" | sort -g | head -1; }
t=$(best "${tms[@]}"); p=$(best "${pys[@]}")
printf 'metrics-stream: %d events, outputs agree (same tickets, 14 properties each)\n' "$EVENTS"
printf '| command | wall (best of %s) | vs Python |\n|---|---|---|\n' "$REPS"
printf '| `ticket-metrics --stream --dry-run` | %.2f s | **%.2f×** |\n' "$t" "$(echo "$p / $t" | bc -l)"
printf '| Python read-and-transform | %.2f s | 1.00× |\n' "$p"
