#!/usr/bin/env bash
# The test command: set up, check formatting, build with warnings as errors for our code, run every test.
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/scripts/setup.sh

echo "== format"
swift format lint --strict --recursive --parallel Package.swift $(ls -d Functions Runtime Tests 2>/dev/null)

echo "== template"
.venv/bin/cfn-lint infra/template.yaml Tests/Fixtures/runtime-template.yaml Tests/Fixtures/fraud-template.yaml \
    Tests/Fixtures/route-template.yaml

echo "== build"
# Our targets must build without a warning; the dependencies' own warnings are theirs.
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^/.*(Functions|Runtime|Tests)/.*warning:" "$log" | grep -v '/.build/'; then
    echo "build: warnings in SmartPay's code (above)" >&2
    exit 1
fi
rm -f "$log"

echo "== test"
swift test --skip-build
