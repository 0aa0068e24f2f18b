"""IRR against pyxirr (the oracle named in DESIGN.md) and the documented root rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import pyxirr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import sovfund
from sovfund.analytics.irr import LOG_GRID, irr, irr_or_nan, irr_rows, npv
from sovfund.engine.calendar import year_fractions
from sovfund.engine.fund import SUMMARY_SERIES, run_fund
from sovfund.engine.projects import project_flows
from sovfund.errors import ArgumentError, ConvergenceError
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.scenarios.sectors import tariff_exposure

START = dt.date(2026, 1, 1)


@settings(max_examples=200, deadline=None)
@given(
    calls=st.lists(st.floats(1.0, 1e9), min_size=1, max_size=6),
    multiples=st.lists(st.just(0.0) | st.floats(1e-3, 3.0), min_size=1, max_size=30),
    gaps=st.lists(st.integers(90, 400), min_size=36, max_size=36),  # a quarter or more apart
)
def test_matches_pyxirr_on_conventional_flows(calls, multiples, gaps) -> None:
    # Money in, then proceeds of up to 3x the money in each: fund-like flows.
    proceeds = [m * sum(calls) for m in multiples]
    amounts = [-c for c in calls] + proceeds
    days = np.cumsum([0, *gaps[: len(amounts) - 1]])
    dates = [START + dt.timedelta(days=int(d)) for d in days]
    if sum(proceeds) == 0:
        return  # a total loss: pyxirr has no answer; covered below
    got = irr(days / 365.0, amounts)
    assert got is not None
    # A root: NPV at the IRR is nil next to the money involved (near -100% NPV in r
    # is too ill-conditioned to evaluate; pyxirr checks those) ...
    if got > -0.9:
        assert abs(npv(got, days / 365.0, amounts)) <= 1e-9 * sum(abs(x) for x in amounts)
    # ... and the same root pyxirr finds, where pyxirr finds one.
    expected = pyxirr.xirr(dates, amounts)
    if expected is not None:
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_root_nearest_zero_when_flows_change_sign_twice() -> None:
    # -100, +230, -132 a year apart: NPV = 0 at 10% and at 20%; the rule picks 10%.
    amounts = [-100.0, 230.0, -132.0]
    assert npv(0.10, [0, 1, 2], amounts) == pytest.approx(0, abs=1e-9)
    assert npv(0.20, [0, 1, 2], amounts) == pytest.approx(0, abs=1e-9)
    assert irr([0, 1, 2], amounts) == pytest.approx(0.10, abs=1e-10)


def test_undefined_and_total_loss() -> None:
    assert irr([0, 1], [0.0, 10.0]) is None  # nothing paid in
    assert irr([0, 1], [-10.0, 0.0]) == -1.0  # paid in, nothing back
    assert irr([0, 1], [0.0, 0.0]) is None


def test_simple_doubling_in_one_year() -> None:
    assert irr([0.0, 1.0], [-100.0, 200.0]) == pytest.approx(1.0)


def test_no_root_in_range_raises() -> None:
    # -1 + 3x - 3x^2 with x = 1/(1+r) is negative for every x: no IRR exists.
    with pytest.raises(ConvergenceError, match="never changes sign"):
        irr([0, 1, 2], [-1.0, 3.0, -3.0])


def readable_irr(times: np.ndarray, amounts: list[float]) -> float:
    """The documented rule written plainly, as the oracle of the compiled search: the
    NPV (divided by its largest term's discount, so nothing overflows) at every point of
    the grid, every sign change refined by Brent's method, the root nearest zero; NaN
    where there is no money in, -1 where nothing comes back, NaN where no root is found."""
    t = np.asarray(times, dtype=np.float64)
    a = np.asarray(amounts, dtype=np.float64)
    scale = np.abs(a).max(initial=0.0)
    keep = np.abs(a) > 1e-12 * scale
    t, a = t[keep], a[keep] / scale if scale else a[keep]
    if not (a < 0).any():
        return float("nan")
    if not (a > 0).any():
        return -1.0

    def scaled(g: float) -> float:
        exponent = -g * (t - t.min())
        return float((a * np.exp(exponent - exponent.max())).sum())

    exponent = -np.multiply.outer(LOG_GRID, t - t.min())
    values = (a * np.exp(exponent - exponent.max(axis=1, keepdims=True))).sum(axis=1)
    roots = [float(np.expm1(g)) for g in LOG_GRID[values == 0.0]]
    for i in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0):
        root = brentq(scaled, LOG_GRID[i], LOG_GRID[i + 1], xtol=1e-14, rtol=1e-15)
        roots.append(float(np.expm1(root)))
    return min(roots, key=abs) if roots else float("nan")


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.just(0.0) | st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=24),
    gaps=st.lists(st.integers(85, 100), min_size=24, max_size=24),  # quarter dates
)
def test_compiled_rows_give_the_readable_answer(amounts, gaps) -> None:
    """irr_rows (compiled, scanning outward from 0%, or galloping where the flows change
    sign once) returns the readable rule's root, the one nearest zero, including for
    flows that change sign many times; irr_or_nan gives the same number exactly."""
    days = np.cumsum([0, *gaps[: len(amounts) - 1]])
    times = days / 365.0
    got = irr_rows(times, np.array([amounts]))[0]
    expected = readable_irr(times, amounts)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert np.array_equal(irr_or_nan(times, amounts), got, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(
        st.just(0.0) | st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3), min_size=2, max_size=12
    ),
    power=st.sampled_from([-300, -200, -163, -100, 0, 100, 200, 300]),
)
def test_one_rule_at_every_scale(amounts, power) -> None:
    """The same flows in any unit (1e-300 to 1e300) have the same IRR, and irr and
    irr_rows agree on them: no sign test that underflows, no NPV that overflows."""
    times = np.arange(len(amounts), dtype=np.float64)
    unit = irr_rows(times, np.array([amounts]))[0]
    scaled = [x * 10.0**power for x in amounts]
    got = irr_rows(times, np.array([scaled]))[0]
    if np.isnan(unit):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(unit, rel=1e-9, abs=1e-12)
    assert np.array_equal(irr_or_nan(times, scaled), got, equal_nan=True)


def test_tiny_flows_have_an_irr() -> None:
    # Below ~1e-162 the product of two NPVs underflowed to 0 and irr raised.
    assert irr([0.0, 1.0], [-1e-170, 2e-170]) == pytest.approx(1.0)
    assert irr_rows([0.0, 1.0], np.array([[-1e-170, 2e-170]]))[0] == pytest.approx(1.0)


def test_nan_and_infinite_amounts_are_bad_input_for_irr_and_nan_in_tables() -> None:
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ArgumentError, match=r"amounts: found .* at index 1"):
            irr([0.0, 1.0, 2.0], [-100.0, bad, 120.0])
        assert np.isnan(irr_or_nan([0.0, 1.0, 2.0], [-100.0, bad, 120.0]))
        assert np.isnan(irr_rows([0.0, 1.0, 2.0], np.array([[-100.0, bad, 120.0]]))[0])


def test_arrays_of_different_lengths_are_a_clear_error() -> None:
    with pytest.raises(ArgumentError, match="one time for each amount"):
        irr([0.0, 1.0, 2.0], [-1.0, 2.0])
    with pytest.raises(ArgumentError, match="one time a date"):
        irr_rows([0.0, 1.0, 2.0], np.array([[-1.0, 2.0]]))
    with pytest.raises(ArgumentError, match="times: found nan"):
        irr([0.0, float("nan")], [-1.0, 2.0])


def test_a_return_beyond_the_range_says_so() -> None:
    # A million-fold in a day: the NPV does change sign, far above the grid.
    with pytest.raises(ConvergenceError, match="above"):
        irr([0.0, 1 / 365], [-1.0, 1e6])
    assert np.isnan(irr_rows([0.0, 1 / 365], np.array([[-1.0, 1e6]]))[0])


def test_compiled_rows_on_fund_flows_of_both_presets() -> None:
    """Simulated LP and GP flows (total losses, no money in, one sign change and more)."""
    for preset in ("son-2025", "mou-550b"):
        terms = sovfund.load_terms(preset)
        draws = monte_carlo(terms, 2, 0, 128)
        outcome = run_fund(
            terms,
            draws,
            project_flows(terms, draws, tariff_exposed=tariff_exposure(terms)),
            record=SUMMARY_SERIES,
        )
        times = year_fractions(outcome.dates[0], outcome.dates)
        rows = outcome.party_cash.transpose(0, 2, 1).reshape(-1, len(times))
        got = irr_rows(times, rows)
        expected = np.array([readable_irr(times, list(row)) for row in rows])
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        same = np.array([irr_or_nan(times, row) for row in rows])
        assert np.array_equal(got, same, equal_nan=True)
        assert np.isfinite(got).sum() > 10
