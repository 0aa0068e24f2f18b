"""A tiny fund worked out by hand: one project, one LP, one GP.

The project costs 100, built over two quarters, then pays 20 a year (5 a quarter) for
ten years; the fund lives three years and sells the project at 5x its next year's cash.
Every figure below is derived in the comments from those facts alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import sovfund
from sovfund.analytics.irr import npv

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
DATES = [
    dt.date(2026 + (3 * (q + 1)) // 12, (3 * (q + 1)) % 12 + 1, 1) for q in range(12)
]  # quarter ends: 2026-04-01, 2026-07-01, ..., 2029-01-01


def tiny_terms(extra: str = "") -> sovfund.Terms:
    return sovfund.parse_terms(TINY.read_text() + extra, name="tiny.toml")


def test_calendar_is_quarter_ends_from_the_start() -> None:
    result = sovfund.run_base_case(tiny_terms())
    assert [d.date() for d in result.quarterly.index] == DATES
    assert DATES[0] == dt.date(2026, 4, 1)
    assert DATES[-1] == dt.date(2029, 1, 1)


def test_quarterly_flows_without_fees_or_debt() -> None:
    q = sovfund.run_base_case(tiny_terms()).quarterly
    # Capex 100 over quarters 0 and 1, all called from the LP.
    np.testing.assert_allclose(q["investment"], [50, 50] + [0] * 10)
    np.testing.assert_allclose(q["calls"], [50, 50] + [0] * 10)
    # Revenue 20 a year from quarter 2 (the quarter after completion), no opex.
    np.testing.assert_allclose(q["operating_cash"], [0, 0] + [5] * 10)
    # Exit at the end of quarter 11 at 5 x the next four quarters' cash (4 x 5).
    np.testing.assert_allclose(q["sale_proceeds"], [0] * 11 + [100])
    np.testing.assert_allclose(q["distributions"], [0, 0] + [5] * 9 + [105])
    # Marks: at cost while building; once complete, the remaining quarterly cash of 5
    # discounted at the 10y yield 4.5% + the 3% risk premium, annual compounding.
    remaining = [40 - (t - 1) for t in range(1, 11)]  # quarters of cash left after t
    dcf = [sum(5 * 1.075 ** (-k / 4) for k in range(1, n + 1)) for n in remaining]
    np.testing.assert_allclose(q["asset_value"], [50, *dcf, 0], rtol=1e-12)
    assert q["debt"].abs().max() == 0


def test_waterfall_by_hand() -> None:
    result = sovfund.run_base_case(tiny_terms())
    # Quarters 2..10 pay 45, all return of capital; quarter 11 pays 105: 55 more
    # return of capital, then the 8% preferred return, then the catch-up, then 80/20.
    end = DATES[-1]
    lp_flows = [(DATES[0], -50.0), (DATES[1], -50.0)] + [(d, 5.0) for d in DATES[2:11]]
    lp_flows.append((end, 55.0))
    preferred = -sum(a * 1.08 ** ((end - d).days / 365) for d, a in lp_flows)
    catch_up = 0.2 * preferred / (1 - 0.2)  # GP reaches 20% of the profit so far
    carry_pool = 105 - 55 - preferred - catch_up
    tiers = result.tiers
    assert tiers.loc["return of capital", "lp"] == pytest.approx(100)
    assert tiers.loc["preferred return", "lp"] == pytest.approx(preferred, rel=1e-12)
    assert tiers.loc["catch-up", "gp"] == pytest.approx(catch_up, rel=1e-12)
    assert tiers.loc["carried interest", "lp"] == pytest.approx(0.8 * carry_pool, rel=1e-12)
    assert tiers.loc["carried interest", "gp"] == pytest.approx(0.2 * carry_pool, rel=1e-12)
    # With the catch-up complete the GP holds exactly 20% of the profit of 50.
    parties = result.parties
    assert parties.loc["gp", "distributed"] == pytest.approx(10)
    assert parties.loc["lp", "distributed"] == pytest.approx(140)


def test_party_metrics_by_hand() -> None:
    result = sovfund.run_base_case(tiny_terms())
    lp = result.parties.loc["lp"]
    assert lp["contributed"] == pytest.approx(100)
    assert lp["tvpi"] == pytest.approx(1.4)
    assert lp["dpi"] == pytest.approx(1.4)
    assert lp["rvpi"] == pytest.approx(0)
    assert lp["moic"] == pytest.approx(1.4)  # no fees: invested = paid in
    # The IRR is the rate at which the LP's dated flows have zero NPV (Actual/365).
    flows = [-50, -50] + [5] * 9 + [105 - 10 + 0]  # quarter 11: 105 less the GP's 10
    times = [(d - DATES[0]).days / 365 for d in DATES]
    assert npv(lp["irr"], times, flows) == pytest.approx(0, abs=1e-9)
    assert 0.15 < lp["irr"] < 0.18
    gp = result.parties.loc["gp"]
    assert np.isnan(gp["irr"])  # nothing paid in: no IRR ...
    assert np.isnan(gp["tvpi"])  # ... and no ratio
    assert result.fund.gross_moic == pytest.approx(1.5)  # (10 x 5 + 100) / 100


LEVERED = """
[[fee]]
id = "management"
rate = 0.02
basis = "committed"

