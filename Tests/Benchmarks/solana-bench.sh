#!/usr/bin/env bash
# Solana benchmarks: mint transactions (create the associated account idempotently + MintToChecked) built, signed
# with ed25519 and serialized in Swift, one thread; the associated-address derivation and the signature alone.
# No network. Keeps the output in Tests/Benchmarks/results/solana.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=Tests/Benchmarks/results/solana.txt
swift build -c release --product smartpay-bench >/dev/null
exec > >(tee "$results")
echo "# SmartPay Solana benchmarks"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "swift:   $(swift --version 2>&1 | head -1)"
echo
.build/release/smartpay-bench solana-sign "${SOLANA_BENCH_COUNT:-20000}"
