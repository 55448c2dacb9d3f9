#!/usr/bin/env bash
# Reward benchmarks: rewards earned and minted in ledger mode through the bus under `smartpay serve` (the real
# template: route also hears every payment.processed).
# Loopback only; stops by itself. Keeps the output in Tests/Benchmarks/results/reward.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/lib.sh
results=Tests/Benchmarks/results/reward.txt
swift build -c release --product smartpay >/dev/null
swift build -c release >/dev/null
swift build -c release --product smartpay-bench >/dev/null
exec > >(tee "$results")
echo "# SmartPay reward benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo
start_serve infra/template.yaml --sandboxes off
redis_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["redis_url"])' "$work/state/serve.json")
count=${REWARD_BENCH_COUNT:-2000}
echo "## Ledger mode through the bus: $count payments, 100 customers"
.build/release/smartpay-bench reward-ledger "$redis_url" "$count"
echo "(transactions built and signed per second for Solana mints: Tests/Benchmarks/solana-bench.sh)"
