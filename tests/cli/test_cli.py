"""The `sovfund` command line, run as a user runs it: a subprocess per command.

Every command runs in a temporary folder so that nothing is written into the repo.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer

import sovfund
from sovfund.cli.main import app

if TYPE_CHECKING:
    from conftest import CliRun

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
PRESETS = ("son-2025", "mou-550b")
FEW = ("--paths", "256", "--study-paths", "256", "--quiet")  # small runs keep `run` tests quick
CLI_TIMEOUT = 300  # seconds a CLI call may take (the sovfund_cli fixture reads it)


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def require_preset(preset: str) -> None:
    """Skip, saying why, while a shipped preset does not load yet."""
    try:
        sovfund.load_terms(preset)
    except sovfund.SovfundError as error:
        pytest.skip(f"preset {preset} does not load yet: {error}")


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand of the CLI, as the words a user types."""
    paths = []
    for name, command in getattr(group, "commands", {}).items():
        paths.append((*prefix, name))
        paths += command_paths(command, (*prefix, name))
    return paths


COMMANDS = command_paths(typer.main.get_command(app))


# -- help and usage errors ----------------------------------------------------------------


def test_help_lists_the_commands(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "--help")

    assert result.returncode == 0, result.stderr
    for name in ("run", "validate", "scenarios"):
        assert name in result.stdout


def test_the_documented_commands_exist() -> None:
    assert {("run",), ("validate",), ("scenarios", "list"), ("scenarios", "show")} <= set(COMMANDS)


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_has_help(
    tmp_path: Path, words: tuple[str, ...], sovfund_cli: CliRun
) -> None:
    result = sovfund_cli(tmp_path, *words, "--help")

    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert_no_traceback(result)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--no-such-option"], id="top-level"),
        pytest.param(["run", "--no-such-option"], id="run"),
        pytest.param(["validate", str(TINY), "--no-such-option"], id="validate"),
        pytest.param(["scenarios", "list", "--no-such-option"], id="scenarios-list"),
        pytest.param(["scenarios", "show", "son-2025", "--no-such-option"], id="scenarios-show"),
    ],
)
def test_unknown_option_is_a_usage_error(
    tmp_path: Path, args: list[str], sovfund_cli: CliRun
) -> None:
    result = sovfund_cli(tmp_path, *args)

    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
    assert_no_traceback(result)


def test_unknown_command_is_a_usage_error(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "no-such-command")

    assert result.returncode == 2
    assert_no_traceback(result)


def test_missing_argument_is_a_usage_error(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "validate")

    assert result.returncode == 2
    assert_no_traceback(result)


# -- run ----------------------------------------------------------------------------------


def test_run_prints_a_row_for_each_party(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(tmp_path / "out"), *FEW)

    assert result.returncode == 0, result.stderr
    assert "Tiny fund" in result.stdout
    for party in sovfund.load_terms(TINY).parties:
        assert re.search(rf"^\W*{party.id}\s", result.stdout, re.MULTILINE), party.id
    assert_no_traceback(result)


def test_run_writes_the_python_api_figures_to_summary_json(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    out = tmp_path / "out"

    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(out), *FEW)

    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = sovfund.run_base_case(sovfund.load_terms(TINY)).parties
    base = summary["base_case"]
    assert list(base["parties"]) == list(expected.index)
    assert summary["simulation"]["paths"] == 256
    assert set(summary["simulation"]["parties"]) == set(expected.index)
    for party, row in base["parties"].items():
        assert row["contributed"] == expected.loc[party, "contributed"]
        assert row["distributed"] == expected.loc[party, "distributed"]


def test_run_json_prints_the_written_summary(tmp_path: Path, sovfund_cli: CliRun) -> None:
    out = tmp_path / "out"

    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(out), "--json", *FEW)

    assert result.returncode == 0, result.stderr
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == written


@pytest.mark.parametrize("preset", PRESETS)
def test_run_preset_matches_the_python_api(
    tmp_path: Path, preset: str, sovfund_cli: CliRun
) -> None:
    require_preset(preset)

    result = sovfund_cli(tmp_path, "run", preset, "--out", str(tmp_path / "out"), "--json", *FEW)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = sovfund.run_base_case(sovfund.load_terms(preset)).parties
    assert summary["scenario"] == preset
    base = summary["base_case"]
    assert list(base["parties"]) == list(expected.index)
    for party, row in base["parties"].items():
        assert row["contributed"] == expected.loc[party, "contributed"]
        assert row["distributed"] == expected.loc[party, "distributed"]


