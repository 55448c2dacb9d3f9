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
swift build -c release --product smartpay >/dev/null
swift build -c release >/dev/null
swift build -c release --product smartpay-bench >/dev/null
exec > >(tee "$results")
echo "# SmartPay chat benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
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
wrk -t2 -c4 -d3s -s "$work/chat.lua" "http://127.0.0.1:$api_port/chat" >/dev/null
wrk -t2 -c4 -d"${DURATION:-20}"s --latency -s "$work/chat.lua" "http://127.0.0.1:$api_port/chat" >"$work/paced.txt"
python3 - "$work/paced.txt" <<'PY'
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
print(f"target p99 ≤ 50 ms at 100 requests/s: {'met' if ms('99%') <= 50 else 'NOT met'}")
PY
