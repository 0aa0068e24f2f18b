"""What the terminal shows: names escaped, warnings from validate, a bad scheduler
refused fast and quietly, an unwritable --out refused before the work."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from sovfund.cli.main import app

ROOT = Path(__file__).parents[2]
TINY = ROOT / "examples" / "tiny.toml"
FLOWS = ROOT / "examples" / "tiny-flows.csv"


def test_control_characters_and_markup_in_names_are_shown_escaped(tmp_path: Path) -> None:
    text = TINY.read_text().replace('name = "Tiny fund"', 'name = "Tiny\\u001b[2J [bold]fund"')
    text = text.replace('name = "return of capital"', 'name = "return\\u0007 [red]of[/red]"')
    (tmp_path / "terms.toml").write_text(text)
    result = CliRunner().invoke(app, ["waterfall", str(tmp_path / "terms.toml"), str(FLOWS)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "Tiny\\x1b[2J [bold]fund" in result.output  # as written, markup inert
    assert "return\\x07 [red]of[/red]" in " ".join(result.output.split())


def test_a_file_name_with_control_characters_is_escaped_in_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "bad\x1b[31mname.toml")])
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "bad\\x1b[31mname.toml" in result.output


def test_validate_warns_of_over_commitment_and_exits_0(tmp_path: Path) -> None:
    text = TINY.read_text().replace("commitment = 100.0", "commitment = 500.0")
    text = text.replace("capex = 100.0", "capex = 350.0\ndebt_share = 0.2")
    project = "[[project]]" + text.split("[[project]]")[1].split("[macro]")[0]
    second = project.replace('id = "bridge"', 'id = "pipe"').replace('"grid"', '"pipelines"')
    (tmp_path / "t.toml").write_text(text.replace("[macro]", second + "[macro]"))
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "t.toml")])
    assert result.exit_code == 0
    assert "warning:" in result.stderr
    assert "560 of project equity" in " ".join(result.stderr.split())
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "t.toml"), "--json"])
    data = json.loads(result.stdout)
    assert data["valid"] is True
    assert [w["path"] for w in data["warnings"]] == ["project"]
    assert set(data["warnings"][0]) == {"file", "path", "found", "expected"}


def test_a_bad_scheduler_fails_fast_and_quietly(tmp_path: Path) -> None:
    start = time.monotonic()
    command = ["simulate", str(TINY), "--paths", "256", "--scheduler", "tcp://127.0.0.1:1"]
    result = subprocess.run(
        [sys.executable, "-m", "sovfund", *command, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert "--scheduler: found 'tcp://127.0.0.1:1', where no Dask scheduler answers" in " ".join(
        result.stderr.split()
    )
    assert "Exception ignored" not in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - start < 60  # no 12 s wait for a client to time out


def test_an_unwritable_out_is_refused_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    start = time.monotonic()
    result = CliRunner().invoke(
        app, ["run", str(TINY), "--paths", "100000", "--out", str(tmp_path / "taken"), "--quiet"]
    )
    assert result.exit_code == 1
    assert "--out:" in result.stderr
    assert "a file of that name is in the way" in " ".join(result.stderr.split())
    assert time.monotonic() - start < 10  # 100,000 paths were not simulated first
