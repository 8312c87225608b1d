# bench/servers.sh — sourced by the benchmarks that start servers (race.sh, observe.sh): a work
# directory removed on exit with every server started (append each pid to PIDS), free loopback
# ports, waiting for a port to listen, and the machine-wide counters of /proc/stat.
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_port PORT: returns once something listens on 127.0.0.1:PORT; exits after 5 s.
wait_port() {
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "$(basename "$0"): nothing listens on $1" >&2
    exit 1
}
# stat_now: "context-switches busy-CPU-ticks" so far, machine-wide.
stat_now() { awk '/^ctxt/ {c=$2} /^cpu / {b=$2+$3+$4+$7+$8} END {print c, b}' /proc/stat; }
TICK=$(getconf CLK_TCK)
