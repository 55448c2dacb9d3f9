#!/usr/bin/env bash
# Installs what SmartPay needs on a Debian machine, idempotently: the C libraries the clients wrap, redis-server for
# the runtime and the tests, and the Python tools in .venv. Safe to run again; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/../.."

APT_PACKAGES=(redis-server redis-tools libhiredis-dev libcurl4-openssl-dev openssl python3-venv)
if [ "${1:-}" = "--bench" ]; then
    APT_PACKAGES+=(wrk nginx-light hyperfine)
fi

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

# Python tools (template linting, the AWS CLI used by tests) live in .venv, pinned in infra/requirements.txt.
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(sha256sum infra/requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "setup: installing Python tools from infra/requirements.txt"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r infra/requirements.txt
    echo "$wanted" > "$stamp"
fi