[leverage]
debt_to_equity = 1.0
spread = 0.01
draw = "pro_rata"
interest = "paid"
repayment = "bullet"
"""


def test_fees_and_debt_by_hand() -> None:
    result = sovfund.run_base_case(tiny_terms(LEVERED))
    q = result.quarterly
    fee = 100 * 0.02 / 4  # 0.5 a quarter on commitments
    # Debt funds half of each quarter's investment: 25 in quarters 0 and 1.
    np.testing.assert_allclose(q["debt_drawn"], [25, 25] + [0] * 10)
    # Interest at 4% SOFR + 1% on the debt at the start of each quarter.
    interest = [0, 25 * 0.05 / 4] + [50 * 0.05 / 4] * 10
    np.testing.assert_allclose(q["interest"], interest)
    np.testing.assert_allclose(q["fees"], [fee] * 12)
    # Calls: the other half of the investment, plus fees and interest.
    np.testing.assert_allclose(q["calls"], [25 + fee, 25 + fee + interest[1]] + [0] * 10)
    # Operating cash 5 pays fees and interest; the rest is distributed; at the end the
    # exit proceeds of 100 repay the debt of 50 first.
    spare = 5 - fee - interest[2]
    np.testing.assert_allclose(q["distributions"], [0, 0] + [spare] * 9 + [spare + 100 - 50])
    np.testing.assert_allclose(q["debt_repaid"], [0] * 11 + [50])
    # Debt over equity called so far peaks in quarter 0, when fees are a larger part.
    assert q["debt_to_equity"].max() == pytest.approx(25 / (25 + fee))

    parties = result.parties
    paid_in = 50 + 2 * fee + interest[1]
    out = 9 * spare + spare + 50
    carry = 0.2 * (out - paid_in)  # the catch-up completes (checked below)
    assert parties.loc["lp", "contributed"] == pytest.approx(paid_in)
    assert parties.loc["gp", "distributed"] == pytest.approx(carry)
    assert parties.loc["gp", "fees_received"] == pytest.approx(12 * fee)
    assert parties.loc["lp", "distributed"] == pytest.approx(out - carry)
    assert parties.loc["lp", "tvpi"] == pytest.approx((out - carry) / paid_in)
    # MOIC divides by the 50 that went into the project, not the fees and interest.
    assert parties.loc["lp", "moic"] == pytest.approx((out - carry) / 50)
    assert result.tiers.loc["carried interest", "gp"] > 0  # past the catch-up
    assert result.fund.peak_debt == pytest.approx(50)
    assert result.fund.gp_fees == {"gp": pytest.approx(6.0)}
    assert not result.fund.defaulted


def test_a_covenant_default_hands_the_assets_to_the_lenders() -> None:
    # LTV may not pass 40%, but the fund borrows half of its investment: it breaches
    # in quarter 0 and, with on_breach = "default", the lenders sell the project (cost
    # 50) at a 20% discount and take the 25 they are owed; the rest goes to equity.
    terms = tiny_terms(LEVERED + "covenants = { max_ltv = 0.4, on_breach = 'default' }\n")
    result = sovfund.run_base_case(terms)
    q = result.quarterly
    assert result.fund.defaulted
    assert str(result.fund.default_date) == "2026-04-01"
    assert q["sale_proceeds"].iloc[0] == pytest.approx(50 * 0.8)
    assert q["debt_repaid"].iloc[0] == pytest.approx(25)
    assert q["distributions"].iloc[0] == pytest.approx(50 * 0.8 - 25)
    assert q["investment"].iloc[1:].abs().sum() == 0  # the fund has stopped
    assert result.fund.lenders_loss == 0


SECOND_PROJECT = """
[[project]]
id = "road"
name = "A small road"
sector = "grid"
contractor = "Builder Co"
contractor_country = "JP"
capex = 10.0
construction_quarters = 1
start_quarter = 3
revenue_model = "availability"
annual_revenue = 0.0
operating_years = 10
"""


@pytest.mark.parametrize("recycling", [True, False])
def test_recycling_decides_whether_income_pays_for_new_projects(recycling: bool) -> None:
    # The bridge earns 5 in quarter 3 while the road (capex 10) is built. Recycling, the
    # 5 pays half the road and the LP is called for 5; without it the LP pays all 10 and
    # the 5 is distributed. The LP's commitment of 100 must cover 110 of capex here, so
    # the bridge is made cheaper: capex 90.
    text = TINY.read_text().replace("capex = 100.0", "capex = 90.0")
    text = text.replace("[macro]", SECOND_PROJECT + "\n[macro]")
    text = text.replace(
        "investment_period_years = 1",
        f"investment_period_years = 1\nrecycling = {str(recycling).lower()}",
    )
    q = sovfund.run_base_case(sovfund.parse_terms(text, name="two.toml")).quarterly
    assert q["investment"].iloc[3] == pytest.approx(10)
    assert q["operating_cash"].iloc[3] == pytest.approx(5)
    assert q["calls"].iloc[3] == pytest.approx(5 if recycling else 10)
    assert q["distributions"].iloc[3] == pytest.approx(0 if recycling else 5)


def test_a_forced_sale_brings_ltv_back_to_its_covenant() -> None:
    # LTV may not pass 45%; the fund borrows half of its first 50 of investment: LTV
    # 50% in quarter 0. It sells a share s of the project at a 20% discount so that
    # 25 - 0.8 * 50 s = 0.45 * 50 (1 - s): s = 2.5 / 17.5. It keeps 1 - s of
    # everything after, and the sale proceeds repay debt.
    terms = tiny_terms(LEVERED + "covenants = { max_ltv = 0.45, on_breach = 'sell' }\n")
    result = sovfund.run_base_case(terms)
    q = result.quarterly
    share = 2.5 / 17.5
    assert q["sale_proceeds"].iloc[0] == pytest.approx(0.8 * 50 * share)
    assert q["debt"].iloc[0] == pytest.approx(25 - 0.8 * 50 * share)
    assert q["ltv"].iloc[0] == pytest.approx(0.45)
    assert q["investment"].iloc[1] == pytest.approx(50 * (1 - share))  # its share of the build
    assert q["operating_cash"].iloc[2] == pytest.approx(5 * (1 - share))
    assert not result.fund.defaulted


def test_refinancing_resets_the_spread_to_the_market() -> None:
    # Refinanced every year: from quarter 4 the debt of 50 pays SOFR 4% + the terms'
    # 1% + a market move of 2% on that date (moves between refinancings do not count).
    import dataclasses

    from sovfund.engine.fund import run_fund
    from sovfund.scenarios.draws import base_case

    terms = tiny_terms(LEVERED + "refinance_years = 1\n")
    moves = np.zeros((1, 12))
    moves[0, 4:] = 0.02
    moves[0, 6] = 0.05  # not a refinancing date
    draws = dataclasses.replace(base_case(terms), credit_spread=moves)
    interest = run_fund(terms, draws).interest[0]
    np.testing.assert_allclose(interest[2:4], 50 * 0.05 / 4)
    np.testing.assert_allclose(interest[4:], 50 * 0.07 / 4)


@pytest.mark.parametrize("beyond", [False, True])
def test_an_overrun_past_commitments_is_called_or_sells_up(beyond: bool) -> None:
    # Capex runs 50% over: 75 a quarter against a commitment of 100 and no debt. In
    # quarter 1 the fund needs 75 with 25 of commitments left.
    import dataclasses

    from sovfund.engine.fund import run_fund
    from sovfund.scenarios.draws import base_case

    terms = tiny_terms()
    if beyond:
        terms = terms.model_copy(
            update={"fund": terms.fund.model_copy(update={"calls_beyond_commitment": True})}
        )
    draws = dataclasses.replace(base_case(terms), capex_factor=np.array([[1.5]]))
    fund = run_fund(terms, draws)
    if beyond:  # the LP pays the 50 beyond its commitment and the fund carries on
        np.testing.assert_allclose(fund.calls[0, :2], [75, 75])
        assert fund.shortfall_quarter[0] == -1
        assert fund.distributions[0, -1] > 0
    else:  # the fund runs short by 50 in quarter 1 and sells the project, complete at
        # the end of that quarter, at 20% off its mark less the 50 a buyer must still pay
        np.testing.assert_allclose(fund.calls[0, :2], [75, 25])
        assert fund.shortfall_quarter[0] == 1
        assert fund.default_quarter[0] == -1  # no debt, so no default
        mark = fund.projects.value[0, 1]
        assert fund.sale_proceeds[0, 1] == pytest.approx(0.8 * (mark - 50))
        assert fund.distributions[0, 2:].sum() == 0
