"""Published worked distribution-waterfall examples, reproduced with the calculator.

Each test restates the numbers of one public worked example (the source is named in
its docstring), encodes them as a term sheet and a flows CSV, runs
:func:`sovfund.analytics.calculator.run_waterfall` and asserts the payouts the source
publishes. Where the source leaves a convention open (dates, day count, simple or
compound preferred return), the inputs are chosen so that the conventions coincide and
the docstring says so; where a figure is derived rather than printed, the comment says
how. The last test is the September 2025 memorandum structure (preset ``mou-2025``),
worked by hand.

Calculator conventions used throughout (DESIGN.md): flows in date order; hurdle
balances compound annually, Actual/365, so dates 365 days apart are exactly one year
(2025-01-01 -> 2026-01-01 -> 2027-01-01 -> 2028-01-01 are each 365 days); on a date,
contributions are booked before proceeds are distributed.
"""

from __future__ import annotations

import pytest

import sovfund
from sovfund.analytics.calculator import WaterfallResult, run_waterfall
from sovfund.analytics.irr import npv
from sovfund.terms.flows import parse_flows

# The minimal shape of examples/tiny.toml: a fund, one project and the macro levels.
# The calculator reads only the parties and the waterfall; the rest makes the term
# sheet valid (the project is kept small so that it fits every fund's capacity).
FUND = """
[fund]
name = "Reference example"
currency = "USD"
start = 2025-01-01
term_years = 5
investment_period_years = 1
"""

PROJECT_AND_MACRO = """
[[project]]
id = "bridge"
name = "A small bridge"
sector = "grid"
contractor = "Builder Co"
contractor_country = "JP"
capex = 1.0
construction_quarters = 2
start_quarter = 0
revenue_model = "availability"
annual_revenue = 0.2
opex_share = 0.0
operating_years = 10
terminal = { method = "multiple", multiple = 5.0 }

[macro]
short_rate = 0.04
yield_10y = 0.045
inflation = 0.0
usd_jpy = 150.0
"""


def one_lp_one_gp(commitment: float) -> str:
    return f"""
[[party]]
id = "lp"
role = "lp"
commitment = {commitment}

[[party]]
id = "gp"
role = "gp"
"""


# The four classic tiers with a full (100%) catch-up, written out.
CLASSIC_TIERS = """
[[waterfall.tier]]
name = "return of capital"
pay = { lps = 1.0 }
until = { capital_returned = "lps" }

[[waterfall.tier]]
name = "preferred return"
pay = { lps = 1.0 }
until = { hurdle = "lps", rate = 0.08 }

[[waterfall.tier]]
name = "catch-up"
pay = { gps = 1.0 }
until = { profit_share = "gps", share = 0.20 }

[[waterfall.tier]]
name = "carried interest"
pay = { lps = 0.8, gps = 0.2 }
"""

# Return of capital, an 8% preferred return, then 80/20 with no catch-up.
HARD_HURDLE_TIERS = """
[[waterfall.tier]]
name = "return of capital"
pay = { lps = 1.0 }
until = { capital_returned = "lps" }

[[waterfall.tier]]
name = "preferred return"
pay = { lps = 1.0 }
until = { hurdle = "lps", rate = 0.08 }

[[waterfall.tier]]
name = "carried interest"
pay = { lps = 0.8, gps = 0.2 }
"""

# Return of capital, then 80/20: no preferred return, no catch-up.
NO_HURDLE_TIERS = """
[[waterfall.tier]]
name = "return of capital"
pay = { lps = 1.0 }
until = { capital_returned = "lps" }

[[waterfall.tier]]
name = "carried interest"
pay = { lps = 0.8, gps = 0.2 }
"""


def make_terms(parties: str, waterfall: str) -> sovfund.Terms:
    text = FUND + parties + waterfall + PROJECT_AND_MACRO
    return sovfund.parse_terms(text, name="reference.toml")


def run(parties: str, waterfall: str, flows: str) -> WaterfallResult:
    terms = make_terms(parties, waterfall)
    return run_waterfall(terms, parse_flows(flows.strip() + "\n", terms, name="flows.csv"))


def paid(result: WaterfallResult, tier: str, party: str) -> float:
    return float(result.paid[result.tiers.index(tier), result.parties.index(party)])


def distributed(result: WaterfallResult, party: str) -> float:
    return float(result.distributed[result.parties.index(party)])


