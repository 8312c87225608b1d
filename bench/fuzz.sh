#!/usr/bin/env bash
# bench/fuzz.sh [SECONDS] — coverage-guided fuzzing (libFuzzer, swiftc -sanitize=fuzzer,address)
# of the parsers: `json` (the JSON codec and form decoding, round trips checked) and `inbound`
# (sms-inbound's reader of normalized JSON, Twilio forms and Klaviyo batches). Each target is built
# from the modules' own sources (their `import` lines of sibling modules dropped, as one module),
# starts from the committed seed corpus in bench/fuzz/corpus/<target>/ (copied: the committed
# corpus is not changed) and runs SECONDS (default 60) each. Prints executions and crashes per
# target; exits 1 when a target crashed (the reproducer is left in the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bundle-fuzz.XXXXXX")"
RT=Sources/FunctionRuntime
declare -A FILES=(
  [json]="$RT/JSON.swift $RT/JSON+Parsing.swift $RT/JSON+Writing.swift $RT/FormDecoding.swift $RT/String+Helpers.swift $RT/RuntimeError.swift"
  [inbound]="$RT/JSON.swift $RT/JSON+Parsing.swift $RT/JSON+Writing.swift $RT/FormDecoding.swift $RT/String+Helpers.swift $RT/RuntimeError.swift $RT/Config.swift $(ls Sources/SMSCore/*.swift | tr '\n' ' ') Sources/SMSInbound/InboundInput.swift Sources/SMSInbound/InboundMessage.swift"
)
status=0
for target in json inbound; do
    src="$WORK/$target-src"; mkdir -p "$src" "$WORK/$target-corpus"
    for f in ${FILES[$target]}; do sed -E '/^import (FunctionRuntime|SMSCore|ServiceClients)$/d' "$f" > "$src/$(basename "$f")"; done
    cp bench/fuzz/corpus/$target/* "$WORK/$target-corpus/"
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz$target" "$src"/*.swift "bench/fuzz/$target.swift" -o "$WORK/fuzz-$target" 2>"$WORK/$target-build.log" || { cat "$WORK/$target-build.log" >&2; exit 1; }
    log="$WORK/$target.log"
    (cd "$WORK" && "./fuzz-$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -artifact_prefix="$WORK/$target-" "$target-corpus" >"$log" 2>&1) || true
    runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || echo 0)
    crashes=$( (ls "$WORK/$target-"crash-* "$WORK/$target-"leak-* "$WORK/$target-"oom-* 2>/dev/null || true) | wc -l)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "fuzz $target: $runs executions in ${SECONDS_EACH} s, $cov, $crashes crash(es)"
    if [ "$crashes" -ne 0 ] || [ "$runs" -eq 0 ]; then status=1; echo "  see $log and $WORK/$target-*" >&2; fi
done
[ "$status" -eq 0 ] && rm -rf "$WORK"
exit "$status"
