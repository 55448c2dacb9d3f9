# Shared by the benchmark scripts, sourced from the repository root: release builds and the results header, free
# loopback ports, a work folder and the processes to stop on exit, `smartpay serve` on a template, and the paced
# load with its figures.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
verdict() { python3 -c "import sys; print('met' if float(sys.argv[1]) $2 float(sys.argv[2]) else 'NOT met')" "$1" "$3"; }

# release_build PRODUCT…: a quiet release build of each product in turn; `all` builds every product.
release_build() {
    for product in "$@"; do
        if [ "$product" = all ]; then swift build -c release >/dev/null; else swift build -c release --product "$product" >/dev/null; fi
    done
}

# report_header TITLE: from here on the output also goes to $results, after a header with the title, the date and
# the machine.
report_header() {
    exec > >(tee "$results")
    echo "# $1"
    echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
}

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start_serve TEMPLATE: the release `smartpay serve` on free ports, warm, no IP or global rate limit; sets api_port,
# aws_port, ws_port and serve (its pid), and waits until it is ready.
start_serve() {
    api_port=$(free_port)
    aws_port=$(free_port)
    ws_port=$(free_port)
    .build/release/smartpay serve --port "$api_port" --aws-port "$aws_port" --ws-port "$ws_port" --warm --state-dir "$work/state" \
        --template "$1" --rate-limit-ip off --rate-limit-global off "${@:2}" >"$work/ready" 2>"$work/serve.log" &
    serve=$!
    pids+=($serve)
    for _ in $(seq 400); do grep -q '^ready' "$work/ready" 2>/dev/null && break; sleep 0.05; done
}

# The start of a paced wrk script: each thread knows its number (thread_id) and counts its requests (counter);
# the script adds its request() and ends with `function delay() return 10 end`.
paced_lua_prelude() {
    cat <<'LUA'
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
    thread:set("thread_id", #threads)
    table.insert(threads, thread)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
}

# paced_load SCRIPT URL: ${PACED_CONNECTIONS:-11} connections, each waiting the script's delay between requests
# (10 ms: ~1,000 requests/s), for ${DURATION:-20} s after a 3 s warm-up; prints the rate, p50/p90/p99 and the verdict
# against p99 ≤ ${PACED_TARGET_MS:-2} ms at ${PACED_RATE:-1,000} requests/s.
paced_load() {
    wrk -t2 -c"${PACED_CONNECTIONS:-11}" -d3s -s "$1" "$2" >/dev/null
    wrk -t2 -c"${PACED_CONNECTIONS:-11}" -d"${DURATION:-20}"s --latency -s "$1" "$2" >"$work/paced.txt"
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
import os
target, rate = float(os.environ.get("PACED_TARGET_MS", "2")), os.environ.get("PACED_RATE", "1,000")
print(f"target p99 ≤ {target:g} ms at {rate} requests/s: {'met' if ms('99%') <= target else 'NOT met'}")
PY
}
