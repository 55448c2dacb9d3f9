#!/usr/bin/env bash
# The run command: builds everything, starts the local runtime (`smartpay serve`: the HTTP API on
# 127.0.0.1:3000, the AWS-compatible endpoint on 127.0.0.1:4566, the WebSocket API on 127.0.0.1:3001, warm function processes, an embedded Redis with its
# data under .smartpay/), runs a short demo against it, then keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product smartpay
swift build
PORT=${PORT:-3000}
AWS_PORT=${AWS_PORT:-4566}
WS_PORT=${WS_PORT:-3001}

ready=$(mktemp)
# The demo prints what it does and what comes back; the runtime's own log lines go to .smartpay/serve.log and the
# functions' to .smartpay/logs/ (`smartpay logs [FUNCTION] [-f]`).
mkdir -p .smartpay
.build/debug/smartpay serve --port "$PORT" --aws-port "$AWS_PORT" --ws-port "$WS_PORT" --warm >"$ready" \
    2>.smartpay/serve.log &
serve=$!
trap 'kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null; rm -f "$ready"' EXIT
trap 'exit 0' INT TERM
for _ in $(seq 200); do
    grep -q '^ready' "$ready" 2>/dev/null && break
    kill -0 $serve 2>/dev/null || { echo "smartpay serve did not start:" >&2; tail -5 .smartpay/serve.log >&2; exit 1; }
    sleep 0.05
done

demo() { echo; echo "\$ $*"; "$@"; echo; }
echo
echo "── demo ──────────────────────────────────────────────────────────────────"
demo curl -s -X POST "http://127.0.0.1:$PORT/split" -H 'content-type: application/json' \
    -d '{"amount": 98765, "currency": "JPY", "parts_bps": [2000, 5000, 3000]}'
demo curl -s -X POST "http://127.0.0.1:$PORT/split/KWD" -H 'content-type: application/json' \
    -d '{"amount": 1000, "parts_bps": [3333, 3333, 3334]}'
demo curl -s -X POST "http://127.0.0.1:$PORT/split" -H 'content-type: application/json' \
    -d '{"amount": 12.5, "currency": "USD", "parts_bps": [10000]}'
demo curl -s -X POST "http://127.0.0.1:$AWS_PORT/2015-03-31/functions/split/invocations" \
    --data-binary @events/split/eventbridge.json
# Identity at the gateway: POST /merchant/split sits behind the template's JWT authorizer (scope payments:write).
demo curl -s -X POST "http://127.0.0.1:$PORT/merchant/split" -H 'content-type: application/json' \
    -d '{"amount": 1000, "currency": "USD", "parts_bps": [5000, 5000]}'
token=$(.build/debug/smartpay token --sub m_42 --role merchant --scopes payments:write)
echo "\$ token=\$(smartpay token --sub m_42 --role merchant --scopes payments:write)"
demo curl -s -X POST "http://127.0.0.1:$PORT/merchant/split" -H 'content-type: application/json' \
    -H "authorization: Bearer $token" -d '{"amount": 1000, "currency": "USD", "parts_bps": [5000, 5000]}'
key=$(.build/debug/smartpay keys create --merchant m_42 --scopes payments:write 2>/dev/null)
echo "\$ key=\$(smartpay keys create --merchant m_42 --scopes payments:write)"
demo curl -s -i -X POST "http://127.0.0.1:$PORT/merchant/split" -H 'content-type: application/json' \
    -H "x-api-key: $key" -d '{"amount": 700, "currency": "EUR", "parts_bps": [5000, 5000]}'
# The fraud function: a verdict with reasons (scope fraud:score); the same transaction again comes from the cache;
# bad input names its field.
fraud_token=$(.build/debug/smartpay token --sub m_42 --role merchant --scopes fraud:score)
echo "\$ fraud_token=\$(smartpay token --sub m_42 --role merchant --scopes fraud:score)"
demo curl -s -X POST "http://127.0.0.1:$PORT/fraud" -H 'content-type: application/json' \
    -H "authorization: Bearer $fraud_token" --data-binary @events/fraud/card-testing.json
demo curl -s -X POST "http://127.0.0.1:$PORT/fraud" -H 'content-type: application/json' \
    -H "authorization: Bearer $fraud_token" --data-binary @events/fraud/card-testing.json
demo curl -s -X POST "http://127.0.0.1:$PORT/fraud" -H 'content-type: application/json' \
    -H "authorization: Bearer $fraud_token" --data-binary @events/fraud/invalid-card-number.json
# The route function: a gateway for a payment (scope route:decide); a retry with the same idempotency key gets the
# same decision.
route_token=$(.build/debug/smartpay token --sub m_42 --role merchant --scopes route:decide)
echo "\$ route_token=\$(smartpay token --sub m_42 --role merchant --scopes route:decide)"
demo curl -s -X POST "http://127.0.0.1:$PORT/route" -H 'content-type: application/json' \
    -H "authorization: Bearer $route_token" --data-binary @events/route/decide.json
