"""Japan's side of the bargain (sovfund.run.bargain): the relief against the fund's
outcome for Japan on the same paths, and the opt-out project by project."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import sovfund
from sovfund.analytics.verdict import verdict
from sovfund.errors import TermsError
from sovfund.run.bargain import bargain_runs, bargain_study
from sovfund.run.studies import simulation_summary
from sovfund.terms.models import Terms

PATHS = 512
FEW = 8
"""Paths of the runs without risk (every path is the same)."""


def with_exports(terms: Terms, factor: float) -> Terms:
    """``terms`` with every sector's exports times ``factor``."""
    assert terms.bargain is not None
    sectors = tuple(
        s.model_copy(update={"exports": s.exports * factor}) for s in terms.bargain.sector
    )
    bargain = terms.bargain.model_copy(update={"sector": sectors})
    return terms.model_copy(update={"bargain": bargain})


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_without_relief_the_bargain_is_the_funds_own_outcome_for_japan(preset: str) -> None:
    terms = with_exports(sovfund.load_terms(preset), 0.0)
    study = bargain_study(terms, paths=PATHS, seed=3, opt_out_paths=0)
    assert study.yearly_relief == 0.0
    assert study.relief["usd"]["mean"] == 0.0
    assert study.net == {
        **study.net,
        "usd": study.fund["usd"],
        "jpy": study.fund["jpy"],
    }
    # the fund's outcome for Japan: its parties' yen NPVs in a plain simulation
    sim = sovfund.simulate(terms, paths=PATHS, seed=3)
    columns = [p.id for p in terms.parties]
    japan = [columns.index(p) for p in study.parties]
    own = sim.summary.npv_jpy[:, japan].sum(axis=1)
    assert study.fund["jpy"]["mean"] == pytest.approx(float(own.mean()), rel=1e-12)
    assert study.net["jpy"]["p05"] == pytest.approx(float(np.percentile(own, 5)), rel=1e-12)
    assert study.net["p_ahead"] == pytest.approx(float((own > 0).mean()))


def test_doubling_exports_doubles_the_relief() -> None:
    terms = sovfund.load_terms("son-2025")
    once = bargain_study(terms, paths=PATHS, seed=5)
    twice = bargain_study(with_exports(terms, 2.0), paths=PATHS, seed=5)
    assert twice.yearly_relief == pytest.approx(2 * once.yearly_relief, rel=1e-12)
    for money in ("usd", "jpy"):
        for key in ("mean", "p05", "p50", "p95"):
            assert twice.relief[money][key] == pytest.approx(2 * once.relief[money][key], rel=1e-12)
    assert twice.fund == once.fund  # the same paths, the same fund
    # the break-even relief (in dollars a year) does not depend on the relief there is
    assert twice.break_even["p50"]["yearly_usd"] == pytest.approx(
        once.break_even["p50"]["yearly_usd"], rel=1e-8
    )
    assert twice.break_even["p50"]["multiple_of_relief"] == pytest.approx(
        once.break_even["p50"]["multiple_of_relief"] / 2, rel=1e-8
    )


OPT_OUT = """
[fund]
name = "Opt-out by hand"
start = 2026-01-01
term_years = 2
investment_period_years = 1

[[party]]
id = "japan"
role = "lp"
class = "sovereign"
country = "JP"
commitment = 100.0

[[waterfall.tier]]
name = "all to Japan"
pay = { lps = 1.0 }

[[project]]
id = "big_loser"
name = "Costs 30, earns nothing"
sector = "grid"
contractor = "Builder Co"
contractor_country = "US"
capex = 30.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 0.0
operating_years = 1

[[project]]
id = "small_loser"
name = "Costs 3, earns nothing"
sector = "grid"
contractor = "Builder Co"
contractor_country = "US"
capex = 3.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 0.0
operating_years = 1

[macro]
short_rate = 0.04
yield_10y = 0.045
inflation = 0.0
usd_jpy = 150.0

[risk]
volatility = 0.0
defaults = 0.0

[bargain]
decline_snapback = 0.5

[[bargain.sector]]
name = "cars"
exports = 100.0
tariff_without = 0.2
tariff_with = 0.1
exporter_share = 1.0
"""


def test_a_project_that_loses_more_than_the_snapback_costs_is_declined() -> None:
    """No risk, no yen interest, a relief of 100 x 0.1 = 10 a year for 2 years: 20. Each
    project costs Japan its capex and returns nothing. Declining one (at quarter 0) saves
    its capex and, with chance 0.5, loses the whole relief: an expected cost of 10. The
    30 project loses more than that and is declined; the 3 project less, and is funded."""
    terms = sovfund.parse_terms(OPT_OUT, name="opt-out.toml")
    study = bargain_study(terms, paths=FEW, seed=0)
    assert study.yearly_relief == pytest.approx(10.0)
    assert study.relief["usd"]["mean"] == pytest.approx(20.0, rel=1e-12)
    assert study.net["usd"]["mean"] == pytest.approx(20.0 - 33.0, rel=1e-12)
    assert study.opt_out is not None
    rows = {row["id"]: row for row in study.opt_out["projects"]}
    big, small = rows["big_loser"], rows["small_loser"]
    assert big["expected_loss_usd"] == pytest.approx(30.0, rel=1e-12)
    assert small["expected_loss_usd"] == pytest.approx(3.0, rel=1e-12)
    for row in (big, small):
        assert row["snapback_cost_usd"] == pytest.approx(10.0, rel=1e-12)
    assert big["decision"] == "decline"
    assert small["decision"] == "fund"
    assert big["gain_usd"] == pytest.approx(10.0 - 30.0, rel=1e-12)
    portfolio = study.opt_out["portfolio"]
    assert portfolio["declined"] == ["big_loser"]
    assert portfolio["funded"] == ["small_loser"]
    assert portfolio["snapback_chance"] == pytest.approx(0.5)
    # half the time the relief (20) stays, half it is lost; the 3 project is paid for
    assert portfolio["net"]["usd"]["mean"] == pytest.approx(0.5 * 20.0 - 3.0, rel=1e-12)
    assert portfolio["fund"]["usd"]["mean"] == pytest.approx(-3.0, rel=1e-12)


