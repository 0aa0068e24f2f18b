"""Retail redemptions, gated: a tiny fund worked by hand, and the engine held path by
path to the NumPy fund loop kept as an oracle (tests/oracle/fund.py).

The tiny fund (examples/tiny.toml) with its LP cut to 80 and a retail LP ("saver") of
20, debt of 1x drawn pro rata, income distributed as it comes (``recycling = false``, so
the LPs are called for interest) and a small road (capex 10, no revenue) built in
quarter 3. The saver asks to redeem 15% of its NAV in quarters 1 and 5; the gate pays
5%. In quarter 1 the bridge is still being built and there is no spare cash: a sale pays
it. In quarter 5 the bridge's income pays it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import sovfund
from oracle import assert_same_paths
from oracle.fund import run_fund_reference
from sovfund.engine.fund import FundPaths, run_fund
from sovfund.engine.projects import project_flows
from sovfund.errors import TermsError
from sovfund.scenarios.draws import Draws, base_case
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.terms.models import Redemptions

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
LP, GP, SAVER = 0, 1, 2
ASKED = (1, 5)  # the quarters the saver asks
REDEEMING = """
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

[[party]]
id = "saver"
role = "lp"
class = "retail"
commitment = 20.0

[leverage]
debt_to_equity = 1.0
spread = 0.01
fire_sale_discount = {discount}

