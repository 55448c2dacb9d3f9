#!/usr/bin/env bash
# Local runtime benchmarks (issue 3): warm invocations through the HTTP API under wrk beside nginx `return 200`,
# `smartpay invoke` cold wall time, and the memory of `serve` with every function warm. Release builds; loopback
# only; every server started here is stopped on exit. Output kept in Tests/Benchmarks/results/runtime.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh --bench >/dev/null
. Tests/Benchmarks/lib.sh

results=Tests/Benchmarks/results/runtime.txt

echo "building release binaries..." >&2
release_build smartpay split

DURATION=${DURATION:-10}
CONNECTIONS=64

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"amount": 1000, "currency": "USD", "parts_bps": [5000, 5000]}'
wrk.headers["Content-Type"] = "application/json"
LUA
# wrk prints latency percentiles with --latency; pull requests/s and p50/p99 in milliseconds.
wrk_figures() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"\s%s\s+([\d.]+)(us|ms|s)" % re.escape(label), text)
    if not m: return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(f"{rps:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {non2xx.group(1) if non2xx else 0} {('errors: ' + errors.group(1)) if errors else ''}")
PY
}

report_header "SmartPay local runtime benchmarks"
echo "wrk:     $CONNECTIONS connections, 2 threads, ${DURATION} s per run, after a 2 s warm-up"
echo

echo "## 1. Warm invocations through the HTTP API beside nginx return 200"
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    server { listen 127.0.0.1:$nginx_port; location / { return 200 "ok"; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
sleep 0.5
wrk -t2 -c$CONNECTIONS -d2s "http://127.0.0.1:$nginx_port/" >/dev/null
wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency "http://127.0.0.1:$nginx_port/" >"$work/nginx.txt"
read -r nginx_rps nginx_p50 nginx_p99 _ <<<"$(wrk_figures "$work/nginx.txt")"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'

api_port=$(free_port); aws_port=$(free_port)
.build/release/smartpay serve --port "$api_port" --aws-port "$aws_port" --ws-port 0 --warm --state-dir "$work/state" \
    --max-concurrency "${MAX_CONCURRENCY:-4}" --rate-limit-writes off --rate-limit-reads off --rate-limit-ip off \
    --rate-limit-global off >"$work/ready" 2>"$work/serve.log" &
serve=$!
pids+=($serve)
for _ in $(seq 200); do grep -q '^ready' "$work/ready" 2>/dev/null && break; sleep 0.05; done
wrk -t2 -c$CONNECTIONS -d2s -s "$work/post.lua" "http://127.0.0.1:$api_port/split" >/dev/null
wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency -s "$work/post.lua" "http://127.0.0.1:$api_port/split" >"$work/smartpay.txt"
read -r sp_rps sp_p50 sp_p99 sp_non2xx sp_errors <<<"$(wrk_figures "$work/smartpay.txt")"
# The gateway's own ceiling: the same server answering GET /health, no function behind it.
wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency "http://127.0.0.1:$api_port/health" >"$work/health.txt"
read -r health_rps health_p50 health_p99 _ <<<"$(wrk_figures "$work/health.txt")"
printf '%-44s %10s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
printf '%-44s %10s %9s %9s\n' "nginx return 200" "$nginx_rps" "$nginx_p50" "$nginx_p99"
printf '%-44s %10s %9s %9s\n' "smartpay serve: POST /split (warm)" "$sp_rps" "$sp_p50" "$sp_p99"
printf '%-44s %10s %9s %9s\n' "smartpay serve: GET /health (no function)" "$health_rps" "$health_p50" "$health_p99"
echo "non-2xx responses: $sp_non2xx $sp_errors"
python3 - "$sp_rps" "$nginx_rps" "$sp_p99" <<'PY'
import sys
sp, nginx, p99 = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
share = 100 * sp / nginx
print(f"throughput: {share:.1f} % of nginx (target ≥ 40 %: {'met' if share >= 40 else 'NOT met'}); p99 {p99:.2f} ms (target ≤ 5 ms: {'met' if p99 <= 5 else 'NOT met'})")
PY
echo

echo "## 2. Memory of serve with every function warm (after the load above)"
total=0
for pid in $serve $(pgrep -P "$serve" || true); do
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    printf '  %-12s pid %-7s %6d KiB\n' "$(cat /proc/$pid/comm 2>/dev/null)" "$pid" "$rss"
    total=$((total + rss))
done
echo "total RSS: $((total / 1024)) MiB"
kill -TERM "$serve"; wait "$serve" 2>/dev/null || true
pids=()
echo

echo "## 3. smartpay invoke cold wall time (spawn runtime + function process, one event, stop; hyperfine)"
hyperfine -N --warmup 5 --runs 50 --export-json "$work/invoke.json" \
    ".build/release/smartpay invoke split --event events/split/three-way.json" >/dev/null 2>&1
python3 - "$work/invoke.json" <<'PY'
import json, sys
times = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
mean = sum(times) / len(times) * 1000
print(f"mean {mean:.1f} ms, p50 {times[len(times)//2]*1000:.1f} ms, max {times[-1]*1000:.1f} ms (target ≤ 50 ms: {'met' if mean <= 50 else 'NOT met'})")
PY

echo
echo "## 4. Identity and limits: the JWT authorizer plus three rate-limit tiers (Redis Lua) against the open route"
# Limits far above what wrk can send, so every request pays for the check and none is refused.
api_port=$(free_port); aws_port=$(free_port)
.build/release/smartpay serve --port "$api_port" --aws-port "$aws_port" --ws-port 0 --warm --state-dir "$work/state" \
    --max-concurrency "${MAX_CONCURRENCY:-4}" --rate-limit-writes 1000000000/h --rate-limit-reads 1000000000/h \
    --rate-limit-ip 1000000000/h --rate-limit-global 1000000000/h >"$work/ready2" 2>"$work/serve2.log" &
serve=$!
pids+=($serve)
for _ in $(seq 200); do grep -q '^ready' "$work/ready2" 2>/dev/null && break; sleep 0.05; done
token=$(.build/release/smartpay token --state-dir "$work/state" --sub m_42 --role merchant --scopes payments:write)
cp "$work/post.lua" "$work/auth.lua"
echo "wrk.headers[\"Authorization\"] = \"Bearer $token\"" >>"$work/auth.lua"
printf '%-52s %10s %9s %9s\n' "" "req/s" "p50 ms" "p99 ms"
for connections in 1 64; do
    for route in open protected; do
        if [ $route = open ]; then script=post.lua; path=/split; else script=auth.lua; path=/merchant/split; fi
        wrk -t1 -c$connections -d2s -s "$work/$script" "http://127.0.0.1:$api_port$path" >/dev/null
        wrk -t$((connections > 1 ? 2 : 1)) -c$connections -d${DURATION}s --latency -s "$work/$script" \
            "http://127.0.0.1:$api_port$path" >"$work/$route-$connections.txt"
        read -r rps p50 p99 non2xx _ <<<"$(wrk_figures "$work/$route-$connections.txt")"
        label="$route ($path), $connections connection(s)"
        [ $route = open ] && label="$label, IP+global tiers"
        [ $route = protected ] && label="$label, JWT + 3 tiers"
        printf '%-52s %10s %9s %9s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "$non2xx"
    done
done
echo "(the open route here pays for two rate-limit tiers; section 1's serve runs with no limits at all)"
kill -TERM "$serve"; wait "$serve" 2>/dev/null || true
pids=()
