"""Waterfall bookkeeping for the fund loop: whole fund, or deal by deal with clawback.

Deal by deal, every (path, project) pair is one row of the shared allocator. The
fund's cash is pooled (fund debt, fees and interest are not any one deal's), so each
quarter's capital calls are attributed to projects in proportion to the equity each
received that quarter, and spare cash in proportion to the cash each produced
(operating cash and sale proceeds); when a quarter has no such activity, in proportion
to equity invested so far. A whole-fund run of the same tiers goes alongside: it
values interim NAV (as if the clawback applied) and sizes the clawback at the end.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.waterfall import WaterfallSpec, accrual_factors, allocate, clawback_transfers

__all__ = ["FundWaterfall", "attribution"]

Array = NDArray[np.float64]


class FundWaterfall:
    """The waterfall state of a fund on a batch of paths."""

    def __init__(self, spec: WaterfallSpec, paths: int, projects: int) -> None:
        self.spec = spec
        self.deals = projects if spec.deal_by_deal else 1
        self.whole = spec.empty_state(paths)
        self.by_deal = spec.empty_state(paths * projects) if spec.deal_by_deal else None

    def accrue(self, years: float, index_rate: Array) -> None:
        factors = accrual_factors(self.spec, years, index_rate)
        self.whole.accrue(factors)
        if self.by_deal is not None:
            rows = factors if factors.shape[0] == 1 else np.repeat(factors, self.deals, axis=0)
            self.by_deal.accrue(rows)

    def contribute(self, calls: Array, weights: Array | None) -> None:
        """Book calls (paths, parties); ``weights`` (paths, projects) attribute them to deals."""
        self.whole.contribute(self.spec, calls)
        if self.by_deal is not None:
            assert weights is not None, "deal by deal needs weights"
            self.by_deal.contribute(self.spec, _spread(calls, weights))

    def distribute(self, cash: Array, weights: Array | None, tiers_out: Array) -> Array:
        """Pay out ``cash`` (paths,); returns each party's share, shape (paths, parties)."""
        if self.by_deal is None:
            return allocate(self.spec, self.whole, cash, tiers_out=tiers_out)
        assert weights is not None, "deal by deal needs weights"
        paths, parties = cash.shape[0], len(self.spec.parties)
        allocate(self.spec, self.whole, cash)
        tiers = np.zeros((paths * self.deals, len(self.spec.tier_names), parties))
        rows = allocate(self.spec, self.by_deal, (cash[:, None] * weights).ravel(), tiers_out=tiers)
        tiers_out += tiers.reshape(paths, self.deals, -1, parties).sum(axis=1)
        return rows.reshape(paths, self.deals, parties).sum(axis=1)

    def hypothetical(self, nav: Array) -> Array:
        """Each party's share if ``nav`` (paths,) were distributed now (whole-fund terms)."""
        return allocate(self.spec, self.whole.copy(), nav)

    def clawback(self, closing: NDArray[np.bool_]) -> Array:
        """Transfers at the close, shape (paths, parties): + a GP gives back, - an LP receives.

        Each GP returns what it received deal by deal above its whole-fund entitlement;
        LPs share it pro rata to contributed capital. Zero unless deal by deal with
        clawback, and on paths not closing now.
        """
        if self.by_deal is None or not self.spec.clawback:
            return np.zeros_like(self.whole.distributed)
        paths, parties = self.whole.distributed.shape
        received = self.by_deal.distributed.reshape(paths, self.deals, parties).sum(axis=1)
        transfers = clawback_transfers(
            self.spec, received, self.whole.distributed, self.whole.contributed
        )
        return transfers * closing[:, None]


def attribution(current: Array, invested: Array) -> Array:
    """Each deal's share, shape (paths, deals): of ``current`` where it is positive,
    else of ``invested`` so far, else equal."""
    deals = current.shape[1]
    total = current.sum(axis=1, keepdims=True)
    invested_total = invested.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fallback = np.where(invested_total > 0, invested / invested_total, 1.0 / deals)
        return np.where(total > 0, current / total, fallback)


def _spread(amounts: Array, weights: Array) -> Array:
    """(paths, parties) x (paths, deals) -> one row per (path, deal)."""
    return (amounts[:, None, :] * weights[:, :, None]).reshape(-1, amounts.shape[1])
