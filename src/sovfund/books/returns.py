"""Partners' IRRs from their dated flows, many rows at once (no SciPy, no Numba).

The IRR is the rate r at which the flows' value, discounted annually at Actual/365
(``sum f_t / (1 + r) ** t``), is zero: the same definition as the calculator's. It is
found by bisection on r in (-0.9999, 100), which is where the value changes sign for
flows that go in and then come out (one sign change: one root). Rows whose value does
not change sign over that range (no money out yet, or nothing in) have no IRR: NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["irr_rows", "irr_sparse"]

Array = NDArray[np.float64]


def irr_rows(times: Array, flows: Array, *, iterations: int = 200) -> Array:
    """IRR of each row of ``flows`` (shape (rows, len(times))), NaN where there is none."""
    flows = np.atleast_2d(np.asarray(flows, dtype=np.float64))
    rows = flows.shape[0]
    if rows == 0 or flows.shape[1] == 0:
        return np.full(rows, np.nan)
    scale = np.abs(flows).max(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    flows = flows / scale
    # bisect on g = log(1 + r), where the value is smooth and the bracket finite
    low = np.full(rows, np.log(1e-4))
    high = np.full(rows, np.log(101.0))

    def value(g: Array) -> Array:
        return (flows * np.exp(-g[:, None] * times[None, :])).sum(axis=1)

    v_low, v_high = value(low), value(high)
    ok = (np.sign(v_low) * np.sign(v_high) < 0) & (np.abs(flows).sum(axis=1) > 0)
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        v_mid = value(mid)
        left = np.sign(v_mid) == np.sign(v_low)
        low = np.where(left, mid, low)
        v_low = np.where(left, v_mid, v_low)
        high = np.where(left, high, mid)
        if np.all(high - low < 1e-15):
            break
    return np.where(ok, np.expm1(0.5 * (low + high)), np.nan)


def irr_sparse(
    times: Array,
    positions: NDArray[np.int64],
    dates: NDArray[np.int64],
    cents: NDArray[np.int64],
    count: int,
    *,
    chunk: int = 100_000,
) -> Array:
    """IRR of each of ``count`` partners from sparse dated flows: ``positions[k]``
    received ``cents[k]`` (paid, if negative) at ``times[dates[k]]``. Partners are taken
    ``chunk`` at a time (memory stays flat), and the IRR is found once per distinct row
    of flows: partners whose flows are the same share it. NaN where there is none."""
    irr = np.full(count, np.nan)
    if not len(positions):
        return irr
    order = np.argsort(positions, kind="stable")
    positions, dates, cents = positions[order], dates[order], cents[order]
    partners = np.unique(positions)
    for start in range(0, len(partners), chunk):
        group = partners[start : start + chunk]
        low = int(np.searchsorted(positions, group[0]))
        high = int(np.searchsorted(positions, group[-1], side="right"))
        rows = np.searchsorted(group, positions[low:high])
        dense = np.zeros((len(group), len(times)), dtype=np.int64)
        np.add.at(dense, (rows, dates[low:high]), cents[low:high])
        distinct, inverse = np.unique(dense, axis=0, return_inverse=True)
        irr[group] = irr_rows(times, distinct / 100.0)[np.ravel(inverse)]
    return irr
