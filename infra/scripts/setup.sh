#!/usr/bin/env bash
# Installs what SmartPay needs on a Debian machine, idempotently: the C libraries the clients wrap, redis-server for
# the runtime and the tests, and the Python tools in .venv. Safe to run again; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Options: --bench adds the benchmark tools; --python FILE (repeatable) installs that requirements file into .venv
# too (the fraud model's tools, the routing benchmark's baselines).
APT_PACKAGES=(redis-server redis-tools libhiredis-dev libcurl4-openssl-dev openssl python3-venv jq)
PYTHON_REQUIREMENTS=(infra/requirements.txt)
while [ $# -gt 0 ]; do
    case "$1" in
    --bench) APT_PACKAGES+=(wrk nginx-light hyperfine) ;;
    --python)
        [ $# -ge 2 ] && [ -f "$2" ] || { echo "setup: --python needs a requirements file" >&2; exit 2; }
        PYTHON_REQUIREMENTS+=("$2")
        shift
        ;;
    *) echo "setup: unknown option $1 (known: --bench, --python FILE)" >&2; exit 2 ;;
    esac
    shift
done

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package starts a system redis-server where systemd runs; SmartPay starts its own on a free port and never
# uses the system one, so nothing here depends on it.

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: swift is not on PATH; install Swift 6.2 or later (https://www.swift.org/install/)" >&2
    exit 1
fi

# Python tools (template linting, the AWS CLI used by tests; with --python, more) live in .venv, pinned in their
# requirements files; each file is installed again only when it changes.
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
for requirements in "${PYTHON_REQUIREMENTS[@]}"; do
    stamp=.venv/.$(echo "$requirements" | tr '/' '-').sha256
    wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        echo "setup: installing Python tools from $requirements"
        .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
        echo "$wanted" > "$stamp"
    fi
done
