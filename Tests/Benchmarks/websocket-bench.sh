#!/usr/bin/env bash
# WebSocket benchmarks: WEBSOCKET_BENCH_CONNECTIONS (10,000) connections to serve's WebSocket API on loopback, all
# subscribed to one merchant's topic, then one payment.processed fanned out to all of them, several rounds, through
# the bus and through websocket-publish invoked directly (serve's batch extension of @connections); then the
# API Gateway-compatible path (one POST per connection) with WEBSOCKET_BENCH_SINGLE_CONNECTIONS (2,000).
# Prints accepted connections per second, serve's memory per connection and delivery percentiles.
# Loopback only; stops by itself. Keeps the output in Tests/Benchmarks/results/websocket.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/lib.sh
results=Tests/Benchmarks/results/websocket.txt
# One socket per connection in each process (client and serve): raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
release_build smartpay all smartpay-bench
report_header "SmartPay WebSocket benchmarks"
echo
connections=${WEBSOCKET_BENCH_CONNECTIONS:-10000}
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((connections + 1000)) ]; then
    echo "open-file limit $(ulimit -n) is too low for $connections connections" >&2
    exit 1
fi
rounds=${WEBSOCKET_BENCH_ROUNDS:-5}
fanout() { # TEMPLATE CONNECTIONS
    # Every $connect and subscribe is a function invocation: let them queue rather than be throttled (429).
    start_serve "$1" --sandboxes off --queue-limit 20000
    token=$(.build/release/smartpay token --state-dir "$work/state" --sub m_bench --role merchant)
    .build/release/smartpay-bench websocket-fanout "ws://127.0.0.1:$ws_port" "http://127.0.0.1:$aws_port" "$token" \
        "$2" "$rounds" m_bench "$serve" \
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["redis_url"])' "$work/state/serve.json")"
    kill "$serve"
    wait "$serve" 2>/dev/null || true
    rm -rf "$work/state" # the next run starts with an empty Redis
}
echo "## $connections connections, one event to all, $rounds rounds each way (batched posts, serve's extension)"
fanout infra/template.yaml "$connections"
echo
single=${WEBSOCKET_BENCH_SINGLE_CONNECTIONS:-2000}
echo "## $single connections, one POST /@connections/{id} per connection (the API Gateway-compatible path, 32 at once)"
sed 's/WEBSOCKET_POST_PARALLELISM: "32"/WEBSOCKET_POST_PARALLELISM: "32"\n          WEBSOCKET_BATCH_POST: "off"/' \
    infra/template.yaml >"$work/template-single.yaml"
fanout "$work/template-single.yaml" "$single"
