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
# others. Installs wrk, lighttpd and webhook with apt-get when missing (as root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DUR="${1:-5}"
REPS="${2:-3}"
BIN="$ROOT/.build/release"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

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
ln -s "$WORK/fn/hello" "$WORK/docroot/hello"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "race: nothing listens on $1" >&2; exit 1; }

# The invoker: one route to the program, no shedding (the race measures the runner, not its limits).
P_INV=$(free_port)
cat > "$WORK/functions.json" <<JSON
{ "defaults": { "concurrency": 4096, "timeout_ms": 9500 },
  "server": { "max_connections": 1024 },
  "routes": [ { "method": "POST", "path": "/hello", "function": "hello" } ] }
JSON
"$BIN/invoker" --serve --config "$WORK/functions.json" --functions-dir "$WORK/fn" --port "$P_INV" \
    2>"$WORK/invoker.log" >/dev/null &
PIDS+=($!)

P_LIG=$(free_port)
cat > "$WORK/lighttpd.conf" <<CONF
server.document-root = "$WORK/docroot"
server.bind = "127.0.0.1"
server.port = $P_LIG
server.modules = ("mod_cgi")
server.errorlog = "$WORK/lighttpd-error.log"
server.max-connections = 1024
server.max-fds = 4096
cgi.assign = ("" => "")
CONF
lighttpd -D -f "$WORK/lighttpd.conf" &
PIDS+=($!)

P_WH=$(free_port)
cat > "$WORK/hooks.json" <<JSON
[ { "id": "hello", "execute-command": "$WORK/fn/hello", "include-command-output-in-response": true,
    "http-methods": ["POST"] } ]
JSON
webhook -hooks "$WORK/hooks.json" -ip 127.0.0.1 -port "$P_WH" -verbose=false >/dev/null 2>&1 &
PIDS+=($!)

wait_port "$P_INV"; wait_port "$P_LIG"; wait_port "$P_WH"

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
stat_now() { awk '/^ctxt/ {c=$2} /^cpu / {b=$2+$3+$4+$7+$8} END {print c, b}' /proc/stat; }
TICK=$(getconf CLK_TCK)

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

for r in "${RUNNERS[@]}"; do run "${URL[$r]}" 8 >/dev/null; done   # warm up
results="$WORK/results"
: > "$results"
for rep in $(seq "$REPS"); do
    for c in "${LEVELS[@]}"; do
        for r in "${RUNNERS[@]}"; do
            echo "$r $c $(run "${URL[$r]}" "$c")" >> "$results"
        done
    done
    echo "race: repetition $rep of $REPS done" >&2
done

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

python3 - "$results" <<'PY'
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
PY
read -r _ s_rps s_p50 s_p99 _ _ s_err < "$WORK/shipped"
echo
echo "invoker, shipped limits (concurrency 32, queue 256), c=128: $s_rps req/s, p50 $s_p50 ms, p99 $s_p99 ms, non-2xx or socket errors: $s_err"
