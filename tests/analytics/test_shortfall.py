"""An over-committed fund: the base case runs out of money, and says so everywhere.

The tiny fund (examples/tiny.toml: one LP committing 100, no debt, a bridge of 100
built over quarters 0 and 1) with a port of 12 built in quarter 0 (another sector, so
each sector fits the policy): 112 of capex against 100 of equity ($560M against $500M,
scaled). Quarter 0 calls 62, quarter 1 the last 38 against a need of 50: 12 cannot be
paid, so the fund sells everything (a funding shortfall; not a default, since nobody
lent)."""

from __future__ import annotations

from pathlib import Path

import sovfund
from sovfund.cli.render import base_case_view
from sovfund.reports.html import write_report
from sovfund.run.job import run_job

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


ROAD = """
[[project]]
id = "port"
name = "A small port"
sector = "lng_ports"
contractor = "Builder Co"
contractor_country = "JP"
capex = 12.0
construction_quarters = 1
start_quarter = 0
revenue_model = "availability"
annual_revenue = 2.0
operating_years = 10
"""


def over_committed() -> sovfund.Terms:
    return sovfund.parse_terms(TINY.read_text(encoding="utf-8") + ROAD, name="over.toml")


def test_the_base_case_flags_the_shortfall_and_its_date() -> None:
    base = sovfund.run_base_case(over_committed())
    assert base.fund.funding_shortfall is True
    assert str(base.fund.shortfall_date) == "2026-07-01"  # quarter 1 ends six months in
    assert base.fund.defaulted is False
    assert base.to_dict()["fund"]["funding_shortfall"] is True
    plain = sovfund.run_base_case(sovfund.load_terms(TINY))
    assert plain.fund.funding_shortfall is False


def test_the_table_and_the_report_say_it(tmp_path: Path) -> None:
    from rich.console import Console

    terms = over_committed()
    job = run_job(terms, scenario="over.toml", paths=64, seed=0, study_paths=0)
    console = Console(record=True, width=120)
    console.print(base_case_view(job.base, "over.toml"))
    text = console.export_text()
    assert "Funding shortfall" in text
    assert "2026-07-01" in text
    report = write_report(tmp_path / "report.html", job.summary(), job.simulation)
    assert "Runs out of money on plan" in report.read_text(encoding="utf-8")
