#!/usr/bin/env bash
# bench/race.sh [SECONDS] [REPEATS] — the invoker against the CGI runners people already use, in one
# run: the same trivial CGI program (bench/cgi-hello.c) behind
#   - the bundle's invoker (`invoker --serve`, concurrency raised so nothing is shed),
#   - lighttpd mod_cgi (Debian's lighttpd),
#   - adnanh/webhook (Debian's webhook; runs the program per request and returns its output),
# loaded with wrk (POST, keep-alive) at c = 1, 8 and 64, interleaved runner by runner, REPEATS times
# (default 3) for SECONDS each (default 5). Prints per runner and concurrency the median req/s,
# p50 and p99 latency, and — from /proc/stat over each run, machine-wide, so the same for every
# runner — context switches and CPU milliseconds per request; then the invoker's ratios to the
# others, and the floor at c=1 measured in each repetition (the program started back to back by a
# bare C loop; an HTTP round trip to the invoker's /healthz) against what a request took.
# Then real functions, the same way:
#   - brand-filter on a ticket.created event of a brand it drops (filtered, no call out), unsigned:
#     the invoker forking a process per request, the invoker on warm workers, lighttpd mod_cgi;
#   - the signed `POST /zendesk/tickets` pipeline (brand-filter | ticket-metrics: one Zendesk read
#     and one Klaviyo write, against the sandbox): the invoker forking vs on warm workers.
# (CPU per request is machine-wide, the sandbox's work and wrk's in it; "server CPU" is the
# server's own process with its function processes.)
# RACE_PARTS=functions (or cgi) runs one part only. Installs wrk, lighttpd and webhook with apt-get
# when missing (as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DUR="${1:-5}"
REPS="${2:-3}"
BIN="$ROOT/.build/release"
# shellcheck source=servers.sh
. "$ROOT/bench/servers.sh"

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v lighttpd >/dev/null || missing+=(lighttpd)
command -v webhook >/dev/null || missing+=(webhook)
if [ ${#missing[@]} -gt 0 ]; then
    echo "race: installing ${missing[*]}" >&2
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x "$BIN/invoker" ] || (cd "$ROOT" && swift build -c release --product invoker >/dev/null)

mkdir -p "$WORK/fn" "$WORK/docroot"
cc -O2 -o "$WORK/fn/hello" "$ROOT/bench/cgi-hello.c"
cc -O2 -o "$WORK/spawnbench" "$ROOT/bench/spawnbench.c"
ln -s "$WORK/fn/hello" "$WORK/docroot/hello"
for f in brand-filter ticket-metrics; do ln -s "$BIN/$f" "$WORK/fn/$f"; done
ln -s "$BIN/brand-filter" "$WORK/docroot/brand-filter"

# The sandbox the signed pipeline calls: one brand, one requester, one ticket.
cat > "$WORK/seed.json" <<'JSON'
{"zendesk": {"brands": [{"id": 360001, "name": "Acme", "subdomain": "acme", "default": true}],
  "users": [{"id": 2001, "name": "Casey Customer", "email": "casey@example.com", "role": "end-user"}],
  "tickets": [{"id": 1, "subject": "Where is my order?", "status": "new", "requester_id": 2001, "brand_id": 360001,
    "comments": [{"author_id": 2001, "body": "Where is my order #1001?", "public": true}]}]}}
JSON
"$BIN/sandbox" --port 0 --seed "$WORK/seed.json" > "$WORK/sandbox.out" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^PORT=' "$WORK/sandbox.out" 2>/dev/null && break; sleep 0.05; done
SANDBOX="http://127.0.0.1:$(sed -n 's/^PORT=//p' "$WORK/sandbox.out" | head -1)"
SECRET="race-webhook-secret"


# The invoker: one route to the program, no shedding (the race measures the runner, not its limits).
P_INV=$(free_port)
cat > "$WORK/functions.json" <<JSON
{ "defaults": { "concurrency": 4096, "timeout_ms": 9500,
                "env": { "ZENDESK_URL": "$SANDBOX/zendesk", "ZENDESK_EMAIL": "agent@example.com",
                         "ZENDESK_API_TOKEN": "zd-token", "KLAVIYO_URL": "$SANDBOX/klaviyo", "KLAVIYO_API_KEY": "pk_test",
                         "ZENDESK_WEBHOOK_SECRET": "$SECRET" } },
  "server": { "max_connections": 1024 },
  "functions": { "hello": { "mode": "fork" } },
  "routes": [ { "method": "POST", "path": "/hello", "function": "hello" },
              { "method": "POST", "path": "/brand-filter", "function": "brand-filter",
                "env": { "ALLOW_UNSIGNED": "1", "ZENDESK_BRANDS": "999", "ZENDESK_WEBHOOK_SECRET": "" } },
              { "method": "POST", "path": "/zendesk/tickets", "pipeline": ["brand-filter", "ticket-metrics"] } ] }
JSON
"$BIN/invoker" --serve --config "$WORK/functions.json" --functions-dir "$WORK/fn" --port "$P_INV" \
    2>"$WORK/invoker.log" >/dev/null &
PIDS+=($!)
INV_PID=$!
# The same file, every function but the C program on warm workers.
P_WARM=$(free_port)
"$BIN/invoker" --serve --config "$WORK/functions.json" --functions-dir "$WORK/fn" --port "$P_WARM" --mode warm \
    2>"$WORK/warm.log" >/dev/null &
PIDS+=($!)
WARM_PID=$!

P_LIG=$(free_port)
cat > "$WORK/lighttpd.conf" <<CONF
server.document-root = "$WORK/docroot"
server.bind = "127.0.0.1"
server.port = $P_LIG
server.modules = ("mod_cgi", "mod_setenv")
setenv.add-environment = ("ALLOW_UNSIGNED" => "1", "ZENDESK_BRANDS" => "999")
server.errorlog = "$WORK/lighttpd-error.log"
server.max-connections = 1024
server.max-fds = 4096
cgi.assign = ("" => "")
CONF
lighttpd -D -f "$WORK/lighttpd.conf" 2>"$WORK/lighttpd.stderr" &
PIDS+=($!)
LIG_PID=$!

P_WH=$(free_port)
cat > "$WORK/hooks.json" <<JSON
[ { "id": "hello", "execute-command": "$WORK/fn/hello", "include-command-output-in-response": true,
    "http-methods": ["POST"] } ]
JSON
webhook -hooks "$WORK/hooks.json" -ip 127.0.0.1 -port "$P_WH" -verbose=false >/dev/null 2>&1 &
PIDS+=($!)

wait_port "$P_INV"; wait_port "$P_LIG"; wait_port "$P_WH"; wait_port "$P_WARM"

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"ping","id":"1"}'
wrk.headers["Content-Type"] = "application/json"
LUA