def clawback(result: WaterfallResult, party: str) -> float:
    return float(result.clawback[result.parties.index(party)])


# ---------------------------------------------------------------------------------
# (a) European (whole-fund) waterfall: 8% preferred return, full catch-up, 80/20
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "waterfall",
    [
        pytest.param(CLASSIC_TIERS, id="tiers"),
        pytest.param('[waterfall]\npreset = "european"\n', id="preset"),
    ],
)
def test_european_full_catch_up_cfa_schweser_example(waterfall: str) -> None:
    """LP puts in 50 in year 1; the investment is sold for 100 in year 2.

    Source: the distribution-waterfall problem from Kaplan Schweser's CFA Level III
    notes, worked step by step on AnalystForum, "Can anyone pls explain how does catch
    up clause work through an example with hurdle rate", thread 154723,
    https://www.analystforum.com/t/can-anyone-pls-explain-how-does-catch-up-clause-work-through-an-example-with-hurdle-rate/154723
    (the same problem and figures: thread 124656, "How is the catch-up rate
    calculated?", https://www.analystforum.com/t/how-is-the-catch-up-rate-calculated/124656).

    Terms: 8% hurdle, 100% catch-up, 80/20 carry. Published: return of capital 50 to
    the LP, hurdle 4 (8% of 50) to the LP, catch-up 1 to the GP, the remaining 45 split
    36 / 9; LP 90 in total, GP 10.

    Conventions: one contribution and one distribution exactly one year (365 days)
    apart, so the source's "8% of 50" equals sovfund's compound IRR hurdle. The
    ``european`` preset with its defaults (hurdle 0.08, carry 0.20, catch_up 1.0) must
    give the same tiers and the same answer.
    """
    flows = """
date,party,kind,amount
2025-01-01,lp,contribution,50
2026-01-01,,proceeds,100
"""
    result = run(one_lp_one_gp(50.0), waterfall, flows)
    assert result.tiers == (
        "return of capital",
        "preferred return",
        "catch-up",
        "carried interest",
    )
    assert paid(result, "return of capital", "lp") == pytest.approx(50.0, abs=1e-9)
    assert paid(result, "preferred return", "lp") == pytest.approx(4.0, abs=1e-9)
    assert paid(result, "catch-up", "gp") == pytest.approx(1.0, abs=1e-9)
    assert paid(result, "carried interest", "lp") == pytest.approx(36.0, abs=1e-9)
    assert paid(result, "carried interest", "gp") == pytest.approx(9.0, abs=1e-9)
    assert distributed(result, "lp") == pytest.approx(90.0, abs=1e-9)
    assert distributed(result, "gp") == pytest.approx(10.0, abs=1e-9)
    # Nothing to give back in a whole-fund waterfall.
    assert not result.clawback.any()
    assert "clawback" not in result.to_dict()


# ---------------------------------------------------------------------------------
# (c) European waterfall with a preferred return and no catch-up (a hard hurdle)
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "waterfall",
    [
        pytest.param(HARD_HURDLE_TIERS, id="tiers"),
        pytest.param('[waterfall]\npreset = "european"\ncatch_up = 0.0\n', id="preset"),
    ],
)
def test_preferred_return_without_catch_up_plumule_example(waterfall: str) -> None:
    """LP invests 100; one year later the fund has 200 to distribute.

    Source: Plumule Advisory, "Preferred returns, GP catch-ups, and clawbacks" (the last
    part of its series on how carried interest works in investment funds),
    https://plumuleadvisory.com/how-investment-fund-carried-interest-works-part-2-2

    Terms: 100% to the LP until its capital is back; 100% to the LP until it has 8%
    compounded annually on its contributions; then 80% LP / 20% GP (no catch-up).
    Published: 100 capital, 8 preferred return, the remaining 92 split 73.60 / 18.40;
    LP 181.60 in total, GP 18.40.

    Conventions: the source assumes exactly one year, so the dates are 365 days apart
    and compound, simple and IRR hurdles all give 8. The ``european`` preset with
    ``catch_up = 0`` drops the catch-up tier and must give the same answer.
    """
    flows = """
date,party,kind,amount
2025-01-01,lp,contribution,100
2026-01-01,,proceeds,200
"""
    result = run(one_lp_one_gp(100.0), waterfall, flows)
    assert result.tiers == ("return of capital", "preferred return", "carried interest")
    assert paid(result, "return of capital", "lp") == pytest.approx(100.0, abs=1e-9)
    assert paid(result, "preferred return", "lp") == pytest.approx(8.0, abs=1e-9)
    assert paid(result, "carried interest", "lp") == pytest.approx(73.60, abs=1e-9)
    assert paid(result, "carried interest", "gp") == pytest.approx(18.40, abs=1e-9)
    assert distributed(result, "lp") == pytest.approx(181.60, abs=1e-9)
    assert distributed(result, "gp") == pytest.approx(18.40, abs=1e-9)