def test_the_snapback_chance_moves_the_decision() -> None:
    """At a chance of 0.05 declining costs 0.05 x 20 = 1 in expectation: both are
    declined; at 1.0 it costs 20, and the 30 project is still declined."""
    low = sovfund.parse_terms(OPT_OUT.replace("decline_snapback = 0.5", "decline_snapback = 0.05"))
    rows = bargain_study(low, paths=FEW, seed=0).opt_out["projects"]  # type: ignore[index]
    assert [row["decision"] for row in rows] == ["decline", "decline"]
    assert rows[1]["snapback_cost_usd"] == pytest.approx(1.0, rel=1e-12)
    certain = sovfund.parse_terms(
        OPT_OUT.replace("decline_snapback = 0.5", "decline_snapback = 1.0")
    )
    study = bargain_study(certain, paths=FEW, seed=0)
    assert study.opt_out is not None
    assert [row["decision"] for row in study.opt_out["projects"]] == ["decline", "fund"]
    assert study.opt_out["portfolio"]["net"]["usd"]["mean"] == pytest.approx(-3.0, rel=1e-12)


def test_no_opt_out_where_japan_cannot_decline() -> None:
    terms = sovfund.load_terms("son-2025")
    assert bargain_runs(terms) == 0
    assert bargain_study(terms, paths=256, seed=0).opt_out is None


def test_a_term_sheet_without_a_bargain_says_so() -> None:
    terms = sovfund.parse_terms(OPT_OUT.split("[bargain]")[0], name="no-bargain.toml")
    with pytest.raises(TermsError, match=r"bargain: found no \[bargain\] table"):
        bargain_study(terms, paths=256, seed=0)


def test_the_opt_out_reuses_the_base_simulation_paths() -> None:
    """Given the run's own simulation, the net is the same as computed afresh: the
    relief is regenerated on the simulation's paths (path i is path i)."""
    terms = sovfund.load_terms("mou-550b")
    sim = sovfund.simulate(terms, paths=1024, seed=11)
    given = bargain_study(terms, paths=1024, seed=11, base=sim, opt_out_paths=0)
    fresh = bargain_study(terms, paths=1024, seed=11, opt_out_paths=0)
    assert given.net == fresh.net
    first = bargain_study(terms, paths=512, seed=11, base=sim, opt_out_paths=0)
    alone = bargain_study(terms, paths=512, seed=11, opt_out_paths=0)
    assert first.net == alone.net


def test_the_verdict_weighs_the_fund_against_the_relief() -> None:
    """The fixed rules of docs/verdict.md: worth it by the 5th percentile, the median or
    neither, with the break-even relief; and what following the opt-out rule changes."""
    terms = sovfund.load_terms("mou-550b")
    sim = sovfund.simulate(terms, paths=PATHS, seed=0)
    study = bargain_study(terms, paths=PATHS, seed=0, base=sim, opt_out_paths=256).to_dict()
    figures = simulation_summary(sim)
    base = sovfund.run_base_case(terms).to_dict()

    def said(bargain: dict[str, Any]) -> list[dict[str, Any]]:
        sentences = verdict(terms, base, figures, None, bargain)["sentences"]
        return [s for s in sentences if s["metric"].startswith("bargain.")]

    first, opt_out = said(study)
    assert first["metric"] == "bargain.net.usd.p50"
    assert first["value"] == study["net"]["usd"]["p50"] < 0
    assert "is not worth it to Japan on the median path" in first["text"]
    needed = study["break_even"]["p50"]["yearly_usd"]
    assert f"${needed / 1e9:.1f}B a year of relief to break even" in first["text"]
    declined = study["opt_out"]["portfolio"]["declined"]
    assert f"Declining the {len(declined)} of 24 projects" in opt_out["text"]
    assert opt_out["metric"] == "bargain.opt_out.portfolio.net.usd.p50"

    median = copy.deepcopy(study)
    median["net"]["usd"]["p50"] = 1e9
    assert (
        "worth it to Japan on the median path but not in the worst 5%" in (said(median)[0]["text"])
    )
    safe = copy.deepcopy(median)
    safe["net"]["usd"]["p05"] = 1e9
    assert "is worth it to Japan even in the worst 5% of paths" in said(safe)[0]["text"]
    nothing = copy.deepcopy(study)
    nothing["opt_out"]["portfolio"]["declined"] = []
    assert "the opt-out changes nothing" in said(nothing)[1]["text"]
    son = sovfund.load_terms("son-2025")
    son_study = bargain_study(son, paths=PATHS, seed=0).to_dict()
    son_sim = simulation_summary(sovfund.simulate(son, paths=PATHS, seed=0))
    sentences = verdict(son, sovfund.run_base_case(son).to_dict(), son_sim, None, son_study)
    assert [s["metric"] for s in sentences["sentences"] if "bargain" in s["metric"]] == [
        "bargain.net.usd.p50"
    ]  # no right to decline, no opt-out sentence
