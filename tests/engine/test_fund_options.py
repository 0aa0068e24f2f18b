"""Every option of [fund], [leverage] and [waterfall], held to expectations the engine
did not produce.

Three kinds: options worked by hand on the tiny fund (examples/tiny.toml: an LP of
100, a bridge of 100 built over quarters 0 and 1 earning 5 a quarter, sold at 5x its
next year's cash after three years; SOFR 4%); random term sheets over every option,
run on shocked Monte Carlo draws, against the NumPy fund loop kept as an oracle
(tests/oracle/fund.py); and invariants of those same runs (cash is conserved every
quarter, debt never passes its cap, nothing moves after the fund closes, every dollar
distributed reaches a party). Deal-by-deal terms are checked against the calculator's
whole-fund waterfall for the clawback, and in the Monte Carlo itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sovfund
from oracle import assert_same_paths
from oracle.fund import run_fund_reference
from sovfund.analytics.calculator import run_waterfall
from sovfund.engine.calendar import quarter_dates
from sovfund.engine.fund import FundPaths, run_fund
from sovfund.engine.projects import project_flows
from sovfund.errors import TermsError
from sovfund.scenarios.draws import base_case
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.terms.flows import Flow

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


def tiny(extra: str = "", *, replace: tuple[str, str] | None = None) -> sovfund.Terms:
    text = TINY.read_text(encoding="utf-8")
    if replace is not None:
        assert text.count(replace[0]) == 1
        text = text.replace(*replace)
    return sovfund.parse_terms(text + extra, name="tiny.toml")


# -- options worked by hand --------------------------------------------------------------


def test_capitalised_interest_is_added_to_the_debt_not_called() -> None:
    # Debt funds half of each quarter's 50 of investment. Interest at 4% + 1% on the
    # debt at the start of a quarter is added to it: 25 after quarter 0, then
    # 25 (1 + 0.05 / 4) + 25 after quarter 1, compounding after that.
    terms = tiny('\n[leverage]\ndebt_to_equity = 1.0\nspread = 0.01\ninterest = "capitalised"\n')
    fund = run_fund(terms, base_case(terms))
    rate = 0.05 / 4
    assert fund.debt[0, 0] == pytest.approx(25)
    assert fund.debt[0, 1] == pytest.approx(25 * (1 + rate) + 25)
    assert fund.debt[0, 2] == pytest.approx((25 * (1 + rate) + 25) * (1 + rate))
    np.testing.assert_allclose(fund.interest_capitalised[0, :11], fund.interest[0, :11])
    np.testing.assert_allclose(fund.calls[0, :2], [25, 25])  # no interest called
    assert fund.distributions[0, 2] == pytest.approx(5)  # income is not spent on it


def test_sweep_repayment_pays_debt_before_anything_is_distributed() -> None:
    # From the end of the one-year investment period (quarter 4) the bridge's spare
    # cash, 5 less interest on the debt, repays the debt of 50 instead of being paid out.
    terms = tiny('\n[leverage]\ndebt_to_equity = 1.0\nrepayment = "sweep"\n')
    fund = run_fund(terms, base_case(terms))
    debt, interest = 50.0, []
    for t in range(4, 11):
        interest.append(debt * 0.04 / 4)
        repaid = 5 - interest[-1]
        assert fund.debt_repaid[0, t] == pytest.approx(repaid)
        debt -= repaid
        assert fund.debt[0, t] == pytest.approx(debt)
    np.testing.assert_allclose(fund.distributions[0, 4:11], 0.0, atol=1e-12)
    assert fund.distributions[0, 2] == pytest.approx(5 - 50 * 0.04 / 4)  # before: paid out


def test_equity_first_calls_commitments_before_borrowing() -> None:
    # Equity first: the LP's 100 pays for the whole bridge; the fund never borrows.
    terms = tiny('\n[leverage]\ndebt_to_equity = 1.0\ndraw = "equity_first"\n')
    fund = run_fund(terms, base_case(terms))
    np.testing.assert_allclose(fund.calls[0, :2], [50, 50])
    assert fund.debt_drawn.sum() == 0
    # With the bridge at 150 (a 50% overrun), the last 50 is borrowed once commitments
    # are gone: up to the target of 1x commitments.
    over = dataclasses.replace(base_case(terms), capex_factor=np.array([[1.5]]))
    fund = run_fund(terms, over)
    np.testing.assert_allclose(fund.calls[0, :2], [75, 25])
    np.testing.assert_allclose(fund.debt_drawn[0, :2], [0, 50])


def test_a_hard_cap_above_the_target_borrows_what_commitments_cannot_pay() -> None:
    # Target 0.2x (20 of debt, drawn pro rata: 1/6 of each quarter's investment), cap
    # 0.5x. A 40% overrun costs 70 a quarter. Quarter 0: 70/6 of debt, the rest called.
    # Quarter 1: pro rata only up to the target (20 - 70/6), then the last of the
    # commitments, then more debt under the cap for the rest (and for the interest).
    terms = tiny("\n[leverage]\ndebt_to_equity = 0.2\nmax_debt_to_equity = 0.5\n")
    over = dataclasses.replace(base_case(terms), capex_factor=np.array([[1.4]]))
    fund = run_fund(terms, over)
    first = 70 / 6
    interest = first * 0.04 / 4
    pro_rata = 20 - first
    called = 100 - (70 - first)
    extra = 70 + interest - pro_rata - called
    np.testing.assert_allclose(fund.debt_drawn[0, :2], [first, pro_rata + extra])
    assert fund.debt[0, 1] == pytest.approx(first + pro_rata + extra)
    assert fund.debt[0, 1] < 50  # under the cap
    assert fund.calls[0, :2].sum() == pytest.approx(100)
    assert fund.shortfall_quarter[0] == -1
    # the same overrun with the cap at the target runs short
    capped = tiny("\n[leverage]\ndebt_to_equity = 0.2\n")
    assert run_fund(capped, over).shortfall_quarter[0] == 1


def test_an_interest_cover_breach_sweeps_the_spare_cash() -> None:
    # Debt of 50 at SOFR 4% + 6% costs 1.25 a quarter against 5 of income: cover 4x.
    # With a minimum of 5x, every quarter from the end of the investment period
    # (quarter 4) breaches and sweeps its spare cash to the debt; before, it is paid out.
    terms = tiny(
        "\n[leverage]\ndebt_to_equity = 1.0\nspread = 0.06\n"
        'covenants = { min_interest_cover = 5.0, on_breach = "sweep" }\n'
    )
    fund = run_fund(terms, base_case(terms))
    assert not fund.breach[0, :4].any()
    assert fund.breach[0, 4]
    assert fund.debt_repaid[0, 4] == pytest.approx(5 - 1.25)
    assert fund.distributions[0, 4] == pytest.approx(0)
    assert fund.distributions[0, 3] == pytest.approx(5 - 1.25)
    assert fund.default_quarter[0] == -1


def test_a_sale_that_cannot_cure_a_breach_is_a_default() -> None:
    # At a 60% fire-sale discount a sale lowers LTV only if 1 - 0.6 - max LTV > 0: with
    # a maximum of 45% no sale can cure the 50% LTV of quarter 0, so the fund defaults.
    terms = tiny(
        "\n[leverage]\ndebt_to_equity = 1.0\nfire_sale_discount = 0.6\n"
        'covenants = { max_ltv = 0.45, on_breach = "sell" }\n'
    )
    fund = run_fund(terms, base_case(terms))
    assert fund.default_quarter[0] == 0
    assert fund.sale_proceeds[0, 0] == pytest.approx(50 * 0.4)  # everything, at 60% off
    assert fund.debt_repaid[0, 0] == pytest.approx(20)  # all the sale raised
    assert fund.lenders_loss[0] == pytest.approx(5)  # 25 owed


TWO_DEALS = """
[[project]]
id = "port"
name = "A port that fails"
sector = "lng_ports"
contractor = "Builder Co"
contractor_country = "JP"
capex = 40.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 0.0
operating_years = 10
"""
DEAL_BY_DEAL = """[waterfall]
style = "deal_by_deal"
clawback = true

