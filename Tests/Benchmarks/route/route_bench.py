#!/usr/bin/env python3
"""The routing benchmark (issue 7): every policy through one simulated, non-stationary gateway environment.

Environment (per seed, 50,000 payments by default):
- payments: method card 80 % (visa 55 / mastercard 35 / amex 10), wallet 15 %, crypto 5 %; the customer's country
  from four regions; amounts log-normal (median 40.00, in USD / EUR / GBP / JPY by region); hour of day.
- gateways: stripe (2.9 % + 30c), amazon_pay (2.7 % + 30c), solana (0.1 % + 1c), eligible as in the route function's
  catalogue (solana: USD / EUR and crypto; amazon_pay: USD / EUR / GBP / JPY, no crypto).
- a gateway fails on its side (processor error) with a probability that depends on the context (network, region,
  amount, method) and on time: stripe drifts down 3 points over the run, amazon_pay up 4; stripe has an outage
  (success halved) for 2,000 payments from payment 20,000, then recovers. Independently of the gateway, 5 % of
  customers decline (insufficient funds): the policies are told it is not the gateway's fault.
- latencies log-normal (medians 350 / 450 / 800 ms); fees charged on authorised payments.
- net reward = authorised x (1 - fee / amount) - 0.02 per second of latency.
- feedback arrives 20 payments late (the bus), for every policy.

Policies: ours (`route --stdio`, the Swift router), random, round-robin, static best in hindsight, the success-rate
window (125 outcomes, 5 % hedging: decision-engine's defaults), Vowpal Wabbit --cb_explore_adf (epsilon-greedy,
SquareCB, RegCB-opt), plain LinUCB. Regret is against the oracle that knows the true probabilities (expected
reward of its choice minus expected reward of the policy's).

Usage: route_bench.py --route .build/release/route [--seeds 10] [--payments 50000] [--policies a,b,...]
"""

import argparse
import json
import math
import random
import subprocess
import sys
import time

import numpy as np

GATEWAYS = ["stripe", "amazon_pay", "solana"]
FEES = {"stripe": (290, 30), "amazon_pay": (270, 30), "solana": (10, 1)}
LATENCY_MEDIAN_MS = {"stripe": 350.0, "amazon_pay": 450.0, "solana": 800.0}
LATENCY_WEIGHT = 0.02
REGIONS = {
    "north_america": (["US", "CA"], "USD", 0.45),
    "europe": (["FR", "DE", "ES", "IT"], "EUR", 0.30),
    "uk": (["GB"], "GBP", 0.10),
    "asia_pacific": (["JP"], "JPY", 0.15),
}
OUTAGE_START, OUTAGE_LENGTH = 20_000, 2_000
FEEDBACK_DELAY = 20
CUSTOMER_DECLINE = 0.05


def eligible(context):
    method, currency = context["method"], context["currency"]
    names = []
    if method in ("card", "wallet"):
        names.append("stripe")
    if method in ("card", "wallet") and currency in ("USD", "EUR", "GBP", "JPY"):
        names.append("amazon_pay")
    if currency in ("USD", "EUR", "SOL"):
        names.append("solana")
    return names


def success_probability(gateway, context, t, total):
    """The chance the gateway does not fail on its side for this payment at time t. Local acquiring matters: each
    card gateway is strong in some regions and weak in others, so no single gateway is best everywhere."""
    method, network, region = context["method"], context.get("card_network"), context["region"]
    major = context["amount_minor"] / (150 if context["currency"] == "JPY" else 100)
    drift = t / total
    if gateway == "stripe":
        p = {"north_america": 0.95, "europe": 0.82, "uk": 0.91, "asia_pacific": 0.80}[region] - 0.03 * drift
        if network == "amex":
            p += 0.03
        if method == "wallet":
            p -= 0.06
        if OUTAGE_START <= t < OUTAGE_START + OUTAGE_LENGTH:
            p *= 0.5
    elif gateway == "amazon_pay":
        p = {"north_america": 0.86, "europe": 0.93, "uk": 0.85, "asia_pacific": 0.94}[region] + 0.04 * drift
        if network == "amex":
            p -= 0.12
        if method == "wallet":
            p += 0.05
    else:  # solana
        p = 0.97 if method == "crypto" else 0.80 if method == "wallet" else 0.78
        if major > 300:
            p -= 0.15
        if region == "europe" and method != "crypto":
            p += 0.06
    return min(max(p, 0.01), 0.995)


