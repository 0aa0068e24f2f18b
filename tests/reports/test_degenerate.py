"""Every result the engine can produce renders: all-loss paths, identical paths, a fund
without a GP, amounts at the ends of their bounds, a tornado with nothing to centre on.
The JSON, the HTML report and the workbook are written whole, NaN as null/"—"."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import sovfund
from sovfund.reports import charts
from sovfund.reports.excel import render_workbook
from sovfund.reports.files import json_text
from sovfund.reports.html import render_report
from sovfund.terms.load import parse_terms

TINY = (Path(__file__).parents[2] / "examples" / "tiny.toml").read_text(encoding="utf-8")
ALL_LOST = (
    "\n[risk]\ndefaults = 100.0\n[risk.sector.grid]\ndefault_construction = 1.0\n"
    "default_operation = 1.0\nrecovery_mean = 0.0\nrecovery_sd = 0.0\n"
)
NO_GP = (
    TINY.replace('[[party]]\nid = "gp"\nrole = "gp"\n', "")
    .replace(
        'pay = { gps = 1.0 }\nuntil = { profit_share = "gps", share = 0.20 }',
        'pay = { lps = 1.0 }\nuntil = { hurdle = "lps", rate = 0.1 }',
    )
    .replace("pay = { lps = 0.8, gps = 0.2 }", "pay = { lps = 1.0 }")
)
CASES = {
    "every project defaults, nothing recovered": TINY + ALL_LOST,
    "every path the same": TINY + "\n[risk]\nvolatility = 0.0\ndefaults = 0.0\n",
    "no GP": NO_GP,
    "amounts near zero": TINY.replace("commitment = 100.0", "commitment = 1e-300")
    .replace("capex = 100.0", "capex = 1e-300")
    .replace("annual_revenue = 20.0", "annual_revenue = 1e-300"),
    "no revenue": TINY.replace("annual_revenue = 20.0", "annual_revenue = 0.0"),
    "levered to the bound": TINY + "\n[leverage]\ndebt_to_equity = 50.0\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_degenerate_outcomes_render_everywhere(text: str) -> None:
    terms = parse_terms(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning printed on the way
        job = sovfund.run_job(
            terms, scenario="t", paths=256, seed=3, study_paths=256, backend="serial"
        )
        summary = job.summary()
        data = json.loads(json_text(summary))
        html = render_report(summary, job.base, job.simulation)
        book = render_workbook(summary, job.base, job.simulation)
    assert data["simulation"]["paths"] == 256
    assert "NaN" not in json_text(summary)
    assert html.rstrip().endswith("</html>")
    assert book[:2] == b"PK"  # a whole .xlsx (a zip)


def test_no_money_in_on_any_path_is_null_not_a_number() -> None:
    # Every project defaults before its first call: nobody pays in, nobody gets back.
    job = sovfund.run_job(
        parse_terms(TINY + ALL_LOST), scenario="t", paths=256, seed=3, study_paths=0
    )
    lp = json.loads(json_text(job.summary()))["simulation"]["parties"]["lp"]
    assert lp["p_loss"] is None
    assert lp["irr"]["mean"] is None
    assert lp["tvpi"]["n"] == 0


def test_a_tornado_with_no_value_as_set_is_left_out() -> None:
    section = {
        "metric": "tvpi_mean",
        "label": "x",
        "base": None,
        "bars": [{"label": "a", "low_setting": "l", "high_setting": "h", "low": 1, "high": 2}],
    }
    assert charts.tornado(section) is None
    section["base"] = 1.0
    section["bars"][0]["high"] = None  # a setting whose figure has no value
    assert charts.tornado(section) is not None
