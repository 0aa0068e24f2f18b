"""The waterfall calculator: dated flows through a term sheet's waterfall.

Flows are taken in date order; on each date, hurdle balances first compound from the
previous date, then the date's contributions are booked, then its proceeds are
distributed. Floating hurdle rates use the term sheet's ``macro.short_rate`` as the
index (the calculator has no rate path).

Deal by deal (``style = "deal_by_deal"``), each investment runs the tiers on its own
contributions and proceeds. With ``clawback = true``, at the last date each GP returns
whatever it received above what the same tiers would have paid it on the whole fund;
the LPs receive it pro rata to contributed capital. Reported distributions are net of
the clawback, which is also reported on its own.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.irr import irr_or_nan
from sovfund.engine.kernels import compiled
from sovfund.engine.waterfall import (
    WaterfallSpec,
    accrual_factors,
    clawback_transfers,
    new_rows,
    run_dated,
)
from sovfund.terms.flows import Flow
from sovfund.terms.models import Contract
from sovfund.terms.sections import index_rate

__all__ = ["WaterfallResult", "cents", "run_waterfall"]

_CHUNK = 4096
"""Dates taken through the waterfall at a time (memory: a few arrays of this length)."""
_PLAIN_DATES = 64
"""Up to this many dates the rule runs as plain Python; beyond, compiled."""

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class WaterfallResult:
    """Totals of a calculator run (parties and tiers in term-sheet order).

    ``paid`` has shape (tiers, parties); ``clawback`` is what each GP gave back
    (zero for LPs and without clawback); ``distributed`` is net of it.
    """

    parties: tuple[str, ...]
    tiers: tuple[str, ...]
    contributed: Array
    distributed: Array
    paid: Array
    clawback: Array
    irr: tuple[float, ...]  # NaN where there is no IRR (none without contributions)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of ``sovfund waterfall --json`` (DESIGN.md), money in cents.

        Each tier's payment to each party is rounded to the cent, half to even (banker's
        rounding, on the shortest decimal that reads back as the float, so that
        1359999.999999985 is 1360000.00); a party's ``distributed`` is the sum of its
        rounded tier payments less what it gave back in the clawback (plus what it got
        back, for an LP), each rounded, and ``contributed`` its contributions rounded, so
        that the figures add up as printed. ``irr`` is null where a party contributed
        nothing (a GP, say): an IRR needs money in.
        """
        paid = [[cents(v) for v in row] for row in self.paid]
        clawback = [cents(v) for v in self.clawback]
        # what the clawback moved to (+) or from (-) each party, beyond its tiers
        moved = [cents(self.distributed[i] - self.paid[:, i].sum()) for i in range(len(clawback))]
        out: dict[str, object] = {
            "parties": {
                party: {
                    "contributed": cents(self.contributed[i]) / 100,
                    "distributed": (sum(row[i] for row in paid) + moved[i]) / 100,
                    "irr": None
                    if math.isnan(self.irr[i]) or cents(self.contributed[i]) <= 0
                    else self.irr[i],
                }
                for i, party in enumerate(self.parties)
            },
            "tiers": [
                {
                    "name": name,
                    "paid": {p: v / 100 for p, v in zip(self.parties, row, strict=True) if v},
                }
                for name, row in zip(self.tiers, paid, strict=True)
            ],
        }
        if any(clawback):
            out["clawback"] = {p: v / 100 for p, v in zip(self.parties, clawback, strict=True) if v}
        return out


def cents(amount: float) -> int:
    """``amount`` in whole cents, rounded half to even on its shortest decimal form."""
    exact = Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return int(exact * 100)


def flows_between(flows: Sequence[Flow], first: dt.date, last: dt.date) -> Iterator[Flow]:
    """The flows (sorted by date) dated from ``first`` to ``last``."""
    low = bisect.bisect_left(flows, first, key=lambda f: f.date)
    high = bisect.bisect_right(flows, last, key=lambda f: f.date)
    return iter(flows[low:high])


def run_waterfall(terms: Contract, flows: Sequence[Flow]) -> WaterfallResult:
    """Run dated ``flows`` (any order) through the waterfall of ``terms``.

    The dates are taken a chunk at a time through :func:`~sovfund.engine.waterfall.
    run_dated` (compiled for long series), so memory stays flat however many there are.
    """
    spec = WaterfallSpec.from_terms(terms)
    rate = index_rate(terms)
    flows = sorted(flows, key=lambda f: f.date)
    deals = sorted({f.investment or "" for f in flows}) if spec.deal_by_deal else [""]
    row_of = {deal: i for i, deal in enumerate(deals)}
    parties = {party: i for i, party in enumerate(spec.parties)}
    dates = sorted({f.date for f in flows})
    day = {date: i for i, date in enumerate(dates)}
    tiers, count = len(spec.tier_names), len(parties)

    state = new_rows(len(deals), count, tiers)
    whole = new_rows(1, count, tiers)  # the whole-fund run, for the clawback
    paid = np.zeros((tiers, count))
    cash = np.zeros((len(dates), count))  # each date's net flow to each party
    run = compiled(run_dated) if len(dates) > _PLAIN_DATES else run_dated
    for start in range(0, len(dates), _CHUNK):
        chunk = dates[start : start + _CHUNK]
        gaps = np.diff(np.array([(d - dates[0]).days for d in chunk], dtype=np.float64))
        before = (chunk[0] - dates[start - 1]).days if start else 0.0
        factors = accrual_factors(spec, np.concatenate([[before], gaps]) / 365.0, rate)
        factors = np.ascontiguousarray(np.broadcast_to(factors, (len(chunk), tiers)))
        contributions = np.zeros((len(chunk), len(deals), count))
        proceeds = np.zeros((len(chunk), len(deals)))
        for flow in flows_between(flows, chunk[0], chunk[-1]):
            row = row_of[flow.investment or ""] if spec.deal_by_deal else 0
            if flow.kind == "contribution":
                contributions[day[flow.date] - start, row, parties[flow.party or ""]] += flow.amount
            else:
                proceeds[day[flow.date] - start, row] += flow.amount
        received = np.zeros((len(chunk), count))
        run(spec.tiers, factors, contributions, proceeds, state, whole, received, paid)
        cash[start : start + len(chunk)] = received - contributions.sum(axis=1)

    clawback = np.zeros(len(parties))
    if spec.deal_by_deal and spec.clawback:
        received = state.distributed.sum(axis=0, keepdims=True)
        contributed = state.contributed.sum(axis=0, keepdims=True)
        clawback = clawback_transfers(spec, received, whole.distributed, contributed)[0]
    cash[-1] -= clawback
    times = np.array([(d - dates[0]).days / 365.0 for d in dates])
    contributed = state.contributed.sum(axis=0)
    return WaterfallResult(
        parties=spec.parties,
        tiers=spec.tier_names,
        contributed=contributed,
        distributed=state.distributed.sum(axis=0) - clawback,
        paid=paid,
        clawback=np.maximum(clawback, 0.0),
        irr=tuple(  # an IRR needs money in: none for a party that put in nothing
            irr_or_nan(times, cash[:, i]) if contributed[i] > 0 else math.nan
            for i in range(len(spec.parties))
        ),
    )
