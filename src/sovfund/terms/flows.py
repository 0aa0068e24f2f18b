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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sovfund.errors import FlowsError, InputError, Problem
from sovfund.terms.models import Contract

__all__ = ["Flow", "load_flows", "parse_flows"]

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
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InputError(
            f"{path}: cannot read it ({reason}); expected a readable CSV file"
        ) from None
    return parse_flows(text, terms, name=str(path))


def parse_flows(text: str, terms: Contract, *, name: str = "<flows>") -> tuple[Flow, ...]:
    """Validate CSV text as flows for ``terms``; ``name`` is used in error messages."""
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower() for column in next(reader, [])]
    problems: list[Problem] = []
    deal_by_deal = terms.waterfall.style == "deal_by_deal"

    def problem(where: str, found: str, expected: str) -> None:
        problems.append(Problem(name, where, found, expected))

    missing = [c for c in REQUIRED if c not in header]
    if deal_by_deal and "investment" not in header:
        missing.append("investment")
    if missing:
        expected = "a header with columns " + ",".join(
            [*REQUIRED, "investment" if deal_by_deal else "[investment]"]
        )
        problem(
            "line 1",
            f"no column {', '.join(missing)} in header {','.join(header) or '(empty)'}",
            expected,
        )
        raise FlowsError(problems)
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if unknown:
        problem(
            "line 1",
            f"unknown column {', '.join(unknown)}",
            "only date, party, kind, amount, investment",
        )

    parties = {p.id for p in terms.parties}
    flows: list[Flow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problem(
                f"line {line}", f"{len(cells)} fields", f"{len(header)} fields, as in the header"
            )
            continue
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        flow = _row(row, line, parties, deal_by_deal, problem)
        if flow is not None:
            flows.append(flow)
    if not flows and not problems:
        problem("line 2", "no rows", "at least one flow")
    if problems:
        raise FlowsError(problems)
    return tuple(sorted(flows, key=lambda f: f.date))


def _row(
    row: dict[str, str],
    line: int,
    parties: set[str],
    deal_by_deal: bool,
    problem: Callable[[str, str, str], None],
) -> Flow | None:
    ok = True
    try:
        date = dt.date.fromisoformat(row["date"])
    except ValueError:
        problem(f"line {line}, date", repr(row["date"]), "a date written YYYY-MM-DD")
        ok = False
    kind = row["kind"]
    if kind not in ("contribution", "proceeds"):
        problem(f"line {line}, kind", repr(kind), "'contribution' or 'proceeds'")
        ok = False
    try:
        amount = float(row["amount"].replace(",", "").replace("_", ""))
        if not math.isfinite(amount) or amount < 0:
            raise ValueError
    except ValueError:
        problem(f"line {line}, amount", repr(row["amount"]), "a non-negative number")
        ok = False
    party = row["party"] or None
    if kind == "contribution" and party is None:
        problem(f"line {line}, party", "nothing", "the id of the party that contributed")
        ok = False
    elif kind == "proceeds" and party is not None:
        problem(f"line {line}, party", repr(party), "nothing: proceeds belong to the fund")
        ok = False
    elif party is not None and party not in parties:
        problem(
            f"line {line}, party",
            repr(party),
            f"a party of the term sheet ({', '.join(sorted(parties))})",
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
    if not ok:
        return None
    return Flow(date=date, kind=kind, amount=amount, party=party, investment=investment)  # type: ignore[arg-type]