def test_no_preferred_return_plumule_comparison() -> None:
    """The same 100 in, 200 out, with no preferred return: capital back, then 80/20.

    Source: as :func:`test_preferred_return_without_catch_up_plumule_example`
    (Plumule Advisory), which contrasts the hurdle case with this one. Published: the
    LP would receive 180 (100 capital plus 80% of the other 100) and the GP 20.
    """
    flows = """
date,party,kind,amount
2025-01-01,lp,contribution,100
2026-01-01,,proceeds,200
"""
    result = run(one_lp_one_gp(100.0), NO_HURDLE_TIERS, flows)
    assert paid(result, "return of capital", "lp") == pytest.approx(100.0, abs=1e-9)
    assert paid(result, "carried interest", "lp") == pytest.approx(80.0, abs=1e-9)
    assert paid(result, "carried interest", "gp") == pytest.approx(20.0, abs=1e-9)
    assert distributed(result, "lp") == pytest.approx(180.0, abs=1e-9)
    assert distributed(result, "gp") == pytest.approx(20.0, abs=1e-9)


# ---------------------------------------------------------------------------------
# (c) A preferred return compounded over several years
# ---------------------------------------------------------------------------------


def test_compounding_preferred_return_over_two_years_syndication_attorneys() -> None:
    """100,000 invested; nothing paid for two years; then a capital transaction.

    Source: Syndication Attorneys LLC, "What's the difference between a cumulative
    preferred return and a compounding preferred return?",
    https://syndicationattorneys.com/faqs/whats-the-difference-between-a-cumulative-preferred-return-and-a-compounding-preferred-return/

    Published: with an 8% *compounding* preferred return the unpaid year-1 return of
    8,000 joins the capital, year 2 earns 8% on 108,000 = 8,640, and the investor is
    owed 116,640 at a capital transaction; with a cumulative but *simple* 8% return it
    would be 116,000.

    sovfund's hurdle is the compounding kind (an IRR of 8%, annual compounding). The
    dates are 730 days apart (2025 and 2026 are not leap years), exactly two years at
    Actual/365. The source gives only the LP's priority amount, not a carry split, so
    the test asserts the capital and preferred-return tiers (116,640 in all) and the
    explicit gap to the simple-interest convention (640 = 8% of the unpaid 8,000),
    which sovfund does not use. The 80/20 split of the remaining 33,360 is derived,
    not published.
    """
    flows = """
date,party,kind,amount
2025-01-01,lp,contribution,100000
2027-01-01,,proceeds,150000
"""
    result = run(one_lp_one_gp(100000.0), HARD_HURDLE_TIERS, flows)
    capital = paid(result, "return of capital", "lp")
    preferred = paid(result, "preferred return", "lp")
    assert capital == pytest.approx(100_000.0, abs=1e-6)
    assert preferred == pytest.approx(8_000.0 + 8_640.0, abs=1e-6)
    assert capital + preferred == pytest.approx(116_640.0, abs=1e-6)
    simple = 100_000.0 * (1 + 0.08 * 2)  # the "cumulative, non-compounding" reading
    assert simple == pytest.approx(116_000.0)
    assert capital + preferred - simple == pytest.approx(0.08 * 8_000.0, abs=1e-6)
    # Derived: 150,000 - 116,640 = 33,360 split 80/20.
    assert paid(result, "carried interest", "lp") == pytest.approx(0.8 * 33_360.0, abs=1e-6)
    assert paid(result, "carried interest", "gp") == pytest.approx(0.2 * 33_360.0, abs=1e-6)


# ---------------------------------------------------------------------------------
# (b) American (deal-by-deal) waterfalls with a clawback at the end
# ---------------------------------------------------------------------------------

AMERICAN_NO_HURDLE = '[waterfall]\nstyle = "deal_by_deal"\nclawback = true\n' + NO_HURDLE_TIERS
AMERICAN_PRESET = '[waterfall]\npreset = "american"\n'


