#!/usr/bin/env bash
# The routing benchmark (issue 7): our router (`route --stdio`) and every baseline through one simulated,
# non-stationary gateway environment (Tests/Benchmarks/route/route_bench.py), 10 seeds × 50,000 payments, and the
# router's in-process decision latency. Output kept in Tests/Benchmarks/results/route.txt. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh --bench --python Tests/Benchmarks/requirements.txt >/dev/null
. Tests/Benchmarks/lib.sh
echo "building release binaries..." >&2
release_build route smartpay-bench smartpay

results=Tests/Benchmarks/results/route.txt
report_header "SmartPay routing benchmark"
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
start_serve Tests/Fixtures/route-template.yaml
{
    paced_lua_prelude
    cat <<'LUA'
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
} >"$work/route.lua"
paced_load "$work/route.lua" "http://127.0.0.1:$api_port/route"
