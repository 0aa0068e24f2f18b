"""Currency conversion at the rate given with a command (yen per dollar, ``--usd-jpy``).

The fund keeps its books in dollars; a yen partner's commitment, calls, fees, gains
and distributions are in yen. A command that moves a yen partner's capital takes the
rate it converts at; each conversion is booked through the FX trading account
(:mod:`sovfund.books.accounts`). Conversions round half to even, in exact integers.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from sovfund.books.money import IntArray, round_ratio
from sovfund.errors import BooksError

__all__ = ["parse_rate", "to_fund", "to_partner"]

SCALE = 10**8  # rates are exact to 8 decimal places


def parse_rate(text: str | Decimal | float | None) -> Decimal | None:
    """A USD/JPY rate (yen per dollar, > 0), or None when none was given."""
    if text is None:
        return None
    try:
        rate = Decimal(str(text).strip())
    except ArithmeticError:
        raise BooksError(
            f"USD/JPY rate {text!r} is not a number; expected yen per dollar"
        ) from None
    if not rate.is_finite() or rate <= 0:
        raise BooksError(f"USD/JPY rate {text!r}; expected yen per dollar, more than zero")
    return rate


def _need(rate: Decimal | None, currencies: NDArray[np.str_], amounts: IntArray, what: str) -> int:
    if rate is None:
        if ((currencies == "JPY") & (amounts != 0)).any():
            raise BooksError(
                f"{what} reaches partners in yen and no USD/JPY rate was given;"
                " expected the rate with --usd-jpy (yen per dollar)"
            )
        return SCALE
    return int(rate * SCALE)


def to_partner(
    cents: IntArray, currencies: NDArray[np.str_], rate: Decimal | None, *, what: str
) -> IntArray:
    """Fund-currency cents as each partner's units: unchanged for USD partners, yen at
    ``rate`` for JPY partners."""
    scaled = _need(rate, currencies, cents, what)
    if not (currencies == "JPY").any():
        return np.asarray(cents, dtype=np.int64).copy()
    yen = round_ratio(np.asarray(cents, dtype=np.int64).astype(object) * scaled, 100 * SCALE)
    return np.where(currencies == "JPY", yen, cents).astype(np.int64)


def to_fund(
    units: IntArray, currencies: NDArray[np.str_], rate: Decimal | None, *, what: str
) -> IntArray:
    """Each partner's units as fund-currency cents (yen at ``rate``)."""
    scaled = _need(rate, currencies, units, what)
    if not (currencies == "JPY").any():
        return np.asarray(units, dtype=np.int64).copy()
    cents = round_ratio(np.asarray(units, dtype=np.int64).astype(object) * (100 * SCALE), scaled)
    return np.where(currencies == "JPY", cents, units).astype(np.int64)
