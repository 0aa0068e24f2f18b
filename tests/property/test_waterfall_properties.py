"""Invariants of the waterfall over random term sheets and flows (Hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sovfund
from oracle.waterfall import allocate_reference
from sovfund.analytics.calculator import run_waterfall
from sovfund.engine.waterfall import WaterfallSpec, accrual_factors, allocate
from sovfund.terms.flows import Flow

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = dt.date(2026, 1, 1)
PROJECT = """
[[project]]
id = "asset"
name = "An asset"
sector = "grid"
contractor = "Builder"
contractor_country = "JP"
capex = 1.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 0.1
operating_years = 10

[macro]
short_rate = 0.04
yield_10y = 0.045
inflation = 0.02
usd_jpy = 150.0
"""


def term_sheet(lps: list[float], carry_shares: list[float], waterfall: str) -> sovfund.Terms:
    parties = "".join(
        f'[[party]]\nid = "lp{i}"\nrole = "lp"\ncommitment = {c!r}\n\n' for i, c in enumerate(lps)
    )
    total = sum(carry_shares)
    parties += "".join(
        f'[[party]]\nid = "gp{i}"\nrole = "gp"\ncarry_share = {s / total!r}\n\n'
        for i, s in enumerate(carry_shares)
    )
    fund = (
        '[fund]\nname = "t"\nstart = 2026-01-01\nterm_years = 12\ninvestment_period_years = 5\n\n'
    )
    return sovfund.parse_terms(fund + parties + waterfall + PROJECT, name="random.toml")


@st.composite
def european(draw: st.DrawFn, style: str = "european") -> str:
    hurdle = draw(st.floats(0.0, 0.15))
    carry = draw(st.floats(0.05, 0.4))
    catch_up = draw(st.sampled_from([0.0, 0.5, 0.8, 1.0]))
    return (
        f'[waterfall]\npreset = "{style}"\nhurdle = {hurdle!r}\ncarry = {carry!r}\n'
        f"catch_up = {catch_up!r}\n\n"
    )


@st.composite
def terms(draw: st.DrawFn, style: str = "european") -> sovfund.Terms:
    lps = draw(st.lists(st.floats(1.0, 1000.0), min_size=1, max_size=3))
    gps = draw(st.lists(st.floats(0.1, 1.0), min_size=1, max_size=2))
    return term_sheet(lps, gps, draw(european(style)))


@st.composite
def flows(
    draw: st.DrawFn, sheet: sovfund.Terms, deals: int = 1, calls_first: bool = False
) -> list[Flow]:
    """Dated flows: contributions and proceeds mixed, or (``calls_first``) all the
    contributions before the first proceeds, as in a fund's life."""
    lps = [p.id for p in sheet.lps]
    last_call = draw(st.integers(0, 4)) if calls_first else None
    count = draw(st.integers(2, 12))
    gaps = draw(st.lists(st.integers(30, 500), min_size=count, max_size=count))
    dates = [START + dt.timedelta(days=sum(gaps[: i + 1])) for i in range(count)]
    rows = []
    for i, date in enumerate(dates):
        deal = f"d{draw(st.integers(0, deals - 1))}" if deals > 1 else None
        is_call = i <= last_call if last_call is not None else (i == 0 or draw(st.booleans()))
        if is_call:
            rows.append(
                Flow(
                    date,
                    "contribution",
                    draw(st.floats(1.0, 100.0)),
                    draw(st.sampled_from(lps)),
                    deal,
                )
            )
        else:
            rows.append(Flow(date, "proceeds", draw(st.floats(0.0, 200.0)), None, deal))
    return rows


def random_state(spec: WaterfallSpec, rng: np.random.Generator, rows: int):
    state = spec.empty_state(rows)
    for _ in range(3):
        state.accrue(accrual_factors(spec, rng.uniform(0, 2), rng.uniform(0, 0.06, rows)))
        state.contribute(spec, rng.uniform(0, 50, (rows, len(spec.parties))) * spec.is_lp)
        allocate(spec, state, rng.uniform(0, 80, rows), fast=True)
    return state


