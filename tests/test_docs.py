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
