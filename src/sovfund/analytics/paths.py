"""Per-path summaries of simulated fund paths, small enough to keep for every path.

A batch of :class:`~sovfund.engine.fund.FundPaths` (every flow of every quarter) is
reduced to a few numbers per path and party; batches are merged by concatenation, so
memory grows with paths by a few hundred bytes each, whatever the term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numba
import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.irr import LOG_GRID, LOG_GRID_ZERO, irr_by_party, irr_of_row, spacing
from sovfund.analytics.metrics import debt_figures, ratio
from sovfund.analytics.pme import direct_alpha, ks_pme, treasury_index
from sovfund.engine.calendar import year_fractions
from sovfund.engine.fund import FundPaths
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
    npv_jpy : party arrays
        The party's net cash (distributions and fees less contributions, plus the NAV
        left at the last quarter) in yen at each quarter's USD/JPY, discounted to the
        fund's start at the path's JPY short rate rolled quarterly, a flow at the end of
        quarter t by ``prod_{s <= t} (1 + jpy_short_rate[s] / 4)``: what the stake is
        worth to a holder who funds it with yen bills (Japan's side of the bargain,
        docs/bargain.md).
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
    npv_jpy: Array
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
    fund: FundPaths,
    draws: Draws,
    yen_parties: NDArray[np.bool_] | None = None,
    *,
    compiled: bool = True,
) -> PathSummary:
    """Reduce a batch of fund paths run on ``draws``.

    ``yen_parties`` (shape (parties,)) picks whose yen IRRs to work out (the others are
    NaN); every party's by default. The party figures come from one compiled pass per
    path (:func:`_party_kernel`), or with ``compiled=False`` (the reference engine's
    way) from the NumPy definitions of :mod:`sovfund.analytics.pme` and
    :func:`~sovfund.analytics.irr.irr_by_party`; the tests hold the two to each other.
    """
    _, _, parties = fund.contributions.shape
    yen = np.ones(parties, dtype=np.bool_) if yen_parties is None else yen_parties
    times = year_fractions(fund.dates[0], fund.dates)
    party = (_party_figures if compiled else _party_figures_numpy)(times, fund, draws, yen)
    contributed, received, residual = party["contributed"], party["received"], party["residual"]
    irr_jpy = party["irr_jpy"]
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
        irr=party["irr"],
        irr_jpy=irr_jpy,
        irr_jpy_net=(1.0 + irr_jpy) / (1.0 + draws.jpy_short_rate.mean(axis=1)[:, None]) - 1.0,
        tvpi=ratio(received + residual, contributed),
        dpi=ratio(received, contributed),
        fees_received=party["fees_received"],
        contributed_jpy=party["contributed_jpy"],
        received_jpy=party["received_jpy"],
        ks_pme=party["ks_pme"],
        direct_alpha=party["direct_alpha"],
        npv_jpy=party["npv_jpy"],
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


def _party_figures(
    times: Array, fund: FundPaths, draws: Draws, yen: NDArray[np.bool_]
) -> dict[str, Array]:
    paths, _, parties = fund.contributions.shape
    figures = np.empty((len(_PARTY_FIGURES), paths, parties))
    _party_kernel(
        *spacing(times),
        LOG_GRID,
        LOG_GRID_ZERO,
        np.ascontiguousarray(fund.contributions),
        np.ascontiguousarray(fund.distributed),
        np.ascontiguousarray(fund.fees_received),
        np.ascontiguousarray(fund.residual),
        np.ascontiguousarray(draws.usd_jpy),
        np.ascontiguousarray(draws.short_rate),
        np.ascontiguousarray(draws.jpy_short_rate),
        np.ascontiguousarray(yen),
        figures,
    )
    return dict(zip(_PARTY_FIGURES, figures, strict=True))


def _party_figures_numpy(
    times: Array, fund: FundPaths, draws: Draws, yen: NDArray[np.bool_]
) -> dict[str, Array]:
    """:func:`_party_figures` from the NumPy definitions, one array at a time."""
    usd_jpy = draws.usd_jpy[:, :, None]
    paid_in = fund.contributions
    paid_out = fund.distributed + fund.fees_received
    residual = fund.residual
    cash = paid_out - paid_in
    irr_jpy = np.full(residual.shape, np.nan)
    irr_jpy[:, yen] = irr_by_party(times, cash[:, :, yen] * usd_jpy)
    index = treasury_index(draws.short_rate)
    final = cash.copy()
    final[:, -1, :] += residual
    yen_index = treasury_index(draws.jpy_short_rate)[:, :, None]  # 1 rolled in yen bills
    return {
        "contributed": paid_in.sum(axis=1),
        "received": paid_out.sum(axis=1),
        "residual": residual,
        "fees_received": fund.fees_received.sum(axis=1),
        "contributed_jpy": (paid_in * usd_jpy).sum(axis=1),
        "received_jpy": (paid_out * usd_jpy).sum(axis=1) + residual * usd_jpy[:, -1],
        "ks_pme": ks_pme(paid_in, paid_out, index, residual),
        "irr": irr_by_party(times, cash),
        "irr_jpy": irr_jpy,
        "direct_alpha": direct_alpha(times, final, index),
        "npv_jpy": (final * usd_jpy / yen_index).sum(axis=1),
    }


_PARTY_FIGURES = (
    "contributed",
    "received",
    "residual",
    "fees_received",
    "contributed_jpy",
    "received_jpy",
    "ks_pme",
    "irr",
    "irr_jpy",
    "direct_alpha",
    "npv_jpy",
)
"""The rows of the party kernel's output, in order."""