def fee_share(gateway, context):
    bps, fixed = FEES[gateway]
    amount = context["amount_minor"]
    fee = (amount * bps + 5_000) // 10_000 + fixed
    return fee / amount


def expected_reward(gateway, context, t, total):
    p = success_probability(gateway, context, t, total) * (1 - CUSTOMER_DECLINE)
    latency_mean_s = LATENCY_MEDIAN_MS[gateway] * math.exp(0.4 ** 2 / 2) / 1000
    return p * (1 - fee_share(gateway, context)) - LATENCY_WEIGHT * latency_mean_s


def make_payments(seed, count):
    rng = np.random.default_rng(seed)
    region_names = list(REGIONS)
    weights = np.array([REGIONS[name][2] for name in region_names])
    payments = []
    for _ in range(count):
        region = region_names[rng.choice(len(region_names), p=weights / weights.sum())]
        countries, currency, _ = REGIONS[region]
        method = rng.choice(["card", "wallet", "crypto"], p=[0.80, 0.15, 0.05])
        if method == "crypto":
            currency = "EUR" if region == "europe" else "USD"
        major = float(np.exp(rng.normal(math.log(40), 1.0)))
        minor = max(50, int(round(major * (150 if currency == "JPY" else 100))))
        context = {
            "amount_minor": minor, "currency": currency, "method": str(method),
            "country": str(countries[rng.integers(len(countries))]), "region": region,
            "hour": int(rng.integers(24)),
        }
        if method == "card":
            context["card_network"] = str(rng.choice(["visa", "mastercard", "amex"], p=[0.55, 0.35, 0.10]))
        payments.append(context)
    return payments


def outcome(gateway, context, t, total, rng):
    p = success_probability(gateway, context, t, total)
    if rng.random() >= p:
        return {"authorized": False, "processor_error": True}
    if rng.random() < CUSTOMER_DECLINE:
        return {"authorized": False, "processor_error": False}
    return {"authorized": True, "processor_error": False}


# --- Policies: choose(t, context, names) -> gateway; learn(t, context, gateway, result) -------------------------

class Oracle:
    """Knows the true probabilities: the reference regret is measured against (its regret is 0)."""

    def __init__(self, seed, total):
        self.total = total

    def choose(self, t, context, names):
        return max(names, key=lambda name: expected_reward(name, context, t, self.total)), 1.0

    def learn(self, *args):
        pass


class RandomPolicy:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def choose(self, t, context, names):
        return self.rng.choice(names), 1 / len(names)

    def learn(self, *args):
        pass


class RoundRobin:
    def __init__(self, seed):
        self.turn = 0

    def choose(self, t, context, names):
        self.turn += 1
        return names[self.turn % len(names)], 1.0

    def learn(self, *args):
        pass


class Static:
    def __init__(self, order):
        self.order = order

    def choose(self, t, context, names):
        return next(name for name in self.order if name in names), 1.0

    def learn(self, *args):
        pass


