"""Values that validate must run: every number and date is bounded, and the error says
the bound; parser limits and TOML oddities are located problems; warnings for terms
that are valid but will not run as planned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sovfund
from sovfund.errors import TermsError
from sovfund.scenarios.sectors import shipped_sector_risk
from sovfund.terms.checks import terms_warnings
from sovfund.terms.load import parse_terms
from sovfund.terms.models import MAX_AMOUNT, Risk

TINY = (Path(__file__).parents[2] / "examples" / "tiny.toml").read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(TermsError) as error:
        parse_terms(text, name="t.toml")
    return [str(p) for p in error.value.problems]


def edit(old: str, new: str) -> str:
    assert old in TINY
    return TINY.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("start = 2026-01-01", "start = 9999-01-01", "a date from 1900-01-01 to 2200-12-31"),
        ("start = 2026-01-01", "start = 1066-10-14", "a date from 1900-01-01 to 2200-12-31"),
        (
            "commitment = 100.0",
            "commitment = 1e308",
            "found 1e+308; expected a number from 0 to 1e15",
        ),
        ("capex = 100.0", "capex = 2e15", "a number above 0 and at most 1e15"),
        ("annual_revenue = 20.0", "annual_revenue = inf", "a finite number"),
        ("construction_quarters = 2", "construction_quarters = 10000", "a number from 1 to 120"),
        ("start_quarter = 0", "start_quarter = 9223372036854775807", "a number from 0 to 1000"),
        ("usd_jpy = 150.0", "usd_jpy = 1e300", "a number above 0 and at most 100000"),
        ('name = "Tiny fund"', f'name = "{"x" * 3000}"', "text of at most 2,000 characters"),
    ],
)
def test_out_of_bounds_values_say_the_bound(old: str, new: str, message: str) -> None:
    found = problems(edit(old, new))
    assert len(found) == 1
    assert message in found[0]


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ("\n[risk]\nvolatility = 1e6\n", "risk.volatility"),
        ("\n[risk]\ndefaults = 1e308\n", "risk.defaults"),
        (
            "\n[risk]\nvolatility = 3.0\n[risk.sector.grid]\noverrun_mean = -0.4\n",
            "risk.sector.grid.overrun_mean",
        ),
    ],
)
def test_volatilities_the_generator_cannot_carry_are_refused(extra: str, path: str) -> None:
    found = problems(TINY + extra)
    assert any(f"t.toml: {path}:" in p for p in found), found


@pytest.mark.parametrize("process", ["short_rate", "term_spread", "inflation", "credit_spread"])
def test_a_rate_that_wanders_past_minus_100_percent_is_refused(process: str) -> None:
    # A random walk (speed 0) at the largest volatility over 60 years: a spread of 0.77.
    text = edit("term_years = 3", "term_years = 60").replace(
        "usd_jpy = 150.0", f"usd_jpy = 150.0\n{process}_vol = 0.1\n{process}_speed = 0.0"
    )
    (found,) = problems(text)
    assert f"t.toml: macro.{process}_vol: found 0.1 at speed 0" in found
    assert "a standard deviation of 0.775 after the fund's 60 years" in found
    # mean reversion keeps the same volatility in range
    assert parse_terms(text.replace(f"{process}_speed = 0.0", f"{process}_speed = 0.3"))


def test_the_widest_accepted_rates_run_to_finite_numbers() -> None:
    """Each rate at the largest volatility the checks accept for a 60-year fund: every
    path's figures are finite numbers (no rate past -100%)."""
    speeds = "".join(
        f"{p}_vol = 0.1\n{p}_speed = 0.19\n"
        for p in ("short_rate", "term_spread", "inflation", "credit_spread")
    )
    text = edit("term_years = 3", "term_years = 60").replace(
        "usd_jpy = 150.0", f"usd_jpy = 150.0\n{speeds}usd_jpy_vol = 1.29\nusd_jpy_speed = 0.0"
    )
    terms = parse_terms(
        text.replace('class = "institutional"', 'class = "sovereign"\ncountry = "JP"')
    )
    summary = sovfund.simulate(terms, paths=2048, seed=1, backend="serial").summary
    paid_in = summary.contributed[:, 0] > 0
    assert paid_in.any()
    for name in ("received", "residual", "tvpi", "irr_jpy"):
        assert np.isfinite(getattr(summary, name)[paid_in, 0]).all(), name
    assert np.isfinite(summary.peak_assets).all()


