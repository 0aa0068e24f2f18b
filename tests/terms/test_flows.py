"""Flows files: parser limits are located problems, and flows the waterfall cannot
honour (a GP contributing, a flow before the fund starts) are refused."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import sovfund
from sovfund.errors import FlowsError, InputError
from sovfund.terms.flows import load_flows, parse_flows

TINY = sovfund.load_terms(Path(__file__).parents[2] / "examples" / "tiny.toml")
HEADER = "date,party,kind,amount\n"


def problems(text: str) -> list[str]:
    with pytest.raises(FlowsError) as error:
        parse_flows(text, TINY, name="f.csv")
    return [str(p) for p in error.value.problems]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("2026-02-01,gp,contribution,5\n", 'line 2, party: found "gp", a GP, contributing'),
        ("2025-12-31,lp,contribution,5\n", "line 2, date: found 2025-12-31 (contribution)"),
        ("2025-06-01,,proceeds,5\n", "a date on or after fund.start (2026-01-01)"),
        ("2026-02-01,lp,contribution,1e300\n", "expected a number from 0 to 1e15"),
        ("2026-W05-1,lp,contribution,5\n", "a date written YYYY-MM-DD"),
        ("1850-01-01,lp,contribution,5\n", "a date written YYYY-MM-DD, from 1900-01-01"),
        ("2026-02-01,l\x1bp,contribution,5\n", '"l\\u001bp"'),
    ],
)
def test_refused_rows_name_the_line(rows: str, message: str) -> None:
    found = problems(HEADER + rows)
    assert any(message in p for p in found), found


def test_a_field_beyond_the_csv_limit_is_a_located_problem() -> None:
    huge = "9" * (csv.field_size_limit() + 10)
    found = problems(
        HEADER + "2026-02-01,lp,contribution,1\n" + f"2026-03-01,lp,contribution,{huge}\n"
    )
    assert found == [
        "f.csv: line 3: found a field longer than 131,072 characters;"
        " expected a CSV record: date,party,kind,amount"
    ]


def test_a_nul_byte_is_a_located_problem() -> None:
    found = problems(HEADER + "2026-02-01,lp,contribution,1\x00\n")
    assert len(found) == 1
    assert "line 2" in found[0]


def test_a_byte_order_mark_is_read_as_nothing() -> None:
    flows = parse_flows("\ufeff" + HEADER + "2026-02-01,lp,contribution,1\n", TINY)
    assert flows[0].amount == 1.0


def test_an_unreadable_file_says_why_in_words(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read it \(it is a folder, not a file\)"):
        load_flows(tmp_path, TINY)
    with pytest.raises(InputError, match=r"cannot read it \(no such file or folder\)"):
        load_flows(tmp_path / "none.csv", TINY)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InputError, match=r"cannot read it \(it is not UTF-8 text\)"):
        load_flows(binary, TINY)
