#!/usr/bin/env bash
# The run command. Until the local runtime (`smartpay serve`) lands, it builds everything and runs the demo: the
# test function through its one-shot mode on every example event, valid and invalid.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build
echo
for event in events/split/*.json; do
    echo "── split $event"
    if .build/debug/split "$event" 2>/dev/null; then status=0; else status=$?; fi
    echo "   (exit $status)"
done
