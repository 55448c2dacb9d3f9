#!/usr/bin/env bash
# The fraud model's offline pipeline, reproducible end to end (generated data goes to .data/, not committed):
#
#   Functions/Fraud/pipeline.sh model      simulate → features → train the committed model and its parity fixture
#   Functions/Fraud/pipeline.sh evaluate   the handbook's test week side by side with its published numbers, then
#                                          rolling weekly retraining over August–September beside a baseline
#                                          trained on the handbook's own features; kept in
#                                          Tests/Benchmarks/results/fraud-evaluation.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
command=${1:-}
case "$command" in model | evaluate) ;; *) echo "usage: $0 model|evaluate" >&2; exit 2 ;; esac

infra/scripts/setup.sh --python Functions/Fraud/requirements.txt >/dev/null
swift build -c release --product fraud >/dev/null
fraud=.build/release/fraud
mkdir -p .data
if [ ! -f .data/transactions.csv ]; then
    .venv/bin/python Functions/Fraud/simulate.py --out .data/transactions.csv --stats
fi
$fraud features --transactions .data/transactions.csv --out .data/features.csv

# The committed model's settings, chosen on the validation split (train 2018-07-18…24, test 2018-08-01…07) before
# the test week was looked at.
TREES=300
DEPTH=3
RATE=0.05

if [ "$command" = model ]; then
    .venv/bin/python Functions/Fraud/train.py --features .data/features.csv --train-from 2018-07-25 \
        --out Functions/Fraud/model/fraud-model.json --parity Tests/Fixtures/fraud-parity.csv \
        --trees $TREES --depth $DEPTH --learning-rate $RATE --version "xgb-full-20180725-${TREES}x${DEPTH}"
    exit 0
fi

results=Tests/Benchmarks/results/fraud-evaluation.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec > >(tee "$results")
echo "# Fraud model evaluation on the handbook's protocol"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); data: Functions/Fraud/simulate.py (the handbook's design and seeds)"
echo
echo "## The handbook's test week, the committed model"
$fraud evaluate --transactions .data/transactions.csv --model Functions/Fraud/model/fraud-model.json \
    --test-from 2018-08-08 --test-to 2018-08-14
echo
echo "## Rolling weekly retraining: train 7 days, 7 days' delay, test the next 7 days"
echo "SmartPay: every feature, ${TREES} trees of depth ${DEPTH}, learning rate ${RATE}."
echo "Baseline: the handbook's 15 features, xgboost 100 trees of depth 3, learning rate 0.1 (its selected model)."
printf '%-12s %-24s %8s %8s %8s    %8s %8s %8s\n' train test "AUC" "AP" "CP@100" "AUC" "AP" "CP@100"
printf '%-12s %-24s %26s    %26s\n' "" "" "──────── SmartPay ────────" "──────── baseline ────────"
for start in 2018-07-25 2018-08-01 2018-08-08 2018-08-15 2018-08-22 2018-08-29 2018-09-05; do
    test_from=$(date -u -d "$start + 14 days" +%Y-%m-%d)
    test_to=$(date -u -d "$start + 20 days" +%Y-%m-%d)
    row=()
    for set in full handbook; do
        if [ $set = full ]; then options=(--trees $TREES --depth $DEPTH --learning-rate $RATE)
        else options=(--trees 100 --depth 3 --learning-rate 0.1); fi
        .venv/bin/python Functions/Fraud/train.py --features .data/features.csv --train-from "$start" \
            --feature-set $set --out "$work/$set.json" "${options[@]}" 2>/dev/null
        line=$($fraud evaluate --transactions .data/transactions.csv --model "$work/$set.json" \
            --test-from "$test_from" --test-to "$test_to" | grep '^SmartPay (this model)')
        read -r auc ap cp <<<"$(echo "$line" | awk '{print $(NF-2), $(NF-1), $NF}')"
        row+=("$auc" "$ap" "$cp")
    done
    printf '%-12s %-24s %8s %8s %8s    %8s %8s %8s\n' "$start" "$test_from…$test_to" "${row[@]}"
done