def test_the_shipped_sector_table_keeps_capex_positive_at_the_largest_volatility() -> None:
    largest = Risk.model_fields["volatility"].metadata
    top = next(m.le for m in largest if hasattr(m, "le"))
    for sector, risk in shipped_sector_risk().items():
        assert risk.overrun_mean is not None
        assert 1 + top * risk.overrun_mean > 0, sector


def test_the_largest_accepted_term_sheet_runs() -> None:
    """Every amount at its bound, leverage at its bound, the last start date and the
    longest term: validate accepts it, so the simulation and base case must run."""
    text = (
        edit("commitment = 100.0", f"commitment = {MAX_AMOUNT:.0e}")
        .replace("capex = 100.0", f"capex = {MAX_AMOUNT:.0e}")
        .replace("annual_revenue = 20.0", f"annual_revenue = {MAX_AMOUNT:.0e}")
        .replace("start = 2026-01-01", "start = 2200-12-31")
        .replace("term_years = 3", "term_years = 60")
        .replace("operating_years = 10", "operating_years = 100")
    ) + "\n[leverage]\ndebt_to_equity = 50.0\n"
    terms = parse_terms(text)
    sim = sovfund.simulate(terms, paths=256, seed=0, backend="serial")
    base = sovfund.run_base_case(terms)
    assert sim.paths == 256
    assert base.fund["commitments"] == MAX_AMOUNT


def test_a_byte_order_mark_is_not_a_syntax_error() -> None:
    assert parse_terms("\ufeff" + TINY).fund.name == "Tiny fund"


@pytest.mark.parametrize("depth", [30, 100_000])
def test_deep_nesting_is_a_located_problem(depth: int) -> None:
    found = problems(TINY + "\nx = " + "[" * depth + "]" * depth + "\n")
    assert found == [found[0]]
    assert "nested" in found[0]
    assert "at most 16 levels" in found[0]


def test_values_are_shown_as_toml_writes_them() -> None:
    found = problems(edit("start = 2026-01-01", "start = 2026-01-01T10:00:00"))
    assert "found 2026-01-01T10:00:00 (a date and time)" in found[0]
    assert "datetime" not in found[0]
    found = problems(edit('role = "gp"', 'role = "g\\u001bp"'))
    assert 'found "g\\u001bp"; expected "lp" or "gp"' in found[0]


def test_list_lengths_in_words() -> None:
    fee = '\n[[fee]]\nid = "m"\nrate = 0.01\nbasis = "committed"\npaid_by = []\n'
    found = problems(TINY + fee)
    assert found == ["t.toml: fee[0].paid_by: found []; expected a list of at least 1 item"]


def test_over_commitment_is_a_warning_naming_the_figures() -> None:
    # Two projects of 350 capex, 20% of it project debt: 560 of equity against 500 of
    # commitments and no fund debt (each project alone fits the policy's limits).
    text = edit("commitment = 100.0", "commitment = 500.0").replace(
        "capex = 100.0", "capex = 350.0\ndebt_share = 0.2"
    )
    project = "[[project]]" + text.split("[[project]]")[1].split("[macro]")[0]
    second = project.replace('id = "bridge"', 'id = "pipe"').replace('"grid"', '"pipelines"')
    text = text.replace("[macro]", second + "[macro]")
    terms = parse_terms(text, name="t.toml")
    (warning,) = terms_warnings(terms)
    assert warning.path == "project"
    assert "560 of project equity (capex 700 less 140 of project debt)" in warning.found
    assert "500 of LP commitments and no fund debt" in warning.found
    assert "calls_beyond_commitment = true" in warning.expected
    covered = text.replace("[fund]", "[fund]\ncalls_beyond_commitment = true")
    assert terms_warnings(parse_terms(covered)) == []
    assert terms_warnings(parse_terms(TINY)) == []
