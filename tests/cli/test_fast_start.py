"""Fast start: the quick commands and the books load none of the heavy stacks.

A project rule: importing the CLI and running ``--help``, ``validate``, ``scenarios``
or a books verb must not import numba, scipy, pandas, plotly or dask; each command
imports what it uses when it runs (sovfund/cli/main.py). ``import sovfund`` and the
books' Python API keep to it too; ``validate`` does not even need NumPy. Each case
runs in a fresh interpreter, so nothing an earlier test imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["numba", "scipy", "pandas", "plotly", "dask"]
ROOT = Path(__file__).parents[2]

API = """
import json, sys
import sovfund.books
books = sovfund.books.init(sys.argv[1], terms="examples/design.toml")
call = books.call("1000", date="2026-02-01")
books.pay(call.entry)
books.invest("bridge", "1000", date="2026-02-01")
books.receive("bridge", "1500", date="2027-02-01")
books.distribute("1500", date="2027-02-01")
books.statement("lp")
assert books.check().ok
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""

CLI = """
import json, sys
from typer.testing import CliRunner
from sovfund.cli.main import app
runner = CliRunner()
for args in (["--help"], ["validate", "examples/design.toml"], ["validate", "son-2025"],
             ["scenarios", "list"], ["scenarios", "show", "mou-550b"], ["simulate", "--help"],
             ["books", "init", sys.argv[1], "--terms", "examples/design.toml"],
             ["books", "call", sys.argv[1], "1000", "--date", "2026-02-01"],
             ["books", "statement", sys.argv[1], "lp"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""

VALIDATE = """
import json, sys
from typer.testing import CliRunner
from sovfund.cli.main import app
result = CliRunner().invoke(app, ["validate", "son-2025"])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(m.split(".")[0] for m in sys.modules)))
"""


def _loaded(script: str, books: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", script, str(books)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    return set(json.loads(done.stdout))


@pytest.fixture(scope="module")
def api_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return _loaded(API, tmp_path_factory.mktemp("api") / "books.db")


@pytest.fixture(scope="module")
def cli_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return _loaded(CLI, tmp_path_factory.mktemp("cli") / "books.db")


@pytest.mark.parametrize("module", HEAVY)
def test_the_books_api_does_not_load(module: str, api_modules: set[str]) -> None:
    assert module not in api_modules


@pytest.mark.parametrize("module", HEAVY)
def test_the_quick_commands_do_not_load(module: str, cli_modules: set[str]) -> None:
    assert module not in cli_modules


def test_validate_needs_not_even_numpy(tmp_path: Path) -> None:
    assert "numpy" not in _loaded(VALIDATE, tmp_path / "unused.db")


def test_a_simulation_loads_the_engine_on_first_use(tmp_path: Path) -> None:
    # the other side of the rule: the lazy names still resolve to the engine
    script = "import json, sys, sovfund; sovfund.simulate; sovfund.irr; " + (
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    assert {"numba", "scipy"} <= _loaded(script, tmp_path / "unused.db")