demo curl -s -X POST "http://127.0.0.1:$PORT/route" -H 'content-type: application/json' \
    -H "authorization: Bearer $route_token" --data-binary @events/route/decide.json
# A browser-free client watches merchant m_42's events live over the WebSocket API while the payments below run.
watch_token=$(.build/debug/smartpay token --sub m_42 --role merchant)
echo "\$ .venv/bin/python infra/scripts/watch.py ws://127.0.0.1:$WS_PORT \"\$(smartpay token --sub m_42 --role merchant)\" merchant:m_42 &"
.venv/bin/python infra/scripts/watch.py "ws://127.0.0.1:$WS_PORT" "$watch_token" merchant:m_42 &
watcher=$!
trap 'kill $watcher 2>/dev/null; kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null; rm -f "$ready"' EXIT
sleep 1
pay_token=$(.build/debug/smartpay token --sub m_42 --role merchant --scopes payments:write,payments:read,payments:refund)
echo "\$ pay_token=\$(smartpay token --sub m_42 --role merchant --scopes payments:write,payments:read,payments:refund)"
demo curl -s -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/card.json
demo curl -s -i -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/card.json
demo curl -s -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/card-declined.json
demo curl -s -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/invalid-float-amount.json
# Amazon Pay, through its sandbox (which checks the request signature).
demo curl -s -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/wallet-amazon-pay.json
# Solana: pay answers requires_action with a Solana Pay transfer request; a throwaway wallet pays it at the local
# LiteSVM node; pay's watcher (delayed events on the bus) finds the transfer by its reference and confirms it.
echo "\$ curl -s -X POST http://127.0.0.1:$PORT/pay … --data-binary @events/pay/crypto-solana.json"
crypto=$(curl -s -X POST "http://127.0.0.1:$PORT/pay" -H 'content-type: application/json' \
    -H "authorization: Bearer $pay_token" --data-binary @events/pay/crypto-solana.json)
echo "$crypto"
if [ "$(echo "$crypto" | jq -r .status)" = requires_action ]; then
    solana_rpc=$(jq -r .gateways.solana .smartpay/serve.json)
    demo .venv/bin/python infra/sandboxes/solana_wallet.py --rpc "$solana_rpc" \
        "$(echo "$crypto" | jq -r .next_action.url)"
    sleep 2
    demo curl -s "http://127.0.0.1:$PORT/payments/$(echo "$crypto" | jq -r .id)" -H "authorization: Bearer $pay_token"
fi
demo curl -s "http://127.0.0.1:$PORT/payments?limit=2" -H "authorization: Bearer $pay_token"
demo .build/debug/smartpay events put events/bus/payment-processed.json
# Reward: every succeeded payment above earned tokens for c_7, pending until settlement; settle pay_demo_1 (the event
# put above) and read the balance as the customer.
demo .build/debug/smartpay events put events/reward/settlement-completed.json
rewards_token=$(.build/debug/smartpay token --sub c_7 --role customer --scopes rewards:read)
echo "\$ rewards_token=\$(smartpay token --sub c_7 --role customer --scopes rewards:read)"
sleep 1
demo curl -s "http://127.0.0.1:$PORT/rewards/c_7" -H "authorization: Bearer $rewards_token"
demo .build/debug/smartpay events test-pattern --pattern events/bus/reward-pattern.json \
    --event events/bus/payment-processed-event.json
# The chat assistant: a general question answered from the documentation with citations, then c_7's own latest
# payment explained from its record.
chat_token=$(.build/debug/smartpay token --sub c_7 --role customer)
echo "\$ chat_token=\$(smartpay token --sub c_7 --role customer)"
demo curl -s -X POST "http://127.0.0.1:$PORT/chat" -H 'content-type: application/json' \
    -H "authorization: Bearer $chat_token" -d '{"question": "What does insufficient_funds mean?"}'
demo curl -s -X POST "http://127.0.0.1:$PORT/chat" -H 'content-type: application/json' \
    -H "authorization: Bearer $chat_token" -d '{"question": "Where is my last payment?"}'
echo "──────────────────────────────────────────────────────────────────────────"
echo "SmartPay is serving: HTTP API http://127.0.0.1:$PORT, AWS endpoint http://127.0.0.1:$AWS_PORT,"
echo "WebSocket API ws://127.0.0.1:$WS_PORT, metrics http://127.0.0.1:$PORT/metrics. Ctrl-C stops it."
echo "Function logs: .build/debug/smartpay logs [FUNCTION] [-f]; the runtime's own: .smartpay/serve.log."
wait $serve
