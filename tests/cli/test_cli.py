"""The `sovfund` command line, run as a user runs it: a subprocess per command.

Every command runs in a temporary folder so that nothing is written into the repo.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

import sovfund
from sovfund.cli.main import app

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"
PRESETS = ("son-2025", "mou-550b")


def sovfund_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "sovfund", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


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


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "--help")

    assert result.returncode == 0, result.stderr
    for name in ("run", "validate", "scenarios"):
        assert name in result.stdout


def test_the_documented_commands_exist() -> None:
    assert {("run",), ("validate",), ("scenarios", "list"), ("scenarios", "show")} <= set(COMMANDS)


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_has_help(tmp_path: Path, words: tuple[str, ...]) -> None:
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
def test_unknown_option_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    result = sovfund_cli(tmp_path, *args)

    assert result.returncode == 2
    assert "--no-such-option" in result.stderr
    assert_no_traceback(result)


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "no-such-command")

    assert result.returncode == 2
    assert_no_traceback(result)


def test_missing_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "validate")

    assert result.returncode == 2
    assert_no_traceback(result)


# -- run ----------------------------------------------------------------------------------


def test_run_prints_a_row_for_each_party(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(tmp_path / "out"))

    assert result.returncode == 0, result.stderr
    assert "Tiny fund" in result.stdout
    for party in sovfund.load_terms(TINY).parties:
        assert re.search(rf"^\W*{party.id}\s", result.stdout, re.MULTILINE), party.id
    assert_no_traceback(result)


def test_run_writes_the_python_api_figures_to_summary_json(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(out))

    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = sovfund.run_base_case(sovfund.load_terms(TINY)).parties
    assert list(summary["parties"]) == list(expected.index)
    for party, row in summary["parties"].items():
        assert row["contributed"] == expected.loc[party, "contributed"]
        assert row["distributed"] == expected.loc[party, "distributed"]


def test_run_json_prints_the_written_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"

    result = sovfund_cli(tmp_path, "run", str(TINY), "--out", str(out), "--json")

    assert result.returncode == 0, result.stderr
    written = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == written


@pytest.mark.parametrize("preset", PRESETS)
def test_run_preset_matches_the_python_api(tmp_path: Path, preset: str) -> None:
    require_preset(preset)

    result = sovfund_cli(tmp_path, "run", preset, "--out", str(tmp_path / "out"), "--json")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = sovfund.run_base_case(sovfund.load_terms(preset)).parties
    assert summary["scenario"] == preset
    assert list(summary["parties"]) == list(expected.index)
    for party, row in summary["parties"].items():
        assert row["contributed"] == expected.loc[party, "contributed"]
        assert row["distributed"] == expected.loc[party, "distributed"]


def test_run_unknown_preset_exits_1(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "run", "no-such-preset", "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert "no-such-preset" in result.stderr
    assert_no_traceback(result)
    assert not (tmp_path / "out").exists()


def test_run_scenario_name_with_markup_brackets_exits_1(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "run", "my[/]preset", "--out", str(tmp_path / "out"))

    assert result.returncode == 1
    assert "my[/]preset" in result.stderr
    assert_no_traceback(result)


# -- scenarios ----------------------------------------------------------------------------


def test_scenarios_list_names_the_presets_default_first(tmp_path: Path) -> None:
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


def test_scenarios_list_json(tmp_path: Path) -> None:
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
def test_scenarios_show_prints_the_preset_as_toml(tmp_path: Path, preset: str) -> None:
    require_preset(preset)

    result = sovfund_cli(tmp_path, "scenarios", "show", preset)

    assert result.returncode == 0, result.stderr
    assert sovfund.parse_terms(result.stdout) == sovfund.load_terms(preset)


def test_scenarios_show_unknown_preset_exits_1(tmp_path: Path) -> None:
    result = sovfund_cli(tmp_path, "scenarios", "show", "nope")

    assert result.returncode == 1
    assert "nope" in result.stderr
    assert_no_traceback(result)
