"""`sovfund stress`, `frontier`, `sensitivity`, `compare`, `simulate --stress` and the
files `sovfund run` leaves behind, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import CliRun

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
SMALL = ("--paths", "256", "--quiet")


def _json(sovfund_cli: CliRun, tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = sovfund_cli(tmp_path, *args, *SMALL, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_stress_json_lists_the_base_and_each_stress(tmp_path: Path, sovfund_cli: CliRun) -> None:
    data = _json(
        sovfund_cli, tmp_path, "stress", "mou-550b", "--only", "rates_up", "--only", "yen_strong"
    )
    assert [s["name"] for s in data["scenarios"]] == ["base", "rates_up", "yen_strong"]
    assert data["paths"] == 256
    for scenario in data["scenarios"]:
        assert {"title", "description", "parties", "fund"} <= set(scenario)
        assert 0.0 <= scenario["fund"]["p_default"] <= 1.0


def test_simulate_with_a_stress_equals_that_row_of_the_stress_table(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    one = _json(sovfund_cli, tmp_path, "simulate", "mou-550b", "--stress", "rates_up")
    table = _json(sovfund_cli, tmp_path, "stress", "mou-550b", "--only", "rates_up")
    assert one["stress"] == "rates_up"
    assert one["parties"] == table["scenarios"][1]["parties"]
    assert one["fund"] == table["scenarios"][1]["fund"]


def test_frontier_json_has_points_with_leverage_and_default(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    data = _json(sovfund_cli, tmp_path, "frontier", "son-2025", "--levels", "0,5,10")
    assert [p["leverage"] for p in data["points"]] == [0.0, 5.0, 10.0]
    defaults = [p["fund"]["p_default"] for p in data["points"]]
    assert defaults == sorted(defaults)
    assert "japan_reserves" in data["points"][0]["parties"]


def test_sensitivity_and_compare_json(tmp_path: Path, sovfund_cli: CliRun) -> None:
    tornado = _json(sovfund_cli, tmp_path, "sensitivity", str(TINY), "--metric", "irr_mean")
    assert tornado["metric"] == "irr_mean"
    assert len(tornado["bars"]) == 7
    both = _json(sovfund_cli, tmp_path, "compare", "son-2025", "mou-550b")
    assert [s["scenario"] for s in both["structures"]] == ["son-2025", "mou-550b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "son-2025", "--stress", "bogus"], "--stress: found 'bogus'"),
        (["stress", str(TINY), "--only", "rates_up"], "found 'rates_up'; expected one of base"),
        (["frontier", "son-2025", "--levels", "0,lots"], "--levels: found '0,lots'"),
        (["sensitivity", "son-2025", "--metric", "sharpe"], "--metric: found 'sharpe'"),
        (["sensitivity", "son-2025", "--party", "us_treasury"], "--party: found 'us_treasury'"),
        (["compare", "son-2025", "nowhere.toml"], "nowhere.toml"),
    ],
)
def test_study_input_errors_exit_1(
    tmp_path: Path, args: list[str], message: str, sovfund_cli: CliRun
) -> None:
    result = sovfund_cli(tmp_path, *args, *SMALL)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_writes_report_workbook_and_summary_with_the_verdict(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    out = tmp_path / "out"
    result = sovfund_cli(
        tmp_path, "run", "mou-550b", "--out", str(out), *SMALL, "--study-paths", "256"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"run", "verdict", "stress", "frontier", "sensitivity"} <= set(summary)
    assert (
        summary["run"]["command"] == "sovfund run mou-550b --paths 256 --seed 0 --study-paths 256"
    )
    assert summary["verdict"]["headline"] in result.stdout.replace("\n", " ")
    assert (out / "report.html").stat().st_size > 0
    assert (out / "results.xlsx").stat().st_size > 0
