"""Internal rate of return of dated cash flows (annual compounding, Actual/365).

Which root: NPV(r) = sum_i a_i (1 + r)^(-t_i) can have several roots when the flows
change sign more than once. We search a grid of L = log(1 + r) from -100 to log(1e6)
(IRRs from -100% to about +10^8 %) outward from 0%, refine the first sign change and
return the root nearest zero: for the usual profile (money in, then money out) there is
exactly one root, and for unusual ones the smallest rate in magnitude is the least
surprising answer. Flows with no money in or no money out have no IRR (``None``); money
in and nothing ever out is a total loss, IRR = -100%.

One rule, one implementation: :func:`irr` and :func:`irr_rows` both run the compiled
:func:`irr_of_row` (memory: a few arrays of one value a date, however many dates), so
they give the same number for the same flows. Amounts of 1e-12 times the largest or less
are left out; a NaN or infinite amount or time is bad input (:func:`irr` raises, the
tables' :func:`irr_or_nan` and :func:`irr_rows` give NaN). Sign tests compare signs,
never products, so flows of any size (1e-300 or 1e300) give the same IRR as the same
flows scaled to units.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from sovfund.errors import ArgumentError, ConvergenceError

__all__ = [
    "LOG_GRID",
    "LOG_GRID_ZERO",
    "irr",
    "irr_by_party",
    "irr_of_row",
    "irr_or_nan",
    "irr_rows",
    "npv",
    "spacing",
]

LOG_GRID = np.linspace(-100.0, np.log(1e6), 2401)
"""The grid of L = log(1 + r) searched for sign changes of the NPV."""
LOG_GRID_ZERO = int(np.searchsorted(LOG_GRID, 0.0))
"""The first grid index with L >= 0, where compiled scans start."""
SIGNIFICANT = 1e-12
"""Amounts of this times the row's largest or less are left out (rounding noise)."""


