#!/usr/bin/env bash
# Event bus benchmarks (issue 4), all on loopback, bounded in count and time:
#   1. pattern matching alone on one core;
#   2. redis-benchmark XADD, pipelined 16 deep and not, on a private redis-server (the ceiling Redis sets);
#   3. the bus alone (router + dispatcher + acknowledgements, 20 rules) with a no-op target in process;
#   4. end to end through `smartpay serve` on Tests/Benchmarks/bus-template.yaml (20 rules, the probe function
#      as a trivial target): publish → match → function invoked → acknowledged, at full speed and paced at
#      1,000 events/s for the publish-to-invoke latency.
# Output kept in Tests/Benchmarks/results/bus.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=Tests/Benchmarks/results/bus.txt
swift build -c release --product smartpay-bench >/dev/null
swift build -c release --product smartpay >/dev/null
swift build -c release --product probe >/dev/null
bench=.build/release/smartpay-bench
template=Tests/Benchmarks/bus-template.yaml
work=$(mktemp -d)
serve_pid=""
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

exec > >(tee "$results")
echo "# SmartPay event bus benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo
echo "## Pattern matching alone, one core: the reward rule (source, detail-type, status, numeric, anything-but)"
rate=$(taskset -c 0 $bench patterns 5000000 | awk '{print $2}')
python3 -c "import sys; r=int(sys.argv[1]); print(f'{r} matches/s (target ≥ 1,000,000: {\"met\" if r >= 1_000_000 else \"NOT met\"})')" "$rate"

echo
echo "## redis-benchmark XADD on a private redis-server ($(redis-server --version | awk '{print $3}'))"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$work" >/dev/null
sleep 0.5
echo "pipelined 16: $(redis-benchmark -p "$redis_port" -q -P 16 -n 400000 XADD bench '*' f v | tr -d '\r' | grep -o '[0-9.]* requests per second' | tail -1)"
echo "one by one:   $(redis-benchmark -p "$redis_port" -q -n 100000 XADD bench2 '*' f v | tr -d '\r' | grep -o '[0-9.]* requests per second' | tail -1)"
redis-cli -p "$redis_port" flushall >/dev/null

echo
echo "## The bus alone: 20 rules, a no-op target in process, 50,000 events"
$bench bus-engine "redis://127.0.0.1:$redis_port" "$template" 50000
redis-cli -p "$redis_port" flushall >/dev/null

echo
echo "## End to end through smartpay serve: 20 rules, the probe function (detail.mode noop) as the target"
LOG_LEVEL=warning .build/release/smartpay serve --port 0 --aws-port 0 --ws-port 0 --template "$template" --state-dir "$work/state" \
  --redis-url "redis://127.0.0.1:$redis_port" --warm >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 1 200); do grep -q '^ready ' "$work/serve.out" && break; sleep 0.05; done
http=$(awk '/^ready /{split($2, a, "="); print a[2]}' "$work/serve.out")
metrics="http://127.0.0.1:$http/metrics"
$bench bus "redis://127.0.0.1:$redis_port" "$metrics" 2000 >/dev/null   # warm every process
echo "### full speed, 20,000 events (target ≥ 10,000 events/s delivered)"
$bench bus "redis://127.0.0.1:$redis_port" "$metrics" 20000
echo "### paced at 1,000 events/s for 5 s (target p99 publish-to-invoke ≤ 10 ms)"
$bench bus "redis://127.0.0.1:$redis_port" "$metrics" 5000 1000
