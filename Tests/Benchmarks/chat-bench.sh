#!/usr/bin/env bash
# Chat benchmarks: offline answers (no provider) through `smartpay serve` at a paced 100 requests/s for
# ${DURATION:-20} s: 40 % general questions asked for the first time (BM25 and composition), 40 % repeated ones
# (the 1-hour cache), 20 % questions about a payment (pay's record read through the Lambda endpoint; the id is
# unknown, so the answer is the refusal). Target: p99 ≤ 50 ms. Also the retrieval alone, in process.
# Loopback only; stops by itself. Keeps the output in Tests/Benchmarks/results/chat.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/lib.sh
results=Tests/Benchmarks/results/chat.txt
release_build smartpay all smartpay-bench
report_header "SmartPay chat benchmarks"
echo
echo "## Retrieval and composition alone (in process, one thread)"
.build/release/smartpay-bench chat-retrieval Functions/Chat/knowledge Tests/ChatTests/questions.json
echo
# One caller at 100 requests/s is above the default per-caller write limit: the limits are off here.
start_serve infra/template.yaml --sandboxes off --rate-limit-writes off --rate-limit-reads off
token=$(.build/release/smartpay token --state-dir "$work/state" --sub c_7 --role customer)
cat >"$work/chat.lua" <<LUA
$(paced_lua_prelude)
wrk.headers["Authorization"] = "Bearer $token"
local general = {"How do I refund a payment?", "What does insufficient_funds mean?", "When will the merchant be paid?",
    "Why are my reward tokens pending?", "What fees does SmartPay charge?", "How do I cancel a payment?",
    "What does requires_action mean?", "Which payment methods are supported?", "What is an idempotency key for?",
    "What do I do after a 429 rate limit?"}
function request()
    counter = counter + 1
    local kind = counter % 5
    local question
    if kind < 2 then
        -- A word no section holds makes the question new to the cache without moving the ranking.
        question = general[(counter % #general) + 1] .. " zq" .. thread_id .. "x" .. counter
    elseif kind < 4 then
        question = general[(counter % #general) + 1]
    else
        question = "Where is my payment pay_bench" .. thread_id .. "x" .. counter .. "?"
    end
    return wrk.format(nil, nil, nil, '{"question": "' .. question .. '"}')
end
function delay() return 40 end
LUA
echo "## POST /chat through serve, paced: 4 connections, one request per 40 ms each (~100 requests/s)"
PACED_CONNECTIONS=4 PACED_TARGET_MS=50 PACED_RATE=100 paced_load "$work/chat.lua" "http://127.0.0.1:$api_port/chat"
