"""The README's code runs and its figures are the ones the code produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sovfund

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    head = README[: README.index("## What you get")]
    assert "make run" in head
    assert "make test" in head


def test_readme_python_example_runs() -> None:
    block = re.search(r"```python\n(.*?)```", README, re.DOTALL)
    assert block is not None
    exec(compile(block.group(1), "README.md", "exec"), {})


def billions(value: float, digits: int = 1) -> str:
    return f"${value / 1e9:,.{digits}f}B"


def test_readme_base_case_figures_are_measured() -> None:
    son = sovfund.run_base_case(sovfund.load_terms("son-2025"))
    lp = son.parties.loc["japan_reserves"]
    fund = son.fund
    fees, carry = fund["gp_fees"]["us_treasury"], fund["gp_carry"]["us_treasury"]
    expected = [
        f"{lp['irr']:.2%} / {lp['tvpi']:.2f}x",
        f"${fund['invested'] / 1e12:.2f}T invested",
        f"{billions(fees)} fees + {billions(carry)} carry",
        f"${fund['peak_debt'] / 1e12:.2f}T ({fund['peak_debt_to_equity']:.1f}x called equity)",
        f"LTV {fund['peak_ltv']:.0%}",
    ]
    mou = sovfund.run_base_case(sovfund.load_terms("mou-550b"))
    japan = mou.parties.loc["japan"]
    expected += [
        f"Japan {japan['irr']:.2%} / {japan['tvpi']:.2f}x",
        f"the US: {billions(mou.parties.loc['us', 'distributed'], 0)} of cash flows",
    ]
    for figure in expected:
        assert figure in README, f"README should say {figure!r}"
    # every LP of son-2025 earns the same: the waterfall pays LPs pro rata
    assert son.parties.loc[son.parties["role"] == "lp", "irr"].to_numpy() == pytest.approx(
        lp["irr"]
    )


def _verdict_lines(preset: str) -> list[str]:
    """The verdict as `sovfund run PRESET` writes it (10,000 paths, seed 0, studies of
    2,000 paths): the same functions run_job calls for it, without the frontier and the
    tornado, which the verdict does not read; Japan's side of the bargain on the main
    paths, its opt-out on 2,000 a run."""
    from sovfund.analytics.verdict import verdict
    from sovfund.run.bargain import bargain_study
    from sovfund.run.studies import simulation_summary, stress_test

    terms = sovfund.load_terms(preset)
    sim = sovfund.simulate(terms, paths=10_000, seed=0)
    stress = stress_test(terms, paths=2_000, seed=0)
    bargain = bargain_study(terms, paths=10_000, seed=0, base=sim, opt_out_paths=2_000)
    figures = {"paths": sim.paths, "seed": 0, **simulation_summary(sim)}
    said = verdict(
        terms,
        sovfund.run_base_case(terms).to_dict(),
        figures,
        stress.to_dict(),
        bargain.to_dict(),
    )
    return [said["headline"], *(s["text"] for s in said["sentences"])]


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_readme_verdict_is_measured(preset: str) -> None:
    """Every verdict line the README quotes for a preset is one the code writes."""
    section = README[README.index("## The verdict") : README.index("## What you get")]
    start = section.index(f"**{preset},")
    end = section.find("\n**", start + 1)
    block = section[start : end if end > 0 else len(section)]
    said = _verdict_lines(preset)
    assert said[0] in block, said[0]
    quoted = [line[2:] for line in block.splitlines() if line.startswith("- ")]
    assert len(quoted) >= 3
    for line in quoted:
        assert line in said, line
