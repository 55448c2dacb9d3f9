#!/usr/bin/env bash
# Fraud function benchmarks (issue 6): the model alone on one core, the one-shot cold invoke of the static release
# binary, and the whole function with Redis features under `smartpay serve` at a paced 1,000 requests/s.
# Loopback only; every server started here is stopped on exit. Output kept in Tests/Benchmarks/results/fraud.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh --bench >/dev/null
. Tests/Benchmarks/lib.sh

results=Tests/Benchmarks/results/fraud.txt

echo "building release binaries..." >&2
release_build smartpay fraud smartpay-bench
swift build -c release --static-swift-stdlib --product fraud --scratch-path .build-static >/dev/null


report_header "SmartPay fraud function benchmarks"
echo "model:   Functions/Fraud/model/fraud-model.json"
echo

echo "## 1. The model alone, one thread (the parity fixture's 10,000 rows, 10 % missing, scored 50 times)"
.build/release/smartpay-bench fraud-model Functions/Fraud/model/fraud-model.json Tests/Fixtures/fraud-parity.csv \
    | tee "$work/model.txt"
rate=$(awk '/fraud_model_scores_per_second/ {print $2}' "$work/model.txt")
echo "target ≥ 500,000 scores/s on one core: $(verdict "$rate" '>=' 500000)"
echo

echo "## 2. One-shot cold invoke: the static release binary, init (model load) + one scored event, exit"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
# Each run scores afresh: the verdict cache is emptied before every timed run (not timed).
REDIS_URL="redis://127.0.0.1:$redis_port" hyperfine -N --warmup 20 --runs 300 \
    --prepare "redis-cli -p $redis_port FLUSHALL" --export-json "$work/cold.json" \
    ".build-static/release/fraud events/fraud/genuine.json" >/dev/null 2>&1
read -r mean p50 p99 <<<"$(python3 - "$work/cold.json" <<'PY'
import json, sys
times = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
print(f"{sum(times)/len(times)*1000:.2f} {times[len(times)//2]*1000:.2f} {times[int(len(times)*0.99)]*1000:.2f}")
PY
)"
echo "fraud events/fraud/genuine.json: mean ${mean} ms, p50 ${p50} ms, p99 ${p99} ms (target ≤ 20 ms: $(verdict "$p99" '<=' 20))"
echo

echo "## 3. The handler in process against the same Redis, one call at a time (its own share of a request:"
echo "   the observe script, features, model, reasons, the verdict write)"
.build/release/smartpay-bench fraud-handler Functions/Fraud/model/fraud-model.json "redis://127.0.0.1:$redis_port" 20000
echo

echo "## 4. The whole function under smartpay serve: POST /fraud paced at ~1,000 requests/s for ${DURATION:-20} s"
echo "(wrk, 11 connections each waiting 10 ms between requests; every request a new transaction of one of 2,000"
echo " customers at one of 500 terminals, so the Redis histories grow as they would; features, model, reasons, cache)"
start_serve Tests/Fixtures/fraud-template.yaml
{
    paced_lua_prelude
    cat <<'LUA'
function request()
    counter = counter + 1
    local customer = (counter * 7919 + thread_id * 31) % 2000
    local terminal = (customer * 13 + counter) % 500
    local body = string.format(
        '{"transaction_id": "bench-%d-%d", "amount": %d, "currency": "USD", "customer_id": "cus_%d", ' ..
        '"terminal_id": "term_%d", "card_fingerprint": "fp_%d", "ip": "10.0.%d.%d"}',
        thread_id, counter, 500 + (counter * 37) % 20000, customer, terminal, customer, customer % 250,
        counter % 250)
    return wrk.format(nil, nil, nil, body)
end
function delay() return 10 end
LUA
} >"$work/fraud.lua"
paced_load "$work/fraud.lua" "http://127.0.0.1:$api_port/fraud"
