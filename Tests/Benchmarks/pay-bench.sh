#!/usr/bin/env bash
# The pay function's orchestration overhead through `smartpay serve`: POST /pay paced at ~500 payments/s with the
# whole flow — the gateway's JWT check, validation, compliance window, fraud and route invoked through the Lambda
# endpoint, the two atomic writes with the outbox event, the bus delivering payment.processed to route — against an
# INSTANT GATEWAY SIMULATOR: nginx answering every PaymentIntent create with a fixed `succeeded` at once. It is a
# simulator, used only here, to measure our own overhead: no real processor answers in microseconds.
# Prints the figures and writes them to Tests/Benchmarks/results/pay.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh --bench >/dev/null
. Tests/Benchmarks/lib.sh

results=Tests/Benchmarks/results/pay.txt
echo "building release binaries..." >&2
release_build smartpay pay fraud route

sim_port=$(free_port)
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work;
    server {
        listen 127.0.0.1:$sim_port;
        location /v1/payment_intents {
            default_type application/json;
            return 200 '{"id": "pi_simulated", "object": "payment_intent", "status": "succeeded"}';
        }
    }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$sim_port/v1/payment_intents" -d x=1 && break; sleep 0.05; done

export STRIPE_API_KEY=sk_test_bench STRIPE_API_BASE="http://127.0.0.1:$sim_port"
start_serve infra/template.yaml --rate-limit-writes off
token=$(.build/release/smartpay token --state-dir "$work/state" --sub m_bench --role merchant --scopes payments:write)

report_header "SmartPay pay function benchmark"
echo "gateway: an instant simulator (nginx on loopback answering every charge 'succeeded'); not a processor"
echo
for pace in "20 500" "110 100"; do
read -r delay rate <<<"$pace"
echo "## POST /pay through smartpay serve, paced at ~$rate payments/s for ${DURATION:-20} s"
echo "(wrk, 11 connections each waiting $delay ms between requests; every request a new payment of one of 5,000"
echo " customers, no idempotency key; fraud and route invoked for each; JWT checked at the gateway)"
{
    paced_lua_prelude
    cat <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
    cat <<'LUA'
function request()
    counter = counter + 1
    local customer = (counter * 7919 + thread_id * 31) % 5000
    local body = string.format(
        '{"amount": %d, "currency": "USD", "customer_id": "c_%d", ' ..
        '"payment_method": {"type": "card", "token": "pm_card_visa", "network": "visa"}, "country": "US"}',
        500 + (counter * 37) % 5000, customer)
    return wrk.format(nil, nil, nil, body)
end
LUA
    echo "function delay() return $delay end"
} >"$work/pay.lua"
PACED_TARGET_MS=10 PACED_RATE=$rate paced_load "$work/pay.lua" "http://127.0.0.1:$api_port/pay"
echo
done
echo "## One payment at a time on the idle platform (curl, 20 in a row): whole request, seconds"
for i in $(seq 20); do
    curl -s -o /dev/null -w "%{time_total}\n" -X POST "http://127.0.0.1:$api_port/pay" \
        -H "authorization: Bearer $token" -H 'content-type: application/json' \
        -d "{\"amount\": 10$i, \"currency\": \"USD\", \"customer_id\": \"c_idle_$i\", \"payment_method\": {\"type\": \"card\", \"token\": \"pm_card_visa\"}}"
done | sort -n | awk '{a[NR]=$1} END {printf "p50 %.1f ms, max %.1f ms\n", a[int(NR/2)]*1000, a[NR]*1000}'
echo
curl -s "http://127.0.0.1:$api_port/metrics" | grep -E '^smartpay_invocations_total\{function="(pay|fraud|route)"\}' || true