@pytest.mark.parametrize(
    "waterfall",
    [pytest.param(AMERICAN_NO_HURDLE, id="no-hurdle"), pytest.param(AMERICAN_PRESET, id="preset")],
)
def test_deal_by_deal_clawback_sydecar_example(waterfall: str) -> None:
    """A $1M fund makes two $500k investments; one returns 4x, the other is lost.

    Source: Sydecar, glossary entry "Clawback", https://www.sydecar.io/glossary/clawback

    Published: deal 1 returns $2M; under an American waterfall the GP takes $300k of
    carry (20% of that deal's $1.5M profit); deal 2 is a total loss; over the fund,
    $1M of capital comes back and $1M is profit, so the $300k the GP kept is 30% of the
    profit instead of the agreed 20%. The clawback returns the excess: the GP keeps
    20% of $1M = $200k and gives back $100k, which goes to the LPs (derived from the
    published 20% and $1M; the source states the 30% overpayment, not the $100k).

    Conventions: the source has no hurdle and no dates; the "no-hurdle" case encodes
    it literally (capital back, then 80/20, deal by deal with clawback). The
    ``american`` preset (8% hurdle, full catch-up) gives the same figures here because
    deal 1 and the whole fund both clear the hurdle and complete the catch-up one year
    after the money went in: deal 1 pays 500k + 40k pref + 10k catch-up + 1.45M split
    80/20 (GP 10k + 290k = 300k); the whole fund pays 1M + 80k + 20k + 900k split
    80/20 (GP 20k + 180k = 200k). Deal 2's write-off is booked as zero proceeds a year
    later, so the clawback happens after the carry was paid.
    """
    flows = """
date,party,kind,amount,investment
2025-01-01,lp,contribution,500000,deal1
2025-01-01,lp,contribution,500000,deal2
2026-01-01,,proceeds,2000000,deal1
2027-01-01,,proceeds,0,deal2
"""
    result = run(one_lp_one_gp(1_000_000.0), waterfall, flows)
    # Deal by deal, before the clawback: the GP took $300k on deal 1.
    gp_carry = paid(result, "carried interest", "gp")
    if "catch-up" in result.tiers:
        gp_carry += paid(result, "catch-up", "gp")
    assert gp_carry == pytest.approx(300_000.0, abs=1e-6)
    assert gp_carry / 1_000_000.0 == pytest.approx(0.30)  # 30% of the fund's profit
    # At the end the GP gives back the excess over 20% of $1M.
    assert clawback(result, "gp") == pytest.approx(100_000.0, abs=1e-6)
    assert clawback(result, "lp") == 0.0
    assert distributed(result, "gp") == pytest.approx(200_000.0, abs=1e-6)
    assert distributed(result, "lp") == pytest.approx(1_800_000.0, abs=1e-6)
    assert result.contributed.tolist() == [1_000_000.0, 0.0]
    assert result.to_dict()["clawback"] == {"gp": pytest.approx(100_000.0, abs=1e-6)}


@pytest.mark.parametrize(
    "waterfall",
    [pytest.param(AMERICAN_NO_HURDLE, id="no-hurdle"), pytest.param(AMERICAN_PRESET, id="preset")],
)
def test_deal_by_deal_clawback_ten_deals_no_fund_profit(waterfall: str) -> None:
    """Ten deals: five make $500M of profit in all, five lose $500M in all.

    Source: the "Clawback" entry of the English glossary ("directory") on preqveca.ru,
    http://www.preqveca.ru/en/directory/48/?rec_start=0&sf%5Bterm%5D=

    Published: without a clawback the GP would be entitled to $100M (20% of the
    $500M made on the winners); with a clawback it is entitled to nothing, since the
    ten investments made no cumulative profit.

    The source gives only totals; here every deal costs $100M, each winner returns
    $200M ($100M profit) and each loser nothing. Without a hurdle any split of the
    same totals gives the same answer. With the ``american`` preset (8% hurdle, full
    catch-up) each winner, one year on, still pays the GP exactly 20% of its $100M
    profit (8 pref, 2 catch-up, 90 split 72/18), and the whole fund, $1,000M in and
    $1,000M out, pays the GP nothing.
    """
    rows = ["date,party,kind,amount,investment"]
    for k in range(10):
        rows.append(f"2025-01-01,lp,contribution,100,deal{k}")
    for k in range(5):
        rows.append(f"2026-01-01,,proceeds,200,deal{k}")
    for k in range(5, 10):
        rows.append(f"2026-01-01,,proceeds,0,deal{k}")
    result = run(one_lp_one_gp(1000.0), waterfall, "\n".join(rows))
    gp_before = sum(
        paid(result, tier, "gp")
        for tier in ("catch-up", "carried interest")
        if tier in result.tiers
    )
    assert gp_before == pytest.approx(100.0, abs=1e-9)  # 20% of $500M, deal by deal
    assert clawback(result, "gp") == pytest.approx(100.0, abs=1e-9)
    assert distributed(result, "gp") == pytest.approx(0.0, abs=1e-9)  # "nothing"
    assert distributed(result, "lp") == pytest.approx(1000.0, abs=1e-9)  # capital back


