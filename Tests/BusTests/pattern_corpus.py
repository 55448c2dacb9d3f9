"""Conformance corpus for SmartPay's EventBridge pattern matcher.

Prints JSON: a list of cases {pattern, event, moto, expected, note}. `moto` is moto's verdict
(moto.events.models.EventPattern.load(pattern).matches_event(event); None when moto refuses the pattern),
`expected` is Amazon EventBridge's documented behaviour: moto's verdict unless the case is listed in
AWS_DISAGREES, where the note says what AWS documents. Deterministic: same output every run.

Run by Tests/BusTests/EventPatternConformanceTests.swift with .venv/bin/python (moto pinned in infra/requirements.txt).
"""
import itertools
import json

from moto.events.models import EventPattern

EVENTS = {
    "succeeded_usd": {"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {
        "status": "succeeded", "amount_minor": 2000, "currency": "USD", "risk": {"tier": "low", "score": 0.12},
        "tags": ["card", "visa"], "ip": "10.0.0.5", "merchant_id": "m_42", "note": "", "gateway": "stripe"}},
    "failed_high_risk": {"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {
        "status": "failed", "amount_minor": 0, "currency": "usd", "risk": {"tier": "high", "score": 0.97},
        "tags": [], "ip": "192.168.1.10", "merchant_id": "m_42", "note": None, "gateway": "amazon_pay"}},
    "refund_jpy": {"source": "smartpay.pay", "detail-type": "payment.refunded", "detail": {
        "status": "succeeded", "amount_minor": -150, "currency": "JPY", "tags": ["wallet"], "ip": "2001:db8::1",
        "merchant_id": "m_7"}},
    "reward_sol": {"source": "smartpay.reward", "detail-type": "reward.minted", "detail": {
        "status": "pending", "amount_minor": 1500000000, "currency": "SOL", "tags": ["crypto", "solana"],
        "ip": "10.0.1.200", "merchant_id": "m_42", "risk": {"tier": "medium", "score": 0.5}}},
    "uppercase": {"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {
        "status": "SUCCEEDED", "amount_minor": 99.5, "currency": "EUR", "gateway": "Stripe", "tags": ["Card"],
        "ip": "10.0.0.255", "merchant_id": "M_42", "note": "refund/2024/report.pdf"}},
    "arrays": {"source": "smartpay.route", "detail-type": "route.decided", "detail": {
        "status": ["succeeded", "captured"], "scores": [1, 5, 10], "amount_minor": 5000, "currency": "KWD",
        "tags": ["a", "b"], "merchant_id": "m_9"}},
    "nested_objects": {"source": "smartpay.pay", "detail-type": "payment.processed", "detail": {
        "status": "succeeded", "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}], "amount_minor": 4000,
        "currency": "USD"}},
    "empty_detail": {"source": "smartpay.test", "detail-type": "ping", "detail": {}},
}