[[waterfall.tier]]
name = "return of capital"
pay = { lps = 1.0 }
until = { capital_returned = "lps" }

[[waterfall.tier]]
name = "carried interest"
pay = { lps = 0.8, gps = 0.2 }
"""


def deal_by_deal() -> sovfund.Terms:
    # the tiny bridge cut to 60, and a port of 40 that never earns anything
    text = TINY.read_text(encoding="utf-8").replace("capex = 100.0", "capex = 60.0")
    start, end = text.index("[[waterfall.tier]]"), text.index("[[project]]")
    text = text[:start] + DEAL_BY_DEAL + "\n" + text[end:]
    return sovfund.parse_terms(text + TWO_DEALS, name="deals.toml")


def test_deal_by_deal_carry_is_clawed_back_to_the_whole_fund_entitlement() -> None:
    # Deal by deal, the bridge's income pays carry as soon as the bridge's own capital is
    # back, although the port lost its 40. At the close the GP returns whatever it got
    # above what the same tiers pay on the whole fund: the calculator's whole-fund run
    # of the same dated flows (calls, and the cash the fund paid out) says how much.
    terms = deal_by_deal()
    fund = run_fund(terms, base_case(terms))
    lp, gp = 0, 1
    assert fund.clawback[0, -1, gp] > 0  # it got carry on the bridge alone
    assert fund.clawback[0, -1, lp] == pytest.approx(-fund.clawback[0, -1, gp])
    whole = terms.model_copy(
        update={
            "waterfall": terms.waterfall.model_copy(
                update={"style": "whole_fund", "clawback": False}
            )
        }
    )
    dates = quarter_dates(terms.fund.start, terms.fund.quarters)
    flows = [
        Flow(d, "contribution", float(c), "lp")
        for d, c in zip(dates, fund.calls[0], strict=True)
        if c
    ]
    flows += [
        Flow(d, "proceeds", float(x))
        for d, x in zip(dates, fund.distributions[0], strict=True)
        if x
    ]
    entitled = run_waterfall(whole, flows).distributed[gp]
    gross = fund.distributed[0, :, gp].sum() + fund.clawback[0, :, gp].sum()
    assert gross > entitled  # deal by deal paid it more ...
    assert fund.distributed[0, :, gp].sum() == pytest.approx(entitled)  # ... and it gave that back
    assert fund.distributed[0].sum() == pytest.approx(fund.distributions[0].sum())


def test_deal_by_deal_runs_in_the_monte_carlo() -> None:
    terms = deal_by_deal()
    fast = sovfund.simulate(terms, paths=300, seed=4)
    reference = sovfund.simulate(terms, paths=300, seed=4, engine="reference")
    np.testing.assert_allclose(fast.summary.received, reference.summary.received, rtol=1e-9)
    np.testing.assert_array_equal(fast.summary.defaulted, reference.summary.defaulted)
    assert (fast.summary.received[:, 1] > 0).any()  # carry on some paths


# -- random term sheets against the oracle, and invariants -----------------------------


@st.composite
def option_sets(draw: st.DrawFn) -> tuple[sovfund.Terms, int]:
    """The tiny fund with a second project and any combination of options."""
    target = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    leverage = [
        f"debt_to_equity = {target}",
        f"spread = {draw(st.sampled_from([0.0, 0.015, 0.03]))}",
        f'draw = "{draw(st.sampled_from(["pro_rata", "equity_first"]))}"',
        f'interest = "{draw(st.sampled_from(["paid", "capitalised"]))}"',
        f'repayment = "{draw(st.sampled_from(["bullet", "sweep"]))}"',
        f"fire_sale_discount = {draw(st.sampled_from([0.05, 0.2, 0.5]))}",
    ]
    if draw(st.booleans()):
        leverage.append(f"max_debt_to_equity = {target + draw(st.sampled_from([0.0, 0.5]))}")
    if draw(st.booleans()):
        leverage.append(f"refinance_years = {draw(st.sampled_from([1, 2]))}")
    covenants = []
    if draw(st.booleans()):
        covenants.append(f"max_ltv = {draw(st.sampled_from([0.3, 0.6, 0.9]))}")
    if draw(st.booleans()):
        covenants.append(f"min_interest_cover = {draw(st.sampled_from([0.5, 1.5, 3.0]))}")
    covenants.append(f'on_breach = "{draw(st.sampled_from(["sweep", "sell", "default"]))}"')
    leverage.append("covenants = { " + ", ".join(covenants) + " }")
    style = draw(st.sampled_from(["european", "american", "mou-2025", "tiers"]))
    waterfall = {
        "european": '[waterfall]\npreset = "european"\nhurdle = '
        + f"{draw(st.sampled_from([0.0, 0.08]))}\n",
        "american": '[waterfall]\npreset = "american"\ncatch_up = 0.5\n',
        "mou-2025": '[waterfall]\npreset = "mou-2025"\nrate = { index = "sofr", spread = 0.01 }\n',
        "tiers": "",
    }[style]
    fees = ""
    if draw(st.booleans()):
        basis = draw(st.sampled_from(["committed", "invested", "nav"]))
        fees = f'\n[[fee]]\nid = "management"\nrate = 0.02\nbasis = "{basis}"\n'
        if draw(st.booleans()):
            fees += 'step_down = { rate = 0.01, basis = "nav" }\n'
    fund = [
        f"recycling = {str(draw(st.booleans())).lower()}",
        f"calls_beyond_commitment = {str(draw(st.booleans())).lower()}",
    ]
    redeeming = style != "american" and draw(st.booleans())
    text = TINY.read_text(encoding="utf-8").replace("capex = 100.0", "capex = 60.0")
    text = text.replace(
        "investment_period_years = 1", "investment_period_years = 1\n" + "\n".join(fund)
    )
    if redeeming:
        text = text.replace('class = "institutional"', 'class = "retail"')
        text = text.replace(
            '[[party]]\nid = "gp"', '[fund.redemptions]\ngate = 0.05\n\n[[party]]\nid = "gp"'
        )
    if waterfall:
        start, end = text.index("[[waterfall.tier]]"), text.index("[[project]]")
        text = text[:start] + waterfall + "\n" + text[end:]
    text += TWO_DEALS.replace("annual_revenue = 0.0", "annual_revenue = 9.0") + fees
    text += "\n[leverage]\n" + "\n".join(leverage) + "\n"
    text += "\n[risk]\nvolatility = 2.0\ndefaults = 5.0\n"
    try:
        terms = sovfund.parse_terms(text, name="options.toml")
    except TermsError as error:  # pragma: no cover - the strategy builds valid sheets
        raise AssertionError(str(error)) from None
    return terms, draw(st.integers(0, 2**16))


def shocked_run(terms: sovfund.Terms, seed: int) -> tuple[FundPaths, object]:
    draws = monte_carlo(terms, seed, 0, 24)
    if terms.fund.redemptions is not None:
        requests = np.zeros_like(draws.short_rate)
        requests[:, 2:9] = 0.15
        draws = dataclasses.replace(draws, redemption=requests)
    deals = terms.waterfall.style == "deal_by_deal"
    projects = project_flows(terms, draws, per_project=deals)
    return run_fund(terms, draws, projects), run_fund_reference(terms, draws, projects)


OPTIONS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@OPTIONS
@given(case=option_sets())
def test_every_option_agrees_with_the_oracle(case: tuple[sovfund.Terms, int]) -> None:
    terms, seed = case
    fund, reference = shocked_run(terms, seed)
    assert_same_paths(reference, fund, terms.total_commitment)


@OPTIONS
@given(case=option_sets())
def test_invariants_of_every_option(case: tuple[sovfund.Terms, int]) -> None:
    terms, seed = case
    fund, _ = shocked_run(terms, seed)
    size = 1e-9 * terms.total_commitment
    short = fund.shortfall_quarter[:, None] == np.arange(terms.fund.quarters)[None, :]
    # cash is conserved every quarter the fund is not short: sources equal uses
    sources = fund.calls + fund.debt_drawn + fund.operating_cash + fund.sale_proceeds
    uses = (
        fund.investment
        + fund.fees
        + (fund.interest - fund.interest_capitalised)
        + fund.debt_repaid
        + fund.distributions
    )
    np.testing.assert_allclose(np.where(short, 0, sources - uses), 0.0, atol=size)
    # debt never passes its cap, save capitalised interest
    cap = max(terms.leverage.debt_to_equity, terms.leverage.max_debt_to_equity or 0.0)
    if terms.leverage.interest == "paid":
        assert (fund.debt <= cap * terms.total_commitment + size).all()
    # nothing moves after the fund closes on a default or a shortfall
    closed = np.maximum(fund.default_quarter, fund.shortfall_quarter)
    after = np.arange(terms.fund.quarters)[None, :] > closed[:, None]
    after &= (closed >= 0)[:, None]
    for series in (fund.calls, fund.investment, fund.distributions, fund.debt, fund.fees):
        assert not series[after].any()
    # every dollar paid in and out reaches a party, and the tiers account for the rest
    np.testing.assert_allclose(fund.contributions.sum(axis=2), fund.calls, atol=size)
    np.testing.assert_allclose(fund.distributed.sum(axis=2), fund.distributions, atol=size)
    waterfall = fund.distributions.sum(axis=1) - fund.redeemed.sum(axis=1)
    np.testing.assert_allclose(fund.tier_paid.sum(axis=(1, 2)), waterfall, atol=size)
    # no party is called beyond its commitment unless the terms allow it
    if not terms.fund.calls_beyond_commitment and terms.fund.redemptions is None:
        commitments = np.array([p.commitment or 0.0 for p in terms.parties])
        assert (fund.contributions.sum(axis=1) <= commitments + size).all()
