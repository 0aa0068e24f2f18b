"""The Excel workbook: its sheets, live formulas whose cached results are the model's
numbers (the summary JSON), and formulas that point at the right cells."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import pyxirr

from sovfund.errors import InputError
from sovfund.reports.excel import SHEETS, write_workbook

from .conftest import Run

Book = Any  # openpyxl ships no type information


@pytest.fixture(scope="module")
def son_book(son_run: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("son")
    return write_workbook(folder / "results.xlsx", son_run.summary, son_run.base, son_run.sim)


def load(path: Path, *, values: bool) -> Book:
    """The workbook with its formulas (values=False) or their cached results."""
    return openpyxl.load_workbook(path, data_only=values)


def rows_by_first_column(sheet: Any) -> dict[str, dict[str, Any]]:
    """A header-row table as {first column: {header: value}}."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return {str(r[0]): dict(zip(header, r, strict=False)) for r in rows if r[0] is not None}


def test_sheets(son_book: Path, mou_run: Run, tmp_path: Path) -> None:
    book = load(son_book, values=False)
    assert book.sheetnames == [*SHEETS, "Stress", "Frontier", "Sensitivity", "Bargain"]
    bare = write_workbook(tmp_path / "r.xlsx", mou_run.summary, mou_run.base, mou_run.sim)
    assert load(bare, values=False).sheetnames == list(SHEETS)
    for name in ("Party metrics", "Base case flows", "Projects", "Simulation"):
        assert book[name].freeze_panes is not None, name


def test_party_metrics_are_formulas_with_the_models_results(son_book: Path, son_run: Run) -> None:
    formulas = rows_by_first_column(load(son_book, values=False)["Party metrics"])
    cached = rows_by_first_column(load(son_book, values=True)["Party metrics"])
    parties = son_run.summary["base_case"]["parties"]
    for pid, expected in parties.items():
        for column in ("Contributed", "Distributions", "Fees received", "Residual NAV"):
            assert str(formulas[pid][column]).startswith("=SUMIFS("), (pid, column)
        for column in ("TVPI", "DPI", "IRR"):
            assert str(formulas[pid][column]).startswith("=IF("), (pid, column)
        row = cached[pid]
        assert row["Contributed"] == pytest.approx(expected["contributed"])
        assert row["Distributions"] == pytest.approx(expected["distributed"])
        assert row["Fees received"] == pytest.approx(expected["fees_received"])
        for column, key in (("TVPI", "tvpi"), ("DPI", "dpi"), ("IRR", "irr")):
            if expected[key] is None:
                assert row[column] in (None, ""), (pid, column)
            else:
                assert row[column] == pytest.approx(expected[key], rel=1e-12), (pid, column)
    assert str(formulas["Total"]["Contributed"]).startswith("=SUM(")
    total = sum(p["contributed"] for p in parties.values())
    assert cached["Total"]["Contributed"] == pytest.approx(total)


def test_formulas_point_at_the_right_cells(son_book: Path, son_run: Run) -> None:
    """Recompute SUMIFS and XIRR from the cells the formulas name: same numbers."""
    book = load(son_book, values=True)
    flows = list(book["Base case flows"].iter_rows(min_row=2, values_only=True))
    net = list(book["Net cash"].iter_rows(values_only=True))
    header, dates = net[0], [row[0] for row in net[1:]]
    formulas = rows_by_first_column(load(son_book, values=False)["Party metrics"])
    cached = rows_by_first_column(book["Party metrics"])
    for pid in son_run.summary["base_case"]["parties"]:
        paid_in = sum(row[2] for row in flows if row[1] == pid)
        assert cached[pid]["Contributed"] == pytest.approx(paid_in)
        if cached[pid]["IRR"] in (None, ""):
            continue
        letter = re.search(r"XIRR\('Net cash'!\$([A-Z]+)\$2", str(formulas[pid]["IRR"]))
        assert letter is not None
        column = openpyxl.utils.column_index_from_string(letter.group(1)) - 1
        assert header[column] == pid
        cash = [row[column] for row in net[1:]]
        assert pyxirr.xirr(dates, cash) == pytest.approx(cached[pid]["IRR"], abs=1e-7)