declare -A URL=([invoker]="http://127.0.0.1:$P_INV/hello" [lighttpd]="http://127.0.0.1:$P_LIG/hello"
    [webhook]="http://127.0.0.1:$P_WH/hooks/hello")
RUNNERS=(invoker lighttpd webhook)
LEVELS=(1 8 64)

# /proc/stat: context switches and busy CPU ticks so far.

cat > "$WORK/parse.py" <<'PY'
import re, sys
c0, c1, b0, b1, tick = map(float, sys.argv[1:])
text = sys.stdin.read()
def ms(v):
    n, unit = float(re.match(r"([\d.]+)", v).group(1)), re.sub(r"[\d.]", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
errs = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m: errs += sum(map(int, m.groups()))
n = max(total, 1)
print(f"{rps:.1f} {p50:.2f} {p99:.2f} {(c1 - c0) / n:.2f} {(b1 - b0) / tick * 1000 / n:.3f} {errs}")
PY

# One wrk run → "rps p50_ms p99_ms ctxt_per_req cpu_ms_per_req errors".
run() {
    local url="$1" c="$2" threads=$(( $2 < 2 ? 1 : 2 ))
    read -r c0 b0 < <(stat_now)
    local out
    out=$(wrk -t"$threads" -c"$c" -d"${DUR}s" --latency -s "$WORK/post.lua" "$url" 2>&1)
    read -r c1 b1 < <(stat_now)
    printf '%s\n' "$out" | python3 "$WORK/parse.py" "$c0" "$c1" "$b0" "$b1" "$TICK"
}

PARTS="${RACE_PARTS:-cgi functions}"   # RACE_PARTS=functions: only the real functions
results="$WORK/results"
: > "$results"
if [[ "$PARTS" == *cgi* ]]; then
for r in "${RUNNERS[@]}"; do run "${URL[$r]}" 8 >/dev/null; done   # warm up
printf '%s' '{"type":"ping","id":"1"}' > "$WORK/body"
for rep in $(seq "$REPS"); do
    # The floor at c=1, in the same repetition: the program started back to back by a bare C loop
    # (posix_spawn, its stdin the body, CGI variables set) and an HTTP round trip to the invoker
    # without a program (GET /healthz).
    floor=$(env -i PATH="$PATH" REQUEST_METHOD=POST CONTENT_LENGTH="$(wc -c < "$WORK/body")" \
        "$WORK/spawnbench" 2000 "$WORK/body" "$WORK/fn/hello" | sed -n 's/^p50_ms=\([0-9.]*\).*/\1/p')
    health=$(wrk -t1 -c1 -d"${DUR}s" "http://127.0.0.1:$P_INV/healthz" 2>&1 | awk '/Requests\/sec/ {print $2}')
    echo "floor $floor $health" >> "$WORK/floor"
    for c in "${LEVELS[@]}"; do
        for r in "${RUNNERS[@]}"; do
            echo "$r $c $(run "${URL[$r]}" "$c")" >> "$results"
        done
    done
    echo "race: repetition $rep of $REPS done" >&2
done

fi

# Real functions. A ticket.created event; brand-filter drops its brand (999 is selected), the
# pipeline passes it (all brands) and records "Opened Ticket" for ticket 1.
EVENT='{"type":"zen:event-type:ticket.created","account_id":10001,"id":"5b7f0c1e-4a0e-4b8e-9c6f-000000000001","time":"2026-12-01T10:00:00Z","zendesk_event_version":"2022-11-06","subject":"zen:ticket:1","detail":{"actor_id":"2001","brand_id":"360001","created_at":"2026-12-01T10:00:00Z","description":"Where is my order #1001?","id":"1","is_public":true,"requester_id":"2001","status":"NEW","subject":"Where is my order?","tags":[],"type":"QUESTION","updated_at":"2026-12-01T10:00:00Z","via":{"channel":"web_form"}},"event":{}}'
cat > "$WORK/event.lua" <<LUA
wrk.method = "POST"
wrk.body = '$EVENT'
wrk.headers["Content-Type"] = "application/json"
LUA
# A signed request: the signature is made anew before each run (Zendesk's timestamps are good for 5 minutes).
sign_lua() {
    python3 - "$SECRET" "$EVENT" > "$WORK/signed.lua" <<'PY'
import base64, hashlib, hmac, sys, datetime
secret, body = sys.argv[1], sys.argv[2]
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
sig = base64.b64encode(hmac.new(secret.encode(), (ts + body).encode(), hashlib.sha256).digest()).decode()
print('wrk.method = "POST"')
print("wrk.body = '%s'" % body)
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["X-Zendesk-Webhook-Signature"] = "%s"' % sig)
print('wrk.headers["X-Zendesk-Webhook-Signature-Timestamp"] = "%s"' % ts)
PY
}
sign_lua
check() {  # one request must do what the race measures
    local name="$1" url="$2" lua="$3" want="$4" body
    body=$(python3 - "$url" "$lua" <<'PY'
import re, sys, urllib.request
url, lua = sys.argv[1], open(sys.argv[2]).read()
body = re.search(r"wrk.body = '(.*)'", lua).group(1).encode()
headers = dict(re.findall(r'wrk.headers\["([^"]+)"\] = "([^"]*)"', lua))
try:
    r = urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"), timeout=10)
    print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
)
    case "$body" in *"$want"*) ;; *) echo "race: $name did not answer as expected ($want): $body" >&2; exit 1 ;; esac
}
check "invoker brand-filter" "http://127.0.0.1:$P_INV/brand-filter" "$WORK/event.lua" '"outcome":"filtered"'
check "warm brand-filter" "http://127.0.0.1:$P_WARM/brand-filter" "$WORK/event.lua" '"outcome":"filtered"'
check "lighttpd brand-filter" "http://127.0.0.1:$P_LIG/brand-filter" "$WORK/event.lua" '"outcome":"filtered"'
check "invoker pipeline" "http://127.0.0.1:$P_INV/zendesk/tickets" "$WORK/signed.lua" '"outcome":"emitted"'
check "warm pipeline" "http://127.0.0.1:$P_WARM/zendesk/tickets" "$WORK/signed.lua" '"outcome":"emitted"'

