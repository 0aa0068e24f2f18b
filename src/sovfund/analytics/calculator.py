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

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import groupby

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.irr import irr_or_nan
from sovfund.engine.waterfall import WaterfallSpec, accrual_factors, allocate, clawback_transfers
from sovfund.terms.flows import Flow
from sovfund.terms.models import Contract
from sovfund.terms.sections import index_rate

__all__ = ["WaterfallResult", "cents", "run_waterfall"]

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


def run_waterfall(terms: Contract, flows: Sequence[Flow]) -> WaterfallResult:
    """Run dated ``flows`` (any order) through the waterfall of ``terms``."""
    spec = WaterfallSpec.from_terms(terms)
    rate = index_rate(terms)
    flows = sorted(flows, key=lambda f: f.date)
    deals = sorted({f.investment or "" for f in flows}) if spec.deal_by_deal else [""]
    row_of = {deal: i for i, deal in enumerate(deals)}
    parties = {party: i for i, party in enumerate(spec.parties)}

    state = spec.empty_state(len(deals))
    whole = spec.empty_state(1)  # the whole-fund run, for the clawback
    paid = np.zeros((len(deals), len(spec.tier_names), len(spec.parties)))
    dated: list[tuple[dt.date, Array]] = []
    previous: dt.date | None = None
    for date, group in groupby(flows, key=lambda f: f.date):
        today = list(group)
        if previous is not None:
            years = (date - previous).days / 365.0
            for s in (state, whole):
                s.accrue(accrual_factors(spec, years, rate))
        previous = date
        contributions = np.zeros((len(deals), len(spec.parties)))
        proceeds = np.zeros(len(deals))
        for flow in today:
            row = row_of[flow.investment or ""] if spec.deal_by_deal else 0
            if flow.kind == "contribution":
                contributions[row, parties[flow.party or ""]] += flow.amount
            else:
                proceeds[row] += flow.amount
        state.contribute(spec, contributions)
        whole.contribute(spec, contributions.sum(axis=0, keepdims=True))
        received = allocate(spec, state, proceeds, tiers_out=paid).sum(axis=0)
        allocate(spec, whole, proceeds.sum(keepdims=True))
        dated.append((date, received - contributions.sum(axis=0)))

    clawback = np.zeros(len(parties))
    if spec.deal_by_deal and spec.clawback:
        received = state.distributed.sum(axis=0, keepdims=True)
        contributed = state.contributed.sum(axis=0, keepdims=True)
        clawback = clawback_transfers(spec, received, whole.distributed, contributed)[0]
    if clawback.any():
        last_date, last_cash = dated[-1]
        dated[-1] = (last_date, last_cash - clawback)
    times = np.array([(d - dated[0][0]).days / 365.0 for d, _ in dated])
    cash = np.array([c for _, c in dated])
    contributed = state.contributed.sum(axis=0)
    return WaterfallResult(
        parties=spec.parties,
        tiers=spec.tier_names,
        contributed=contributed,
        distributed=state.distributed.sum(axis=0) - clawback,
        paid=paid.sum(axis=0),
        clawback=np.maximum(clawback, 0.0),
        irr=tuple(  # an IRR needs money in: none for a party that put in nothing
            irr_or_nan(times, cash[:, i]) if contributed[i] > 0 else math.nan
            for i in range(len(spec.parties))
        ),
    )
