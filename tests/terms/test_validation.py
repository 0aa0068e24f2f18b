"""`sovfund validate` on malformed term sheets, through the command line.

Each bad term sheet is the valid tiny example (examples/tiny.toml) with one small edit,
written to a temporary folder and checked by running ``sovfund validate`` on it: in
this process (Typer's runner, where an unhandled exception fails the test), and for a
few deliberate cases as its own process (``python -m sovfund validate``, the real exit
code and stderr). Every problem must come back as exit code 1 with a message naming the
file and the key path, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


def tiny_text() -> str:
    return TINY.read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the tiny term sheet"
    return text.replace(old, new)


def validate(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``sovfund validate PATH`` in this process, in the file's folder (an exception the
    command does not turn into a message fails the test, warnings included)."""
    from typer.testing import CliRunner

    from sovfund.cli.main import app

    with contextlib.chdir(path.parent):
        result = CliRunner().invoke(app, ["validate", str(path), *options], catch_exceptions=False)
    return subprocess.CompletedProcess(["validate"], result.exit_code, result.stdout, result.stderr)


def validate_process(path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """The same through the real command (its entry point, exit code and stderr)."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "sovfund", "validate", str(path), *options],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=120,
        check=False,
    )


def write(tmp_path: Path, text: str, name: str = "terms.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def flat(text: str) -> str:
    """``text`` on one line: the CLI wraps long messages to the console width."""
    return " ".join(text.split())


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


LEVERAGE_ABOVE_POLICY = """
[leverage]
debt_to_equity = 12.0

[policy]
max_debt_to_equity = 10.0
"""

NUCLEAR_ONLY_POLICY = """
[policy]
sectors = ["nuclear"]
"""

FEE_PAID_BY_GP = """
[[fee]]
id = "management"
rate = 0.01
basis = "committed"
paid_by = ["gp"]
"""

# (old, new, key path the message must name, other words it must contain)
CASES = [
    pytest.param(
        'name = "Tiny fund"',
        'name = "Tiny fund"\nmanager = "Someone"',
        "fund.manager",
        ["unknown key 'manager'", "investment_period_years", "term_years", "start"],
        id="unknown-key-lists-allowed-keys",
    ),
    pytest.param(
        'id = "gp"\nrole = "gp"',
        'id = "gp"\nrole = "gp"\ncary_share = 1.0',
        "party[1].cary_share",
        ["carry_share", "commitment"],
        id="unknown-key-in-list-item",
    ),
    pytest.param(
        "capex = 100.0",
        'capex = "100"',
        "project[0].capex",
        ['"100"', "a number"],
        id="string-for-number",
    ),
    pytest.param(
        "start = 2026-01-01",
        'start = "2026-01-01"',
        "fund.start",
        ["YYYY-MM-DD"],
        id="quoted-date",
    ),
    pytest.param(
        "commitment = 100.0",
        "commitment = -100.0",
        "party[0].commitment",
        ["-100"],
        id="negative-commitment",
    ),
    pytest.param(
        "pay = { lps = 0.8, gps = 0.2 }",
        "pay = { lps = 0.8, gps = 0.3 }",
        "waterfall.tier[3].pay",
        ["summing to 1.1", "summing to 1"],
        id="tier-shares-not-summing-to-one",
    ),
    pytest.param(
        "pay = { gps = 1.0 }",
        "pay = { gpz = 1.0 }",
        "waterfall.tier[2].pay.gpz",
        ["'gpz'", "a party id or group"],
        id="unknown-party-in-pay",
    ),
    pytest.param(
        'id = "gp"',
        'id = "lp"',
        "party[1].id",
        ["'lp' used 2 times", "unique party ids"],
        id="duplicate-party-id",
    ),
    pytest.param(
        "pay = { lps = 0.8, gps = 0.2 }",
        'pay = { lps = 0.8, gps = 0.2 }\nuntil = { capital_returned = "lps" }',
        "waterfall.tier[3].until",
        ["final tier"],
        id="last-tier-with-until",
    ),
    pytest.param(
        "term_years = 3\n",
        "",
        "fund.term_years",
        ["the required key 'term_years'"],
        id="missing-required-key",
    ),
    pytest.param(
        'role = "gp"',
        'role = "gq"',
        "party[1].role",
        ['"gq"', '"lp" or "gp"'],
        id="bad-role-literal",
    ),
    pytest.param(
        'until = { hurdle = "lps", rate = 0.08 }',
        'until = { hurdle = "lps" }',
        "waterfall.tier[1].until",
        ["a rate with hurdle"],
        id="hurdle-without-rate",
    ),
    pytest.param(
        "rate = 0.08",
        'rate = "8%"',
        "waterfall.tier[1].until.rate",
        ['"8%"', "a number"],
        id="hurdle-rate-as-text",
    ),
    pytest.param(
        "rate = 0.08",
        'rate = { index = "libor", spread = 0.01 }',
        "waterfall.tier[1].until.rate.index",
        ['"libor"', '"sofr"'],
        id="floating-rate-unknown-index",
    ),
    pytest.param(
        "pay = { gps = 1.0 }",
        "pay = { lps = 0.8, gps = 0.2 }",
        "waterfall.tier[2].until.share",
        ["never fills"],
        id="profit-share-target-not-above-pay-share",
    ),
    pytest.param(
        "start_quarter = 0",
        "start_quarter = 4",
        "project[0].start_quarter",
        ["investment period", "quarters 0 to 3"],
        id="project-after-investment-period",
    ),
    pytest.param(
        "construction_quarters = 2",
        "construction_quarters = 0",
        "project[0].construction_quarters",
        ["a number from 1 to 120"],
        id="zero-construction-quarters",
    ),
    pytest.param(
        "commitment = 100.0\n",
        "",
        "party[0].commitment",
        ["a positive commitment for an LP"],
        id="lp-without-commitment",
    ),
    pytest.param(
        'role = "gp"',
        'role = "gp"\ncommitment = 5.0',
        "party[1].commitment",
        ["no commitment on a GP"],
        id="gp-with-commitment",
    ),
    pytest.param(
        "usd_jpy = 150.0\n",
        "usd_jpy = 150.0\n" + LEVERAGE_ABOVE_POLICY,
        "leverage.debt_to_equity",
        ["12", "at most 10", "policy.max_debt_to_equity"],
        id="leverage-above-policy",
    ),
    pytest.param(
        "usd_jpy = 150.0\n",
        "usd_jpy = 150.0\n" + NUCLEAR_ONLY_POLICY,
        "project[0].sector",
        ["'grid'", "a sector the policy allows (nuclear)"],
        id="sector-not-allowed",
    ),
    pytest.param(
        'contractor_country = "JP"',
        'contractor_country = "Japan"',
        "project[0].contractor_country",
        ["two-letter country code"],
        id="bad-country-code",
    ),
    pytest.param(
        "investment_period_years = 1",
        "investment_period_years = 4",
        "fund.investment_period_years",
        ["at most term_years (3)"],
        id="investment-period-longer-than-term",
    ),
    pytest.param(
        "capex = 100.0",
        "capex = inf",
        "project[0].capex",
        ["found inf", "a finite number"],
        id="infinite-capex",
    ),
    pytest.param(
        "rate = 0.08",
        'rate = { index = "sofr" }',
        "waterfall.tier[1].until.rate.spread",
        ["the required key 'spread'"],
        id="floating-rate-without-spread",
    ),
    pytest.param(
        "usd_jpy = 150.0\n",
        "usd_jpy = 150.0\n" + FEE_PAID_BY_GP,
        "fee[0].paid_by",
        ["'gp'", "an LP id or 'lps'"],
        id="fee-paid-by-gp",
    ),
]


@pytest.mark.parametrize(("old", "new", "key_path", "words"), CASES)
def test_malformed_term_sheet_is_reported_with_its_key_path(
    tmp_path: Path, old: str, new: str, key_path: str, words: list[str]
) -> None:
    path = write(tmp_path, edit(tiny_text(), old, new))

    result = validate(path)

    assert result.returncode == 1, result.stdout + result.stderr
    message = flat(result.stderr)
    assert f"{path}: {key_path}:" in message
    for word in words:
        assert word in message
    assert_no_traceback(result)


def test_bad_toml_syntax_names_the_line(tmp_path: Path) -> None:
    text = edit(tiny_text(), 'name = "Tiny fund"', 'name = "Tiny fund')
    line = text.splitlines().index('name = "Tiny fund') + 1
    path = write(tmp_path, text)

    result = validate(path)

    assert result.returncode == 1
    message = flat(result.stderr)
    assert str(path) in message
    assert "invalid TOML" in message
    assert f"line {line}" in message
    assert_no_traceback(result)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = tiny_text()
    text = edit(text, 'role = "gp"', 'role = "gq"')
    text = edit(text, "capex = 100.0", 'capex = "100"')
    text = edit(text, 'name = "Tiny fund"', 'name = "Tiny fund"\nmanager = "Someone"')
    path = write(tmp_path, text)

    result = validate_process(path)

    assert result.returncode == 1
    assert "3 problems in the term sheet" in result.stderr
    listed = [line for line in result.stderr.splitlines() if line.startswith(f"  - {path}:")]
    assert len(listed) == 3
    for key_path in ("party[1].role", "project[0].capex", "fund.manager"):
        assert f"{path}: {key_path}:" in flat(result.stderr)
    assert_no_traceback(result)


def test_every_cross_field_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = tiny_text()
    text = edit(text, 'id = "gp"', 'id = "lp"')
    text = edit(text, "pay = { lps = 0.8, gps = 0.2 }", "pay = { lps = 0.8, gps = 0.3 }")
    text = edit(text, "start_quarter = 0", "start_quarter = 4")
    path = write(tmp_path, text)

    result = validate(path)

    assert result.returncode == 1
    expected = ("party[0].id", "party[1].id", "waterfall.tier[3].pay", "project[0].start_quarter")
    assert f"{len(expected)} problems in the term sheet" in result.stderr
    for key_path in expected:
        assert f"{path}: {key_path}:" in flat(result.stderr)
    assert_no_traceback(result)


def test_valid_term_sheet_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, tiny_text())

    result = validate_process(path)

    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert str(path) in result.stdout
    assert result.stderr == ""


def test_missing_file_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "no-such-terms.toml"

    result = validate_process(path)

    assert result.returncode == 1
    assert str(path) in flat(result.stderr)
    assert "cannot read it" in flat(result.stderr)
    assert_no_traceback(result)


def test_missing_file_with_brackets_in_its_name_is_named_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "terms[v2].toml"

    result = validate(path)

    assert result.returncode == 1
    assert str(path) in flat(result.stderr)
    assert_no_traceback(result)


def test_valid_file_with_brackets_in_its_name_is_named_verbatim(tmp_path: Path) -> None:
    path = write(tmp_path, tiny_text(), name="terms[v2].toml")

    result = validate(path)

    assert result.returncode == 0, result.stderr
    assert str(path) in result.stdout


def test_json_lists_problems_as_records(tmp_path: Path) -> None:
    text = edit(tiny_text(), 'role = "gp"', 'role = "gq"')
    text = edit(text, "capex = 100.0", "capex = -5.0")
    path = write(tmp_path, text)

    result = validate(path, "--json")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    problems = report["problems"]
    assert [set(problem) for problem in problems] == [{"file", "path", "found", "expected"}] * 2
    assert {problem["path"] for problem in problems} == {"party[1].role", "project[0].capex"}
    assert {problem["file"] for problem in problems} == {str(path)}
    role = next(p for p in problems if p["path"] == "party[1].role")
    assert role["found"] == '"gq"'
    assert_no_traceback(result)


def test_json_for_a_valid_file_says_valid(tmp_path: Path) -> None:
    path = write(tmp_path, tiny_text())

    result = validate(path, "--json")

    assert result.returncode == 0
    assert json.loads(result.stdout) == {"valid": True, "file": str(path), "warnings": []}