def test_simulation_figures_are_the_summarys(son_book: Path, son_run: Run) -> None:
    book = load(son_book, values=True)
    rows = rows_by_first_column(book["Simulation"])
    simulation = son_run.summary["simulation"]
    for pid, entry in simulation["parties"].items():
        row = rows[pid]
        assert row["IRR median"] == pytest.approx(entry["irr"]["p50"])
        assert row["TVPI mean"] == pytest.approx(entry["tvpi"]["mean"])
        assert row["P(loss)"] == pytest.approx(entry["p_loss"])
    figures = {r[0]: r[1] for r in book["Simulation"].iter_rows(values_only=True) if r[0]}
    assert figures["P(fund defaults on its debt)"] == pytest.approx(simulation["fund"]["p_default"])
    percentiles = rows_by_first_column(book["Percentiles"])
    reserves = simulation["parties"]["japan_reserves"]
    assert percentiles["0.05"]["japan_reserves IRR"] == pytest.approx(reserves["irr"]["p05"])
    assert percentiles["0.95"]["japan_reserves TVPI"] == pytest.approx(reserves["tvpi"]["p95"])


def test_stress_frontier_and_sensitivity(son_book: Path, son_run: Run) -> None:
    book = load(son_book, values=True)
    stress = rows_by_first_column(book["Stress"])
    for scenario in son_run.summary["stress"]["scenarios"]:
        row = stress[scenario["name"]]
        assert row["P(fund default)"] == pytest.approx(scenario["fund"]["p_default"])
        expected = scenario["parties"]["japan_reserves"]["irr"]["p50"]
        assert row["japan_reserves: IRR median"] == pytest.approx(expected)
    frontier = list(book["Frontier"].iter_rows(min_row=2, values_only=True))
    points = son_run.summary["frontier"]["points"]
    assert [r[0] for r in frontier] == [p["leverage"] for p in points]
    assert [r[1] for r in frontier] == pytest.approx([p["fund"]["p_default"] for p in points])
    formulas = load(son_book, values=False)["Sensitivity"]
    bars = son_run.summary["sensitivity"]["bars"]
    for i, bar in enumerate(bars):
        assert str(formulas.cell(row=5 + i, column=7).value).startswith("=ABS(")
        swing = book["Sensitivity"].cell(row=5 + i, column=7).value
        assert swing == pytest.approx(abs(bar["high"] - bar["low"]))


def test_bargain_and_opt_out_sheets(mou_bargain_run: Run, tmp_path: Path) -> None:
    run = mou_bargain_run
    path = write_workbook(tmp_path / "r.xlsx", run.summary, run.base, run.sim)
    assert load(path, values=False).sheetnames == [*SHEETS, "Bargain", "Opt-out"]
    bargain = run.summary["bargain"]
    values = load(path, values=True)["Bargain"]
    formulas = load(path, values=False)["Bargain"]
    for i, sector in enumerate(bargain["sectors"]):
        assert str(formulas.cell(row=5 + i, column=9).value).startswith("=B")
        assert values.cell(row=5 + i, column=9).value == pytest.approx(sector["yearly_relief"])
    table = {
        row[0]: row for row in values.iter_rows(values_only=True) if row[0] in ("Net", "The fund")
    }
    assert table["Net"][1] == pytest.approx(bargain["net"]["usd"]["mean"])
    assert table["The fund"][3] == pytest.approx(bargain["fund"]["usd"]["p50"])
    opt_out = load(path, values=True)["Opt-out"]
    rows = list(opt_out.iter_rows(min_row=5, max_row=4 + 24, values_only=True))
    for row, project in zip(rows, bargain["opt_out"]["projects"], strict=True):
        assert row[0] == project["id"]
        assert row[7] == pytest.approx(project["gain_usd"], rel=1e-9, abs=1e-3)
        assert row[9] == project["decision"]
    decision = load(path, values=False)["Opt-out"].cell(row=5, column=10).value
    assert str(decision).startswith("=IF(F5>G5")


def test_unwritable_folder_is_an_input_error(son_run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write"):
        write_workbook(blocker / "results.xlsx", son_run.summary, son_run.base, son_run.sim)


def test_workbook_is_written_whole(son_book: Path) -> None:
    assert son_book.name == "results.xlsx"
    assert not [p for p in son_book.parent.iterdir() if p.name.endswith(".tmp")]
    assert son_book.stat().st_size > 10_000
