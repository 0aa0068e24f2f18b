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

What :func:`~sovfund.run.bargain.bargain_study` finds is a :class:`BargainStudy`, typed
and frozen like every result (attribute names the JSON's keys; see
:mod:`sovfund.analytics.figures`); its ``to_dict()`` is the JSON of ``sovfund bargain
--json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.figures import Distribution
from sovfund.documents import Document
from sovfund.errors import InputError
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Bargain, Terms

__all__ = [
    "BREAK_EVEN_CAP",
    "AllFunded",
    "BargainStudy",
    "BreakEven",
    "BreakEvenRelief",
    "BriefDistribution",
    "NetValue",
    "OptOut",
    "Portfolio",
    "ProjectDecision",
    "SectorRelief",
    "ValueToJapan",
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


# -- what the study finds --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectorRelief:
    """One ``[[bargain.sector]]`` and the relief the deal gives it (USD a year)."""

    name: str
    exports: float
    """Japan's exports of the sector to the US, USD a year."""
    tariff_without: float
    tariff_with: float
    exporter_share: float
    """The share of a tariff the exporters bear."""
    elasticity: float
    margin: float
    years: float | None
    """How long the relief lasts, in years; None: the whole term."""
    yearly_relief: float
    """What the deal saves the sector's exporters a year while it holds, USD."""

    def to_dict(self) -> Document:
        return {
            "name": self.name,
            "exports": self.exports,
            "tariff_without": self.tariff_without,
            "tariff_with": self.tariff_with,
            "exporter_share": self.exporter_share,
            "elasticity": self.elasticity,
            "margin": self.margin,
            "years": self.years,
            "yearly_relief": self.yearly_relief,
        }


@dataclass(frozen=True, slots=True)
class ValueToJapan:
    """A value to Japan across the paths, at the start of the fund and discounted at its
    yen funding rate: in USD (at the starting USD/JPY) and in yen."""

    usd: Distribution
    jpy: Distribution

    def to_dict(self) -> Document:
        return {"usd": self.usd.to_dict(), "jpy": self.jpy.to_dict()}


@dataclass(frozen=True, slots=True)
class NetValue(ValueToJapan):
    """The net (relief plus the fund) to Japan, and the chance that it is positive."""

    p_ahead: float
    """The chance that Japan comes out ahead (a net above zero)."""
    quantiles_usd: tuple[float, ...] | None = None
    """The 1st to 99th percentiles of the net, USD (for charts; the study's own net)."""
    fund_quantiles_usd: tuple[float, ...] | None = None
    """The same percentiles of the fund alone."""

    def to_dict(self) -> Document:
        out: Document = {**ValueToJapan.to_dict(self), "p_ahead": self.p_ahead}
        if self.quantiles_usd is not None and self.fund_quantiles_usd is not None:
            out["quantiles_usd"] = list(self.quantiles_usd)
            out["fund_quantiles_usd"] = list(self.fund_quantiles_usd)
        return out


@dataclass(frozen=True, slots=True)
class BreakEven:
    """The flat yearly relief at which one percentile of the net is zero."""

    yearly_usd: float | None
    """USD a year; negative where the fund alone is worth it; None where no relief up to
    :data:`BREAK_EVEN_CAP` is enough."""
    multiple_of_relief: float | None
    """``yearly_usd`` over the relief in force at the start (None where either is
    missing or there is no relief)."""

    def to_dict(self) -> Document:
        return {"yearly_usd": self.yearly_usd, "multiple_of_relief": self.multiple_of_relief}


@dataclass(frozen=True, slots=True)
class BreakEvenRelief:
    """The relief Japan would need to break even on the median path and at the 5th
    percentile."""

    p50: BreakEven
    p05: BreakEven

    def to_dict(self) -> Document:
        return {"p50": self.p50.to_dict(), "p05": self.p05.to_dict()}


@dataclass(frozen=True, slots=True)
class BriefDistribution:
    """Mean, 5th percentile and median of a value across the paths, USD."""

    mean: float
    p05: float
    p50: float

    def to_dict(self) -> Document:
        return {"mean": self.mean, "p05": self.p05, "p50": self.p50}


@dataclass(frozen=True, slots=True)
class ProjectDecision:
    """One project funded against declined, and what the opt-out rule decides (USD,
    means over the paths)."""

    id: str
    name: str
    sector: str
    capex: float
    start_quarter: int
    expected_loss_usd: float
    """The net declining it without a snap-back less the net funding it."""
    snapback_cost_usd: float
    """The snap-back's chance times what a snap-back costs (relief and fund value)."""
    gain_usd: float
    """The net funding it less the net declining it (snap-back at its chance)."""
    gain_se_usd: float
    """The Monte Carlo standard error of ``gain_usd``."""
    net_if_funded_usd: BriefDistribution
    net_if_declined_usd: BriefDistribution
    decision: Literal["decline", "fund"]
    close: bool
    """Whether the loss and the cost are within two standard errors of each other."""

    def to_dict(self) -> Document:
        return {
            "id": self.id,
            "name": self.name,
            "sector": self.sector,
            "capex": self.capex,
            "start_quarter": self.start_quarter,
            "expected_loss_usd": self.expected_loss_usd,
            "snapback_cost_usd": self.snapback_cost_usd,
            "gain_usd": self.gain_usd,
            "gain_se_usd": self.gain_se_usd,
            "net_if_funded_usd": self.net_if_funded_usd.to_dict(),
            "net_if_declined_usd": self.net_if_declined_usd.to_dict(),
            "decision": self.decision,
            "close": self.close,
        }


@dataclass(frozen=True, slots=True)
class Portfolio:
    """What following the rule leaves: every declined project declined at once."""

    declined: tuple[str, ...]
    """The projects the rule declines (ids, in the term sheet's order)."""
    funded: tuple[str, ...]
    capex_declined: float
    snapback_chance: float
    """The chance that at least one decline brings a snap-back."""
    relief: ValueToJapan
    fund: ValueToJapan
    net: NetValue

    def to_dict(self) -> Document:
        return {
            "declined": list(self.declined),
            "funded": list(self.funded),
            "capex_declined": self.capex_declined,
            "snapback_chance": self.snapback_chance,
            "relief": self.relief.to_dict(),
            "fund": self.fund.to_dict(),
            "net": self.net.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class AllFunded:
    """Every project funded: the net the opt-out is measured against."""

    net: NetValue

    def to_dict(self) -> Document:
        return {"net": self.net.to_dict()}


@dataclass(frozen=True, slots=True)
class OptOut:
    """Each project funded against declined, the rule's decisions and its portfolio."""

    paths: int
    """Paths of each run."""
    decline_snapback: float
    """The chance that the US snaps tariffs back after Japan declines a project."""
    rule: str
    """The rule, in words."""
    all_funded: AllFunded
    projects: tuple[ProjectDecision, ...]
    portfolio: Portfolio

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "decline_snapback": self.decline_snapback,
            "rule": self.rule,
            "all_funded": self.all_funded.to_dict(),
            "projects": [project.to_dict() for project in self.projects],
            "portfolio": self.portfolio.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BargainStudy:
    """Japan's side of the bargain for one term sheet; ``to_dict()`` is the JSON of
    ``sovfund bargain --json`` (docs/bargain.md), money in USD at the starting USD/JPY
    (``usd_jpy``) and in yen."""

    paths: int
    seed: int
    parties: tuple[str, ...]
    """The parties whose fund outcome is Japan's."""
    usd_jpy: float
    """Yen per dollar at the start."""
    hazard: float
    """The yearly chance that the US ends the relief for good."""
    yearly_relief: float
    """The relief in force at the start, USD a year."""
    sectors: tuple[SectorRelief, ...]
    relief: ValueToJapan
    """The tariff relief."""
    fund: ValueToJapan
    """The fund for Japan: what its parties receive less what they pay in."""
    net: NetValue
    """Relief plus fund."""
    break_even: BreakEvenRelief
    opt_out: OptOut | None
    """Where Japan may decline projects (``bargain.decline_snapback``) and the opt-out
    was run."""

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "parties": list(self.parties),
            "usd_jpy": self.usd_jpy,
            "hazard": self.hazard,
            "yearly_relief": self.yearly_relief,
            "sectors": [sector.to_dict() for sector in self.sectors],
            "relief": self.relief.to_dict(),
            "fund": self.fund.to_dict(),
            "net": self.net.to_dict(),
            "break_even": self.break_even.to_dict(),
            "opt_out": None if self.opt_out is None else self.opt_out.to_dict(),
        }