# ---------------------------------------------------------------------------------
# The September 2025 memorandum: 50/50 until recovery, then 90/10 to the GP
# ---------------------------------------------------------------------------------


def test_mou_2025_structure_by_hand() -> None:
    """The ``mou-2025`` preset with a fixed deemed interest of 5%, worked by hand.

    Japan (the LP) puts in 100 on 2025-01-01. Proceeds arrive a year apart: 60 on
    2026-01-01, 100 on 2027-01-01 and 100 on 2028-01-01 (each span is 365 days, so
    each compounds by exactly 1.05). Tier 1 pays 50/50 until Japan's flows reach an IRR
    of 5% (principal plus deemed interest recovered); tier 2 pays 10% to Japan and 90%
    to the US (the GP).

    - 2026-01-01: Japan is owed 100 x 1.05 = 105. Half of each dollar of tier 1 goes to
      Japan, so tier 1 could take 105 / 0.5 = 210; all 60 stays in tier 1: Japan 30,
      US 30. Japan is still owed 105 - 30 = 75.
    - 2027-01-01: owed 75 x 1.05 = 78.75; tier 1 could take 157.5; all 100 stays in
      tier 1: Japan 50, US 50. Still owed 78.75 - 50 = 28.75.
    - 2028-01-01: owed 28.75 x 1.05 = 30.1875; tier 1 takes 2 x 30.1875 = 60.375
      (Japan 30.1875, US 30.1875) and recovery happens inside this distribution; the
      other 39.625 goes 10/90: Japan 3.9625, US 35.6625.

    Totals: Japan 30 + 50 + 30.1875 + 3.9625 = 114.15; the US 30 + 50 + 30.1875 +
    35.6625 = 145.85; together the 260 distributed.
    """
    parties = """
[[party]]
id = "japan"
role = "lp"
commitment = 100.0

[[party]]
id = "us"
role = "gp"
"""
    waterfall = '[waterfall]\npreset = "mou-2025"\nrate = 0.05\n'
    flows = """
date,party,kind,amount
2025-01-01,japan,contribution,100
2026-01-01,,proceeds,60
2027-01-01,,proceeds,100
2028-01-01,,proceeds,100
"""
    result = run(parties, waterfall, flows)
    shared, after = result.tiers
    assert paid(result, shared, "japan") == pytest.approx(30 + 50 + 30.1875, abs=1e-9)
    assert paid(result, shared, "us") == pytest.approx(30 + 50 + 30.1875, abs=1e-9)
    assert paid(result, after, "japan") == pytest.approx(3.9625, abs=1e-9)
    assert paid(result, after, "us") == pytest.approx(35.6625, abs=1e-9)
    assert distributed(result, "japan") == pytest.approx(114.15, abs=1e-9)
    assert distributed(result, "us") == pytest.approx(145.85, abs=1e-9)
    # Recovery means exactly this: Japan's flows through tier 1 have an IRR of 5%.
    times = [0.0, 1.0, 2.0, 3.0]
    assert npv(0.05, times, [-100.0, 30.0, 50.0, 30.1875]) == pytest.approx(0.0, abs=1e-9)
    # With the 3.9625 from tier 2 on top, Japan's IRR is a little above 5%. (Read
    # through the JSON contract, where a missing IRR is null.)
    parties_json = result.to_dict()["parties"]
    assert isinstance(parties_json, dict)
    japan_irr = parties_json["japan"]["irr"]
    assert isinstance(japan_irr, float)
    assert 0.05 < japan_irr < 0.07
    assert npv(japan_irr, times, [-100.0, 30.0, 50.0, 34.15]) == pytest.approx(0.0, abs=1e-9)
    assert parties_json["us"]["irr"] is None  # the US put nothing in: no IRR
    assert not result.clawback.any()
