"""Which sections a command needs (DESIGN.md, "Which sections a command needs").

DESIGN.md's own example term sheet ([fund], [[party]], [waterfall]) is complete for
validate, the calculator and the books; simulations name what they miss. Every problem
of a file comes back at once, whatever stage finds it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import sovfund
from sovfund.errors import TermsError
from sovfund.terms.flows import parse_flows

ROOT = Path(__file__).parents[2]
DESIGN = ROOT.parent / "shared" / "DESIGN.md"
COPY = ROOT / "examples" / "design.toml"


def design_example(design: Path) -> str:
    """The first TOML block of DESIGN.md's "Term sheet (TOML)" section, verbatim."""
    text = design.read_text(encoding="utf-8")
    section = text[text.index("### Term sheet (TOML)") :]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.fixture(scope="module")
def example() -> str:
    """examples/design.toml: DESIGN.md's example, checked against it where it is at hand."""
    return COPY.read_text(encoding="utf-8")


@pytest.mark.skipif(not DESIGN.exists(), reason="DESIGN.md is not beside this checkout")
def test_the_example_is_designs_verbatim(example: str) -> None:
    body = "".join(line for line in example.splitlines(True) if not line.startswith("# "))
    assert body == design_example(DESIGN)


def test_design_example_is_a_valid_term_sheet(example: str) -> None:
    terms = sovfund.parse_terms(example, name="design.toml")

    assert [p.id for p in terms.parties] == ["lp", "gp"]
    assert [t.name for t in terms.waterfall.tier] == [
        "return of capital",
        "preferred return",
        "catch-up",
        "carried interest",
    ]
    assert terms.projects == ()
    assert terms.macro is None


def test_design_example_runs_through_the_calculator(example: str) -> None:
    from sovfund.analytics.calculator import run_waterfall

    terms = sovfund.parse_terms(example, name="design.toml")
    flows = parse_flows(
        "date,party,kind,amount\n2026-01-01,lp,contribution,100\n2027-01-01,,proceeds,150\n",
        terms,
    )

    result = run_waterfall(terms, flows).to_dict()

    # worked by hand: 100 back, 8 of preferred return (one year at 8%), a full
    # catch-up of 2 (20% of the 10 of profit so far), then 80/20 of the last 40
    lp, gp = result["parties"]["lp"], result["parties"]["gp"]  # type: ignore[index]
    assert lp["distributed"] == pytest.approx(100 + 8 + 0.8 * 40)
    assert gp["distributed"] == pytest.approx(2 + 0.2 * 40)


@pytest.mark.parametrize(
    "run",
    [
        lambda terms: sovfund.simulate(terms, paths=1, seed=0),
        sovfund.run_base_case,
        lambda terms: sovfund.stress_test(terms, paths=1, seed=0),
    ],
    ids=["simulate", "base case", "stress test"],
)
def test_a_simulation_names_each_missing_section(example: str, run: Any) -> None:
    terms = sovfund.parse_terms(example, name="design.toml")

    with pytest.raises(TermsError) as caught:
        run(terms)

    assert {(p.file, p.path) for p in caught.value.problems} == {
        ("design.toml", "project"),
        ("design.toml", "macro"),
    }


def test_a_floating_hurdle_without_macro_is_refused_by_the_calculator(example: str) -> None:
    from sovfund.analytics.calculator import run_waterfall

    text = example.replace("rate = 0.08", 'rate = { index = "sofr", spread = 0.02 }')
    terms = sovfund.parse_terms(text, name="float.toml")
    flows = parse_flows("date,party,kind,amount\n2026-01-01,lp,contribution,100\n", terms)

    with pytest.raises(TermsError) as caught:
        run_waterfall(terms, flows)

    assert [p.path for p in caught.value.problems] == ["waterfall.tier[1].until.rate"]


def problems_of(text: str) -> set[str]:
    with pytest.raises(TermsError) as caught:
        sovfund.parse_terms(text, name="bad.toml")
    return {p.path for p in caught.value.problems}


def test_a_missing_section_hides_no_other_problem(example: str) -> None:
    text = example[example.index("[[party]]") :]  # no [fund]
    text = text.replace("pay = { lps = 0.8, gps = 0.2 }", "pay = { lps = 0.8, gps = 0.3 }")
    text = text.replace('id = "gp"', 'id = "gp"\ncarry_share = 2.0')
    text = text.replace("pay = { gps = 1.0 }", "pay = { gpx = 1.0 }")

    assert problems_of(text) == {
        "fund",
        "party[1].carry_share",
        "waterfall.tier[2].pay.gpx",
        "waterfall.tier[3].pay",
    }


def test_a_bad_hurdle_hides_no_other_problem(example: str) -> None:
    text = example.replace("rate = 0.08", 'rate = "8%"')
    text = text.replace("pay = { lps = 0.8, gps = 0.2 }", "pay = { lps = 0.8, gps = 0.3 }")
    text = text.replace(
        'name = "catch-up"\npay = { gps = 1.0 }', 'name = "catch-up"\npay = { gpz = 1.0 }'
    )
    text = text.replace("commitment = 100e6", "commitment = -1.0")
    text = text.replace("term_years = 12", "term_years = 12\nmanager = 'x'")
    text += '\n[leverage]\ndebt_to_equity = "high"\n'

    assert problems_of(text) == {
        "waterfall.tier[1].until.rate",
        "waterfall.tier[2].pay.gpz",
        "waterfall.tier[3].pay",
        "party[0].commitment",
        "fund.manager",
        "leverage.debt_to_equity",
    }


def test_a_bad_party_is_still_known_by_its_id(example: str) -> None:
    # party gp fails on its own; the tiers naming it must not call it unknown
    text = example.replace('id = "gp"\nrole = "gp"', 'id = "gp"\nrole = "general"')

    assert problems_of(text) == {"party[1].role"}


def test_tiers_paying_gps_in_a_fund_with_no_gp_are_refused(example: str) -> None:
    text = example.replace('[[party]]\nid = "gp"\nrole = "gp"\n', "")

    problems = problems_of(text)

    assert "waterfall.tier[2].pay.gps" in problems
    assert "waterfall.tier[3].pay.gps" in problems