# CPU ticks of a server process and its function processes: its own, its reaped children's
# (fork mode, CGI) and its live children's (warm workers) — the server's share of the machine-wide CPU.
server_ticks() {
    python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
def fields(p):
    with open(f"/proc/{p}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
me = fields(pid)
total = sum(int(x) for x in me[11:15])  # utime stime cutime cstime
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            f = fields(p)
            if f[1] == pid:
                total += int(f[11]) + int(f[12])
        except OSError:
            pass
print(total)
PY
}
run_lua() {  # like run, with another script; adds the server's own CPU ms per request
    local url="$1" c="$2" lua="$3" server="$4" threads=$(( $2 < 2 ? 1 : 2 ))
    read -r c0 b0 < <(stat_now)
    local s0 s1 out
    s0=$(server_ticks "$server")
    out=$(wrk -t"$threads" -c"$c" -d"${DUR}s" --latency -s "$lua" "$url" 2>&1)
    s1=$(server_ticks "$server")
    read -r c1 b1 < <(stat_now)
    local row total
    row=$(printf '%s\n' "$out" | python3 "$WORK/parse.py" "$c0" "$c1" "$b0" "$b1" "$TICK")
    total=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    echo "$row $(python3 -c "print(f'{($s1 - $s0) / $TICK * 1000 / max(int(\"${total:-0}\" or 0), 1):.3f}')")"
}
declare -A FURL=([bf-fork]="http://127.0.0.1:$P_INV/brand-filter" [bf-warm]="http://127.0.0.1:$P_WARM/brand-filter"
    [bf-lighttpd]="http://127.0.0.1:$P_LIG/brand-filter"
    [pipe-fork]="http://127.0.0.1:$P_INV/zendesk/tickets" [pipe-warm]="http://127.0.0.1:$P_WARM/zendesk/tickets")
declare -A FPID=([bf-fork]="$INV_PID" [bf-warm]="$WARM_PID" [bf-lighttpd]="$LIG_PID" [pipe-fork]="$INV_PID"
    [pipe-warm]="$WARM_PID")
freal="$WORK/real"
: > "$freal"
if [[ "$PARTS" == *functions* ]]; then
for rep in $(seq "$REPS"); do
    for c in "${LEVELS[@]}"; do
        for r in bf-fork bf-warm bf-lighttpd; do
            echo "$r $c $(run_lua "${FURL[$r]}" "$c" "$WORK/event.lua" "${FPID[$r]}")" >> "$freal"
        done
        for r in pipe-fork pipe-warm; do
            sign_lua
            echo "$r $c $(run_lua "${FURL[$r]}" "$c" "$WORK/signed.lua" "${FPID[$r]}")" >> "$freal"
        done
    done
    echo "race: real functions, repetition $rep of $REPS done" >&2
done

fi

if [[ "$PARTS" == *cgi* ]]; then
# The shipped limits (functions.json defaults: concurrency 32, a line of 256 behind it) at c=128:
# requests beyond the limit wait in line; none may be refused.
P_SHIP=$(free_port)
cat > "$WORK/shipped.json" <<JSON
{ "routes": [ { "method": "POST", "path": "/hello", "function": "hello" } ] }
JSON
"$BIN/invoker" --serve --config "$WORK/shipped.json" --functions-dir "$WORK/fn" --port "$P_SHIP" \
    2>"$WORK/shipped.log" >/dev/null &
PIDS+=($!)
wait_port "$P_SHIP"
read -r s_rps s_p50 s_p99 s_cs s_cpu s_err < <(run "http://127.0.0.1:$P_SHIP/hello" 128)
echo "shipped $s_rps $s_p50 $s_p99 $s_cs $s_cpu $s_err" > "$WORK/shipped"

python3 - "$results" "$WORK/floor" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    r, c, *v = line.split()
    rows.setdefault((r, int(c)), []).append(list(map(float, v)))
med = {k: [statistics.median(x[i] for x in v) for i in range(6)] for k, v in rows.items()}
print("runner    c    req/s   p50 ms   p99 ms  ctxsw/req  CPU ms/req  errors")
for (r, c) in sorted(med, key=lambda k: (k[1], ["invoker", "lighttpd", "webhook"].index(k[0]))):
    rps, p50, p99, cs, cpu, err = med[(r, c)]
    print(f"{r:9} {c:3} {rps:8.0f} {p50:8.2f} {p99:8.2f} {cs:10.2f} {cpu:11.3f} {int(err):7}")
print()
for c in sorted({k[1] for k in med}):
    inv = med[("invoker", c)]
    for other in ("lighttpd", "webhook"):
        o = med[(other, c)]
        print(f"c={c:<3} invoker vs {other:8}: req/s {inv[0] / o[0]:.2f}x, p99 {inv[2]:.1f} vs {o[2]:.1f} ms")
# At c=1 a request is one start of the program after another: what each runner adds to that start.
floors = [line.split()[1:] for line in open(sys.argv[2]) if len(line.split()) == 3]
if floors and ("invoker", 1) in med and ("webhook", 1) in med:
    start = statistics.median(float(f[0]) for f in floors) * 1000
    trip = statistics.median(1e6 / float(f[1]) for f in floors)
    inv, wh = 1e6 / med[("invoker", 1)][0], 1e6 / med[("webhook", 1)][0]
    print()
    print(f"c=1: the program's start (bare C loop, p50) {start:.0f} us; an HTTP round trip to the invoker "
          f"without a program (GET /healthz) {trip:.0f} us; a request took {inv:.0f} us on the invoker "
          f"(start {inv - start:+.0f} us) and {wh:.0f} us on webhook (start {wh - start:+.0f} us); "
          f"1.3x webhook needs <= {wh / 1.3:.0f} us (start {wh / 1.3 - start:+.0f} us)")
PY
read -r _ s_rps s_p50 s_p99 _ _ s_err < "$WORK/shipped"
echo
echo "invoker, shipped limits (concurrency 32, queue 256), c=128: $s_rps req/s, p50 $s_p50 ms, p99 $s_p99 ms, non-2xx or socket errors: $s_err"

fi

if [[ "$PARTS" == *functions* ]]; then
echo
python3 - "$freal" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    r, c, *v = line.split()
    rows.setdefault((r, int(c)), []).append(list(map(float, v)))
med = {k: [statistics.median(x[i] for x in v) for i in range(7)] for k, v in rows.items()}
order = ["bf-fork", "bf-warm", "bf-lighttpd", "pipe-fork", "pipe-warm"]
names = {"bf-fork": "brand-filter, invoker fork", "bf-warm": "brand-filter, invoker warm",
         "bf-lighttpd": "brand-filter, lighttpd", "pipe-fork": "signed pipeline, fork",
         "pipe-warm": "signed pipeline, warm"}
print("real functions                  c    req/s   p50 ms   p99 ms  ctxsw/req  CPU ms/req  server CPU ms/req  errors")
for (r, c) in sorted(med, key=lambda k: (order.index(k[0]), k[1])):
    rps, p50, p99, cs, cpu, err, server = med[(r, c)]
    print(f"{names[r]:30} {c:3} {rps:8.0f} {p50:8.2f} {p99:8.2f} {cs:10.2f} {cpu:11.3f} {server:18.3f} {int(err):7}")
print()
for c in sorted({k[1] for k in med}):
    bw, bf, bl = med[("bf-warm", c)], med[("bf-fork", c)], med[("bf-lighttpd", c)]
    pw, pf = med[("pipe-warm", c)], med[("pipe-fork", c)]
    bf[0], bl[0], pf[0] = max(bf[0], 1e-9), max(bl[0], 1e-9), max(pf[0], 1e-9)  # a run that served nothing
    print(f"c={c:<3} brand-filter warm vs fork {bw[0] / bf[0]:.1f}x, vs lighttpd {bw[0] / bl[0]:.1f}x; "
          f"signed pipeline warm vs fork {pw[0] / pf[0]:.1f}x req/s, server CPU {pw[6]:.2f} vs {pf[6]:.2f} ms/req "
          f"(machine {pw[4]:.2f} vs {pf[4]:.2f})")
PY
fi
