#!/usr/bin/env python3
"""Trains the fraud model with xgboost from a feature file written by `fraud features`, reproducibly.

    train.py --features FEATURES.csv --out fraud-model.json [--train-from 2018-07-25] [--train-days 7]
             [--feature-set full|handbook] [--trees 300] [--depth 4] [--learning-rate 0.05]
             [--thresholds-from 2018-08-01] [--parity PARITY.csv] [--version NAME]

- Training rows: the `--train-days` days from `--train-from` (the handbook's protocol: 2018-07-25...31).
- Features: `full` is every column `fraud features` writes that has values in the training rows (the card, IP and
  device columns are empty in the handbook's data and are left out, so the model does not claim them); `handbook`
  is the handbook's fifteen, for the baseline.
- The model is saved with save_model to JSON (the Swift evaluator reads that format), with booster attributes: its
  version, the training window, and the tier thresholds. The thresholds are chosen on the days from
  `--thresholds-from` (default: the week after training, which the test week does not overlap): `decline` is the
  lowest score whose precision there is at least 90 %, `review` the lowest whose precision is at least 30 %.
- `--parity` writes the parity fixture: 10,000 rows drawn from the whole file with 10 % of the values blanked
  (missing), every schema column, and xgboost's predict_proba for each; the Swift evaluator must agree within 1e-5.
"""

import argparse
import datetime
import sys

import numpy as np
import pandas as pd
import xgboost

META = ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_FRAUD"]
HANDBOOK = [
    "TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT",
    "CUSTOMER_ID_NB_TX_1DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW",
    "CUSTOMER_ID_NB_TX_7DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW",
    "CUSTOMER_ID_NB_TX_30DAY_WINDOW", "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
    "TERMINAL_ID_NB_TX_1DAY_WINDOW", "TERMINAL_ID_RISK_1DAY_WINDOW",
    "TERMINAL_ID_NB_TX_7DAY_WINDOW", "TERMINAL_ID_RISK_7DAY_WINDOW",
    "TERMINAL_ID_NB_TX_30DAY_WINDOW", "TERMINAL_ID_RISK_30DAY_WINDOW",
]
SEED = 0


def day(text, option):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        sys.exit(f"train.py: {option}: expected YYYY-MM-DD, got {text!r}")


def window(frame, start, days):
    end = start + datetime.timedelta(days=days)
    stamps = pd.to_datetime(frame["TX_DATETIME"])
    return frame[(stamps >= start) & (stamps < end)]


def lowest_threshold_with_precision(scores, labels, precision):
    """The lowest score s such that the transactions scoring >= s are frauds at `precision` or better."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(labels[order])
    seen = np.arange(1, len(order) + 1)
    good = np.where(hits / seen >= precision)[0]
    if len(good) == 0:
        return None
    return float(scores[order][good[-1]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--train-from", default="2018-07-25")
    parser.add_argument("--train-days", type=int, default=7)
    parser.add_argument("--feature-set", choices=["full", "handbook"], default="full")
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--thresholds-from", help="default: the day after the training window")
    parser.add_argument("--parity", help="write the parity fixture here")
    parser.add_argument("--version", help="the model version (default: derived from the options)")
    arguments = parser.parse_args()

    frame = pd.read_csv(arguments.features, dtype={"TRANSACTION_ID": str, "CUSTOMER_ID": str, "TERMINAL_ID": str})
    missing = [column for column in META if column not in frame.columns]
    if missing:
        sys.exit(f"train.py: {arguments.features} has no {', '.join(missing)} column; write it with `fraud features`")
    schema = [column for column in frame.columns if column not in META]
    start = day(arguments.train_from, "--train-from")
    train = window(frame, start, arguments.train_days)
    if train.empty or train["TX_FRAUD"].sum() == 0:
        sys.exit(f"train.py: no transactions (or no fraud) from {arguments.train_from} for {arguments.train_days} days")
    candidates = HANDBOOK if arguments.feature_set == "handbook" else schema
    features = [column for column in candidates if train[column].notna().any()]
    left_out = [column for column in candidates if column not in features]

    model = xgboost.XGBClassifier(
        n_estimators=arguments.trees, max_depth=arguments.depth, learning_rate=arguments.learning_rate,
        subsample=1.0, colsample_bytree=1.0, tree_method="hist", random_state=SEED, n_jobs=1,
        eval_metric="logloss")
    model.fit(train[features].astype(np.float32), train["TX_FRAUD"])
    booster = model.get_booster()

    threshold_start = (day(arguments.thresholds_from, "--thresholds-from") if arguments.thresholds_from
                       else start + datetime.timedelta(days=arguments.train_days))
    held_out = window(frame, threshold_start, 7)
    attributes = {
        "smartpay_model_version": arguments.version or (
            f"xgb-{arguments.feature_set}-{start:%Y%m%d}-{arguments.trees}x{arguments.depth}"),
        "smartpay_trained_on": f"{start:%Y-%m-%d}+{arguments.train_days}d",
    }
    if not held_out.empty and held_out["TX_FRAUD"].sum() > 0:
        scores = model.predict_proba(held_out[features].astype(np.float32))[:, 1]
        labels = held_out["TX_FRAUD"].to_numpy()
        decline = lowest_threshold_with_precision(scores, labels, 0.9)
        review = lowest_threshold_with_precision(scores, labels, 0.3)
        if decline is not None and review is not None:
            review = min(review, decline)
            attributes["smartpay_decline_threshold"] = f"{decline:.4f}"
            attributes["smartpay_review_threshold"] = f"{review:.4f}"
    booster.set_attr(**attributes)
    if not arguments.out.endswith(".json"):
        sys.exit("train.py: --out must end in .json (xgboost writes UBJSON otherwise)")
    booster.save_model(arguments.out)
    print(f"train.py: {len(train):,} rows ({int(train['TX_FRAUD'].sum()):,} frauds) from {start:%Y-%m-%d}, "
          f"{len(features)} features, {arguments.trees} trees of depth {arguments.depth} -> {arguments.out}",
          file=sys.stderr)
    if left_out:
        print(f"train.py: left out (no values in the training rows): {', '.join(left_out)}", file=sys.stderr)
    print("train.py: attributes: " + ", ".join(f"{key}={value}" for key, value in attributes.items()),
          file=sys.stderr)

    if arguments.parity:
        rng = np.random.default_rng(SEED)
        rows = frame.iloc[np.sort(rng.choice(len(frame), size=10_000, replace=False))][schema].astype(np.float32)
        values = rows.to_numpy(copy=True)
        values[rng.random(values.shape) < 0.10] = np.nan
        rows = pd.DataFrame(values, columns=schema)
        probabilities = model.predict_proba(rows[features])[:, 1]
        with open(arguments.parity, "w", encoding="ascii", newline="\n") as output:
            output.write(",".join(schema + ["PROBABILITY"]) + "\n")
            for values_row, probability in zip(values, probabilities):
                # The shortest text that reads back as the same float32, as Swift's Float(String) reads it.
                cells = ["" if np.isnan(value) else np.format_float_positional(np.float32(value), unique=True, trim="-")
                         for value in values_row]
                output.write(",".join(cells + [repr(float(probability))]) + "\n")
        print(f"train.py: parity fixture, {len(rows):,} rows -> {arguments.parity}", file=sys.stderr)


if __name__ == "__main__":
    main()
