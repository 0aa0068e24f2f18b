"""Japan's side of the bargain: the tariff relief a structure buys, against the fund.

The arithmetic of docs/bargain.md, on arrays over paths; the runs that feed it are
:mod:`sovfund.run.bargain`'s. On each path, in yen at the start of the fund:

- relief: ``sum_t schedule[t] x (1 - snapped[t]) x (1 - hazard) ** ((t + 1) / 4) x
  usd_jpy[t] / yen_index[t]``, where ``schedule[t]`` is the sectors' yearly relief / 4
  for the sectors whose relief still lasts in quarter t, ``snapped`` the Monte Carlo's
  tariff regime (1 in snap-back quarters), the power the chance that the US has not
  ended the relief for good by the end of quarter t, and ``yen_index[t] = prod_{s <= t}
  (1 + jpy_short_rate[s] / 4)`` Japan's yen funding (the discounting of
  :attr:`~sovfund.analytics.paths.PathSummary.npv_jpy`);
- the fund: the sum of Japan's parties' ``npv_jpy``: what they receive less what they
  pay in (and the NAV left), discounted at the same yen rate, so the yen cost of funding
  the contributions is in it;
- the net: relief + fund. USD figures are the yen figures at the starting USD/JPY.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sovfund.errors import InputError
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Bargain, Terms

__all__ = [
    "BREAK_EVEN_CAP",
    "break_even",
    "japan_parties",
    "relief_schedule",
    "relief_value",
    "snapback_weights",
    "survival",
]

Array = NDArray[np.float64]

BREAK_EVEN_CAP = 1e15
"""Yearly relief (USD) beyond which no relief is said to make the net break even."""


def japan_parties(terms: Terms) -> tuple[str, ...]:
    """The parties whose fund outcome is Japan's: ``bargain.parties`` if given, else the
    Japanese sovereign LPs (``country = "JP"``, ``class = "sovereign"``). Raises
    :class:`~sovfund.errors.InputError` when there are none: the bargain weighs the
    relief against Japan's money in the fund, and a term sheet without any has nothing
    to weigh it against."""
    if terms.bargain is not None and terms.bargain.parties is not None:
        return terms.bargain.parties
    found = tuple(p.id for p in terms.lps if p.country == "JP" and p.investor_class == "sovereign")
    if not found:
        raise InputError(
            f"{terms.source}: bargain.parties: found no party for Japan (no LP with"
            ' country = "JP" and class = "sovereign"); expected the ids of the parties'
            ' whose money is Japan\'s, e.g. bargain.parties = ["japan"]'
        )
    return found


def survival(hazard: float, quarters: int) -> Array:
    """The chance that the relief has not been ended for good by the end of each
    quarter, at a yearly chance ``hazard``: ``(1 - hazard) ** ((t + 1) / 4)``."""
    return np.asarray((1.0 - hazard) ** ((np.arange(quarters) + 1.0) / 4.0), dtype=np.float64)


def relief_schedule(bargain: Bargain, quarters: int, *, scale: float = 1.0) -> Array:
    """Relief per quarter while the deal holds, USD: a quarter of each sector's yearly
    relief in the quarters it lasts (``years``; the whole term if not given), times
    ``scale``. Shape (quarters,)."""
    t = np.arange(quarters)
    out = np.zeros(quarters)
    for sector in bargain.sector:
        lasts = quarters if sector.years is None else int(np.floor(4.0 * sector.years + 1e-9))
        out += np.where(t < lasts, sector.yearly_relief / 4.0, 0.0)
    return scale * out


def relief_value(
    schedule: Array, draws: Draws, hazard: float, *, snapped_from: int | None = None
) -> Array:
    """What the relief of ``schedule`` (USD a quarter, shape (quarters,)) is worth in yen
    at the start on each path of ``draws``: lost in the regime's snap-back quarters (and
    from quarter ``snapped_from`` on, if given: a snap-back after Japan declines a
    project), weighted by :func:`survival`, converted at each quarter's USD/JPY and
    discounted at the path's JPY short rate. Shape (paths,)."""
    quarters = schedule.shape[0]
    deal = 1.0 - draws.tariff[:, :quarters]
    if snapped_from is not None:
        deal = deal.copy()
        deal[:, snapped_from:] = 0.0
    yen_index = np.cumprod(1.0 + draws.jpy_short_rate[:, :quarters] / 4.0, axis=1)
    weight = schedule * survival(hazard, quarters)
    return np.asarray(
        (deal * weight * draws.usd_jpy[:, :quarters] / yen_index).sum(axis=1), dtype=np.float64
    )


def break_even(unit: Array, fund: Array, percentile: float) -> float | None:
    """The relief R (per unit of ``unit``) at which the ``percentile`` of ``R x unit +
    fund`` over paths is zero: ``unit`` is what one unit of relief is worth on each path
    and ``fund`` the fund's outcome, in the same money. Negative when the fund alone is
    worth it at that percentile (Japan could pay that much and still break even); None
    when no relief up to :data:`BREAK_EVEN_CAP` is enough (too many paths on which the
    relief is worth nothing and the fund loses).

    The percentile of ``R x unit + fund`` never falls as R rises (``unit >= 0``), so a
    bisection finds the root; it stops within 1e-9 of it, relatively.
    """

    def at(relief: float) -> float:
        return float(np.percentile(relief * unit + fund, percentile))

    if unit.size == 0:
        return None
    if at(0.0) >= 0.0:
        low, high = -1.0, 0.0
        while at(low) >= 0.0:
            if -low > BREAK_EVEN_CAP:
                return None
            low *= 2.0
    else:
        low, high = 0.0, 1.0
        while at(high) < 0.0:
            if high > BREAK_EVEN_CAP:
                return None
            high *= 2.0
    while high - low > 1e-9 * max(abs(low), abs(high), 1.0):
        middle = 0.5 * (low + high)
        if at(middle) >= 0.0:
            high = middle
        else:
            low = middle
    return high


def snapback_weights(declined_at: Sequence[int], chance: float) -> tuple[float, dict[int, float]]:
    """How likely each snap-back is when Japan declines projects in the quarters
    ``declined_at`` (one entry per project) and the US snaps back after each decline
    with ``chance``, independently, to the end of the term: the chance of none, and of
    the first snap-back coming in each distinct quarter (the later declines no longer
    matter then). The chances sum to 1."""
    out: dict[int, float] = {}
    none = 1.0
    for quarter in sorted(set(declined_at)):
        count = sum(1 for q in declined_at if q == quarter)
        out[quarter] = none * (1.0 - (1.0 - chance) ** count)
        none *= (1.0 - chance) ** count
    return none, out
