"""docs/books.md's walk-through of son-2025's first year runs on SQLite and on
PostgreSQL, every command succeeds, both give identical statements, and ``books
check`` passes after it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from pgserver import new_database
from typer.testing import CliRunner

from sovfund.cli.main import app

DOC = (Path(__file__).parents[2] / "docs" / "books.md").read_text(encoding="utf-8")


def walkthrough() -> tuple[dict[str, str], list[list[str]]]:
    files = dict(re.findall(r"```csv (\S+)\n(.*?)```", DOC, re.DOTALL))
    commands = [
        shlex.split(line[2:])
        for block in re.findall(r"```console\n(.*?)```", DOC, re.DOTALL)
        for line in block.splitlines()
        if line.startswith("$ ")
    ]
    return files, commands


def run_walkthrough(url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    files, commands = walkthrough()
    monkeypatch.chdir(folder)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    outputs = []
    for command in commands:
        assert command[0] == "sovfund"
        args = [url if a == "fund.db" else a for a in command[1:]]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
        if "--json" in args:
            outputs.append(json.loads(result.stdout))
    return outputs


def test_walkthrough_on_both_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_socket: str
) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "postgresql").mkdir()
    on_sqlite = run_walkthrough("fund.db", tmp_path / "sqlite", monkeypatch)
    on_postgres = run_walkthrough(
        new_database(postgres_socket), tmp_path / "postgresql", monkeypatch
    )
    assert on_sqlite == on_postgres
    statements = {s["partner"]: s for s in on_sqlite}
    assert statements["jp_pension"]["currency"] == "JPY"
    assert Path(tmp_path / "sqlite" / "statement-jp_pension.html").read_text().count("JPY") >= 1
    assert (tmp_path / "sqlite" / "ilpa-2026Q4.xlsx").stat().st_size > 0