PATTERNS = [
    {"source": ["smartpay.pay"]},
    {"source": ["smartpay.pay", "smartpay.reward"]},
    {"detail-type": ["payment.processed"], "detail": {"status": ["succeeded"]}},
    {"detail": {"status": ["failed"]}},
    {"detail": {"status": ["succeeded", "pending"]}},
    {"detail": {"amount_minor": [2000]}},
    {"detail": {"amount_minor": [0]}},
    {"detail": {"currency": ["USD"]}},
    {"detail": {"note": [""]}},
    {"detail": {"note": [None]}},
    {"detail": {"tags": ["visa"]}},
    {"detail": {"tags": ["wallet", "crypto"]}},
    {"detail": {"risk": {"tier": ["high"]}}},
    {"detail": {"risk": {"tier": ["low", "medium"], "score": [{"numeric": ["<", 0.6]}]}}},
    {"detail": {"merchant_id": [{"prefix": "m_4"}]}},
    {"detail": {"merchant_id": [{"prefix": {"equals-ignore-case": "M_4"}}]}},
    {"detail": {"note": [{"suffix": ".pdf"}]}},
    {"detail": {"gateway": [{"suffix": {"equals-ignore-case": "PAY"}}]}},
    {"detail": {"status": [{"equals-ignore-case": "succeeded"}]}},
    {"detail": {"currency": [{"equals-ignore-case": "usd"}]}},
    {"detail": {"status": [{"anything-but": "succeeded"}]}},
    {"detail": {"status": [{"anything-but": ["succeeded", "failed"]}]}},
    {"detail": {"amount_minor": [{"anything-but": [0, 2000]}]}},
    {"detail": {"currency": [{"anything-but": {"prefix": "U"}}]}},
    {"detail": {"gateway": [{"anything-but": {"suffix": "_pay"}}]}},
    {"detail": {"currency": [{"anything-but": {"equals-ignore-case": ["usd", "eur"]}}]}},
    {"detail": {"amount_minor": [{"numeric": [">", 0]}]}},
    {"detail": {"amount_minor": [{"numeric": [">=", 1000, "<", 5000]}]}},
    {"detail": {"amount_minor": [{"numeric": ["<", 0]}]}},
    {"detail": {"amount_minor": [{"numeric": ["=", 2000]}]}},
    {"detail": {"scores": [{"numeric": [">", 7]}]}},
    {"detail": {"gateway": [{"exists": True}]}},
    {"detail": {"gateway": [{"exists": False}]}},
    {"detail": {"risk": {"score": [{"exists": True}]}}},
    {"detail": {"note": [{"wildcard": "refund/*/report.pdf"}]}},
    {"detail": {"note": [{"wildcard": "*.csv"}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}},
    {"detail": {"ip": [{"cidr": "2001:db8::/32"}]}},
    {"detail": {"items": {"sku": ["b"]}}},
    {"detail": {"items": {"qty": [{"numeric": [">", 2]}]}}},
    {"source": ["smartpay.pay"], "$or": [{"detail": {"status": ["failed"]}}, {"detail": {"amount_minor": [{"numeric": ["<", 0]}]}}]},
    {"$or": [{"detail-type": ["reward.minted"]}, {"detail": {"currency": ["KWD"]}}]},
    {"detail": {"$or": [{"status": ["pending"]}, {"tags": ["visa"]}]}},
    {"detail": {"status": ["succeeded"], "currency": ["USD"], "amount_minor": [{"numeric": [">", 1000]}]}},
    {"detail": {"missing": ["x"]}},
    # Array consistency: both fields must come from the same element of the array of objects.
    {"detail": {"items": {"sku": ["a"], "qty": [3]}}},
    {"detail": {"items": {"sku": ["b"], "qty": [3]}}},
    # Exists looks at leaves only: an object, an empty array or an array of objects is no leaf.
    {"detail": {"risk": [{"exists": True}]}},
    {"detail": {"risk": [{"exists": False}]}},
    {"detail": {"tags": [{"exists": True}]}},
    {"detail": {"tags": [{"exists": False}]}},
    {"detail": {"items": [{"exists": True}]}},
    {"detail": {"items": [{"exists": False}]}},
]

# (pattern index, event name) -> (AWS-documented verdict, why). Filled where moto departs from AWS's documentation.
ARRAY_OF_OBJECTS = (
    "EventBridge matches fields inside arrays of objects: its engine (aws/event-ruler) flattens the event and tracks "
    "which array element each field came from (ArrayMembership), requiring a rule's fields to come from one element; "
    "moto does not descend into arrays of objects")
NO_LEAF = (
    "EventBridge's exists matching only works on leaf nodes: its engine (aws/event-ruler) flattens the event into "
    "leaf values by path, and an empty array or an array of objects adds no value at the array's own path; moto "
    "counts any array as present")
AWS_DISAGREES = {
    (39, "nested_objects"): (True, ARRAY_OF_OBJECTS),
    (40, "nested_objects"): (True, ARRAY_OF_OBJECTS),
    (47, "nested_objects"): (True, ARRAY_OF_OBJECTS),
    (50, "failed_high_risk"): (False, NO_LEAF),
    (51, "failed_high_risk"): (True, NO_LEAF),
    (52, "nested_objects"): (False, NO_LEAF),
    (53, "nested_objects"): (True, NO_LEAF),
}


def main():
    cases = []
    for (index, pattern), (name, event) in itertools.product(enumerate(PATTERNS), EVENTS.items()):
        try:
            moto = EventPattern.load(json.dumps(pattern)).matches_event(event)
        except Exception:  # moto refuses some valid patterns
            moto = None
        expected, note = AWS_DISAGREES.get((index, name), (moto, None))
        cases.append({"id": f"{index}/{name}", "pattern": pattern, "event": event, "moto": moto,
                      "expected": expected, "note": note})
    print(json.dumps(cases))


if __name__ == "__main__":
    main()
