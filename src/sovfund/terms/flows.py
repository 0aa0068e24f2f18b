"""Dated flows for the waterfall calculator: a CSV file validated at the boundary.

The format (DESIGN.md): a header ``date,party,kind,amount[,investment]``; ``kind`` is
``contribution`` (party required: who paid in) or ``proceeds`` (fund level, party
empty: cash to distribute); ``amount`` is a non-negative number; ``investment`` names
the deal a row belongs to and is required for deal-by-deal waterfalls. Problems are
reported all at once, each with its line number and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sovfund.errors import FlowsError, InputError, Problem, os_reason
from sovfund.terms.load import quoted
from sovfund.terms.models import MAX_AMOUNT, Contract

__all__ = ["Flow", "load_flows", "parse_flows"]

FIRST_FLOW = dt.date(1900, 1, 1)
"""The earliest date a flow may have (a flow before ``fund.start`` is refused anyway)."""
REQUIRED = ("date", "party", "kind", "amount")
OPTIONAL = ("investment",)


@dataclass(frozen=True, slots=True)
class Flow:
    """One row of a flows file."""

    date: dt.date
    kind: Literal["contribution", "proceeds"]
    amount: float
    party: str | None = None
    investment: str | None = None


def load_flows(path: str | Path, terms: Contract) -> tuple[Flow, ...]:
    """Read and validate a flows CSV against ``terms`` (its parties and style)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"{path}: cannot read it ({os_reason(error)}); expected a readable UTF-8 CSV file"
        ) from None
    except ValueError as error:  # an embedded NUL in the name
        raise InputError(f"{str(path)!r}: not a usable file name ({error})") from None
    return parse_flows(text, terms, name=str(path))


def parse_flows(text: str, terms: Contract, *, name: str = "<flows>") -> tuple[Flow, ...]:
    """Validate CSV text as flows for ``terms``; ``name`` is used in error messages.

    Contributions come from LPs (GPs have no commitment) and no flow is dated before
    ``fund.start``; a field of any length or a stray NUL is a located problem, never a
    parser error.
    """
    text = text.removeprefix("\ufeff")
    problems: list[Problem] = []

    def problem(where: str, found: str, expected: str) -> None:
        problems.append(Problem(name, where, found, expected))

    reader = csv.reader(io.StringIO(text))
    rows = _rows(reader, problem)
    header = [column.strip().lower() for column in next(rows, (1, []))[1]]
    if problems:
        raise FlowsError(problems)
    deal_by_deal = terms.waterfall.style == "deal_by_deal"

    missing = [c for c in REQUIRED if c not in header]
    if deal_by_deal and "investment" not in header:
        missing.append("investment")
    if missing:
        expected = "a header with columns " + ",".join(
            [*REQUIRED, "investment" if deal_by_deal else "[investment]"]
        )
        problem(
            "line 1",
            f"no column {', '.join(missing)} in header"
            f" {_shown(','.join(header)) if header else '(empty)'}",
            expected,
        )
        raise FlowsError(problems)
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        problem(
            "line 1",
            f"unknown column {_shown(', '.join(unknown))}",
            "only date, party, kind, amount, investment",
        )

    roles = {p.id: p.role for p in terms.parties}
    flows: list[Flow] = []
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problem(
                f"line {line}", f"{len(cells)} fields", f"{len(header)} fields, as in the header"
            )
            continue
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        flow = _row(row, line, roles, deal_by_deal, problem)
        if flow is not None and flow.date < terms.fund.start:
            problem(
                f"line {line}, date",
                f"{flow.date} ({flow.kind})",
                f"a date on or after fund.start ({terms.fund.start})",
            )
        elif flow is not None:
            flows.append(flow)
    if not flows and not problems:
        problem("line 2", "no rows", "at least one flow")
    if problems:
        raise FlowsError(problems)
    return tuple(sorted(flows, key=lambda f: f.date))


def _rows(
    reader: Iterator[list[str]], problem: Callable[[str, str, str], None]
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record; a record the CSV reader cannot split (a
    field beyond its size limit, a NUL byte) is a problem at its line, then reading
    stops: what follows a broken quote cannot be trusted."""
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem(f"line {line}", _csv_words(error), "a CSV record: date,party,kind,amount")
            return
        yield line, cells
        line += 1


def _csv_words(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a field longer than {csv.field_size_limit():,} characters"
    if "NUL" in text:
        return "a NUL byte (is this a binary file?)"
    return f"text the CSV reader cannot split ({text})"


def _row(
    row: dict[str, str],
    line: int,
    roles: Mapping[str, str],
    deal_by_deal: bool,
    problem: Callable[[str, str, str], None],
) -> Flow | None:
    ok = True
    date = _date(row["date"])
    if date is None:
        problem(
            f"line {line}, date",
            _shown(row["date"]),
            f"a date written YYYY-MM-DD, from {FIRST_FLOW} to {dt.date.max}",
        )
        ok = False
    kind = row["kind"]
    if kind not in ("contribution", "proceeds"):
        problem(f"line {line}, kind", _shown(kind), "'contribution' or 'proceeds'")
        ok = False
    try:
        amount = float(row["amount"].replace(",", "").replace("_", ""))
        if not math.isfinite(amount) or not 0 <= amount <= MAX_AMOUNT:
            raise ValueError
    except ValueError:
        problem(
            f"line {line}, amount",
            _shown(row["amount"]),
            f"a number from 0 to {MAX_AMOUNT:.0e}".replace("e+", "e"),
        )
        ok = False
    party = row["party"] or None
    lps = sorted(p for p, role in roles.items() if role == "lp")
    if kind == "contribution" and party is None:
        problem(f"line {line}, party", "nothing", "the id of the LP that contributed")
        ok = False
    elif kind == "proceeds" and party is not None:
        problem(f"line {line}, party", _shown(party), "nothing: proceeds belong to the fund")
        ok = False
    elif party is not None and party not in roles:
        problem(
            f"line {line}, party",
            _shown(party),
            f"a party of the term sheet ({', '.join(sorted(roles))})",
        )
        ok = False
    elif party is not None and roles[party] != "lp":
        problem(
            f"line {line}, party",
            f"{_shown(party)}, a GP, contributing",
            f"an LP ({', '.join(lps)}): GPs have no commitment to contribute against",
        )
        ok = False
    investment = row.get("investment") or None
    if deal_by_deal and investment is None:
        problem(
            f"line {line}, investment",
            "nothing",
            "the deal this row belongs to (deal-by-deal terms)",
        )
        ok = False
    if not ok or date is None:
        return None
    return Flow(date=date, kind=kind, amount=amount, party=party, investment=investment)  # type: ignore[arg-type]


def _date(text: str) -> dt.date | None:
    """A date written YYYY-MM-DD (exactly: no week dates, no times), or None."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return date if date >= FIRST_FLOW else None


def _shown(text: str) -> str:
    """A cell as found, quoted and shortened, control characters escaped."""
    shown = quoted(text)
    return shown if len(shown) <= 60 else shown[:57] + '..."'
