"""Stress tests, the leverage frontier, the tornado, structure comparison and the verdict."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from sovfund import load_terms
from sovfund.analytics.base_case import run_base_case
from sovfund.analytics.verdict import verdict
from sovfund.errors import InputError
from sovfund.run.simulate import simulate
from sovfund.run.studies import (
    _carry,
    _fees,
    compare,
    leverage_frontier,
    sensitivity,
    simulation_summary,
    stress_test,
)
from sovfund.scenarios.draws import MARKETS, with_markets
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.scenarios.stress import profile, stress_draws, stressed_terms
from sovfund.terms.models import Stress

PATHS = 256


@pytest.fixture(scope="module")
def son():  # type: ignore[no-untyped-def]
    return load_terms("son-2025")


@pytest.fixture(scope="module")
def mou():  # type: ignore[no-untyped-def]
    return load_terms("mou-550b")


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    for field in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name), field.name)


def test_a_neutral_stress_is_the_base_run_bit_for_bit(son) -> None:  # type: ignore[no-untyped-def]
    neutral = Stress(title="nothing", description="no lever moved")
    _same(
        simulate(son, paths=PATHS, seed=4, stress=neutral).summary,
        simulate(son, paths=PATHS, seed=4).summary,
    )


def test_stresses_keep_the_random_numbers(son) -> None:  # type: ignore[no-untyped-def]
    """A pure market move leaves every project shock as it was (common random numbers)."""
    base = monte_carlo(son, 3, 0, PATHS)
    moved = stress_draws(son, son.stress["rates_up"], base)
    for name in ("capex_factor", "delay", "default_quarter", "recovery", "revenue_factor"):
        np.testing.assert_array_equal(getattr(moved, name), getattr(base, name))
    shift = moved.short_rate - base.short_rate
    np.testing.assert_allclose(shift[:, 3:], 0.03, rtol=1e-12)  # full size after the ramp
    np.testing.assert_allclose(shift[:, 0], 0.03 / 4, rtol=1e-12)


def test_profile_ramps_holds_and_ends() -> None:
    stress = Stress(title="t", description="d", start_quarter=2, ramp_quarters=2, hold_quarters=3)
    np.testing.assert_allclose(profile(stress, 10), [0, 0, 0.5, 1, 1, 1, 0, 0, 0, 0])


def test_stressed_terms_raise_leverage_caps_and_scale_hazards(son) -> None:  # type: ignore[no-untyped-def]
    terms = stressed_terms(son, son.stress["leverage_unwind"])
    assert terms.leverage.debt_to_equity == 10.0
    assert terms.policy.max_debt_to_equity == pytest.approx(10.0)
    assert terms.leverage.spread == pytest.approx(son.leverage.spread + 0.02)
    defaults = stressed_terms(son, son.stress["construction_defaults"])
    assert defaults.risk.defaults == pytest.approx(3.0 * son.risk.defaults)


def test_construction_defaults_hit_the_largest_project_on_every_path(son) -> None:  # type: ignore[no-untyped-def]
    stress = son.stress["construction_defaults"]
    terms = stressed_terms(son, stress)
    draws = stress_draws(terms, stress, monte_carlo(terms, 0, 0, PATHS))
    largest = int(np.argmax([p.capex for p in son.projects]))
    assert (draws.default_quarter[:, largest] >= 0).all()
    assert (draws.recovery[draws.default_quarter >= 0] == 0.5).all()


def test_policy_stress_cancels_late_projects(son) -> None:  # type: ignore[no-untyped-def]
    stress = son.stress["policy"]
    draws = stress_draws(son, stress, monte_carlo(son, 0, 0, 8))
    late = np.array([p.start_quarter >= 13 for p in son.projects])  # after 2029-01-19
    assert late.any()
    assert (draws.capex_factor[:, late] == 0).all()
    assert (draws.capex_factor[:, ~late] > 0).all()
    assert (draws.tariff == 1.0).all()


def test_stress_test_directions_and_base_equal_to_simulate(son) -> None:  # type: ignore[no-untyped-def]
    names = ["rates_up", "rates_down", "yen_strong", "yen_weak"]
    result = stress_test(son, paths=PATHS, seed=2, names=names)
    by_name = {s["name"]: s for s in result.scenarios}
    assert list(by_name) == ["base", *names]
    assert by_name["base"] == {
        "name": "base",
        "title": "Base",
        "description": by_name["base"]["description"],
        **simulation_summary(simulate(son, paths=PATHS, seed=2)),
    }
    p = {name: s["fund"]["p_default"] for name, s in by_name.items()}
    assert p["rates_up"] > p["base"] > p["rates_down"]
    japan = "japan_reserves"
    # the yen moves after the money goes in: USD figures unchanged, yen figures move
    for name in ("yen_strong", "yen_weak"):
        assert by_name[name]["parties"][japan]["tvpi"] == by_name["base"]["parties"][japan]["tvpi"]
    yen = {name: by_name[name]["parties"][japan]["irr_jpy"]["mean"] for name in by_name}
    assert yen["yen_strong"] < yen["base"] < yen["yen_weak"]
    table = result.table()
    assert list(table.index) == ["base", *names]
    assert table.loc["rates_up", "p_default"] == p["rates_up"]


def test_unknown_stress_is_a_clear_error(son) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="found 'bogus'; expected one of base, overruns"):
        simulate(son, paths=PATHS, seed=0, stress="bogus")
    with pytest.raises(InputError, match="found 'bogus'"):
        stress_test(son, paths=PATHS, seed=0, names=["bogus"])


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_default_does_not_fall_as_leverage_rises(preset: str) -> None:
    """On common random numbers, more debt on the same equity never lowers P(default)."""
    frontier = leverage_frontier(load_terms(preset), paths=512, seed=1, levels=[0, 2, 4, 6, 8, 10])
    p = [point["fund"]["p_default"] for point in frontier.points]
    assert p[0] == 0.0  # no debt, no default
    assert all(b >= a for a, b in itertools.pairwise(p)), p
    assert p[-1] > 0.1
    assert [point["leverage"] for point in frontier.points] == [0, 2, 4, 6, 8, 10]


def test_carry_and_fee_scaling_keep_the_tiers_whole(son) -> None:  # type: ignore[no-untyped-def]
    doubled = _carry(son, 2.0)
    for before, after in zip(son.waterfall.tier, doubled.waterfall.tier, strict=True):
        assert sum(after.pay.values()) == pytest.approx(1.0)
        if "gps" in before.pay and len(before.pay) > 1:
            assert after.pay["gps"] == pytest.approx(min(2 * before.pay["gps"], 1.0))
    assert _fees(son, 0.5).fees[0].rate == pytest.approx(0.5 * son.fees[0].rate)


def test_sensitivity_bars_are_sorted_and_move_the_right_way(son) -> None:  # type: ignore[no-untyped-def]
    result = sensitivity(son, paths=PATHS, seed=0, metric="tvpi_mean")
    swings = [abs(b["high"] - b["low"]) for b in result.bars]
    assert swings == sorted(swings, reverse=True)
    bars = {b["name"]: b for b in result.bars}
    assert bars["overrun_scale"]["high"] < result.base < bars["overrun_scale"]["low"]
    assert bars["fees"]["high"] < bars["fees"]["low"]
    assert result.party == "japan_reserves"
    with pytest.raises(InputError, match=r"metric: found .sharpe."):
        sensitivity(son, paths=PATHS, seed=0, metric="sharpe")


def test_compare_runs_both_structures_on_the_same_markets(son, mou) -> None:  # type: ignore[no-untyped-def]
    long, short = monte_carlo(mou, 5, 0, PATHS), monte_carlo(son, 5, 0, PATHS)
    spliced = with_markets(short, long)
    for name in MARKETS:
        np.testing.assert_array_equal(getattr(spliced, name), getattr(long, name)[:, :48])
    np.testing.assert_array_equal(spliced.capex_factor, short.capex_factor)
    result = compare(("son-2025", son), ("mou-550b", mou), paths=PATHS, seed=5)
    assert [s["markets_from"] for s in result.structures] == [mou.fund.name] * 2
    us = next(r for r in result.structures[1]["countries"] if r["country"] == "US")
    assert us["contributed_mean"] == 0.0
    assert us["received_mean"] > 0


def test_verdict_sentences_quote_the_numbers(son) -> None:  # type: ignore[no-untyped-def]
    sim = simulation_summary(simulate(son, paths=PATHS, seed=0))
    base = run_base_case(son).to_dict()
    result = verdict(son, base, sim)
    first = result["sentences"][0]
    assert first["metric"] == "fund.p_default"
    assert f"{sim['fund']['p_default'] * 100:.0f}%" in first["text"]
    # base case 13.3% above the 8% hurdle, default in most paths: the plan looks good only
    assert sim["fund"]["p_default"] >= 0.5
    assert base["parties"]["japan_reserves"]["irr"] > 0.08
    assert result["headline"].startswith("Fantasy finance on paper, real risk in the numbers")


def test_verdict_headline_rules(mou) -> None:  # type: ignore[no-untyped-def]
    base = run_base_case(mou).to_dict()
    sim = simulation_summary(simulate(mou, paths=PATHS, seed=0))
    sim["parties"]["japan"]["p_loss"] = 0.05
    assert verdict(mou, base, sim)["headline"].startswith("Sound on these assumptions")
    sim["parties"]["japan"]["p_loss"] = 0.3
    assert verdict(mou, base, sim)["headline"].startswith("Mixed")
    sim["parties"]["japan"]["p_loss"] = 0.7
    assert verdict(mou, base, sim)["headline"].startswith(
        "Real risk: Japan's money loses in 70% of paths"
    )


def test_retail_run_redeems_through_the_gate(son) -> None:  # type: ignore[no-untyped-def]
    """Retail LPs get paid only while the stress asks, at most the gate, and get out
    with more than the LPs who stay (a fund whose median path defaults)."""
    stress = son.stress["retail_run"]
    draws = stress_draws(son, stress, monte_carlo(son, 0, 0, 8))
    assert draws.redemption is not None
    np.testing.assert_array_equal(draws.redemption[0, 12:20], 0.15)
    assert draws.redemption[:, :12].sum() == 0.0
    assert draws.redemption[:, 20:].sum() == 0.0
    run = simulate(son, paths=PATHS, seed=0, stress="retail_run").summary
    base = simulate(son, paths=PATHS, seed=0).summary
    assert (run.redeemed > 0).any()
    assert base.redeemed.sum() == 0.0
    retail = [i for i, p in enumerate(son.parties) if p.investor_class == "retail"]
    others = [i for i, p in enumerate(son.lps) if p.investor_class != "retail"]
    assert np.nanmean(run.tvpi[:, retail]) > np.nanmean(run.tvpi[:, others])