class SuccessRateWindow:
    """decision-engine's default: each gateway's success rate over its last 125 outcomes, 5 % random hedging."""

    def __init__(self, seed, window=125, hedge=0.05):
        self.rng = random.Random(seed)
        self.window, self.hedge = window, hedge
        self.history = {name: [] for name in GATEWAYS}

    def choose(self, t, context, names):
        if self.rng.random() < self.hedge:
            return self.rng.choice(names), None
        rates = {name: (sum(self.history[name]) + 1) / (len(self.history[name]) + 2) for name in names}
        return max(names, key=lambda name: rates[name]), None

    def learn(self, t, context, gateway, result, probability):
        if not result["authorized"] and not result["processor_error"]:
            return
        history = self.history[gateway]
        history.append(1 if result["authorized"] else 0)
        if len(history) > self.window:
            del history[0]


def encode(context):
    """The route function's context encoding (Functions/Route/Library/RouteContext.swift), for the Python LinUCB."""
    x = np.zeros(22)
    x[0] = 1
    x[1 + ["card", "wallet", "crypto"].index(context["method"])] = 1
    networks = ["visa", "mastercard", "amex", "discover", "jcb", "unionpay"]
    if context.get("card_network") in networks:
        x[4 + networks.index(context["card_network"])] = 1
    region = {"north_america": 0, "europe": 1, "uk": 1, "asia_pacific": 2}[context["region"]]
    x[11 + region] = 1
    major = context["amount_minor"] / (1 if context["currency"] == "JPY" else 100)
    x[16] = math.log10(max(major, 0.01) + 1) / 4
    x[18] = math.sin(context["hour"] / 24 * 2 * math.pi) / 2
    x[19] = math.cos(context["hour"] / 24 * 2 * math.pi) / 2
    return x


class LinUCB:
    """Plain LinUCB (Li et al. 2010) on the same encoding and the same net-reward scoring, no forgetting."""

    def __init__(self, seed, alpha=0.4):
        self.alpha = alpha
        self.a_inv = {name: np.eye(22) for name in GATEWAYS}
        self.b = {name: np.zeros(22) for name in GATEWAYS}

    def choose(self, t, context, names):
        x = encode(context)
        best, best_score = None, -1e9
        for name in names:
            theta = self.a_inv[name] @ self.b[name]
            score = (theta @ x + self.alpha * math.sqrt(x @ self.a_inv[name] @ x)) * (1 - fee_share(name, context))
            if score > best_score:
                best, best_score = name, score
        return best, 1.0

    def learn(self, t, context, gateway, result, probability):
        if not result["authorized"] and not result["processor_error"]:
            return
        x = encode(context)
        a_inv = self.a_inv[gateway]
        ax = a_inv @ x
        self.a_inv[gateway] = a_inv - np.outer(ax, ax) / (1 + x @ ax)
        self.b[gateway] += (1.0 if result["authorized"] else 0.0) * x


class VowpalWabbit:
    """--cb_explore_adf with one of its exploration algorithms; cost = -net reward, shared context features."""

    def __init__(self, seed, arguments):
        import vowpalwabbit
        self.vw = vowpalwabbit.Workspace(f"--cb_explore_adf --quiet --random_seed {seed} {arguments}")
        self.rng = random.Random(seed)

    def example(self, context, names, label=None):
        shared = (f"shared |c method={context['method']} network={context.get('card_network', 'none')} "
                  f"region={context['region']} currency={context['currency']} "
                  f"amount:{math.log10(context['amount_minor'] / 100 + 1):.4f} hour={context['hour']}")
        lines = [shared]
        for name in names:
            prefix = ""
            if label is not None and label[0] == name:
                prefix = f"0:{label[1]:.6f}:{label[2]:.6f} "
            lines.append(f"{prefix}|a gateway={name} fee:{fee_share(name, context):.6f}")
        return lines

    def choose(self, t, context, names):
        pmf = self.vw.predict(self.example(context, names))
        total = sum(pmf)
        draw, cumulative = self.rng.random() * total, 0.0
        for index, probability in enumerate(pmf):
            cumulative += probability
            if draw <= cumulative:
                return names[index], probability / total
        return names[-1], pmf[-1] / total

    def learn(self, t, context, gateway, result, probability, names=None, reward=None):
        cost = -reward
        self.vw.learn(self.example(context, names, (gateway, cost, max(probability, 1e-3))))


