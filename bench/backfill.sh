#!/usr/bin/env bash
# bench/backfill.sh [SIZES] — a backfill of a large account against the sandbox with
# time-compressed quotas (export 300/min, bulk 1,500/min — 30× and 10× Zendesk's and Klaviyo's;
# EXPORT_LIMIT=600 doubles it, beyond what this 2-core machine serves with the sandbox on it):
# wall time, the share of the binding quota used (goal ≥ 90 %), the 429s the services answered,
# peak RSS (goal: flat in the number of tickets), CPU per 1,000 tickets, the real-quota projection
# for 1 M tickets, and a run told twice the export quota (the 429s it forces, each waited out).
# SIZES: comma-separated ticket counts, default 20000,100000 (the last one is the benchmark).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${1:-20000,100000}"
EXPORT_LIMIT="${EXPORT_LIMIT:-300}" BULK_LIMIT="${BULK_LIMIT:-1500}" BULK_BURST="${BULK_BURST:-50}"
source "$ROOT/bench/servers.sh"
(cd "$ROOT" && swift build -c release --product sandbox --product bundle-history >&2)
PORT=$(free_port)
"$ROOT/.build/release/sandbox" --port "$PORT" >"$WORK/sandbox.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"
python3 "$ROOT/bench/backfill.py" "http://127.0.0.1:$PORT" "$WORK" "$SIZES" "$EXPORT_LIMIT" "$BULK_LIMIT" "$BULK_BURST"
