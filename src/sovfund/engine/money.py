"""Exact money: splitting an amount into cents that always add up to the whole.

Simulation works in float64; anything that books money (the ledger, statements) works
in ``Decimal`` cents. :func:`allocate_cents` turns an amount and a set of weights (for
example one row of the waterfall's float allocation) into cents by the largest
remainder method: every part is floored to a cent, and the cents left over go one
each to the parts with the largest remainders (ties to the earlier part), so the parts
sum exactly to the amount and no part is off by a cent or more from its exact share.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

__all__ = ["CENT", "allocate_cents"]

CENT = Decimal("0.01")


def allocate_cents(
    amount: Decimal, weights: Mapping[str, float | Decimal | Fraction]
) -> dict[str, Decimal]:
    """Split ``amount`` (whole cents) in proportion to ``weights`` (>= 0, not all zero).

    >>> allocate_cents(Decimal("100.00"), {"a": 1, "b": 1, "c": 1})
    {'a': Decimal('33.34'), 'b': Decimal('33.33'), 'c': Decimal('33.33')}
    """
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount {amount} is not a whole number of cents")
    exact = {key: Fraction(weight) for key, weight in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must be non-negative")
    total_weight = sum(exact.values(), Fraction(0))
    if total_weight == 0:
        raise ValueError("weights must not all be zero")
    cents = Fraction(amount) * 100
    shares = {key: cents * w / total_weight for key, w in exact.items()}
    floors = {key: share.numerator // share.denominator for key, share in shares.items()}
    left = int(cents) - sum(floors.values())
    order = sorted(shares, key=lambda key: shares[key] - floors[key], reverse=True)
    for key in order[:left]:
        floors[key] += 1
    return {
        key: (Decimal(floors[key]) * CENT).quantize(CENT, rounding=ROUND_FLOOR) for key in weights
    }
