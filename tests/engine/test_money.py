"""Exact money: cents by largest remainder always add up to the whole."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sovfund.engine.money import allocate_cents


def test_thirds() -> None:
    parts = allocate_cents(Decimal("100.00"), {"a": 1, "b": 1, "c": 1})
    assert parts == {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")}


def test_the_leftover_cent_goes_to_the_largest_remainder() -> None:
    # 10.00 split 1:2:7 -> 1.00, 2.00, 7.00 exactly; 0.05 split 1:3 -> 0.0125, 0.0375.
    assert allocate_cents(Decimal("10.00"), {"a": 1, "b": 2, "c": 7})["c"] == Decimal("7.00")
    parts = allocate_cents(Decimal("0.05"), {"a": 1, "b": 3})
    assert parts == {"a": Decimal("0.01"), "b": Decimal("0.04")}


@given(
    cents=st.integers(-(10**12), 10**12),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(any),
)
def test_parts_sum_exactly_and_stay_within_a_cent(cents: int, weights: list[int]) -> None:
    amount = Decimal(cents) / 100
    named = {f"p{i}": w for i, w in enumerate(weights)}
    parts = allocate_cents(amount, named)
    assert sum(parts.values()) == amount
    assert list(parts) == list(named)
    total = sum(weights)
    for key, weight in named.items():
        exact = Fraction(cents, 100) * weight / total
        assert abs(Fraction(parts[key]) - exact) < Fraction(1, 100)
        assert parts[key] == parts[key].quantize(Decimal("0.01"))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number of cents"):
        allocate_cents(Decimal("1.005"), {"a": 1})
    with pytest.raises(ValueError, match="non-negative"):
        allocate_cents(Decimal("1.00"), {"a": -1, "b": 2})
    with pytest.raises(ValueError, match="not all be zero"):
        allocate_cents(Decimal("1.00"), {"a": 0})