class RouteStdio:
    """The Swift router through `route --stdio`, the function's own code path."""

    def __init__(self, binary):
        self.process = subprocess.Popen([binary, "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        bufsize=0)
        self.pending_answers = 0

    def _send(self, message):
        self.process.stdin.write((json.dumps(message) + "\n").encode())

    def choose(self, t, context, names):
        self._send({"op": "decide", "id": f"d{t}", "context": context, "gateways": names})
        while True:
            answer = json.loads(self.process.stdout.readline())
            if answer.get("id") == f"d{t}" and "gateway" in answer:
                self.pending_answers = 0
                return answer["gateway"], answer["propensity"]
            if "error" in answer and answer.get("id") == f"d{t}":
                raise RuntimeError(f"route refused decision {t}: {answer['error']}")

    def learn(self, t, context, gateway, result, probability, latency_ms=None):
        self._send({"op": "feedback", "id": f"d{t}", "gateway": gateway, "authorized": result["authorized"],
                    "processor_error": result["processor_error"], "latency_ms": latency_ms})

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run(policy_name, make_policy, seed, count):
    payments = make_payments(seed, count)
    rng = random.Random(seed * 7919 + 1)
    policy = make_policy(seed)
    queue = []
    regret = 0.0
    authorized = 0
    net = 0.0
    per_step_regret = np.zeros(count)
    for t, context in enumerate(payments):
        names = eligible(context)
        gateway, probability = policy.choose(t, context, names)
        expected = {name: expected_reward(name, context, t, count) for name in names}
        step_regret = max(expected.values()) - expected[gateway]
        regret += step_regret
        per_step_regret[t] = step_regret
        result = outcome(gateway, context, t, count, rng)
        latency = float(np.exp(rng.gauss(math.log(LATENCY_MEDIAN_MS[gateway]), 0.4)))
        reward = (result["authorized"] * (1 - fee_share(gateway, context))) - LATENCY_WEIGHT * latency / 1000
        authorized += result["authorized"]
        net += reward
        queue.append((t, context, gateway, result, probability, latency, reward, names))
        if len(queue) > FEEDBACK_DELAY:
            item = queue.pop(0)
            deliver(policy, item)
    for item in queue:
        deliver(policy, item)
    if hasattr(policy, "close"):
        policy.close()
    # Recovery: payments from the outage's start until the 200-payment rolling regret, having risen above its
    # pre-outage level (+0.01), is back under it; 0 for a policy the outage never hurt.
    before = per_step_regret[OUTAGE_START - 5_000:OUTAGE_START].mean()
    rolling = np.convolve(per_step_regret, np.ones(200) / 200, mode="valid")  # rolling[i] ends at i + 199
    recovered, hurt = 0, False
    for end_index in range(OUTAGE_START, count):
        level = rolling[end_index - 199]
        if level > before + 0.01:
            hurt = True
        elif hurt:
            recovered = end_index - OUTAGE_START
            break
    else:
        recovered = None if hurt else 0
    return {"regret": regret, "auth": authorized / count, "net": net / count, "recovery": recovered}


def deliver(policy, item):
    t, context, gateway, result, probability, latency, reward, names = item
    if isinstance(policy, VowpalWabbit):
        policy.learn(t, context, gateway, result, probability, names=names, reward=reward)
    elif isinstance(policy, RouteStdio):
        policy.learn(t, context, gateway, result, probability, latency_ms=round(latency, 1))
    else:
        policy.learn(t, context, gateway, result, probability)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", required=True, help="the route binary (release)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--payments", type=int, default=50_000)
    parser.add_argument("--policies", default="")
    parser.add_argument("--first-seed", type=int, default=0, help="tune on other seeds than the table's (e.g. 100)")
    arguments = parser.parse_args()
    if arguments.payments < OUTAGE_START + OUTAGE_LENGTH + 5_000:
        parser.error(f"--payments must be at least {OUTAGE_START + OUTAGE_LENGTH + 5_000} (the outage is at "
                     f"{OUTAGE_START})")

    policies = {
        "oracle (knows the probabilities)": lambda seed: Oracle(seed, arguments.payments),
        "SmartPay route (--stdio)": lambda seed: RouteStdio(arguments.route),
        "random": RandomPolicy,
        "round-robin": RoundRobin,
        "success-rate window (125, 5 %)": SuccessRateWindow,
        "VW cb_explore_adf epsilon 0.05": lambda seed: VowpalWabbit(seed, "--epsilon 0.05"),
        "VW cb_explore_adf SquareCB": lambda seed: VowpalWabbit(seed, "--squarecb"),
        "VW cb_explore_adf RegCB-opt": lambda seed: VowpalWabbit(seed, "--regcbopt"),
        "LinUCB (plain)": LinUCB,
    }
    statics = {f"static {name} first": (lambda order: (lambda seed: Static(order)))(
        [name] + [other for other in GATEWAYS if other != name]) for name in GATEWAYS}
    if arguments.policies:
        wanted = set(arguments.policies.split(","))
        policies = {name: make for name, make in policies.items() if any(w in name for w in wanted)}
    results = {}
    for name, make in list(statics.items()) + list(policies.items()):
        started = time.monotonic()
        seeds = range(arguments.first_seed, arguments.first_seed + arguments.seeds)
        runs = [run(name, make, seed, arguments.payments) for seed in seeds]
        results[name] = runs
        print(f"  {name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)

    static_names = list(statics)
    best_static = max(static_names, key=lambda name: np.mean([r["net"] for r in results[name]]))
    static_auth = np.mean([r["auth"] for r in results[best_static]])
    print(f"{arguments.seeds} seeds x {arguments.payments:,} payments; feedback {FEEDBACK_DELAY} payments late; "
          f"stripe outage at {OUTAGE_START:,} for {OUTAGE_LENGTH:,}")
    print(f"static best in hindsight: {best_static}")
    print()
    header = f"{'policy':36} {'regret':>10} {'± sd':>8} {'auth rate':>10} {'vs static':>10} {'net/payment':>12} " \
             f"{'recovery':>9}"
    print(header)
    print("-" * len(header))
    order = [best_static] + [name for name in policies]
    for name in order:
        runs = results[name]
        regrets = [r["regret"] for r in runs]
        recoveries = [r["recovery"] for r in runs if r["recovery"] is not None]
        recovery = f"{int(np.median(recoveries)):,}" if len(recoveries) == len(runs) else \
            f"{len(runs) - len(recoveries)}/{len(runs)} never"
        label = "static best in hindsight" if name == best_static else name
        print(f"{label:36} {np.mean(regrets):10.1f} {np.std(regrets):8.1f} "
              f"{100 * np.mean([r['auth'] for r in runs]):9.2f}% "
              f"{100 * (np.mean([r['auth'] for r in runs]) - static_auth):+9.2f}p "
              f"{np.mean([r['net'] for r in runs]):12.4f} {recovery:>9}")
    ours = np.mean([r["regret"] for r in results["SmartPay route (--stdio)"]]) if "SmartPay route (--stdio)" in \
        results else None
    if ours is not None:
        others = [np.mean([r["regret"] for r in results[name]]) for name in order
                  if name not in ("SmartPay route (--stdio)", "oracle (knows the probabilities)")]
        uplift = 100 * (np.mean([r["auth"] for r in results["SmartPay route (--stdio)"]]) - static_auth)
        print()
        print(f"goal: lowest regret of all ({'met' if ours < min(others) else 'NOT met'}); "
              f">= +2 points over static best ({'met' if uplift >= 2 else 'NOT met'}: {uplift:+.2f})")


if __name__ == "__main__":
    main()
