#!/usr/bin/env python3
"""Simulates card transactions with fraud, from the published design of the Fraud Detection Handbook.

Le Borgne, Siblini, Lebichot, Bontempi: "Reproducible Machine Learning for Credit Card Fraud Detection - Practical
Handbook", chapter 3.2 ("Transaction data simulator"). The design, as the handbook describes it:

- customers on a 100x100 grid, each with a mean amount U(5, 100) (standard deviation half of it) and a mean number
  of transactions per day U(0, 4); terminals on the same grid; a customer uses the terminals within radius 5;
- each day a customer makes Poisson(mean) transactions, at a time of day N(noon, 20000 s) (times outside the day
  are dropped), of amount N(mean, std) (a negative draw is redrawn U(0, 2*mean)), at a terminal chosen uniformly
  among the customer's;
- frauds: (1) every amount above 220; (2) each day 2 terminals are compromised and every transaction on them in the
  next 28 days is fraudulent; (3) each day 3 customers' credentials leak and, over the next 14 days, a third of
  their transactions are fraudulent with the amount multiplied by 5.

The random draws follow the handbook's order and seeds (customers: seed 0; terminals: seed 1; a customer's
transactions: seeded by the customer id; a day's compromised terminals, customers and transactions: seeded by the
day), so the default run lands close to the handbook's published dataset (1,754,155 transactions, 14,681 frauds);
`--stats` prints the comparison.

Usage: simulate.py --out TX.csv [--customers 5000] [--terminals 10000] [--days 183] [--start 2018-04-01]
Writes the handbook's columns: TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_TIME_SECONDS,
TX_TIME_DAYS, TX_FRAUD, TX_FRAUD_SCENARIO. Amounts are written with two decimals (cents). Generated data is not
committed.
"""

import argparse
import datetime
import random
import sys
import time

import numpy as np

SECONDS_PER_DAY = 86_400
HANDBOOK_TRANSACTIONS = 1_754_155
HANDBOOK_FRAUDS = 14_681


def customer_profiles(count, seed=0):
    """x, y, mean amount, amount std, mean transactions per day, drawn per customer in that order."""
    np.random.seed(seed)
    profiles = np.empty((count, 5))
    for customer in range(count):
        x = np.random.uniform(0, 100)
        y = np.random.uniform(0, 100)
        mean_amount = np.random.uniform(5, 100)
        std_amount = mean_amount / 2
        mean_per_day = np.random.uniform(0, 4)
        profiles[customer] = (x, y, mean_amount, std_amount, mean_per_day)
    return profiles


def terminal_locations(count, seed=1):
    np.random.seed(seed)
    locations = np.empty((count, 2))
    for terminal in range(count):
        locations[terminal, 0] = np.random.uniform(0, 100)
        locations[terminal, 1] = np.random.uniform(0, 100)
    return locations


def customer_transactions(customer, profile, terminals, days):
    """(seconds since start, day, customer, terminal, amount in cents) for one customer, seeded by its id."""
    x, y, mean_amount, std_amount, mean_per_day = profile
    distances = np.sqrt((terminals[:, 0] - x) ** 2 + (terminals[:, 1] - y) ** 2)
    reachable = list(np.where(distances < 5)[0])
    random.seed(customer)
    np.random.seed(customer)
    rows = []
    for day in range(days):
        count = np.random.poisson(mean_per_day)
        for _ in range(count):
            second = int(np.random.normal(SECONDS_PER_DAY / 2, 20_000))
            if not 0 < second < SECONDS_PER_DAY:
                continue
            amount = np.random.normal(mean_amount, std_amount)
            if amount < 0:
                amount = np.random.uniform(0, mean_amount * 2)
            cents = int(round(float(np.round(amount, decimals=2)) * 100))
            if reachable:
                terminal = int(random.choice(reachable))
                rows.append((second + day * SECONDS_PER_DAY, day, customer, terminal, cents))
    return rows


