"""Draws: everything random (or assumed) that an engine consumes, as arrays over paths.

Engines are deterministic functions of (terms, draws); a generator (the base case
here, Monte Carlo and stress generators later) only produces draws. All arrays have
a leading axis of paths.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sovfund.terms.models import Terms

__all__ = ["MARKETS", "Draws", "base_case", "with_markets"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Draws:
    """Market paths and project shocks for a batch of paths.

    Attributes
    ----------
    short_rate, yield_10y, inflation, usd_jpy, jpy_short_rate : ndarray, shape (paths, quarters)
        Annual rates (decimals) and the USD/JPY level in each quarter of the fund's term;
        engines that look beyond the term hold the last quarter's value.
    credit_spread : ndarray, shape (paths, quarters)
        The move in the market spread for fund debt since the start (0.0 = unchanged).
    tariff : ndarray, shape (paths, quarters)
        1.0 in quarters of tariff snap-back, 0.0 under the deal.
    capex_factor : ndarray, shape (paths, projects)
        Realised capex over budget (1.0 = on budget).
    delay : ndarray of int, shape (paths, projects)
        Quarters of construction delay (the capex is spread over the longer build).
    default_quarter : ndarray of int, shape (paths, projects)
        The fund quarter in which the project defaults; -1 if it does not.
    recovery : ndarray, shape (paths, projects)
        Share of the project's mark the fund recovers when it defaults.
    revenue_factor : ndarray, shape (paths, projects)
        Realised revenue over plan (1.0 = as planned).
    redemption : ndarray, shape (paths, quarters), or None
        The share of their NAV that redeeming LPs (``fund.redemptions.classes``) ask to
        redeem in each quarter; the gate decides what they get. None: nobody asks (the
        Monte Carlo's default; a stress sets it).
    """

    short_rate: Array
    yield_10y: Array
    inflation: Array
    usd_jpy: Array
    jpy_short_rate: Array
    credit_spread: Array
    tariff: Array
    capex_factor: Array
    delay: NDArray[np.int64]
    default_quarter: NDArray[np.int64]
    recovery: Array
    revenue_factor: Array
    redemption: Array | None = None

    @property
    def paths(self) -> int:
        return int(self.short_rate.shape[0])


def base_case(terms: Terms, paths: int = 1) -> Draws:
    """The deterministic base case: macro levels held at ``[macro]``, projects on plan."""
    quarters, projects = terms.fund.quarters, len(terms.projects)
    macro = terms.market

    def level(value: float) -> Array:
        return np.full((paths, quarters), value, dtype=np.float64)

    return Draws(
        short_rate=level(macro.short_rate),
        yield_10y=level(macro.yield_10y),
        inflation=level(macro.inflation),
        usd_jpy=level(macro.usd_jpy),
        jpy_short_rate=level(macro.jpy_short_rate),
        credit_spread=level(0.0),
        tariff=level(0.0),
        capex_factor=np.ones((paths, projects)),
        delay=np.zeros((paths, projects), dtype=np.int64),
        default_quarter=np.full((paths, projects), -1, dtype=np.int64),
        recovery=np.ones((paths, projects)),
        revenue_factor=np.ones((paths, projects)),
    )


MARKETS = ("short_rate", "yield_10y", "inflation", "usd_jpy", "jpy_short_rate", "credit_spread")
"""The market paths of a draw (plus ``tariff``): what two structures share when they
are compared on the same markets."""


def with_markets(draws: Draws, source: Draws) -> Draws:
    """``draws`` with the market paths and tariff regime of ``source`` (cut to the
    quarters of ``draws``; ``source`` must cover at least as many)."""
    quarters = draws.short_rate.shape[1]
    moved = {name: getattr(source, name)[:, :quarters] for name in (*MARKETS, "tariff")}
    return replace(draws, **moved)
