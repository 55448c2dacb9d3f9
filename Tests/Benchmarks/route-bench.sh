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
swift build -c release --product smartpay >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

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
echo
echo "## 3. The function under smartpay serve: POST /route paced at ~1,000 requests/s for ${DURATION:-20} s"
echo "(wrk, 11 connections each waiting 10 ms; every request a new payment with its own idempotency key; the decision"
echo " record, the decision log entry and the clock written per decision; the snapshot refreshed every 200 ms)"
api_port=$(free_port)
aws_port=$(free_port)
.build/release/smartpay serve --port "$api_port" --aws-port "$aws_port" --warm --state-dir "$work/state" \
    --template Tests/Fixtures/route-template.yaml --rate-limit-ip off --rate-limit-global off \
    >"$work/ready" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 400); do grep -q '^ready' "$work/ready" 2>/dev/null && break; sleep 0.05; done
cat >"$work/route.lua" <<'LUA'
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
    thread:set("thread_id", #threads)
    table.insert(threads, thread)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local countries = {"US", "FR", "GB", "JP", "DE", "CA"}
local currencies = {US = "USD", FR = "EUR", GB = "GBP", JP = "JPY", DE = "EUR", CA = "USD"}
function request()
    counter = counter + 1
    local country = countries[(counter % #countries) + 1]
    local body = string.format(
        '{"idempotency_key": "bench-%d-%d", "amount_minor": %d, "currency": "%s", "method": "card", ' ..
        '"card_network": "visa", "country": "%s", "hour": %d}',
        thread_id, counter, 500 + (counter * 37) % 20000, currencies[country], country, counter % 24)
    return wrk.format(nil, nil, nil, body)
end
function delay() return 10 end
LUA
wrk -t2 -c11 -d3s -s "$work/route.lua" "http://127.0.0.1:$api_port/route" >/dev/null
wrk -t2 -c11 -d${DURATION:-20}s --latency -s "$work/route.lua" "http://127.0.0.1:$api_port/route" >"$work/wrk.txt"
python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"\s%s\s+([\d.]+)(us|ms|s)" % re.escape(label), text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"requests/s {rps:.0f}; latency p50 {ms('50%'):.2f} ms, p90 {ms('90%'):.2f} ms, p99 {ms('99%'):.2f} ms; "
      f"non-2xx {non2xx.group(1) if non2xx else 0}")
print(f"target p99 ≤ 2 ms at 1,000 requests/s: {'met' if ms('99%') <= 2 else 'NOT met'}")
PY
