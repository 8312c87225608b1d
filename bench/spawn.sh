#!/usr/bin/env bash
# bench/spawn.sh — per-request process cost of the bundle's functions, in one run:
#   (a) a runtime-based function on a path that makes no outbound call (brand-filter dropping an
#       event of another brand),
#   (b) a runtime-based function that makes one outbound HTTP call (test-echo fetching from a
#       loopback server: libcurl is loaded on first use),
# each against a trivial C program doing the same stdin→stdout. Reports p50/p99, peak RSS and the
# ratios, and checks the targets: (a) ≤ 2.5× C, (b) ≤ 12× C, peak RSS of (a) ≤ 10 MB.
# Usage: bench/spawn.sh [RUNS]   (default 500; builds release first through ./invoke)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-500}"
BIN="$ROOT/.build/release"
WORK="$(mktemp -d)"
trap 'kill "${HTTPD_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ ! -x "$BIN/brand-filter" ] || [ ! -x "$BIN/test-echo" ]; then
    (cd "$ROOT" && swift build -c release >/dev/null)
fi
cc -O2 -o "$WORK/spawnbench" "$ROOT/bench/spawnbench.c"
cc -O2 -o "$WORK/passthrough" "$ROOT/bench/passthrough.c"
cc -O2 -o "$WORK/tinyhttpd" "$ROOT/bench/tinyhttpd.c"

"$WORK/tinyhttpd" > "$WORK/port" &
HTTPD_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT="$(head -n1 "$WORK/port")"

# Event (a): a Zendesk ticket event of brand 2 while only brand 1 is synced → filtered, no call.
printf '%s\n' '{"type":"zen:event-type:ticket.created","detail":{"id":"1","brand_id":"2","status":"NEW"}}' > "$WORK/a.json"
# Event (b): one GET to the loopback server.
printf '{"fetch":"http://127.0.0.1:%s/"}\n' "$PORT" > "$WORK/b.json"

measure() { # label input command...
    local label="$1" input="$2"; shift 2
    env -i PATH="$PATH" ZENDESK_BRANDS=1 "$WORK/spawnbench" 20 "$input" "$@" >/dev/null   # warm caches
    printf '%s ' "$label"
    env -i PATH="$PATH" ZENDESK_BRANDS=1 "$WORK/spawnbench" "$RUNS" "$input" "$@"
}

{
    measure c_a "$WORK/a.json" "$WORK/passthrough"
    measure fn_a "$WORK/a.json" "$BIN/brand-filter"
    measure c_b "$WORK/b.json" "$WORK/passthrough"
    measure fn_b "$WORK/b.json" "$BIN/test-echo"
} > "$WORK/results"

python3 - "$WORK/results" "$RUNS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, *pairs = line.split()
    rows[label] = {k: float(v) for k, v in (p.split("=") for p in pairs)}
ra = rows["fn_a"]["p50_ms"] / rows["c_a"]["p50_ms"]
rb = rows["fn_b"]["p50_ms"] / rows["c_b"]["p50_ms"]
rss_a = rows["fn_a"]["peak_rss_kb"] / 1024
print(f"runs per case: {sys.argv[2]}")
print(f"{'case':<52} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS':>9}")
names = {"c_a": "C passthrough (baseline)", "fn_a": "(a) brand-filter, filtered event, no outbound call",
         "c_b": "C passthrough (baseline)", "fn_b": "(b) test-echo, one outbound GET (libcurl on first use)"}
for k in ("c_a", "fn_a", "c_b", "fn_b"):
    r = rows[k]
    print(f"{names[k]:<52} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['peak_rss_kb']/1024:>7.1f}MB")
ok_a, ok_b, ok_rss = ra <= 2.5, rb <= 12, rss_a <= 10
print(f"(a)/C = {ra:.2f}x (target <= 2.5x) {'OK' if ok_a else 'MISSED'}")
print(f"(b)/C = {rb:.2f}x (target <= 12x) {'OK' if ok_b else 'MISSED'}")
print(f"peak RSS (a) = {rss_a:.1f} MB (target <= 10 MB) {'OK' if ok_rss else 'MISSED'}")
failures = sum(int(r["failures"]) for r in rows.values())
if failures:
    print(f"{failures} runs exited non-zero")
sys.exit(0 if ok_a and ok_b and ok_rss and not failures else 1)
PY
