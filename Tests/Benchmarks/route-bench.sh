#!/usr/bin/env bash
# The routing benchmark (issue 7): our router (`route --stdio`) and every baseline through one simulated,
# non-stationary gateway environment (Tests/Benchmarks/route/route_bench.py), 10 seeds × 50,000 payments, and the
# router's in-process decision latency. Output kept in Tests/Benchmarks/results/route.txt. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh >/dev/null
stamp=.venv/.bench-requirements.sha256
wanted=$(sha256sum Tests/Benchmarks/requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -r Tests/Benchmarks/requirements.txt
    echo "$wanted" >"$stamp"
fi
echo "building release binaries..." >&2
swift build -c release --product route >/dev/null
swift build -c release --product smartpay-bench >/dev/null

results=Tests/Benchmarks/results/route.txt
exec > >(tee "$results")
echo "# SmartPay routing benchmark"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "vw:      vowpalwabbit $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("vowpalwabbit"))')"
echo
echo "## 1. Policies through the simulated environment"
.venv/bin/python Tests/Benchmarks/route/route_bench.py --route .build/release/route \
    --seeds "${SEEDS:-10}" --payments "${PAYMENTS:-50000}"
echo
echo "## 2. Decision latency in process (one thread; target ≤ 5 µs)"
.build/release/smartpay-bench route-decide 200000
