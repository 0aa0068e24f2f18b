"""Fuzzing every input a user gives: term sheets, flows files and CLI options.

Whatever the input, sovfund answers with exit code 0, 1 or 2 and never a traceback;
a term sheet that ``validate`` accepts runs (the Monte Carlo and the base case, with
warnings as errors); a flows file the calculator accepts pays out exactly what came in.
Term sheets are mutations of the examples and presets (values replaced by hostile ones,
keys removed or added, the text itself damaged). In-process through Typer's runner, so
that many examples fit in CI; a few through a real subprocess.

``SOVFUND_FUZZ_EXAMPLES`` sets the examples per test (40 by default, about a minute
for the module; try 2000 locally).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import sovfund
from sovfund.cli.main import app
from sovfund.presets import preset_text
from sovfund.reports.files import json_text
from sovfund.run.studies import simulation_json
from sovfund.terms.load import _constraints

ROOT = Path(__file__).parents[2]
TINY = ROOT / "examples" / "tiny.toml"
EXAMPLES = int(os.environ.get("SOVFUND_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
BASES = {
    "tiny": TINY.read_text(encoding="utf-8"),
    "design": (ROOT / "examples" / "design.toml").read_text(encoding="utf-8"),
    "mou-550b": preset_text("mou-550b"),
    "son-2025": preset_text("son-2025"),
}
"""Term sheets to mutate (the presets simulated on their first 8 projects, to be quick)."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI in this process: the exit code and all it printed, checked for a
    traceback or an exception that escaped."""
    result = CliRunner().invoke(app, list(args))
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"{args}: {result.exception!r}"
    output = result.output
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output)
    return result.exit_code, output


# -- TOML, written back from data ----------------------------------------------------------


def toml_text(data: dict[str, Any]) -> str:
    """``data`` as TOML: every table inline, which is the same document."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    out = []
    for character in text:
        if character in '"\\':
            out.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            out.append(f"\\u{ord(character):04x}")
        else:
            out.append(character)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


# -- hostile values and mutations --------------------------------------------------------------

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e15, 1e16, 1e308, -1.0, 0.5, 1.0, 100.0]),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2**62, 10**6]),
)
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "lp", "gp", "lps", "gps", "US", "JP", "x" * 3000, "\x1b[31m", "[b]x[/b]"]),
)
SCALARS = st.one_of(
    NUMBERS,
    TEXT,
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _nodes(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _nodes(value, (*path, i))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def term_sheets(draw: st.DrawFn) -> tuple[str, str]:
    """(which base, TOML text) of a mutated term sheet."""
    base = draw(st.sampled_from(sorted(BASES)))
    data = tomllib.loads(BASES[base])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_nodes(data))[1:]))
        parent = _parent(data, path)
        action = draw(
            st.sampled_from(["replace", "replace", "edge", "edge", "delete", "add", "copy"])
        )
        if action == "edge":  # a number at one end of what the model accepts, or just past it
            edges = [v for v in _constraints(list(path)).values() if isinstance(v, int | float)]
            if edges:
                edge = draw(st.sampled_from(edges))
                nudge = draw(st.sampled_from([0.0, 1e-9, -1e-9]))
                parent[path[-1]] = edge + nudge * max(abs(edge), 1.0)
        elif action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(TEXT)] = draw(VALUES)
        elif action == "copy" and isinstance(parent, list):
            parent.append(parent[path[-1]])
    text = toml_text(data)
    if draw(st.integers(0, 9)) == 0:  # damage the text itself
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    if draw(st.integers(0, 19)) == 0:
        text = "\ufeff" + text
    return base, text


# -- term sheets ---------------------------------------------------------------------------


@FUZZ
@given(sheet=term_sheets())
def test_any_term_sheet_gets_a_clear_answer_and_an_accepted_one_runs(
    sheet: tuple[str, str], folder: Path
) -> None:
    base, text = sheet
    path = folder / "terms.toml"
    path.write_text(text, encoding="utf-8")
    code, output = invoke("validate", str(path))
    assert code in (0, 1), output
    json_code, json_output = invoke("validate", str(path), "--json")
    assert json_code == code
    assert json.loads(json_output)["valid"] == (code == 0)
    if code != 0:
        return
    terms = sovfund.load_terms(path)
    if not terms.projects or terms.macro is None:
        return  # valid for the calculator and validate; simulations say what is missing
    if base in ("mou-550b", "son-2025") and len(terms.projects) > 8:
        terms = terms.model_copy(update={"projects": terms.projects[:8]})  # keep it quick
    sim = sovfund.simulate(terms, paths=256, seed=1, backend="serial")
    json.loads(json_text(simulation_json("fuzz", sim)))
    sovfund.run_base_case(terms)


@FUZZ
@given(data=st.binary(max_size=200) | st.sampled_from([b"\xef\xbb\xbf", b"\x00" * 10, b"\xff"]))
def test_any_bytes_as_a_term_sheet(data: bytes, folder: Path) -> None:
    path = folder / "bytes.toml"
    path.write_bytes(data)
    code, _ = invoke("validate", str(path))
    assert code in (0, 1)


# -- flows files -----------------------------------------------------------------------------

CELLS = {
    "date": st.one_of(
        st.dates(dt.date(2026, 1, 1), dt.date(2040, 1, 1)).map(str),
        st.dates().map(str),
        st.sampled_from(["2025-12-31", "2026-02-30", "2026-W01-1", "20260101", "", "x"]),
    ),
    "party": st.sampled_from(["lp", "gp", "", "nobody", "LP", "l\x1bp"]),
    "kind": st.sampled_from(["contribution", "proceeds", "proceeds", "dividend", ""]),
    "amount": st.one_of(
        st.floats(0, 1e9).map(repr),
        st.sampled_from(["nan", "inf", "-5", "1e300", "1,000.5", "1_000", "", "five", "1e15"]),
    ),
}


