"""Public market equivalents: the fund's flows against a simulated Treasury benchmark.

The benchmark on each path is a rolling investment in three-month Treasury bills at
the path's short rate: ``index[t] = prod_{s <= t} (1 + short_rate[s] / 4)``, so an LP
that had put every contribution into Treasuries instead would hold
``contribution x index[T] / index[t]`` at the end.

- **Kaplan-Schoar PME** (Kaplan & Schoar 2005, "Private Equity Performance: Returns,
  Persistence, and Capital Flows", J. Finance 60(4)): the future value of the
  distributions (plus the NAV left at the end) over the future value of the
  contributions, both grown with the index to the last date. Above 1 the fund beat
  the benchmark.
- **Direct Alpha** (Gredil, Griffiths & Stucke 2014, "Benchmarking Private Equity:
  The Direct Alpha Method"): the IRR of the same index-compounded flows, an annual
  rate of return over the benchmark (annual compounding here, like every IRR in
  sovfund; their paper's continuous rate is ``log(1 + alpha)``).

Both follow the definitions used by pyxirr's ``pe.ks_pme`` and ``pe.direct_alpha``,
which the tests use as an oracle.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovfund.analytics.irr import irr_by_party

__all__ = ["direct_alpha", "ks_pme", "treasury_index"]

Array = NDArray[np.float64]


def treasury_index(short_rate: Array) -> Array:
    """Growth of 1 rolled in three-month bills at ``short_rate`` (paths, quarters):
    the index at the end of each quarter, starting from 1 before the first."""
    return np.asarray(np.cumprod(1.0 + short_rate / 4.0, axis=-1), dtype=np.float64)


def ks_pme(contributions: Array, distributions: Array, index: Array, nav: ArrayLike = 0.0) -> Array:
    """Kaplan-Schoar PME of each row.

    ``contributions`` and ``distributions`` (paths, quarters[, parties]) are positive
    amounts; ``index`` (paths, quarters) the benchmark level; ``nav`` what is left at
    the last date. NaN where nothing was contributed.
    """
    growth = _growth_to_end(index, contributions.ndim)
    paid = (contributions * growth).sum(axis=1)
    got = (distributions * growth).sum(axis=1) + np.asarray(nav, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(paid > 0, got / np.where(paid > 0, paid, 1.0), np.nan)


def direct_alpha(times: ArrayLike, cash: Array, index: Array) -> Array:
    """Direct Alpha of each row of ``cash`` (paths, quarters[, parties]; money out of
    the investor negative, its NAV at the end included in the last quarter), against
    ``index`` (paths, quarters); annual rate, NaN where there is no IRR."""
    growth = _growth_to_end(index, cash.ndim)
    if cash.ndim == 2:
        return irr_by_party(times, (cash * growth)[:, :, None])[:, 0]
    return irr_by_party(times, cash * growth)


def _growth_to_end(index: Array, ndim: int) -> Array:
    growth = index[:, -1:] / index
    return growth[:, :, None] if ndim == 3 else growth