[fund.redemptions]
gate = 0.05
"""


def tiny_redeeming(discount: float = 0.2) -> sovfund.Terms:
    text = TINY.read_text().replace("commitment = 100.0", "commitment = 80.0")
    text = text.replace(
        "investment_period_years = 1", "investment_period_years = 1\nrecycling = false"
    )
    return sovfund.parse_terms(text + REDEEMING.format(discount=discount), name="redeeming.toml")


def asking(draws: Draws, quarters: tuple[int, ...] | range, share: float) -> Draws:
    requests = np.zeros_like(draws.short_rate)
    requests[:, list(quarters)] = share
    return dataclasses.replace(draws, redemption=requests)


def run_tiny(discount: float = 0.2) -> FundPaths:
    terms = tiny_redeeming(discount)
    return run_fund(terms, asking(base_case(terms), ASKED, 0.15))


def test_the_gate_pays_its_share_of_last_quarters_nav() -> None:
    fund = run_tiny()
    nav = fund.party_nav[0]
    # End of quarter 0: assets at cost 50, debt 25; the NAV of 25 is the LPs' capital,
    # called pro rata to commitments (20 and 5): a liquidation returns just that.
    np.testing.assert_allclose(nav[0], [20, 0, 5])
    # Asked 15%, paid the gate's 5% of the saver's NAV at the end of the quarter before.
    paid = [0.05 * nav[t - 1, SAVER] for t in ASKED]
    np.testing.assert_allclose(fund.redeemed[0, list(ASKED)], paid, rtol=1e-15)
    assert fund.redeemed[0, 1] == pytest.approx(0.25)
    assert fund.redeemed[0].sum() == pytest.approx(sum(paid))
    assert not fund.gate_shut.any()
    # The saver receives it as a distribution; nothing else is paid in quarter 1.
    assert fund.distributed[0, 1].tolist() == [0, 0, pytest.approx(0.25)]
    assert fund.distributions[0, 1] == pytest.approx(0.25)
    np.testing.assert_allclose(fund.distributed[0].sum(axis=1), fund.distributions[0])


def test_a_sale_at_the_fire_sale_discount_pays_it_and_keeps_ltv() -> None:
    fund = run_tiny()
    # Quarter 1: the bridge is complete, marked A; the debt is 50 (half of its cost);
    # no spare cash. A sale of marked value V brings 0.8 V, of which LTV x V repays
    # debt: V = 0.25 / (1 - 0.2 - LTV), the share s = V / A of every project.
    mark, debt = fund.projects.value[0, 1], 50.0
    ltv = debt / mark
    value = 0.25 / (1 - 0.2 - ltv)
    share = value / mark
    assert fund.sale_proceeds[0, 1] == pytest.approx(0.8 * value, rel=1e-12)
    assert fund.debt_repaid[0, 1] == pytest.approx(ltv * value, rel=1e-12)
    assert fund.debt[0, 1] == pytest.approx(debt * (1 - share), rel=1e-12)
    assert fund.asset_value[0, 1] == pytest.approx(mark * (1 - share), rel=1e-12)
    assert fund.debt[0, 1] / fund.asset_value[0, 1] == pytest.approx(ltv, rel=1e-12)
    # The fund keeps 1 - s of everything after: the bridge's income, the road's cost.
    assert fund.operating_cash[0, 2] == pytest.approx(5 * (1 - share), rel=1e-12)
    assert fund.investment[0, 3] == pytest.approx(10 * (1 - share), rel=1e-12)
    # Quarter 5: the income (all spare, as it is not recycled) pays the redemption; no
    # sale, the debt stays, and the waterfall gets what is left.
    assert fund.sale_proceeds[0, 5] == 0
    assert fund.debt[0, 5] == fund.debt[0, 4]
    assert fund.distributions[0, 5] == pytest.approx(fund.distributions[0, 4], rel=1e-12)
    waterfall = fund.distributed[0, 5].sum() - fund.redeemed[0, 5]
    assert waterfall == pytest.approx(fund.operating_cash[0, 5] - fund.redeemed[0, 5])


def test_redeemed_units_leave_the_capital_account() -> None:
    fund = run_tiny()
    calls, nav = fund.contributions[0], fund.party_nav[0]
    # The saver's capital after quarter 1's calls (5 + 5.0625) is cut by 5%, and so is
    # its unfunded commitment (20 - 10.0625): the LPs' share of the quarter-2 call
    # (interest, pro rata to unfunded) and of the return of capital (pro rata to
    # contributed) follow.
    assert calls[:2, SAVER].sum() == pytest.approx(10.0625)
    unfunded = np.array([80 - 40.25, 0.95 * (20 - 10.0625)])
    np.testing.assert_allclose(calls[2, [LP, SAVER]], calls[2].sum() * unfunded / unfunded.sum())
    contributed = np.array([40.25, 0.95 * 10.0625]) + calls[2, [LP, SAVER]]
    paid = fund.distributed[0, 2, [LP, SAVER]]
    np.testing.assert_allclose(paid, paid.sum() * contributed / contributed.sum(), rtol=1e-12)
    # Hurdle: the preferred return, paid in the last quarter once all capital is back, is
    # the LPs' contributions less distributions compounded at 8% less those flows
    # themselves. Each flow of the saver before a redemption counts at 95% (a call in the
    # quarter of a redemption comes before it, a distribution after it).
    end = fund.dates[-1]
    growth = np.array([1.08 ** ((end - d).days / 365) for d in fund.dates]) - 1.0
    redeemed = np.zeros((12, 3))
    redeemed[list(ASKED), SAVER] = [0.05 * nav[t - 1, SAVER] for t in ASKED]
    spread = (fund.distributed[0] - redeemed)[:-1]  # through the waterfall, before the end
    quarter = np.arange(12)[:, None]
    keep_calls = np.where(np.arange(3) == SAVER, 0.95 ** sum(quarter <= t for t in ASKED), 1.0)
    keep_paid = np.where(np.arange(3) == SAVER, 0.95 ** sum(quarter < t for t in ASKED), 1.0)
    lps = [LP, SAVER]

    def preferred(calls_kept: np.ndarray, paid_kept: np.ndarray) -> float:
        flows = (calls * calls_kept * growth[:, None]).sum(axis=0)
        flows -= (spread * paid_kept[:-1] * growth[:-1, None]).sum(axis=0)
        return float(flows[lps].sum())

    tier = fund.tiers.index("preferred return")
    assert fund.tier_paid[0, tier].sum() == pytest.approx(
        preferred(keep_calls, keep_paid), rel=1e-10
    )
    ones = np.ones((12, 3))
    assert abs(fund.tier_paid[0, tier].sum() - preferred(ones, ones)) > 1e-2  # it matters


def test_the_gate_shuts_where_a_sale_cannot_keep_ltv() -> None:
    # At a 70% discount a sale repays less debt than it removes assets (1 - 0.7 - LTV < 0
    # at an LTV of 0.35): in quarter 1 nothing is paid. Quarter 5's cash still pays.
    fund = run_tiny(discount=0.7)
    assert fund.gate_shut[0].tolist() == [t == 1 for t in range(12)]
    assert fund.redeemed[0, 1] == 0
    assert fund.sale_proceeds[0, 1] == 0
    assert fund.distributed[0, 1].sum() == 0
    assert fund.redeemed[0, 5] == pytest.approx(0.05 * fund.party_nav[0, 4, SAVER])


@pytest.mark.parametrize("discount", [0.2, 0.7])
def test_compiled_plain_and_oracle_agree_on_the_tiny_fund(discount: float) -> None:
    terms = tiny_redeeming(discount)
    draws = asking(base_case(terms), ASKED, 0.15)
    fast = run_fund(terms, draws)
    assert_same_paths(run_fund_reference(terms, draws), fast)
    assert_same_paths(run_fund(terms, draws, fast=False), fast)


def son_redeeming(discount: float) -> tuple[sovfund.Terms, Draws]:
    terms = sovfund.load_terms("son-2025")
    terms = terms.model_copy(
        update={
            "fund": terms.fund.model_copy(update={"redemptions": Redemptions(gate=0.05)}),
            "leverage": terms.leverage.model_copy(update={"fire_sale_discount": discount}),
        }
    )
    return terms, monte_carlo(terms, 17, 0, 64)


@pytest.mark.parametrize(("discount", "start"), [(0.2, 12), (0.05, 32)])
def test_engines_agree_path_by_path_on_a_retail_run(discount: float, start: int) -> None:
    # Retail LPs ask 15% a quarter for two years; the gate pays 5%. Sales pay where LTV
    # leaves room (under 1 - discount), the gate shuts elsewhere; late in the term some
    # quarters' spare cash pays.
    terms, draws = son_redeeming(discount)
    draws = asking(draws, range(start, start + 8), 0.15)
    projects = project_flows(terms, draws)
    reference = run_fund_reference(terms, draws, projects)
    fast = run_fund(terms, draws, projects)
    assert_same_paths(reference, fast, terms.total_commitment)
    paid = reference.redeemed > 0
    by_sale = paid & (reference.sale_proceeds > 0)
    assert by_sale.any()
    assert reference.gate_shut.any()
    assert (paid & ~by_sale).any() == (start == 32)


def test_without_requests_nothing_changes_bit_for_bit() -> None:
    terms, draws = son_redeeming(0.2)
    preset = sovfund.load_terms("son-2025")  # which has a [fund.redemptions] table
    plain = preset.model_copy(update={"fund": preset.fund.model_copy(update={"redemptions": None})})
    projects = project_flows(plain, draws)
    before = run_fund(plain, draws, projects), run_fund(plain, draws, projects, fast=False)
    for case_terms, case_draws in (
        (terms, draws),  # the table, no requests
        (terms, asking(draws, range(0), 0.15)),  # requests of zero
        (plain, asking(draws, range(12, 20), 0.15)),  # requests, but no table
    ):
        after = (
            run_fund(case_terms, case_draws, projects),
            run_fund(case_terms, case_draws, projects, fast=False),
        )
        for old, new in zip(before, after, strict=True):
            for field in dataclasses.fields(old):
                value = getattr(old, field.name)
                if isinstance(value, np.ndarray):
                    np.testing.assert_array_equal(getattr(new, field.name), value, field.name)
    assert not before[0].redeemed.any()
    assert not before[0].gate_shut.any()


def test_redemptions_need_a_whole_fund_waterfall() -> None:
    text = TINY.read_text().replace(
        "[[waterfall.tier]]", '[waterfall]\nstyle = "deal_by_deal"\n\n[[waterfall.tier]]', 1
    )
    with pytest.raises(TermsError, match=r"fund\.redemptions"):
        sovfund.parse_terms(text + "\n[fund.redemptions]\ngate = 0.03\n", name="bad.toml")