@st.composite
def flows_files(draw: st.DrawFn) -> str:
    header = ["date", "party", "kind", "amount"]
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.permutations([*header, "investment", "extra"]))[:4]
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(CELLS[c]) if c in CELLS else draw(TEXT) for c in header]
        if draw(st.integers(0, 19)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        rows.append(row)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    text = buffer.getvalue()
    if draw(st.integers(0, 14)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=4)) + text[at:]
    return text


@FUZZ
@given(text=flows_files())
def test_any_flows_file_gets_a_clear_answer_and_pays_out_what_came_in(
    text: str, folder: Path
) -> None:
    path = folder / "flows.csv"
    path.write_text(text, encoding="utf-8")
    code, output = invoke("waterfall", str(TINY), str(path), "--json")
    assert code in (0, 1), output
    if code != 0:
        return
    data = json.loads(output)
    cells = [round(v * 100) for tier in data["tiers"] for v in tier["paid"].values()]
    paid_out = sum(round(p["distributed"] * 100) for p in data["parties"].values())
    assert paid_out == sum(cells)  # each party's figure is the sum of its tiers, in cents
    records = list(csv.reader(io.StringIO(text)))
    header = [c.strip().lower() for c in records[0]]
    rows = [dict(zip(header, (c.strip() for c in r), strict=False)) for r in records[1:]]
    proceeds = sum(
        float(row["amount"].replace(",", "").replace("_", ""))
        for row in rows
        if row.get("kind") == "proceeds"
    )
    assert abs(paid_out / 100 - proceeds) <= 0.01 * max(len(cells), 1) + 1e-9 * proceeds


# -- CLI options -----------------------------------------------------------------------------

GOOD = {
    "--paths": ["256", "1", "300"],
    "--seed": ["0", "7", str(2**70)],
    "--batch-size": ["256", "512"],
    "--engine": ["fast", "reference"],
    "--stress": ["base"],
    "--backend": ["auto", "serial"],
    "--workers": ["1"],
    "--study-paths": ["0"],
    "--levels": ["0,1", "2"],
    "--metric": ["p_default", "tvpi_mean"],
    "--party": ["lp"],
    "--only": ["base"],
}
BAD = {
    "--paths": ["0", "-1", "1.5", "abc", "nan", str(10**18), ""],
    "--seed": ["-1", "x", "1e3"],
    "--batch-size": ["0", "-256", "1.5"],
    "--engine": ["x", ""],
    "--stress": ["nosuch", "\x1b[2J"],
    "--backend": ["gpu", ""],
    "--workers": ["0", "-2", str(10**9)],
    "--scheduler": ["nonsense", "tcp://127.0.0.1:1", "tcp://[::1", "tcp://h:0", " "],
    "--study-paths": ["-1", "x"],
    "--levels": ["nan", "inf", "-1", "51", ",", "1e309"],
    "--metric": ["sharpe", ""],
    "--party": ["gp", "nobody", "[red]x"],
    "--only": ["nosuch"],
    "--out": ["/dev/null/x", "OUT_IS_A_FILE"],
}
COMMANDS = {
    "simulate": [
        *("--paths", "--seed", "--batch-size", "--engine"),
        *("--stress", "--backend", "--workers", "--scheduler"),
    ],
    "stress": ["--paths", "--seed", "--party", "--only"],
    "frontier": ["--paths", "--seed", "--party", "--levels"],
    "sensitivity": ["--paths", "--seed", "--party", "--metric"],
    "run": ["--paths", "--seed", "--study-paths", "--backend", "--scheduler", "--out"],
    "validate": [],
    "waterfall": [],
}
SCENARIOS = [str(TINY), "nosuch-preset", "/no/such.toml", str(ROOT)]
JUNK = st.sampled_from(["--", "-x", "--paths=3", "--json", "--quiet", "é", "--help"])


@FUZZ
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    scenario=st.sampled_from(SCENARIOS),
    choices=st.data(),
)
def test_any_command_line_gets_exit_0_1_or_2(
    command: str, scenario: str, choices: st.DataObject, folder: Path
) -> None:
    args = [command, scenario]
    if command == "waterfall":
        args.append(str(ROOT / "examples" / "tiny-flows.csv"))
    options = COMMANDS[command]
    for option in choices.draw(st.lists(st.sampled_from(options), unique=True)) if options else []:
        pool = GOOD.get(option, []) + BAD.get(option, [])
        value = choices.draw(st.sampled_from(pool))
        if value == "OUT_IS_A_FILE":
            (folder / "a-file").write_text("x")
            value = str(folder / "a-file")
        args += [option, value]
    if command == "run":  # keep a valid run quick and out of the source tree
        if "--study-paths" not in args:
            args += ["--study-paths", "0"]
        if "--out" not in args:
            args += ["--out", str(folder / "out")]
    if "--paths" not in args and command != "validate" and command != "waterfall":
        args += ["--paths", "256"]
    args += choices.draw(st.lists(JUNK, max_size=2))
    if command not in ("validate", "waterfall"):
        args.append("--quiet")
    invoke(*args)


# -- a few through a real subprocess ---------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"\xef\xbb\xbf" + TINY.read_bytes(), b"x = " + b"[" * 5000 + b"]" * 5000, b"\x89PNG\x00\xff"],
    ids=["byte-order mark", "deep nesting", "binary"],
)
def test_hostile_files_through_the_real_command(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "terms.toml"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "sovfund", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