def npv(
    rate: float | NDArray[np.float64], times: ArrayLike, amounts: ArrayLike
) -> NDArray[np.float64]:
    """NPV at ``rate`` (annual; scalar or array) of ``amounts`` at ``times`` in years."""
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    r = np.asarray(rate, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return (a * (1.0 + r[..., None]) ** (-t)).sum(axis=-1)


def irr(times: ArrayLike, amounts: ArrayLike) -> float | None:
    """IRR of ``amounts`` (negative = money in) at ``times`` in years (Actual/365).

    Returns ``None`` where no IRR exists (no money in, or no money out), -1.0 for a
    total loss, else the root of NPV nearest zero (see the module docstring).

    Raises
    ------
    ArgumentError
        ``times`` and ``amounts`` are not two lists of the same length, or hold a NaN
        or an infinity.
    ConvergenceError
        No root between -100% and +99,999,900%: the message says whether the IRR lies
        beyond that range or the NPV never changes sign.
    """
    t, a = _one_row(times, amounts)
    if not np.isfinite(a).all():
        where = int(np.flatnonzero(~np.isfinite(a))[0])
        raise ArgumentError("amounts", f"{a[where]} at index {where}", "finite numbers")
    money_in, money_out = _directions(a)
    if not money_in:
        return None
    if not money_out:
        return -1.0
    order = np.argsort(t, kind="stable")
    t, a = np.ascontiguousarray(t[order]), np.ascontiguousarray(a[order])
    spaced = spacing(t)
    value = float(irr_of_row(*spaced, a, LOG_GRID, LOG_GRID_ZERO))
    if math.isnan(value):
        raise ConvergenceError(_no_root(spaced, a))
    return value


def irr_or_nan(times: ArrayLike, amounts: ArrayLike) -> float:
    """:func:`irr` for tables: NaN where there is no IRR, none could be found, or an
    amount is NaN or infinite, exactly as :func:`irr_rows` gives it for the row.

    Results are NaN (``null`` in JSON, a dash in tables) rather than an error, because
    a table of many paths and parties should not fail for one odd cash-flow profile.
    """
    _, a = _one_row(times, amounts)
    if not np.isfinite(a).all():
        return float("nan")
    try:
        value = irr(times, amounts)
    except ConvergenceError:
        return float("nan")
    return float("nan") if value is None else value


def irr_rows(times: ArrayLike, amounts: ArrayLike) -> NDArray[np.float64]:
    """IRRs of many rows of flows on the same dates: shape (rows, dates) -> (rows,).

    Compiled and parallel over rows, with the rule of :func:`irr`, and the same answers
    as :func:`irr_or_nan` row by row: NaN where there is no IRR or none on the grid (or
    an amount is NaN or infinite), -1 for a total loss. It scans the grid outward from
    0% and stops once the nearest root is certain, so a typical row costs a few dozen
    NPV evaluations; flows that change sign once have a single root, whose grid cell it
    finds by galloping.

    Raises
    ------
    ArgumentError
        ``times`` is not one finite time a column of ``amounts``.
    """
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    if t.ndim != 1 or a.ndim != 2 or a.shape[1] != t.size:
        raise ArgumentError(
            "amounts",
            f"shape {a.shape} against times of shape {t.shape}",
            "a table of shape (rows, dates) with one time a date",
        )
    _finite_times(t)
    order = np.argsort(t, kind="stable")  # the NPV's terms in date order
    out = np.full(a.shape[0], np.nan)
    if t.size:
        spaced = spacing(t[order])
        _irr_kernel(*spaced, np.ascontiguousarray(a[:, order]), LOG_GRID, LOG_GRID_ZERO, out)
    return out


def _one_row(times: ArrayLike, amounts: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """``times`` and ``amounts`` as two float arrays of one value a date, checked."""
    try:
        t = np.asarray(times, dtype=np.float64)
        a = np.asarray(amounts, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ArgumentError(
            "amounts", f"values that are not numbers ({error})", "numbers"
        ) from None
    if t.ndim != 1 or a.ndim != 1 or t.size != a.size:
        raise ArgumentError(
            "times",
            f"{_count(t)} against {_count(a)} of amounts",
            "one time for each amount (two lists of the same length)",
        )
    _finite_times(t)
    return t, a


def _count(values: NDArray[np.float64]) -> str:
    return f"{values.size} values" if values.ndim == 1 else f"an array of shape {values.shape}"


def _finite_times(times: NDArray[np.float64]) -> None:
    if not np.isfinite(times).all():
        where = int(np.flatnonzero(~np.isfinite(times))[0])
        raise ArgumentError("times", f"{times[where]} at index {where}", "finite times in years")


def _directions(amounts: NDArray[np.float64]) -> tuple[bool, bool]:
    """Whether any significant amount is money in (< 0), and any money out (> 0)."""
    scale = float(np.abs(amounts).max(initial=0.0))
    significant = amounts[np.abs(amounts) > SIGNIFICANT * scale]
    return bool((significant < 0).any()), bool((significant > 0).any())


def _no_root(
    spaced: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]],
    amounts: NDArray[np.float64],
) -> str:
    """Why flows with money in and out have no IRR on the grid, in words.

    As L -> -inf (r -> -100%) the NPV takes the sign of the last amount, as L -> +inf
    that of the first: where the NPV at an end of the grid has the other sign, the root
    lies beyond that end.
    """
    scale = float(np.abs(amounts).max())
    significant = amounts[np.abs(amounts) > SIGNIFICANT * scale]
    low = _npv_and_slope(*spaced, amounts, LOG_GRID[0], scale)[0]
    high = _npv_and_slope(*spaced, amounts, LOG_GRID[-1], scale)[0]
    at_zero = float(npv(0.0, spaced[0], amounts))
    if (high > 0) != (significant[0] > 0):
        return (
            "the IRR is above +99,999,900%, beyond the range searched (-100% to"
            f" +99,999,900%): the money back is vast next to the money in (NPV at 0% ="
            f" {at_zero:.6g})"
        )
    if (low > 0) != (significant[-1] > 0):
        return (
            "the IRR is within a hair of -100%, beyond the range searched: almost"
            f" nothing comes back (NPV at 0% = {at_zero:.6g})"
        )
    return (
        "no IRR between -100% and +99,999,900%: the net present value of these flows"
        f" never changes sign (NPV at 0% = {at_zero:.6g})"
    )


def spacing(
    times: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Ascending dates as the compiled IRR wants them: times from the first date, and
    each gap as an index into the distinct gaps (a quarterly calendar has three or
    four), so that an NPV costs a few exponentials, not one a date."""
    start = times - times[0]
    gaps = np.diff(start, prepend=0.0)
    days = np.round(gaps * 365.0)
    if np.all(np.abs(gaps * 365.0 - days) < 1e-9):  # whole days apart (Actual/365)
        gaps = days / 365.0
    steps, kinds = np.unique(gaps, return_inverse=True)
    return start, kinds.astype(np.int64), steps


def irr_by_party(times: ArrayLike, cash: NDArray[np.float64]) -> NDArray[np.float64]:
    """IRRs of each path's and party's flows: cash shape (paths, dates, parties) ->
    (paths, parties), by :func:`irr_rows`."""
    paths, dates, parties = cash.shape
    rows = np.ascontiguousarray(cash.transpose(0, 2, 1)).reshape(-1, dates)
    return irr_rows(times, rows).reshape(paths, parties)


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _irr_kernel(times, kinds, steps, amounts, grid, zero, out):  # type: ignore[no-untyped-def]
    """``zero``: the first grid index with L >= 0."""
    for r in numba.prange(amounts.shape[0]):
        out[r] = irr_of_row(times, kinds, steps, amounts[r], grid, zero)


@numba.njit(cache=True, error_model="numpy")
def irr_of_row(times, kinds, steps, amounts, grid, zero):  # type: ignore[no-untyped-def]
    """The IRR of one row of flows (compiled; see :func:`irr_rows`): NaN where there is
    none, -1 for a total loss. ``times``, ``kinds`` and ``steps``: ascending dates as
    :func:`spacing` gives them; ``zero`` is the first index of ``grid`` with L >= 0."""
    dates = amounts.shape[0]
    scale = 0.0
    for i in range(dates):
        if not np.isfinite(amounts[i]):
            return np.nan  # bad input: no IRR
        scale = max(scale, abs(amounts[i]))
    if scale > _HUGE or 0.0 < scale < _TINY:
        amounts, scale = _in_units(amounts, scale)
    money_in = False
    money_out = False
    for i in range(dates):
        if abs(amounts[i]) > 1e-12 * scale:
            money_in |= amounts[i] < 0
            money_out |= amounts[i] > 0
    if not money_in:
        return np.nan  # no IRR
    if not money_out:
        return -1.0
    if _sign_changes(amounts, 1e-12 * scale) == 1:
        return _only_root(times, kinds, steps, amounts, grid, zero, scale)
    # Walk outward from L = 0 on both sides, nearer |r| first; a sign change between
    # neighbours brackets a root. Stop when the nearest found root is nearer than
    # any interval still unexplored.
    best = np.inf
    right, left = zero, zero - 1  # next grid points to evaluate on each side
    v_right = _npv_and_slope(times, kinds, steps, amounts, grid[right], scale)[0]
    v_left = _npv_and_slope(times, kinds, steps, amounts, grid[left], scale)[0]
    if v_right == 0.0:
        best = np.expm1(grid[right])
    if v_left == 0.0 and abs(np.expm1(grid[left])) < abs(best):
        best = np.expm1(grid[left])
    if _opposite(v_right, v_left):
        root = _refine(times, kinds, steps, amounts, grid[left], grid[right], v_left, scale)
        root = np.expm1(root)
        best = root if abs(root) < abs(best) else best
    f_right, f_left = v_right, v_left
    while True:
        go_right = right + 1 < grid.shape[0]
        go_left = left - 1 >= 0
        near_right = abs(np.expm1(grid[right])) if go_right else np.inf
        near_left = abs(np.expm1(grid[left])) if go_left else np.inf
        if min(near_right, near_left) >= abs(best) or not (go_right or go_left):
            break
        if near_right <= near_left:
            value = _npv_and_slope(times, kinds, steps, amounts, grid[right + 1], scale)[0]
            if value == 0.0:
                candidate = np.expm1(grid[right + 1])
                best = candidate if abs(candidate) < abs(best) else best
            elif _opposite(value, f_right):
                low, high = grid[right], grid[right + 1]
                root = _refine(times, kinds, steps, amounts, low, high, f_right, scale)
                candidate = np.expm1(root)
                best = candidate if abs(candidate) < abs(best) else best
            right += 1
            f_right = value
        else:
            value = _npv_and_slope(times, kinds, steps, amounts, grid[left - 1], scale)[0]
            if value == 0.0:
                candidate = np.expm1(grid[left - 1])
                best = candidate if abs(candidate) < abs(best) else best
            elif _opposite(value, f_left):
                low, high = grid[left - 1], grid[left]
                root = _refine(times, kinds, steps, amounts, low, high, value, scale)
                candidate = np.expm1(root)
                best = candidate if abs(candidate) < abs(best) else best
            left -= 1
            f_left = value
    return best if best < np.inf else np.nan


_HUGE = 2.0**900
_TINY = 2.0**-900


@numba.njit(cache=True, error_model="numpy")
def _in_units(amounts, scale):  # type: ignore[no-untyped-def]
    """Flows near the ends of the float range (beyond 2^±900) scaled by a power of two,
    which is exact, so that no NPV of them overflows or underflows; and their scale."""
    exponent = math.frexp(scale)[1]
    scaled = np.empty_like(amounts)
    for i in range(amounts.shape[0]):
        scaled[i] = math.ldexp(amounts[i], -exponent)
    return scaled, math.ldexp(scale, -exponent)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _opposite(a, b):  # type: ignore[no-untyped-def]
    """Whether ``a`` and ``b`` have strictly opposite signs (a product could underflow)."""
    return (a < 0.0 < b) or (b < 0.0 < a)


@numba.njit(cache=True, error_model="numpy")
def _sign_changes(amounts, floor):  # type: ignore[no-untyped-def]
    """How often the amounts larger than ``floor`` change sign, in date order."""
    changes = 0
    previous = 0.0
    for amount in amounts:
        if abs(amount) > floor:
            if previous != 0.0 and (amount > 0.0) != (previous > 0.0):
                changes += 1
            previous = amount
    return changes


@numba.njit(cache=True, error_model="numpy")
def _only_root(times, kinds, steps, amounts, grid, zero, scale):  # type: ignore[no-untyped-def]
    """The IRR of flows that change sign once, so that the NPV has exactly one root
    (Descartes' rule of signs, which holds for any real exponents): the grid cell where
    the NPV changes sign is found by galloping from L = 0 towards it, then halving, and
    refined as the outward walk would refine it, to the same number in far fewer NPVs.

    The NPV takes the sign of the last amount as L -> -inf and of the first as L -> +inf.
    """
    last_sign = 0.0
    for amount in amounts:
        if abs(amount) > 1e-12 * scale:
            last_sign = 1.0 if amount > 0.0 else -1.0
    near = _npv_and_slope(times, kinds, steps, amounts, grid[zero], scale)[0]
    if near == 0.0:
        return np.expm1(grid[zero])
    # the root lies at larger L if the NPV at 0 still has its sign at L -> -inf
    up = (near > 0.0) == (last_sign > 0.0)
    edge = grid.shape[0] - 1 if up else 0
    known, f_known, step = zero, near, 1  # the last point on the root's near side
    while True:
        if known == edge:
            return np.nan  # beyond the grid
        probe = min(known + step, edge) if up else max(known - step, edge)
        f_probe = _npv_and_slope(times, kinds, steps, amounts, grid[probe], scale)[0]
        if f_probe == 0.0:
            return np.expm1(grid[probe])
        if (f_probe > 0.0) != (f_known > 0.0):
            break
        known, f_known, step = probe, f_probe, 2 * step
    low, high, f_low = (known, probe, f_known) if up else (probe, known, f_probe)
    while high - low > 1:  # halve down to one grid cell
        middle = (low + high) // 2
        f_middle = _npv_and_slope(times, kinds, steps, amounts, grid[middle], scale)[0]
        if f_middle == 0.0:
            return np.expm1(grid[middle])
        if (f_middle > 0.0) == (f_low > 0.0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return np.expm1(_refine(times, kinds, steps, amounts, grid[low], grid[high], f_low, scale))


@numba.njit(cache=True, error_model="numpy")
def _refine(times, kinds, steps, amounts, low, high, f_low, scale):  # type: ignore[no-untyped-def]
    """The root in [low, high] (L space; f_low the value at low): Newton steps kept
    inside the bracket, bisection when a step would leave it."""
    guess = 0.5 * (low + high)
    for _ in range(200):
        value, slope = _npv_and_slope(times, kinds, steps, amounts, guess, scale)
        if value == 0.0:
            return guess
        if (value > 0.0) == (f_low > 0.0):
            low, f_low = guess, value
        else:
            high = guess
        step = guess - value / slope if slope != 0.0 else 0.5 * (low + high)
        if not (low < step < high):
            step = 0.5 * (low + high)
        if abs(step - guess) <= 1e-15 * max(1.0, abs(guess)) or high - low <= 1e-15:
            return step
        guess = step
    return guess


@numba.njit(cache=True, error_model="numpy")
def _npv_and_slope(times, kinds, steps, amounts, growth, scale):  # type: ignore[no-untyped-def]
    """NPV of the row at L = growth, divided by ``scale`` and by its largest discount
    factor (the first date's for L >= 0, the last's below) so that nothing overflows
    (the sign and the root are the NPV's), and its derivative. Like :func:`irr`, it
    leaves out amounts of 1e-12 x ``scale`` or less. Discount factors go date to date,
    times exp(-L x gap), with one exponential per distinct gap."""
    dates = times.shape[0]
    rate = -growth if growth >= 0.0 else growth
    kinds_known = steps.shape[0]  # a quarterly calendar's gaps, without an array
    f0 = np.exp(rate * steps[0])
    f1 = np.exp(rate * steps[1]) if kinds_known > 1 else 1.0
    f2 = np.exp(rate * steps[2]) if kinds_known > 2 else 1.0
    f3 = np.exp(rate * steps[3]) if kinds_known > 3 else 1.0
    floor = 1e-12 * scale
    value = 0.0
    slope = 0.0
    discount = 1.0
    if growth >= 0.0:  # largest at the first date: walk forward
        for i in range(dates):
            if i > 0:
                discount *= _factor(kinds[i], f0, f1, f2, f3, rate, steps)
            if abs(amounts[i]) > floor:
                term = amounts[i] * discount
                value += term
                slope -= times[i] * term
    else:  # largest at the last date: walk back
        end = times[dates - 1]
        for i in range(dates - 1, -1, -1):
            if abs(amounts[i]) > floor:
                term = amounts[i] * discount
                value += term
                slope += (end - times[i]) * term
            discount *= _factor(kinds[i], f0, f1, f2, f3, rate, steps)
    return value / scale, slope / scale


@numba.njit(cache=True, error_model="numpy", inline="always")
def _factor(kind, f0, f1, f2, f3, rate, steps):  # type: ignore[no-untyped-def]
    """exp(rate x steps[kind]), from the four worked out already where it can."""
    if kind < 2:
        return f0 if kind == 0 else f1
    if kind < 4:
        return f2 if kind == 2 else f3
    return np.exp(rate * steps[kind])
