#!/usr/bin/env bash
# Foundation benchmarks: function cold start (static release binary) and the Redis client beside redis-benchmark.
# Prints figures against the targets of issue 2 and keeps the output in Tests/Benchmarks/results/foundation.txt.
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh --bench >/dev/null

results=Tests/Benchmarks/results/foundation.txt
mkdir -p "$(dirname "$results")"
work=$(mktemp -d)
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "building release binaries (static stdlib for the function)..." >&2
swift build -c release --static-swift-stdlib --product split --scratch-path .build-static >/dev/null
swift build -c release --product smartpay-bench >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { python3 -c "import sys; print(f'{100*float(sys.argv[1])/float(sys.argv[2]):.0f} %')" "$1" "$2"; }
verdict() { python3 -c "import sys; print('met' if float(sys.argv[1]) $2 float(sys.argv[2]) else 'NOT met')" "$1" "$3"; }

exec > >(tee "$results")
echo "# SmartPay foundation benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "swift:   $(swift --version 2>&1 | head -1)"
echo "redis:   $(redis-server --version | cut -d' ' -f3)"
echo

echo "## 1. One-shot start-to-exit of the test function (static release binary, hyperfine -N, 500 runs)"
hyperfine -N --warmup 50 --runs 500 --export-json "$work/start.json" \
    ".build-static/release/split events/split/three-way.json" >/dev/null 2>&1
read -r mean p50 p99 <<<"$(python3 - "$work/start.json" <<'PY'
import json, sys
times = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
mean = sum(times) / len(times)
print(f"{mean*1000:.2f} {times[len(times)//2]*1000:.2f} {times[int(len(times)*0.99)]*1000:.2f}")
PY
)"
echo "split events/split/three-way.json: mean ${mean} ms, p50 ${p50} ms, p99 ${p99} ms (target ≤ 5 ms: $(verdict "$mean" '<=' 5))"
echo "shared libraries loaded: $(ldd .build-static/release/split | wc -l) ($(ldd .build-static/release/split | awk '{print $1}' | tr '\n' ' '))"
echo

echo "## 2. Redis GET round trips: our client beside redis-benchmark on the same server (median of 3 runs each)"
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

rb() { # redis-benchmark GET requests/s with the given flags
    redis-benchmark -p "$port" -q -t get "$@" 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1 | awk '{print $2}'
}
declare -A ours
for run in 1 2 3; do
    .build/release/smartpay-bench redis "$port" 200000 >>"$work/ours.txt"
    rb -P 1 -c 1 -n 100000 >>"$work/rb_p1_c1.txt"
    rb -P 16 -c 1 -n 1000000 >>"$work/rb_p16_c1.txt"
    rb -P 1 -n 200000 >>"$work/rb_p1_c50.txt"
    rb -P 16 -n 2000000 >>"$work/rb_p16_c50.txt"
done
for name in $(awk '{print $1}' "$work/ours.txt" | sort -u); do
    ours[$name]=$(awk -v n="$name" '$1==n {print $2}' "$work/ours.txt" | median)
done
rb_p1_c1=$(median <"$work/rb_p1_c1.txt"); rb_p16_c1=$(median <"$work/rb_p16_c1.txt")
rb_p1_c50=$(median <"$work/rb_p1_c50.txt"); rb_p16_c50=$(median <"$work/rb_p16_c50.txt")

printf '%-58s %12s\n' "measurement" "GET/s"
printf '%-58s %12.0f\n' "redis-benchmark -P 1 -c 1 (one connection)" "$rb_p1_c1"
printf '%-58s %12.0f\n' "redis-benchmark -P 16 -c 1 (one connection)" "$rb_p16_c1"
printf '%-58s %12.0f\n' "redis-benchmark -P 1 (50 connections, its default)" "$rb_p1_c50"
printf '%-58s %12.0f\n' "redis-benchmark -P 16 (50 connections, its default)" "$rb_p16_c50"
for name in redis_get_sync_1conn redis_get_sync_1conn_p16 redis_get_async_1conn redis_get_async_50callers_8conn \
    redis_get_async_50callers_50conn redis_get_async_50callers_50conn_p16; do
    printf '%-58s %12.0f\n' "SmartPay $name" "${ours[$name]}"
done
echo
echo "one connection, unpipelined: $(ratio "${ours[redis_get_sync_1conn]}" "$rb_p1_c1") of redis-benchmark -c 1 (target ≥ 80 %: $(verdict "${ours[redis_get_sync_1conn]}" '>=' "$(python3 -c "print(0.8*$rb_p1_c1)")"))"
echo "one connection, pipelined 16: $(ratio "${ours[redis_get_sync_1conn_p16]}" "$rb_p16_c1") of redis-benchmark -P 16 -c 1 (target ≥ 60 %: $(verdict "${ours[redis_get_sync_1conn_p16]}" '>=' "$(python3 -c "print(0.6*$rb_p16_c1)")"))"
echo "50 concurrent callers through the async pool: $(ratio "${ours[redis_get_async_50callers_50conn]}" "$rb_p1_c50") of redis-benchmark's default 50 clients unpipelined, $(ratio "${ours[redis_get_async_50callers_50conn_p16]}" "$rb_p16_c50") pipelined"
echo "the async API's thread hop, one connection: $(ratio "${ours[redis_get_async_1conn]}" "${ours[redis_get_sync_1conn]}") of the blocking call"
echo

echo "## 3. JSON parse + field-checked decode of a payment request (one core)"
.build/release/smartpay-bench json 300000 | awk '{printf "%s: %s %s\n", $1, $2, $3}'
