#!/usr/bin/env bash
# Event bus benchmarks (issue 4). So far: pattern matching alone on one core. End-to-end delivery (PutEvents →
# match → target invoked → acknowledged) beside redis-benchmark XADD arrives with the bus itself.
# Output kept in Tests/Benchmarks/results/bus.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=Tests/Benchmarks/results/bus.txt
swift build -c release --product smartpay-bench >/dev/null
exec > >(tee "$results")
echo "# SmartPay event bus benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo
echo "## Pattern matching alone, one core: the reward rule (source, detail-type, status, numeric, anything-but)"
rate=$(taskset -c 0 .build/release/smartpay-bench patterns 5000000 | awk '{print $2}')
python3 -c "import sys; r=int(sys.argv[1]); print(f'{r} matches/s (target ≥ 1,000,000: {\"met\" if r >= 1_000_000 else \"NOT met\"})')" "$rate"
