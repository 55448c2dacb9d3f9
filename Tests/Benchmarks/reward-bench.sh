#!/usr/bin/env bash
# Reward benchmarks: rewards earned and minted in ledger mode through the bus under `smartpay serve` (the real
# template: route also hears every payment.processed).
# Loopback only; stops by itself. Keeps the output in Tests/Benchmarks/results/reward.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/lib.sh
results=Tests/Benchmarks/results/reward.txt
release_build smartpay all smartpay-bench
report_header "SmartPay reward benchmarks"
echo
start_serve infra/template.yaml --sandboxes off
redis_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["redis_url"])' "$work/state/serve.json")
count=${REWARD_BENCH_COUNT:-2000}
echo "## Ledger mode through the bus: $count payments, 100 customers"
.build/release/smartpay-bench reward-ledger "$redis_url" "$count"
echo "(transactions built and signed per second for Solana mints: Tests/Benchmarks/solana-bench.sh)"
