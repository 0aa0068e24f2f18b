"""Internal rate of return of dated cash flows (annual compounding, Actual/365).

Which root: NPV(r) = sum_i a_i (1 + r)^(-t_i) can have several roots when the flows
change sign more than once. We scan a grid of rates from -99.99% to +10,000% (even in
log(1 + r)), take every sign change, refine each by Brent's method and return the
root nearest zero: for the usual profile (money in, then money out) there is exactly
one root, and for unusual ones the smallest rate in magnitude is the least surprising
answer. Flows with no money in or no money out have no IRR (``None``); money in and
nothing ever out is a total loss, IRR = -100%.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from sovfund.errors import ConvergenceError

__all__ = ["irr", "npv"]

_GRID = np.expm1(np.linspace(np.log1p(-0.9999), np.log1p(100.0), 801))


def npv(
    rate: float | NDArray[np.float64], times: ArrayLike, amounts: ArrayLike
) -> NDArray[np.float64]:
    """NPV at ``rate`` (annual; scalar or array) of ``amounts`` at ``times`` in years."""
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    return (a * (1.0 + r[..., None]) ** (-t)).sum(axis=-1)


def irr(times: ArrayLike, amounts: ArrayLike, *, tolerance: float = 1e-12) -> float | None:
    """IRR of ``amounts`` (negative = money in) at ``times`` in years (Actual/365).

    Returns ``None`` where no IRR exists (no money in, or no money out), -1.0 for a
    total loss, else the root of NPV nearest zero (see the module docstring).

    Raises
    ------
    ConvergenceError
        NPV never changes sign on (-99.99%, +10,000%): an IRR outside that range.
    """
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    scale = np.abs(a).max(initial=0.0)
    significant = np.abs(a) > 1e-12 * scale
    t, a = t[significant], a[significant]
    if not (a < 0).any():
        return None
    if not (a > 0).any():
        return -1.0
    t = t - t.min()
    values = npv(_GRID, t, a)
    signs = np.sign(values)
    changes = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    exact = _GRID[values == 0.0]
    roots = [float(r) for r in exact]
    for i in changes:
        root = brentq(
            lambda r: float(npv(r, t, a)),
            _GRID[i],
            _GRID[i + 1],
            xtol=tolerance,
            rtol=4 * np.finfo(float).eps,
            maxiter=200,
        )
        roots.append(float(root))
    if not roots:
        raise ConvergenceError(
            "no IRR between -99.99% and +10,000%: the net present value of these flows"
            f" never changes sign (NPV at 0% = {float(npv(0.0, t, a)):.6g})"
        )
    return min(roots, key=abs)
