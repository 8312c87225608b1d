#!/usr/bin/env bash
# bench/batch.sh — `brand-filter --stream` against jq and a 10-line Python filter on the same
# NDJSON file, in one run, interleaved, outputs compared byte for byte.
#   bench/batch.sh [LINES] [REPEATS]     (default 200000 lines of Zendesk ticket.created, 3 repeats)
# The file holds Zendesk event-subscription payloads (~730 bytes a line) of 10 brands; the filter
# keeps one brand. Reports the wall time of each (the median of the repeats) and brand-filter's
# speed relative to jq (goal: ≥ 3×). Installs jq through apt-get when it is missing (root).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LINES="${1:-200000}"
REPEATS="${2:-3}"
BIN="$ROOT/.build/release"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v jq >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; } || { echo "bench/batch.sh needs jq (apt-get install jq)" >&2; exit 69; }
[ -x "$BIN/brand-filter" ] || (cd "$ROOT" && swift build -c release >/dev/null)

python3 - "$LINES" > "$WORK/events.ndjson" <<'PY'
import json, sys, random
random.seed(7)
n = int(sys.argv[1])
for i in range(n):
    brand = str(360000 + i % 10)
    e = {"type": "zen:event-type:ticket.created", "account_id": 10010, "id": "%08x-4a0e-4b8e-9c6f-%012x" % (i, i * 7919),
         "time": "2026-11-30T14:02:11.000000000Z", "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:%d" % (30000 + i),
         "detail": {"actor_id": str(90000 + i % 97), "assignee_id": None, "brand_id": brand, "created_at": "2026-11-30T14:02:11Z",
                    "custom_status": "30001", "description": "My order #%d has not arrived yet. Could you check where it is?" % (1000 + i),
                    "external_id": None, "form_id": "360000100", "group_id": "360000200", "id": str(30000 + i), "is_public": True,
                    "organization_id": None, "priority": random.choice(["LOW", "NORMAL", "HIGH"]), "requester_id": str(90000 + i % 97),
                    "status": "NEW", "subject": "Where is my order? (%d) — ação, Größe" % i, "submitter_id": str(90000 + i % 97),
                    "tags": ["order", "web"], "type": "QUESTION", "updated_at": "2026-11-30T14:02:11Z", "via": {"channel": "web_form"}},
         "event": {"meta": {"sequence": {"id": "%032X" % (i * 104729), "position": 1, "total": 1}}}}
    print(json.dumps(e, ensure_ascii=False, separators=(",", ":")))
PY
cat > "$WORK/filter.py" <<'PY'
import json, sys
keep = sys.argv[1]
out = sys.stdout
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    if str((e.get("detail") or {}).get("brand_id")) == keep:
        out.write(line if line.endswith("\n") else line + "\n")
PY
KEEP=360003
size=$(du -m "$WORK/events.ndjson" | cut -f1)
echo "batch: $LINES lines ($size MB), keeping brand $KEEP; $REPEATS interleaved repeats"

run() {  # name, command → seconds (output to $WORK/$name.out)
    local start end
    start=$(date +%s.%N)
    eval "$2" < "$WORK/events.ndjson" > "$WORK/$1.out" 2>/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
declare -A times
for r in $(seq "$REPEATS"); do
    times[bf]+="$(run bf "ZENDESK_BRANDS=$KEEP $BIN/brand-filter --stream") "
    times[jq]+="$(run jq "jq -c 'select(.detail.brand_id==\"$KEEP\")'") "
    times[py]+="$(run py "python3 $WORK/filter.py $KEEP") "
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bf=$(echo "${times[bf]}" | median); jqt=$(echo "${times[jq]}" | median); py=$(echo "${times[py]}" | median)

# jq re-serializes; compare the selected events as parsed documents, and brand-filter with the
# Python filter byte for byte (both write the line unchanged).
cmp -s "$WORK/bf.out" "$WORK/py.out" || { echo "batch: brand-filter and the Python filter disagree" >&2; exit 1; }
python3 - "$WORK/bf.out" "$WORK/jq.out" <<'PY' || { echo "batch: brand-filter and jq disagree" >&2; exit 1; }
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
sys.exit(0 if a == b else 1)
PY
kept=$(wc -l < "$WORK/bf.out")
printf 'batch: outputs agree (%d events kept)\n' "$kept"
printf '| command | wall (median of %d) | vs jq |\n|---|---|---|\n' "$REPEATS"
printf '| `brand-filter --stream` | %.2f s | **%.2f×** |\n' "$bf" "$(echo "$jqt / $bf" | bc -l)"
printf '| `jq -c select(.detail.brand_id==…)` | %.2f s | 1.00× |\n' "$jqt"
printf '| Python `json` filter | %.2f s | %.2f× |\n' "$py" "$(echo "$jqt / $py" | bc -l)"
