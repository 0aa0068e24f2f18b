"""Per-path summaries of simulated fund paths, small enough to keep for every path.

A batch of :class:`~sovfund.engine.fund.FundPaths` (every flow of every quarter) is
reduced to a few numbers per path and party; batches are merged by concatenation, so
memory grows with paths by a few hundred bytes each, whatever the term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.irr import irr_by_party
from sovfund.analytics.metrics import debt_figures, ratio
from sovfund.analytics.pme import direct_alpha, ks_pme, treasury_index
from sovfund.engine.calendar import year_fractions
from sovfund.engine.fund import FundPaths
from sovfund.engine.fund_compiled import FundOutcome
from sovfund.scenarios.draws import Draws

__all__ = ["PathSummary", "summarize_paths"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PathSummary:
    """What each path came to.

    Party arrays have shape (paths, parties), fund arrays (paths,).

    Attributes
    ----------
    contributed, received, residual : party arrays
        Paid in; distributions plus fees received (net of any clawback); NAV left.
    irr, tvpi, dpi : party arrays
        NaN where a party paid nothing in (see :mod:`sovfund.analytics.metrics`).
    irr_jpy : party arrays
        The IRR of the party's flows converted to yen at each quarter's USD/JPY.
    irr_jpy_net : party arrays
        ``irr_jpy`` over the path's average JPY short rate f, ``(1 + irr) / (1 + f) - 1``:
        the return over the cost of the yen bills that fund Japan's reserve account (a
        total loss stays -100%).
    fees_received : party arrays
        Management fees received (GPs); the rest of ``received`` is waterfall
        distributions (for GPs: carry).
    contributed_jpy, received_jpy : party arrays
        The same flows converted to yen at each quarter's USD/JPY (``received_jpy``
        includes the NAV left at the last quarter's rate).
    ks_pme, direct_alpha : party arrays
        Against Treasury bills at the path's short rate (:mod:`sovfund.analytics.pme`).
    defaulted, shortfall, breached : fund arrays of bool
        Fund-debt default; a funding shortfall (calls and debt could not pay for the
        projects, so the fund sold up); any covenant breach.
    first_breach : fund array of int
        Quarter of the first covenant breach, -1 if none.
    lenders_loss, peak_debt, peak_ltv, fees : fund arrays
    peak_leverage, peak_assets : fund arrays
        Peak debt over the equity called so far; peak marked asset value.
    redeemed, gate_shut : fund arrays
        Paid out to redeeming LPs (``[fund.redemptions]``); quarters in which requests
        were pending and the gate paid nothing.
    """

    contributed: Array
    received: Array
    residual: Array
    irr: Array
    irr_jpy: Array
    irr_jpy_net: Array
    tvpi: Array
    dpi: Array
    fees_received: Array
    contributed_jpy: Array
    received_jpy: Array
    ks_pme: Array
    direct_alpha: Array
    defaulted: NDArray[np.bool_]
    shortfall: NDArray[np.bool_]
    breached: NDArray[np.bool_]
    first_breach: NDArray[np.int64]
    lenders_loss: Array
    peak_debt: Array
    peak_ltv: Array
    fees: Array
    peak_leverage: Array
    peak_assets: Array
    redeemed: Array
    gate_shut: NDArray[np.int64]

    @property
    def paths(self) -> int:
        return int(self.defaulted.shape[0])

    @classmethod
    def concatenate(cls, parts: Sequence[PathSummary]) -> PathSummary:
        """The summaries of consecutive batches, in order."""
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )


def summarize_paths(
    fund: FundPaths | FundOutcome, draws: Draws, yen_parties: NDArray[np.bool_] | None = None
) -> PathSummary:
    """Reduce a batch of fund paths run on ``draws``.

    ``yen_parties`` (shape (parties,)) picks whose yen IRRs to work out (the others are
    NaN); every party's by default.
    """
    usd_jpy = draws.usd_jpy[:, :, None]
    paid_in = fund.contributions
    paid_out = fund.distributed + fund.fees_received
    contributed = paid_in.sum(axis=1)
    received = paid_out.sum(axis=1)
    residual = fund.party_nav[:, -1, :]
    times = year_fractions(fund.dates[0], fund.dates)
    cash = fund.party_cash  # (paths, quarters, parties)
    paths, _, parties = cash.shape
    yen = np.ones(parties, dtype=np.bool_) if yen_parties is None else yen_parties
    irr_jpy = np.full((paths, parties), np.nan)
    irr_jpy[:, yen] = irr_by_party(times, cash[:, :, yen] * usd_jpy)
    index = treasury_index(draws.short_rate)
    final = cash.copy()
    final[:, -1, :] += residual
    with np.errstate(invalid="ignore", divide="ignore"):
        called = np.cumsum(fund.calls, axis=1)
        leverage = np.where(called > 0, (fund.debt + fund.debt_repaid) / called, 0.0)
    peak_debt, peak_ltv, breached, first_breach = debt_figures(
        fund.debt, fund.debt_repaid, fund.asset_value, fund.breach
    )
    return PathSummary(
        contributed=contributed,
        received=received,
        residual=residual,
        irr=irr_by_party(times, cash),
        irr_jpy=irr_jpy,
        irr_jpy_net=(1.0 + irr_jpy) / (1.0 + draws.jpy_short_rate.mean(axis=1)[:, None]) - 1.0,
        tvpi=ratio(received + residual, contributed),
        dpi=ratio(received, contributed),
        fees_received=fund.fees_received.sum(axis=1),
        contributed_jpy=(paid_in * usd_jpy).sum(axis=1),
        received_jpy=(paid_out * usd_jpy).sum(axis=1) + residual * usd_jpy[:, -1],
        ks_pme=ks_pme(paid_in, paid_out, index, residual),
        direct_alpha=direct_alpha(times, final, index),
        defaulted=fund.default_quarter >= 0,
        shortfall=fund.shortfall_quarter >= 0,
        breached=breached,
        first_breach=first_breach,
        lenders_loss=fund.lenders_loss,
        peak_debt=peak_debt,
        peak_ltv=peak_ltv,
        fees=fund.fees.sum(axis=1),
        peak_leverage=leverage.max(axis=1),
        peak_assets=fund.asset_value.max(axis=1),
        redeemed=fund.redeemed.sum(axis=1),
        gate_shut=fund.gate_shut.sum(axis=1).astype(np.int64),
    )
