"""docs/tutorial.md does what it says: its edits to the preset give the problems it
shows and then a valid term sheet, and its Python writes the report and workbook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sovfund
from sovfund.errors import TermsError
from sovfund.presets import preset_text

TUTORIAL = (Path(__file__).parents[2] / "docs" / "tutorial.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TUTORIAL, re.DOTALL)


def edit(text: str, block: str) -> str:
    """Set each ``key = value`` line of ``block`` in ``text``, as a reader would."""
    for line in block.strip().splitlines():
        key = line.split("=")[0].strip()
        text, count = re.subn(rf"^{re.escape(key)} = .*$", line, text, flags=re.MULTILINE)
        assert count == 1, key
    return text


def test_the_leverage_and_project_edits() -> None:
    leverage, limit, project = blocks("toml")
    text = edit(preset_text("son-2025"), leverage)
    with pytest.raises(TermsError) as error:
        sovfund.parse_terms(text, name="my.toml")
    for problem in error.value.problems:
        assert str(problem) in TUTORIAL  # the problems the tutorial shows are the real ones
    assert f"error: {len(error.value.problems)} problems" in TUTORIAL

    text = edit(text, limit)
    terms = sovfund.parse_terms(text, name="my.toml")
    assert terms.leverage.debt_to_equity == 6.0
    assert f"{len(terms.projects)} projects" in TUTORIAL

    text = text.replace("project = [\n", f"project = [\n{project}", 1)
    terms = sovfund.parse_terms(text, name="my.toml")
    assert "hvdc_new_york" in {p.id for p in terms.projects}
    assert sovfund.run_base_case(terms).fund.defaulted  # as the tutorial says


def test_the_python_example_writes_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (code,) = blocks("python")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/tutorial.md", "exec"), {})
    assert (tmp_path / "out" / "report.html").stat().st_size > 1_000_000
    assert (tmp_path / "out" / "results.xlsx").stat().st_size > 10_000