@SETTINGS
@given(sheet=terms(), seed=st.integers(0, 2**32 - 1), rows=st.sampled_from([64, 5000]))
def test_every_dollar_goes_to_someone_and_the_oracle_agrees(
    sheet: sovfund.Terms, seed: int, rows: int
) -> None:
    """The compiled rule, serial and parallel over rows, against the NumPy oracle."""
    spec = WaterfallSpec.from_terms(sheet)
    rng = np.random.default_rng(seed)
    state = random_state(spec, rng, rows)
    amount = rng.uniform(0, 300, rows)
    amount[::7] = 0.0
    twin = state.copy()
    tiers, twin_tiers = (
        np.zeros((rows, len(spec.tier_names), len(spec.parties))) for _ in range(2)
    )
    paid = allocate(spec, state, amount, tiers_out=tiers, fast=True)
    expected = allocate_reference(spec, twin, amount, tiers_out=twin_tiers)
    np.testing.assert_allclose(paid.sum(axis=1), amount, rtol=1e-9, atol=1e-9)
    assert (paid >= -1e-12).all()
    np.testing.assert_allclose(paid, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(tiers, twin_tiers, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(state.balance, twin.balance, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(sheet=terms(), seed=st.integers(0, 2**32 - 1), extra=st.floats(0.0, 100.0))
def test_more_cash_never_pays_anyone_less(sheet: sovfund.Terms, seed: int, extra: float) -> None:
    """From any state, a larger distribution pays every party at least as much."""
    spec = WaterfallSpec.from_terms(sheet)
    state = random_state(spec, np.random.default_rng(seed), 32)
    amount = np.random.default_rng(seed + 1).uniform(0, 200, 32)
    less = allocate(spec, state.copy(), amount, fast=True)
    more = allocate(spec, state.copy(), amount + extra, fast=True)
    assert (more >= less - 1e-9 * (1 + amount[:, None])).all()


@SETTINGS
@given(
    lps=st.lists(st.floats(1.0, 1000.0), min_size=1, max_size=3),
    rate=st.floats(0.0, 0.2),
    data=st.data(),
)
def test_a_hurdle_tier_pays_up_to_its_hurdle_and_no_further(lps, rate, data) -> None:
    waterfall = (
        '[[waterfall.tier]]\nname = "pref"\npay = { lps = 1.0 }\n'
        f'until = {{ hurdle = "lps", rate = {rate!r} }}\n\n'
        '[[waterfall.tier]]\nname = "rest"\npay = { gps = 1.0 }\n\n'
    )
    sheet = term_sheet(lps, [1.0], waterfall)
    rows = data.draw(flows(sheet))
    scale = sum(r.amount for r in rows)
    lp_flows: list[tuple[dt.date, float]] = []
    lp_before = gp_before = 0.0
    for date in sorted({r.date for r in rows}):
        # The calculator on the flows up to this date: what each side has received so far.
        prefix = [r for r in rows if r.date <= date]
        result = run_waterfall(sheet, prefix)
        gp = result.parties.index("gp0")
        lp_now = result.distributed.sum() - result.distributed[gp]
        gp_now = result.distributed[gp]
        paid_in = sum(r.amount for r in prefix if r.date == date and r.kind == "contribution")
        lp_flows.append((date, lp_now - lp_before - paid_in))
        # The LPs' net flows compounded at the hurdle rate to this date: never above zero
        # (never paid past the hurdle), and zero whenever the next tier was paid.
        value = sum(a * (1 + rate) ** ((date - d).days / 365) for d, a in lp_flows)
        assert value <= 1e-9 * scale
        if gp_now - gp_before > 1e-9 * scale:
            assert value == pytest.approx(0.0, abs=1e-9 * scale)
        lp_before, gp_before = lp_now, gp_now


@SETTINGS
@given(data=st.data(), carry=st.floats(0.05, 0.4), hurdle=st.floats(0.0, 0.12))
def test_after_a_full_catch_up_gps_hold_exactly_the_carry_share(data, carry, hurdle) -> None:
    waterfall = f'[waterfall]\npreset = "european"\nhurdle = {hurdle!r}\ncarry = {carry!r}\n'
    sheet = term_sheet(
        data.draw(st.lists(st.floats(1.0, 500.0), min_size=1, max_size=3)), [1.0, 2.0], waterfall
    )
    # Calls first: a GP paid carry before later calls would be ahead of its share
    # (whole-fund terms without clawback allow that interim overpayment).
    rows = data.draw(flows(sheet, calls_first=True))
    carried_before = 0.0
    checked = False
    for date in sorted({r.date for r in rows}):
        # Whenever the carry tier pays, the catch-up before it is complete: the GPs
        # then hold exactly `carry` of the profit distributed so far.
        result = run_waterfall(sheet, [r for r in rows if r.date <= date])
        carried = result.paid[result.tiers.index("carried interest")].sum()
        if carried - carried_before > 1e-9:
            is_gp = np.array([p.startswith("gp") for p in result.parties])
            profit = result.distributed.sum() - result.contributed.sum()
            assert result.distributed[is_gp].sum() == pytest.approx(carry * profit, rel=1e-9)
            # ... split between the GPs by carry_share (1 : 2)
            assert result.distributed[is_gp][1] == pytest.approx(
                2 * result.distributed[is_gp][0], rel=1e-9
            )
            checked = True
        carried_before = carried
    assume(checked)


@SETTINGS
@given(data=st.data(), deals=st.integers(2, 4))
def test_clawback_leaves_gps_no_more_than_whole_fund_terms(data, deals) -> None:
    american = data.draw(terms("american"))
    rows = data.draw(flows(american, deals=deals))
    result = run_waterfall(american, rows)
    european_terms = american.model_copy(
        update={
            "waterfall": american.waterfall.model_copy(
                update={"style": "whole_fund", "clawback": False}
            )
        }
    )
    whole = run_waterfall(european_terms, [Flow(r.date, r.kind, r.amount, r.party) for r in rows])
    is_gp = np.array([p.startswith("gp") for p in result.parties])
    assert (
        result.distributed[is_gp]
        <= whole.distributed[is_gp] + 1e-9 * (1 + whole.distributed[is_gp])
    ).all()
    assert result.distributed.sum() == pytest.approx(whole.distributed.sum(), rel=1e-9, abs=1e-9)


@SETTINGS
@given(sheet=terms(), seed=st.integers(0, 2**32 - 1))
def test_the_plain_rule_is_the_compiled_one_bit_for_bit(sheet: sovfund.Terms, seed: int) -> None:
    """allocate as plain Python (the calculator's and the books' way) and compiled (the
    fund loop's) give the same bits: compilation changes nothing but speed."""
    spec = WaterfallSpec.from_terms(sheet)
    rng = np.random.default_rng(seed)
    state = random_state(spec, rng, 8)
    twin = state.copy()
    amount = rng.uniform(0, 300, 8)
    tiers, twin_tiers = (np.zeros((8, len(spec.tier_names), len(spec.parties))) for _ in range(2))
    plain = allocate(spec, state, amount, tiers_out=tiers)
    fast = allocate(spec, twin, amount, tiers_out=twin_tiers, fast=True)
    np.testing.assert_array_equal(plain, fast)
    np.testing.assert_array_equal(tiers, twin_tiers)
    np.testing.assert_array_equal(state.balance, twin.balance)
    np.testing.assert_array_equal(state.distributed, twin.distributed)
