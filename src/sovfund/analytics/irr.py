"""Internal rate of return of dated cash flows (annual compounding, Actual/365).

Which root: NPV(r) = sum_i a_i (1 + r)^(-t_i) can have several roots when the flows
change sign more than once. We scan a grid of L = log(1 + r) from -100 to log(1e6)
(IRRs from -100% to about +10^8 %), take every sign change, refine each by Brent's
method and return the root nearest zero: for the usual profile (money in, then money
out) there is exactly one root, and for unusual ones the smallest rate in magnitude is
the least surprising answer. Flows with no money in or no money out have no IRR
(``None``); money in and nothing ever out is a total loss, IRR = -100%.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from sovfund.errors import ConvergenceError

__all__ = ["irr", "irr_or_nan", "npv"]

_LOG_GRID = np.linspace(-100.0, np.log(1e6), 2401)


def npv(
    rate: float | NDArray[np.float64], times: ArrayLike, amounts: ArrayLike
) -> NDArray[np.float64]:
    """NPV at ``rate`` (annual; scalar or array) of ``amounts`` at ``times`` in years."""
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return (a * (1.0 + r[..., None]) ** (-t)).sum(axis=-1)


def _scaled_npv(
    log_growth: NDArray[np.float64], t: NDArray[np.float64], a: NDArray[np.float64]
) -> NDArray[np.float64]:
    """NPV at L = log(1 + r), divided by its largest discount factor: same sign and
    roots as the NPV, and no overflow however large or small 1 + r is."""
    exponent = -np.multiply.outer(log_growth, t)
    exponent -= exponent.max(axis=-1, keepdims=True)
    return (a * np.exp(exponent)).sum(axis=-1)


def irr(times: ArrayLike, amounts: ArrayLike, *, tolerance: float = 1e-13) -> float | None:
    """IRR of ``amounts`` (negative = money in) at ``times`` in years (Actual/365).

    Returns ``None`` where no IRR exists (no money in, or no money out), -1.0 for a
    total loss, else the root of NPV nearest zero (see the module docstring).

    Raises
    ------
    ConvergenceError
        NPV never changes sign for 1 + r between e^-100 and 1e6.
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
    values = _scaled_npv(_LOG_GRID, t, a)
    roots = [float(np.expm1(g)) for g in _LOG_GRID[values == 0.0]]
    for i in np.flatnonzero(values[:-1] * values[1:] < 0):
        root = brentq(
            lambda g: float(_scaled_npv(np.array([g]), t, a)[0]),
            _LOG_GRID[i],
            _LOG_GRID[i + 1],
            xtol=tolerance,
            rtol=4 * np.finfo(float).eps,
            maxiter=200,
        )
        roots.append(float(np.expm1(root)))
    if not roots:
        raise ConvergenceError(
            "no IRR between -100% and +99,999,900%: the net present value of these flows"
            f" never changes sign (NPV at 0% = {float(npv(0.0, t, a)):.6g})"
        )
    return min(roots, key=abs)


def irr_or_nan(times: ArrayLike, amounts: ArrayLike) -> float:
    """:func:`irr` for tables: NaN where there is no IRR or none could be found.

    Results are NaN (``null`` in JSON, a dash in tables) rather than an error, because
    a table of many paths and parties should not fail for one odd cash-flow profile.
    """
    try:
        value = irr(times, amounts)
    except ConvergenceError:
        return float("nan")
    return float("nan") if value is None else value
