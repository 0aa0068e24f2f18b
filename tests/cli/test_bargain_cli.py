"""`sovfund bargain`, run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import CliRun

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
SMALL = ("--paths", "512", "--opt-out-paths", "256", "--quiet")


def test_bargain_json_for_the_memorandum(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "bargain", "mou-550b", *SMALL, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["scenario"], data["paths"], data["seed"]) == ("mou-550b", 512, 0)
    assert data["parties"] == ["japan"]
    for key in ("relief", "fund", "net"):
        assert {"usd", "jpy"} <= set(data[key])
        yen = data[key]["usd"]["mean"] * data["usd_jpy"]
        assert yen == pytest.approx(data[key]["jpy"]["mean"], rel=1e-12)
    assert len(data["net"]["quantiles_usd"]) == 99
    assert set(data["break_even"]) == {"p50", "p05"}
    opt_out = data["opt_out"]
    assert opt_out["paths"] == 256
    assert len(opt_out["projects"]) == 24
    decided = {row["decision"] for row in opt_out["projects"]}
    assert decided <= {"fund", "decline"}
    portfolio = opt_out["portfolio"]
    assert sorted(portfolio["declined"] + portfolio["funded"]) == sorted(
        row["id"] for row in opt_out["projects"]
    )


def test_bargain_prints_the_net_and_the_break_even(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "bargain", "son-2025", *SMALL)
    assert result.returncode == 0, result.stderr
    for words in ("tariff relief", "net", "relief needed to break even on the median path"):
        assert words in result.stdout
    assert "opt-out" not in result.stdout  # the May 2025 proposal has no right to decline


def test_bargain_needs_a_bargain_table(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "bargain", str(TINY), "--quiet")
    assert result.returncode == 1
    assert "no [bargain] table" in result.stderr
    assert "Traceback" not in result.stderr
