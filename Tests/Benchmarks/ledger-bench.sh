#!/usr/bin/env bash
# Ledger benchmarks (issue 21): transfers/s in batches of 100 into one hot merchant account beside redis-benchmark
# of an empty Lua script on the same server (the ceiling); a 3-leg linked chain's p50/p99; the cost of
# appendfsync always against everysec; `ledger verify` over LEDGER_VERIFY_ENTRIES (1,000,000) journal entries; and
# the long simulation run (LEDGER_SIMULATION_SEEDS, 1-200). A redis-server on 127.0.0.1 per mode, in a temporary
# folder; everything stops by itself. Keeps the output in Tests/Benchmarks/results/ledger.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/lib.sh
results=Tests/Benchmarks/results/ledger.txt
release_build smartpay-bench
report_header "SmartPay ledger benchmarks"
echo "redis:   $(redis-server --version | cut -d' ' -f3)"
echo

# start_redis FSYNC: a fresh AOF redis-server with that appendfsync, in an empty folder; sets redis_port and
# redis_url.
start_redis() {
    redis_port=$(free_port)
    rm -rf "$work/redis" && mkdir -p "$work/redis"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync "$1" \
        --save '' --daemonize no --loglevel warning >/dev/null &
    redis_pid=$!
    pids+=($redis_pid)
    for _ in $(seq 200); do [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
    redis_url="redis://127.0.0.1:$redis_port"
}
stop_redis() { redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; wait "$redis_pid" 2>/dev/null || true; }

batches=${LEDGER_BENCH_BATCHES:-3000}
for fsync in always everysec; do
    echo "## appendfsync $fsync"
    start_redis "$fsync"
    ceiling=$(redis-benchmark -p "$redis_port" -n 100000 -c 8 -q eval "return 1" 0 2>&1 | tr '\r' '\n' \
        | grep -ao '[0-9.]* requests per second' | tail -1 | awk '{print $1}')
    echo "redis-benchmark EVAL \"return 1\" 0 (8 clients): $ceiling scripts/s  (the ceiling: one script per batch)"
    .build/release/smartpay-bench ledger-hot "$redis_url" "$batches" 4 | tee "$work/hot.txt"
    rate=$(awk '{print $2}' "$work/hot.txt")
    echo "  target ≥ 50,000 transfers/s: $(verdict "$rate" '>=' 50000)"
    echo "  per batch of 100: 2 scripts (the batch, its hash chain); empty-script ceiling for batches: $(( ${ceiling%.*} / 2 ))/s"
    .build/release/smartpay-bench ledger-chain "$redis_url" "${LEDGER_BENCH_CHAINS:-3000}" | tee "$work/chain.txt"
    p99=$(awk '/p99/{print $2}' "$work/chain.txt")
    echo "  target 3-leg chain p99 ≤ 2 ms: $(verdict "$p99" '<=' 2)"
    stop_redis
    echo
done

entries=${LEDGER_VERIFY_ENTRIES:-1000000}
echo "## ledger verify over $entries journal entries (appendfsync everysec while filling)"
start_redis everysec
.build/release/smartpay-bench ledger-verify "$redis_url" "$entries" | tee "$work/verify.txt"
seconds=$(awk '/verify_seconds/{print $2}' "$work/verify.txt")
echo "  target ≤ 15 s: $(verdict "$seconds" '<=' 15)"
stop_redis
echo

seeds=${LEDGER_SIMULATION_SEEDS:-1-200}
echo "## the simulation, seeds $seeds (Redis against the Swift model, reply by reply)"
started=$(date +%s)
if LEDGER_SIMULATION_SEEDS="$seeds" swift test --filter LedgerSimulationTests >"$work/sim.txt" 2>&1; then
    echo "passed: $(grep -a -o 'with [0-9]* test cases passed' "$work/sim.txt" | head -1) in $(( $(date +%s) - started )) s"
else
    grep -a '✘' "$work/sim.txt" | head -5
    echo "FAILED"
fi
