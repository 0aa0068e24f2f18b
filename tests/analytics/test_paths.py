"""Per-path summaries: the compiled pass over each path gives what the NumPy
definitions give (:mod:`sovfund.analytics.pme`, :func:`irr_by_party`; tested against
pyxirr in test_pme_and_risk.py), including where LPs' flows are not proportional (a
retail run) and only some of them share one IRR."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import sovfund
from sovfund.analytics.paths import PathSummary, summarize_paths
from sovfund.engine.fund import run_fund
from sovfund.engine.projects import project_flows
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.scenarios.sectors import tariff_exposure
from sovfund.scenarios.stress import stress_draws, stress_named, stressed_terms


@pytest.mark.parametrize(
    ("preset", "stress"),
    [("son-2025", None), ("son-2025", "retail_run"), ("mou-550b", None)],
)
def test_party_figures_follow_the_numpy_definitions(preset: str, stress: str | None) -> None:
    terms = sovfund.load_terms(preset)
    spec = stress_named(terms, stress)
    terms = stressed_terms(terms, spec)
    draws = stress_draws(terms, spec, monte_carlo(terms, 21, 0, 512))
    fund = run_fund(
        terms,
        draws,
        project_flows(terms, draws, tariff_exposed=tariff_exposure(terms)),
    )
    yen = np.array([p.country == "JP" for p in terms.parties])
    summary = summarize_paths(fund, draws, yen)
    numpy = summarize_paths(fund, draws, yen, compiled=False)
    for field in fields(PathSummary):
        got, want = getattr(summary, field.name), getattr(numpy, field.name)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=field.name)
    assert np.isfinite(summary.irr).any()
    if stress == "retail_run":  # retail LPs redeemed: their IRRs are their own
        retail = np.array([p.investor_class == "retail" for p in terms.parties])
        japan = [p.id for p in terms.parties].index("japan_reserves")
        differs = summary.irr[:, retail] != summary.irr[:, [japan]]
        assert differs.any()


def test_yen_npv_of_the_tiny_fund_by_hand() -> None:
    """examples/tiny.toml with no risk (tests/engine/test_tiny_fund.py works its flows
    out by hand): the LP pays 50 at the end of quarters 0 and 1, receives 5 at the end
    of quarters 2-10 and 95 at the end of quarter 11 (140 in all); the GP 10 at the end.
    At 150 yen a dollar and a 2% JPY short rate, a flow at the end of quarter t is worth
    150 x flow / 1.005 ** (t + 1) yen at the start."""
    tiny = Path(__file__).parents[2] / "examples" / "tiny.toml"
    text = tiny.read_text().replace("usd_jpy = 150.0", "usd_jpy = 150.0\njpy_short_rate = 0.02")
    terms = sovfund.parse_terms(text + "\n[risk]\nvolatility = 0.0\ndefaults = 0.0\n")
    summary = sovfund.simulate(terms, paths=3, seed=0).summary
    lp = [-50.0, -50.0] + [5.0] * 9 + [95.0]
    gp = [0.0] * 11 + [10.0]
    for column, flows in enumerate((lp, gp)):
        by_hand = sum(150.0 * flow / 1.005 ** (t + 1) for t, flow in enumerate(flows))
        np.testing.assert_allclose(summary.npv_jpy[:, column], by_hand, rtol=1e-12)
    assert summary.received[0, 0] == pytest.approx(140.0)