def test_run_unknown_preset_exits_1(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "run", "no-such-preset", "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert "no-such-preset" in result.stderr
    assert_no_traceback(result)
    assert not (tmp_path / "out").exists()


def test_run_scenario_name_with_markup_brackets_exits_1(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    result = sovfund_cli(tmp_path, "run", "my[/]preset", "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert "my[/]preset" in result.stderr
    assert_no_traceback(result)


# -- scenarios ----------------------------------------------------------------------------


def test_scenarios_list_names_the_presets_default_first(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    for preset in PRESETS:
        require_preset(preset)

    result = sovfund_cli(tmp_path, "scenarios", "list")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "son-2025"
    assert "(default)" in lines[0]
    mou = [line for line in lines if line.split()[:1] == ["mou-550b"]]
    assert len(mou) == 1
    assert "(default)" not in mou[0]


def test_scenarios_list_json(tmp_path: Path, sovfund_cli: CliRun) -> None:
    for preset in PRESETS:
        require_preset(preset)

    result = sovfund_cli(tmp_path, "scenarios", "list", "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(PRESETS) <= set(rows)
    assert rows["son-2025"]["default"] is True
    assert rows["mou-550b"]["default"] is False
    assert rows["son-2025"]["name"] == sovfund.load_terms("son-2025").fund.name


@pytest.mark.parametrize("preset", PRESETS)
def test_scenarios_show_prints_the_preset_as_toml(
    tmp_path: Path, preset: str, sovfund_cli: CliRun
) -> None:
    require_preset(preset)

    result = sovfund_cli(tmp_path, "scenarios", "show", preset)

    assert result.returncode == 0, result.stderr
    assert sovfund.parse_terms(result.stdout) == sovfund.load_terms(preset)


def test_scenarios_show_unknown_preset_exits_1(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "scenarios", "show", "nope")

    assert result.returncode == 1
    assert "nope" in result.stderr
    assert_no_traceback(result)


# -- sovfund waterfall ---------------------------------------------------------------

TINY_FLOWS = TINY.parent / "tiny-flows.csv"


def test_waterfall_json_has_the_design_shape(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "waterfall", str(TINY), str(TINY_FLOWS), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"parties", "tiers"}  # no clawback key without a clawback
    assert data["parties"]["lp"]["contributed"] == pytest.approx(100)
    assert data["parties"]["lp"]["distributed"] == pytest.approx(140)
    assert data["parties"]["gp"] == {
        "contributed": 0.0,
        "distributed": pytest.approx(10),
        "irr": None,
    }
    assert [t["name"] for t in data["tiers"]] == [
        "return of capital",
        "preferred return",
        "catch-up",
        "carried interest",
    ]
    assert data["tiers"][0]["paid"] == {"lp": pytest.approx(100)}


def test_waterfall_table_names_each_tier(tmp_path: Path, sovfund_cli: CliRun) -> None:
    result = sovfund_cli(tmp_path, "waterfall", str(TINY), str(TINY_FLOWS))
    assert result.returncode == 0, result.stderr
    for word in (
        "return of capital",
        "preferred return",
        "catch-up",
        "carried interest",
        "$140.00",
    ):
        assert word in result.stdout


AMERICAN = TINY.read_text().split("[[waterfall.tier]]")[0] + '[waterfall]\npreset = "american"\n\n'
AMERICAN += "[[project]]" + TINY.read_text().split("[[project]]", 1)[1]


def test_waterfall_deal_by_deal_reports_the_clawback(tmp_path: Path, sovfund_cli: CliRun) -> None:
    # Deal a doubles 50 in a year, deal b loses its 50: deal by deal the GP earns
    # carry on a; on the whole fund there is no profit, so it all comes back.
    (tmp_path / "terms.toml").write_text(AMERICAN)
    (tmp_path / "flows.csv").write_text(
        "date,party,kind,amount,investment\n"
        "2026-01-01,lp,contribution,50,a\n"
        "2026-01-01,lp,contribution,50,b\n"
        "2027-01-01,,proceeds,100,a\n"
        "2027-06-01,,proceeds,0,b\n"
    )
    result = sovfund_cli(tmp_path, "waterfall", "terms.toml", "flows.csv", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # Deal a: 50 back, 4 of 8% pref, then catch-up and 80/20: the GP's 20% of 50 = 10.
    assert data["clawback"] == {"gp": pytest.approx(10)}
    assert data["parties"]["gp"]["distributed"] == pytest.approx(0, abs=1e-9)
    assert data["parties"]["lp"]["distributed"] == pytest.approx(100)


BAD_FLOWS = {
    "unknown party": ("2026-01-01,zz,contribution,5\n", "line 2, party"),
    "bad date": ("2026-02-30,lp,contribution,5\n", "line 2, date"),
    "negative proceeds": ("2026-01-01,,proceeds,-5\n", "line 2, amount"),
    "not a number": ("2026-01-01,lp,contribution,five\n", "line 2, amount"),
    "unknown kind": ("2026-01-01,lp,dividend,5\n", "line 2, kind"),
    "proceeds with a party": ("2026-01-01,lp,proceeds,5\n", "line 2, party"),
    "contribution without a party": ("2026-01-01,,contribution,5\n", "line 2, party"),
    "missing field": ("2026-01-01,lp,contribution\n", "line 2"),
}


@pytest.mark.parametrize(("rows", "where"), BAD_FLOWS.values(), ids=BAD_FLOWS.keys())
def test_waterfall_bad_flows_exit_1_with_the_line(
    tmp_path: Path, rows: str, where: str, sovfund_cli: CliRun
) -> None:
    (tmp_path / "flows.csv").write_text("date,party,kind,amount\n" + rows)
    result = sovfund_cli(tmp_path, "waterfall", str(TINY), "flows.csv")
    assert result.returncode == 1
    assert f"flows.csv: {where}" in result.stderr
    assert_no_traceback(result)


def test_waterfall_missing_column(tmp_path: Path, sovfund_cli: CliRun) -> None:
    (tmp_path / "flows.csv").write_text("date,party,amount\n2026-01-01,lp,5\n")
    result = sovfund_cli(tmp_path, "waterfall", str(TINY), "flows.csv")
    assert result.returncode == 1
    assert "no column kind" in result.stderr
    assert_no_traceback(result)


def test_waterfall_deal_by_deal_needs_the_investment_column(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    (tmp_path / "terms.toml").write_text(AMERICAN)
    (tmp_path / "flows.csv").write_text("date,party,kind,amount\n2026-01-01,lp,contribution,5\n")
    result = sovfund_cli(tmp_path, "waterfall", "terms.toml", "flows.csv")
    assert result.returncode == 1
    assert "no column investment" in result.stderr
    assert_no_traceback(result)


def test_run_into_an_unwritable_folder_exits_1(tmp_path: Path, sovfund_cli: CliRun) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(blocker / "out"), *FEW)
    assert result.returncode == 1
    assert "cannot write it" in result.stderr
    assert_no_traceback(result)
