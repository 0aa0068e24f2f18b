"""PME and tail-risk measures against an independent oracle and closed forms.

- Kaplan-Schoar PME (Kaplan & Schoar 2005, J. Finance 60(4)) and Direct Alpha (Gredil,
  Griffiths & Stucke 2014, "Benchmarking Private Equity: The Direct Alpha Method") are
  checked against pyxirr's ``pe.ks_pme_2`` and ``pe.direct_alpha_2``, which implement the
  same definitions (pyxirr cites the Wikipedia "Public Market Equivalent" article).
- VaR and expected shortfall are checked against their closed forms for normal losses
  (Acerbi & Tasche 2002): VaR_a = m + s z, ES_a = m + s phi(z) / (1 - a), z = Phi^-1(a).
"""

from __future__ import annotations

import numpy as np
import pytest
from pyxirr import pe
from scipy import stats

from sovfund.analytics.pme import direct_alpha, ks_pme, treasury_index
from sovfund.analytics.risk import expected_shortfall, tail_risk, value_at_risk


def _fund_flows(rng: np.random.Generator, quarters: int) -> tuple[np.ndarray, np.ndarray]:
    """Calls in the first third, distributions growing after: a typical fund profile."""
    calls = np.where(np.arange(quarters) < quarters // 3, rng.uniform(5, 20, quarters), 0.0)
    paid = np.where(np.arange(quarters) >= quarters // 4, rng.uniform(0, 25, quarters), 0.0)
    return calls, paid


@pytest.mark.parametrize("seed", range(5))
def test_ks_pme_and_direct_alpha_match_pyxirr(seed: int) -> None:
    rng = np.random.default_rng(seed)
    quarters = 40
    calls, paid = _fund_flows(rng, quarters)
    index = 100 * np.cumprod(1 + rng.normal(0.015, 0.05, quarters))
    nav = float(rng.uniform(0, 50))

    ours = ks_pme(calls[None], paid[None], index[None], nav)[0]
    assert ours == pytest.approx(pe.ks_pme_2(list(calls), list(paid), list(index), nav), rel=1e-12)

    cash = paid - calls
    cash[-1] += nav
    times = np.arange(quarters) * 0.25  # one period = a quarter
    alpha = direct_alpha(times, cash[None], index[None])[0]
    per_quarter = pe.direct_alpha_2(list(calls), list(paid), list(index), nav)
    assert alpha == pytest.approx((1 + per_quarter) ** 4 - 1, rel=1e-8)


def test_pme_is_one_and_alpha_zero_when_the_fund_earns_the_benchmark() -> None:
    short_rate = np.full((1, 20), 0.04)
    index = treasury_index(short_rate)
    calls = np.zeros((1, 20))
    calls[0, 0] = 100.0
    paid = np.zeros((1, 20))
    paid[0, -1] = 100.0 * index[0, -1] / index[0, 0]  # grew exactly like the bills
    assert ks_pme(calls, paid, index)[0] == pytest.approx(1.0, rel=1e-12)
    times = np.arange(20) * 0.25
    assert direct_alpha(times, paid - calls, index)[0] == pytest.approx(0.0, abs=1e-10)


def test_pme_per_party_axis() -> None:
    rng = np.random.default_rng(9)
    calls = rng.uniform(0, 1, (3, 12, 2))
    paid = rng.uniform(0, 2, (3, 12, 2))
    index = np.cumprod(1 + rng.uniform(0, 0.02, (3, 12)), axis=1)
    both = ks_pme(calls, paid, index)
    for party in range(2):
        np.testing.assert_allclose(
            both[:, party], ks_pme(calls[..., party], paid[..., party], index), rtol=1e-13
        )
    assert np.isnan(ks_pme(np.zeros((1, 12)), paid[:1, :, 0], index[:1]))[0]


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_var_and_es_match_normal_closed_forms(level: float) -> None:
    mean, sd, n = 2.0, 3.0, 2_000_000
    losses = np.random.default_rng(1).normal(mean, sd, n)
    z = stats.norm.ppf(level)
    var, es = mean + sd * z, mean + sd * stats.norm.pdf(z) / (1 - level)
    # sampling error of a tail quantile/mean at n = 2e6 is well under 0.5% of sd
    assert value_at_risk(losses, level) == pytest.approx(var, abs=0.02 * sd)
    assert expected_shortfall(losses, level) == pytest.approx(es, abs=0.02 * sd)
    assert expected_shortfall(losses, level) > value_at_risk(losses, level)


def test_tail_risk_ignores_nan_and_reports_none_when_empty() -> None:
    losses = np.array([1.0, 2.0, np.nan, 3.0, 4.0])
    risk = tail_risk(losses)
    assert risk.var95 == pytest.approx(np.quantile([1.0, 2.0, 3.0, 4.0], 0.95))
    assert risk.es99 == 4.0
    assert tail_risk(np.array([np.nan])).to_dict() == {
        "var95": None,
        "es95": None,
        "var99": None,
        "es99": None,
    }