def add_frauds(seconds, days, customers, terminals, cents, customer_count, terminal_count):
    """The three scenarios, in the handbook's order. Returns (fraud flag, scenario) arrays; cents is updated."""
    fraud = np.zeros(len(seconds), dtype=np.int8)
    scenario = np.zeros(len(seconds), dtype=np.int8)
    # 1: any amount above 220.
    large = cents > 22_000
    fraud[large] = 1
    scenario[large] = 1
    last_day = int(days.max())
    # 2: two terminals a day, compromised for the next 28 days (a pandas sample(n, random_state=day) is the first
    # n of RandomState(day).permutation).
    for day in range(last_day):
        compromised = np.random.RandomState(day).permutation(terminal_count)[:2]
        hit = (days >= day) & (days < day + 28) & np.isin(terminals, compromised)
        fraud[hit] = 1
        scenario[hit] = 2
    # 3: three customers a day; a third of their next 14 days' transactions are fraud, amounts times 5.
    for day in range(last_day):
        compromised = np.random.RandomState(day).permutation(customer_count)[:3]
        candidates = np.where((days >= day) & (days < day + 14) & np.isin(customers, compromised))[0]
        random.seed(day)
        chosen = random.sample(list(candidates), k=int(len(candidates) / 3))
        for index in chosen:
            cents[index] *= 5
        fraud[chosen] = 1
        scenario[chosen] = 3
    return fraud, scenario


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the CSV file to write")
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--terminals", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=183)
    parser.add_argument("--start", default="2018-04-01", help="the first day, YYYY-MM-DD")
    parser.add_argument("--stats", action="store_true", help="compare the counts with the handbook's dataset")
    arguments = parser.parse_args()
    if arguments.customers < 1 or arguments.terminals < 1 or arguments.days < 1:
        parser.error("--customers, --terminals and --days must be positive")
    try:
        start = datetime.datetime.strptime(arguments.start, "%Y-%m-%d")
    except ValueError:
        parser.error(f"--start: expected YYYY-MM-DD, got {arguments.start!r}")

    began = time.monotonic()
    profiles = customer_profiles(arguments.customers)
    terminals = terminal_locations(arguments.terminals)
    rows = []
    for customer in range(arguments.customers):
        rows.extend(customer_transactions(customer, profiles[customer], terminals, arguments.days))
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    # Time order; a stable sort keeps ties (same second) in generation order.
    table = table[np.argsort(table[:, 0], kind="stable")]
    seconds, days, customers, terminal_ids, cents = (table[:, column].copy() for column in range(5))
    fraud, scenario = add_frauds(
        seconds, days, customers, terminal_ids, cents, arguments.customers, arguments.terminals)

    with open(arguments.out, "w", encoding="ascii", newline="\n") as output:
        output.write("TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,"
                     "TX_FRAUD,TX_FRAUD_SCENARIO\n")
        epoch = int(start.replace(tzinfo=datetime.timezone.utc).timestamp())
        lines = []
        for index in range(len(seconds)):
            stamp = datetime.datetime.fromtimestamp(epoch + int(seconds[index]), datetime.timezone.utc)
            amount = int(cents[index])
            lines.append(
                f"{index},{stamp:%Y-%m-%d %H:%M:%S},{customers[index]},{terminal_ids[index]},"
                f"{amount // 100}.{amount % 100:02d},{seconds[index]},{days[index]},{fraud[index]},"
                f"{scenario[index]}\n")
            if len(lines) == 100_000:
                output.writelines(lines)
                lines.clear()
        output.writelines(lines)

    total, frauds = len(seconds), int(fraud.sum())
    print(f"simulate: {total:,} transactions, {frauds:,} frauds ({frauds / max(total, 1):.4%}), "
          f"{len(np.unique(customers)):,} customers and {len(np.unique(terminal_ids)):,} terminals seen, "
          f"in {time.monotonic() - began:.1f} s -> {arguments.out}", file=sys.stderr)
    if arguments.stats:
        for scenario_number in (1, 2, 3):
            print(f"simulate: scenario {scenario_number}: {int((scenario == scenario_number).sum()):,} frauds",
                  file=sys.stderr)
        print(f"simulate: the handbook's dataset: {HANDBOOK_TRANSACTIONS:,} transactions, {HANDBOOK_FRAUDS:,} frauds; "
              f"this run: {total - HANDBOOK_TRANSACTIONS:+,} transactions, {frauds - HANDBOOK_FRAUDS:+,} frauds",
              file=sys.stderr)


if __name__ == "__main__":
    main()
