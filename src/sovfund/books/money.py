"""Money in the books: integer minor units, parsed and printed as decimals, split exactly.

Amounts are stored as integers of the currency's minor unit (cents for USD; yen have
none) and shown as ``Decimal``s and decimal strings ("1234.56"). Splitting an amount
uses the largest-remainder rule of :func:`sovfund.engine.money.allocate_cents`: every
part is floored, and the units left over go one each to the largest remainders (ties
to the earlier part), so the parts always sum to the whole. :func:`split` is the same
rule on integer weights, vectorized for many partners.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.money import allocate_cents
from sovfund.errors import BooksError

__all__ = [
    "CURRENCIES",
    "Currency",
    "IntArray",
    "from_minor",
    "parse_amount",
    "round_ratio",
    "scaled",
    "split",
    "split_floats",
    "to_minor",
]

Currency = Literal["USD", "JPY"]
CURRENCIES: dict[str, int] = {"USD": 2, "JPY": 0}  # digits of the minor unit
IntArray = NDArray[np.int64]


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in whole minor units; it must have no finer digits."""
    scaled = amount.scaleb(CURRENCIES[currency])
    if scaled != scaled.to_integral_value():
        raise BooksError(
            f"{amount} {currency} has more than {CURRENCIES[currency]} decimal places;"
            f" expected whole {'cents' if CURRENCIES[currency] else 'yen'}"
        )
    return int(scaled)


def from_minor(units: int, currency: str) -> Decimal:
    """Minor units as a ``Decimal`` with the currency's decimal places."""
    digits = CURRENCIES[currency]
    return Decimal(int(units)).scaleb(-digits) if digits else Decimal(int(units))


LARGEST = Decimal(10) ** 15
"""No single amount reaches this (a quadrillion dollars or yen): minor units stay far
inside the database's 64-bit integers, sums of them too."""


def parse_amount(
    text: str | int | Decimal, currency: str, *, what: str = "amount", allow_zero: bool = False
) -> int:
    """A user's amount (``"1,000.50"``, ``"1e9"``, a Decimal) in minor units, or a clear
    :class:`BooksError`: non-numbers, negatives and finer digits than the currency's are
    refused, zero too unless ``allow_zero``."""
    if isinstance(text, float):
        text = repr(text)
    try:
        amount = (
            text
            if isinstance(text, Decimal)
            else Decimal(str(text).strip().replace(",", "").replace("_", ""))
        )
    except InvalidOperation:
        raise BooksError(
            f"{what} {text!r} is not a number; expected an amount such as 1000.50"
        ) from None
    if not amount.is_finite():
        raise BooksError(f"{what} {text!r} is not a finite number; expected an amount")
    if amount < 0 or (amount == 0 and not allow_zero):
        expected = "zero or more" if allow_zero else "more than zero"
        raise BooksError(f"{what} {text!r} is negative or zero; expected {expected}")
    if amount >= LARGEST:
        raise BooksError(f"{what} {text!r} is too large; expected less than 10^15")
    return to_minor(amount, currency)


def split(total: int, weights: IntArray) -> IntArray:
    """Split ``total`` units in proportion to integer ``weights`` (>= 0, not all 0).

    Exact integer arithmetic (Python integers where products could overflow int64),
    largest remainder, ties to the earlier weight; the parts sum to ``total``.
    """
    weights = np.asarray(weights, dtype=np.int64)
    whole = int(weights.sum())
    if whole <= 0 or (weights < 0).any():
        raise ValueError("weights must be non-negative and not all zero")
    if total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    products = weights.astype(object) * int(total)
    floors = (products // whole).astype(np.int64)
    remainders = (products % whole).astype(np.int64)
    left = int(total) - int(floors.sum())
    if left:
        order = np.argsort(-remainders, kind="stable")[:left]
        floors[order] += 1
    return floors


def split_floats(total: int, shares: NDArray[np.float64]) -> IntArray:
    """Split ``total`` units in proportion to float ``shares`` of any shape (a row of the
    waterfall's output): :func:`sovfund.engine.money.allocate_cents` on the floats' exact
    values, so the parts sum to ``total``."""
    shares = np.asarray(shares, dtype=np.float64)
    flat = shares.ravel()
    positive = np.flatnonzero(flat > 0)  # only these take part: zeros get nothing
    units = np.zeros(flat.shape, dtype=np.int64)
    if total == 0 or not len(positive):
        return units.reshape(shares.shape)
    # allocate_cents splits whole cents: pass the units as cents, read them back as units
    parts = allocate_cents(
        from_minor(total, "USD"), {str(i): float(flat[i]) for i in positive.tolist()}
    )
    units[positive] = [int(parts[str(i)].scaleb(2)) for i in positive.tolist()]
    return units.reshape(shares.shape)


def round_ratio(numerator: IntArray | NDArray[np.object_], denominator: int) -> IntArray:
    """``numerator / denominator`` rounded half to even, exactly (Python integers)."""
    numerator = np.asarray(numerator).astype(object)
    quotient, remainder = numerator // int(denominator), numerator % int(denominator)
    twice = remainder * 2
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return (quotient + up).astype(np.int64)


def scaled(rate: Decimal | float, digits: int = 12) -> int:
    """``rate`` as an integer of 10**-digits (exact for a Decimal, via repr for a float)."""
    value = rate if isinstance(rate, Decimal) else Decimal(repr(rate))
    return int((value * 10**digits).to_integral_value())
