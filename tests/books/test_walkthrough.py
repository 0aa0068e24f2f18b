"""docs/books.md's walk-through of son-2025's first year runs on SQLite and on
PostgreSQL, every command succeeds, both give identical statements, and ``books
check`` passes after it."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
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


def run_walkthrough(
    new_url: Callable[[], str], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, Any]]:
    """Run every command; each books file the page names (``fund.db``, ``retail.db``)
    is new books at ``new_url()``. The JSON printed, with the books it is of."""
    files, commands = walkthrough()
    monkeypatch.chdir(folder)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    urls: dict[str, str] = {}
    outputs = []
    for command in commands:
        assert command[0] == "sovfund"
        books = next(a for a in command[1:] if a.endswith(".db"))
        if books not in urls:
            urls[books] = new_url()
        args = [urls[a] if a == books else a for a in command[1:]]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
        if "--json" in args:
            outputs.append((books, json.loads(result.stdout)))
    return outputs


def test_walkthrough_on_both_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_socket: str
) -> None:
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "postgresql").mkdir()
    names = iter(range(100))
    on_sqlite = run_walkthrough(lambda: f"books-{next(names)}.db", tmp_path / "sqlite", monkeypatch)
    on_postgres = run_walkthrough(
        lambda: new_database(postgres_socket), tmp_path / "postgresql", monkeypatch
    )
    assert on_sqlite == on_postgres
    statements = {s["partner"]: s for books, s in on_sqlite if books == "fund.db"}
    assert statements["jp_pension"]["currency"] == "JPY"
    assert Path(tmp_path / "sqlite" / "statement-jp_pension.html").read_text().count("JPY") >= 1
    assert (tmp_path / "sqlite" / "ilpa-2026Q4.xlsx").stat().st_size > 0


def test_the_repurchase_example_is_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settlement's JSON the page quotes is the one the command prints, and the
    quarter's statements are written, one file per partner and one line each."""
    names = iter(range(100))
    outputs = run_walkthrough(lambda: f"books-{next(names)}.db", tmp_path, monkeypatch)
    settled = next(s for books, s in outputs if books == "retail.db" and s.get("offer") == 1)
    quoted = re.search(r"```json\n(.*?)```", DOC[DOC.index("## Retail liquidity") :], re.DOTALL)
    assert quoted is not None
    assert settled == json.loads(quoted.group(1))
    assert sum(settled["requests"]["accepted"][p] == "0.00" for p in settled["allocations"]) == 0
    feeder = next(s for books, s in outputs if books == "retail.db" and "partner" in s)
    assert feeder["partner"] == "retail_feeder"
    assert feeder["repurchased"] == feeder["distributed"]  # both offers, nothing else
    folder = sorted((tmp_path / "statements-2026Q2").glob("*.json"))
    lines = (tmp_path / "statements-2027Q1.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(folder) == len(lines) == 9  # son-2025's eight parties and the feeder
    written = json.loads((tmp_path / "statements-2026Q2" / "retail_feeder.json").read_text())
    assert written["quarter"]["distributions"] == settled["allocations"]["retail_feeder"]
