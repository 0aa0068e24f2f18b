"""Per-path summaries: the compiled pass over each path gives what the NumPy
definitions give (:mod:`sovfund.analytics.pme`, :func:`irr_by_party`), including where
LPs' flows are not proportional (a retail run) and only some of them share one IRR."""

from __future__ import annotations

import numpy as np
import pytest

import sovfund
from sovfund.analytics.irr import irr_by_party
from sovfund.analytics.paths import summarize_paths
from sovfund.analytics.pme import direct_alpha, ks_pme, treasury_index
from sovfund.engine.calendar import year_fractions
from sovfund.engine.fund_compiled import run_fund_compiled
from sovfund.engine.projects import project_totals
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
    fund = run_fund_compiled(
        terms, draws, project_totals(terms, draws, tariff_exposed=tariff_exposure(terms))
    )
    yen = np.array([p.country == "JP" for p in terms.parties])
    summary = summarize_paths(fund, draws, yen)

    times = year_fractions(fund.dates[0], fund.dates)
    cash = fund.party_cash
    paid_out = fund.distributed + fund.fees_received
    residual = fund.party_nav[:, -1, :]
    index = treasury_index(draws.short_rate)
    final = cash.copy()
    final[:, -1, :] += residual
    irr_jpy = np.full(residual.shape, np.nan)
    irr_jpy[:, yen] = irr_by_party(times, cash[:, :, yen] * draws.usd_jpy[:, :, None])
    expected = {
        "contributed": fund.contributions.sum(axis=1),
        "received": paid_out.sum(axis=1),
        "fees_received": fund.fees_received.sum(axis=1),
        "contributed_jpy": (fund.contributions * draws.usd_jpy[:, :, None]).sum(axis=1),
        "received_jpy": (paid_out * draws.usd_jpy[:, :, None]).sum(axis=1)
        + residual * draws.usd_jpy[:, -1:],
        "ks_pme": ks_pme(fund.contributions, paid_out, index, residual),
        "irr": irr_by_party(times, cash),
        "irr_jpy": irr_jpy,
        "direct_alpha": direct_alpha(times, final, index),
    }
    for name, want in expected.items():
        np.testing.assert_allclose(
            getattr(summary, name), want, rtol=1e-12, atol=1e-12, err_msg=name
        )
    assert np.isfinite(summary.irr).any()
    if stress == "retail_run":  # retail LPs redeemed: their IRRs are their own
        retail = np.array([p.investor_class == "retail" for p in terms.parties])
        japan = [p.id for p in terms.parties].index("japan_reserves")
        differs = summary.irr[:, retail] != summary.irr[:, [japan]]
        assert differs.any()
