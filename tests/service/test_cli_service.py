"""``sovfund users`` and ``sovfund serve`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sovfund.cli.main import app

from .conftest import ROOT, Fixture

runner = CliRunner()


def test_users_add_shows_the_key_once_and_keeps_its_hash(books_copy: Fixture) -> None:
    books = str(books_copy.path)
    added = runner.invoke(
        app, ["users", "add", books, "carol", "--role", "lp", "--partner", "lp2", "--json"]
    )
    assert added.exit_code == 0, added.output
    data = json.loads(added.output)
    assert data["name"] == "carol"
    assert data["role"] == "lp"
    assert data["key"].startswith("sfk_")
    assert len(data["key"]) == 4 + 43
    assert data["key"].encode() not in books_copy.path.read_bytes()
    listed = runner.invoke(app, ["users", "list", books, "--json"])
    rows = json.loads(listed.output)
    assert {"name": "carol", "role": "lp", "partner": "lp2"}.items() <= next(
        r for r in rows if r["name"] == "carol"
    ).items()
    assert "key" not in listed.output.lower().replace("key_hash", "")


def test_users_add_refuses_what_it_cannot_use(books_copy: Fixture) -> None:
    books = str(books_copy.path)
    for arguments, message in [
        (["ghost", "--role", "wizard"], "expected one of gp_admin, lp, auditor, analyst"),
        (["lonely", "--role", "lp"], "needs the partner"),
        (["stray", "--role", "lp", "--partner", "nobody"], "no partner 'nobody'"),
        (["gp", "--role", "gp_admin"], "exists already"),
        (["Capital Letters", "--role", "auditor"], "lowercase"),
        (["aud2", "--role", "auditor", "--partner", "lp1"], "only with --role lp"),
    ]:
        answer = runner.invoke(app, ["users", "add", books, *arguments])
        assert answer.exit_code == 1, arguments
        assert message in answer.output, (arguments, answer.output)


def test_serve_needs_books(tmp_path: Path) -> None:
    answer = runner.invoke(app, ["serve", str(tmp_path / "missing.db")])
    assert answer.exit_code == 1
    assert "no books" in answer.output


def test_the_service_is_loaded_only_by_serve(tmp_path: Path) -> None:
    """`sovfund --help`, `validate` and `users` load neither FastAPI nor uvicorn."""
    script = """
import json, sys
from typer.testing import CliRunner
from sovfund.cli.main import app
runner = CliRunner()
for args in (["--help"], ["validate", "examples/design.toml"], ["serve", "--help"],
             ["books", "init", sys.argv[1], "--terms", "examples/design.toml"],
             ["users", "add", sys.argv[1], "gp", "--role", "gp_admin"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "books.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert not loaded & {"fastapi", "uvicorn", "starlette", "itsdangerous", "playwright"}
