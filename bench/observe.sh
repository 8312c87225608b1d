#!/usr/bin/env bash
# bench/observe.sh [SECONDS] [REPEATS] — what /metrics and /console cost under load: the same
# invoker binary twice, `server.observe` true (the default: the functions' log lines pass through the
# invoker, every request is counted and kept for the console, and — as a person and a Prometheus
# would — /metrics and /console are fetched every second during the load) and false (the functions
# write to the invoker's stderr directly; nothing is counted). Two routes, loaded with wrk at c = 8
# and 64, interleaved on/off REPEATS times (default 3) for SECONDS each (default 5):
#   - /hello: the trivial C program of bench/race.sh (no log line),
#   - /tickets: brand-filter on a Zendesk ticket.created event (one structured log line per request).
# Prints the median req/s, p99 and CPU ms per request (machine-wide, /proc/stat) and the on/off ratios.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DUR="${1:-5}"
REPS="${2:-3}"
BIN="$ROOT/.build/release"
# shellcheck source=servers.sh
. "$ROOT/bench/servers.sh"

command -v wrk >/dev/null || { echo "observe: installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
[ -x "$BIN/invoker" ] && [ -x "$BIN/brand-filter" ] || (cd "$ROOT" && swift build -c release >/dev/null)

mkdir -p "$WORK/fn"
cc -O2 -o "$WORK/fn/hello" "$ROOT/bench/cgi-hello.c"
ln -s "$BIN/brand-filter" "$WORK/fn/brand-filter"


declare -A PORT
for mode in on off; do
    flag=$([ "$mode" = on ] && echo true || echo false)
    cat > "$WORK/$mode.json" <<JSON
{ "defaults": { "concurrency": 4096, "timeout_ms": 9500, "env": { "ALLOW_UNSIGNED": "1", "ZENDESK_BRANDS": "360001" } },
  "server": { "max_connections": 1024, "observe": $flag },
  "routes": [ { "method": "POST", "path": "/hello", "function": "hello" },
              { "method": "POST", "path": "/tickets", "function": "brand-filter" } ] }
JSON
    PORT[$mode]=$(free_port)
    "$BIN/invoker" --serve --config "$WORK/$mode.json" --functions-dir "$WORK/fn" --port "${PORT[$mode]}" \
        2>"$WORK/$mode.log" >/dev/null &
    PIDS+=($!)
done
wait_port "${PORT[on]}"; wait_port "${PORT[off]}"

cat > "$WORK/hello.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"ping","id":"1"}'
wrk.headers["Content-Type"] = "application/json"
LUA
cat > "$WORK/tickets.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type":"zen:event-type:ticket.created","account_id":10010,"id":"5b7f0c1e-4a0e-4b8e-9c6f-000000000001","time":"2026-11-30T14:02:11.000000000Z","zendesk_event_version":"2022-11-06","subject":"zen:ticket:30001","detail":{"actor_id":"90001","brand_id":"360001","created_at":"2026-11-30T14:02:11Z","description":"My order #1001 has not arrived yet.","id":"30001","is_public":true,"requester_id":"90001","status":"NEW","subject":"Where is my order?","tags":["order"],"type":"QUESTION","updated_at":"2026-11-30T14:02:11Z","via":{"channel":"web_form"}},"event":{}}'
wrk.headers["Content-Type"] = "application/json"
LUA

cat > "$WORK/parse.py" <<'PY'
import re, sys
b0, b1, tick = map(float, sys.argv[1:])
text = sys.stdin.read()
def ms(v):
    n, unit = float(re.match(r"([\d.]+)", v).group(1)), re.sub(r"[\d.]", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = max(int(re.search(r"(\d+) requests in", text).group(1)), 1)
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
errs = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
print(f"{rps:.1f} {p99:.2f} {(b1 - b0) / tick * 1000 / total:.3f} {errs}")
PY

# One wrk run → "rps p99_ms cpu_ms_per_req errors"; with observe on, /metrics and /console are
# fetched every second meanwhile (their cost counts).
run() {
    local mode="$1" path="$2" c="$3" threads=$(( $3 < 2 ? 1 : 2 )) scraper=""
    local base="http://127.0.0.1:${PORT[$mode]}"
    if [ "$mode" = on ]; then
        ( while :; do curl -s -o /dev/null "$base/metrics"; curl -s -o /dev/null "$base/console"; sleep 1; done ) &
        scraper=$!
    fi
    read -r _ b0 < <(stat_now)
    local out
    out=$(wrk -t"$threads" -c"$c" -d"${DUR}s" --latency -s "$WORK/${path}.lua" "$base/$path" 2>&1)
    read -r _ b1 < <(stat_now)
    [ -n "$scraper" ] && { kill "$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null || true; }
    printf '%s\n' "$out" | python3 "$WORK/parse.py" "$b0" "$b1" "$TICK"
}

for mode in on off; do run "$mode" hello 8 >/dev/null; run "$mode" tickets 8 >/dev/null; done  # warm up
results="$WORK/results"
: > "$results"
for rep in $(seq "$REPS"); do
    for path in hello tickets; do
        for c in 8 64; do
            for mode in on off; do echo "$mode $path $c $(run "$mode" "$path" "$c")" >> "$results"; done
        done
    done
    echo "observe: repetition $rep of $REPS done" >&2
done
lines=$(grep -c '"function":"brand-filter"' "$WORK/on.log" || true)

python3 - "$results" "$lines" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    mode, path, c, *v = line.split()
    rows.setdefault((path, int(c), mode), []).append(list(map(float, v)))
med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in rows.items()}
print("route     c  observe    req/s   p99 ms  CPU ms/req  errors")
for (path, c, mode) in sorted(med, key=lambda k: (k[0], k[1], k[2] != "on")):
    rps, p99, cpu, err = med[(path, c, mode)]
    print(f"/{path:8} {c:2}  {mode:7} {rps:8.0f} {p99:8.2f} {cpu:11.3f} {int(err):7}")
print()
for path in ("hello", "tickets"):
    for c in (8, 64):
        on, off = med[(path, c, "on")], med[(path, c, "off")]
        print(f"/{path:8} c={c:<3} on/off: req/s {on[0] / off[0]:.3f}x, CPU per request {on[2] / off[2]:.3f}x, "
              f"p99 {on[1]:.1f} vs {off[1]:.1f} ms")
print(f"\nbrand-filter log lines forwarded through the observing invoker: {sys.argv[2]}")
PY