_SAME_SHAPE = 1e-12
"""Rows of flows this close after scaling by their largest amount share one IRR: LPs
paid pro rata have proportional flows, and their IRRs are worked out once."""


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _party_kernel(  # type: ignore[no-untyped-def]
    times,
    kinds,
    steps,
    grid,
    zero,
    paid_in,
    distributed,
    fees_received,
    residual,
    usd_jpy,
    short_rate,
    jpy_short_rate,
    yen,
    out,
):
    """Per path, every party's figures (rows of ``out`` in :data:`_PARTY_FIGURES`
    order). Party flows are (paths, quarters, parties); the dates come as
    :func:`~sovfund.analytics.irr.spacing` gives them.

    Definitions (as in :mod:`sovfund.analytics.pme`): cash = distributed + fees -
    paid in; the Treasury index rolls 1 at short_rate / 4 a quarter and grows a flow
    at t to the end by index[T] / index[t]; KS-PME is grown money out (plus the NAV
    left) over grown money in; Direct Alpha the IRR of the grown cash with the NAV left
    added at the end; yen figures convert each quarter at that quarter's USD/JPY; the
    yen NPV discounts each quarter's yen cash (the NAV left added at the end) by 1
    rolled at jpy_short_rate / 4 a quarter to that quarter's end.
    """
    paths, quarters, parties = paid_in.shape
    last = quarters - 1
    everyone = np.ones(parties, dtype=np.bool_)
    for p in numba.prange(paths):
        growth = np.empty(quarters)  # index[T] / index[t]
        level = 1.0
        for t in range(quarters):
            level *= 1.0 + short_rate[p, t] / 4.0
            growth[t] = level
        for t in range(quarters):
            growth[t] = level / growth[t]
        discount = np.empty(quarters)  # 1 / yen-bill index at the end of quarter t
        level = 1.0
        for t in range(quarters):
            level *= 1.0 + jpy_short_rate[p, t] / 4.0
            discount[t] = 1.0 / level
        cash = np.empty((3, parties, quarters))  # USD, yen, grown with the index
        for k in range(parties):
            contributed = received = fees = paid_jpy = got_jpy = paid_grown = got_grown = 0.0
            npv_jpy = 0.0
            for t in range(quarters):
                paid = paid_in[p, t, k]
                got = distributed[p, t, k] + fees_received[p, t, k]
                contributed += paid
                received += got
                fees += fees_received[p, t, k]
                paid_jpy += paid * usd_jpy[p, t]
                got_jpy += got * usd_jpy[p, t]
                paid_grown += paid * growth[t]
                got_grown += got * growth[t]
                flow = got - paid
                in_yen = flow * usd_jpy[p, t]
                npv_jpy += in_yen * discount[t]
                cash[0, k, t] = flow
                cash[1, k, t] = in_yen
                cash[2, k, t] = (flow + residual[p, k] if t == last else flow) * growth[t]
            nav = residual[p, k]
            out[0, p, k] = contributed
            out[1, p, k] = received
            out[2, p, k] = nav
            out[3, p, k] = fees
            out[4, p, k] = paid_jpy
            out[5, p, k] = got_jpy + nav * usd_jpy[p, last]
            out[6, p, k] = (got_grown + nav) / paid_grown if paid_grown > 0.0 else np.nan
            out[10, p, k] = npv_jpy + nav * usd_jpy[p, last] * discount[last]
        for kind in range(3):
            among = yen if kind == 1 else everyone
            for k in range(parties):
                if not among[k]:
                    out[7 + kind, p, k] = np.nan
                    continue
                twin = _twin(cash[kind], k, among)
                if twin >= 0:
                    out[7 + kind, p, k] = out[7 + kind, p, twin]
                else:
                    out[7 + kind, p, k] = irr_of_row(times, kinds, steps, cash[kind, k], grid, zero)


@numba.njit(cache=True, error_model="numpy")
def _twin(rows, k, among):  # type: ignore[no-untyped-def]
    """An earlier row, among those flagged, with the same shape of flows as row k; -1
    if none."""
    quarters = rows.shape[1]
    scale_k = 0.0
    for t in range(quarters):
        scale_k = max(scale_k, abs(rows[k, t]))
    if scale_k == 0.0:
        return -1
    for j in range(k):
        if not among[j]:
            continue
        scale_j = 0.0
        for t in range(quarters):
            scale_j = max(scale_j, abs(rows[j, t]))
        if scale_j == 0.0:
            continue
        same = True
        for t in range(quarters):
            if abs(rows[k, t] / scale_k - rows[j, t] / scale_j) > _SAME_SHAPE:
                same = False
                break
        if same:
            return j
    return -1
