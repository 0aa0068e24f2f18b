"""The ILPA Reporting Template (RT v2.0) for a quarter, as an .xlsx workbook.

Section A of the template, the capital account statement, with the template's
columns: QTD, YTD and inception to date, each for the LPs' allocation, the GP's
allocation and the total fund; outflows negative (BOOKS-REFERENCE.md, section 1):

- A.1 NAV reconciliation: beginning NAV, contributions, distributions, management
  fees (gross, waivers/offsets, net), fund expenses (credit facility interest),
  partner transfers (equalization interest), realized and unrealized gains, carried
  interest reallocated, ending NAV;
- A.2 commitment reconciliation: total commitment, beginning unfunded, contributions,
  recallable distributions, expired commitments, other adjustments, ending unfunded;
- carried interest reconciliation: starting balance, earned, paid, returned
  (clawback), ending balance.

A second sheet, "Partners", gives every partner's quarter: its figures in the fund's
currency. Amounts are in the fund's currency (USD; yen partners at the rates they
were booked at).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from sovfund.books import schema
from sovfund.books.accounts import (
    CAPITAL,
    CARRY,
    CONTRIBUTIONS,
    DISTRIBUTIONS,
    EQUALIZATION,
    EXPENSES,
    FEES,
    REALIZED,
    UNREALIZED,
)
from sovfund.books.context import Context
from sovfund.books.fx import to_fund
from sovfund.books.partners import balances
from sovfund.errors import BooksError

__all__ = ["parse_quarter", "write_ilpa"]

LINES = [
    ("Contributions", CONTRIBUTIONS),
    ("Distributions", DISTRIBUTIONS),
    ("Management fees (gross of offsets, waivers and rebates)", FEES),
    ("Fee waivers, offsets and rebates", None),
    ("Management fees (net)", FEES),
    ("Partnership expenses: other credit facility interest", EXPENSES),
    ("Partner transfers: equalization interest", EQUALIZATION),
    ("Net realized gain/(loss) on investments", REALIZED),
    ("Net change in unrealized gain/(loss) on investments", UNREALIZED),
    ("Carried interest reallocated (to the GP)", CARRY),
]


def parse_quarter(text: str) -> tuple[dt.date, dt.date]:
    """``2026Q2`` as its first and last day (calendar quarters)."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not match:
        raise BooksError(f"quarter {text!r}; expected a quarter written like 2026Q2")
    year, q = int(match.group(1)), int(match.group(2))
    first = dt.date(year, 3 * q - 2, 1)
    last = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(days=1)
    return first, last


def _by_role(
    connection: Connection, first: dt.date | None, last: dt.date
) -> dict[tuple[str, str], int]:
    """Capital postings' value per (account, role) between two dates (inclusive)."""
    posting, entry, partner = schema.posting, schema.entry, schema.partner
    query = (
        select(posting.c.account, partner.c.role, func.sum(posting.c.value))
        .join(entry, entry.c.id == posting.c.entry_id)
        .join(partner, partner.c.id == posting.c.partner_id)
        .where(posting.c.account.in_(CAPITAL), entry.c.date <= last)
        .group_by(posting.c.account, partner.c.role)
    )
    if first is not None:
        query = query.where(entry.c.date >= first)
    return {(a, r): int(v) for a, r, v in connection.execute(query)}


def write_ilpa(
    connection: Connection, ctx: Context, quarter: str, out: Path, rate: Decimal | None
) -> dict[str, Any]:
    import xlsxwriter

    first, last = parse_quarter(quarter)
    periods = {
        "QTD": first,
        "YTD": dt.date(first.year, 1, 1),
        "ITD": None,
    }
    columns = [(p, who) for p in periods for who in ("LPs", "GP", "Total Fund")]
    roles = {"LPs": ("lp",), "GP": ("gp",), "Total Fund": ("lp", "gp")}

    def amount(sums: dict[tuple[str, str], int], account: str | None, who: str) -> float:
        if account is None:
            return 0.0
        return -sum(sums.get((account, r), 0) for r in roles[who]) / 100.0

    def nav(date: dt.date | None, who: str) -> float:
        if date is None:
            return 0.0
        sums = _by_role(connection, None, date - dt.timedelta(days=1))
        return sum(amount(sums, a, who) for a in CAPITAL)

    period_sums = {p: _by_role(connection, start, last) for p, start in periods.items()}
    partners = ctx.partners
    commitment_usd = {
        "LPs": _commitments(ctx, partners.is_lp, rate),
        "GP": 0.0,
        "Total Fund": _commitments(ctx, partners.is_lp, rate),
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out))
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00;(#,##0.00)"})
    total = book.add_format({"num_format": "#,##0.00;(#,##0.00)", "bold": True, "top": 1})
    sheet = book.add_worksheet("Reporting Template")
    sheet.set_column(0, 0, 58)
    sheet.set_column(1, len(columns), 15)
    sheet.write(0, 0, f"ILPA Reporting Template (v2.0): {ctx.terms.fund.name}", bold)
    sheet.write(1, 0, f"Quarter {quarter.upper()} ({first} to {last}); currency USD")
    sheet.write(3, 0, "Section A.1: NAV reconciliation", bold)
    for c, (period, who) in enumerate(columns, start=1):
        sheet.write(3, c, f"{period} {who}", bold)
    row = 4
    sheet.write(row, 0, "Beginning NAV")
    for c, (period, who) in enumerate(columns, start=1):
        sheet.write_number(row, c, nav(periods[period], who), money)
    row += 1
    for label, account in LINES:
        sheet.write(row, 0, label)
        for c, (period, who) in enumerate(columns, start=1):
            value = amount(period_sums[period], account, who)
            sheet.write_number(row, c, value, money)
        row += 1
    sheet.write(row, 0, "Ending NAV (net of carried interest)", bold)
    for c, (period, who) in enumerate(columns, start=1):
        ending = nav(periods[period], who) + sum(
            amount(period_sums[period], a, who) for a in CAPITAL
        )
        sheet.write_number(row, c, ending, total)
    row += 2

    sheet.write(row, 0, "Section A.2: Commitment reconciliation", bold)
    row += 1
    unfunded_rows: list[tuple[str, Callable[[str, str], float]]] = [
        ("Total commitment", lambda p, w: commitment_usd[w]),
        (
            "Beginning unfunded commitment",
            lambda p, w: commitment_usd[w] - _called(connection, w, roles, periods[p]),
        ),
        ("Less contributions", lambda p, w: -amount(period_sums[p], CONTRIBUTIONS, w)),
        ("Plus recallable distributions", lambda p, w: 0.0),
        ("Less expired/released commitments", lambda p, w: 0.0),
        ("+/- Other unfunded adjustment", lambda p, w: 0.0),
        (
            "Ending unfunded commitment",
            lambda p, w: (
                commitment_usd[w] - _called(connection, w, roles, last + dt.timedelta(days=1))
            ),
        ),
    ]
    for label, compute in unfunded_rows:
        sheet.write(row, 0, label)
        for c, (period, who) in enumerate(columns, start=1):
            sheet.write_number(row, c, compute(period, who), money)
        row += 1
    row += 1
    sheet.write(row, 0, "Carried interest reconciliation (GP)", bold)
    row += 1
    carry_rows = _carry(connection, periods, last)
    for label, values in carry_rows:
        sheet.write(row, 0, label)
        for c, period in enumerate(periods, start=1):
            sheet.write_number(row, c, values[period], money)
        row += 1

    detail = book.add_worksheet("Partners")
    head = [
        "partner",
        "role",
        "currency",
        "beginning NAV",
        *(label for label, _ in LINES),
        "ending NAV",
    ]
    for c, label in enumerate(head):
        detail.write(0, c, label, bold)
    begin = balances(connection, partners, CAPITAL, as_of=first - dt.timedelta(days=1))[1]
    end = balances(connection, partners, CAPITAL, as_of=last)[1]
    lines = {
        account: balances(connection, partners, [account], as_of=last)[1]
        - balances(connection, partners, [account], as_of=first - dt.timedelta(days=1))[1]
        for account in {a for _, a in LINES if a is not None}
    }
    for r, pid in enumerate(partners.ids, start=1):
        i = r - 1
        detail.write(r, 0, pid)
        detail.write(r, 1, str(partners.role[i]))
        detail.write(r, 2, str(partners.currency[i]))
        detail.write_number(r, 3, -begin[i] / 100.0, money)
        for c, (_, account) in enumerate(LINES, start=4):
            value = 0.0 if account is None else -lines[account][i] / 100.0
            detail.write_number(r, c, value, money)
        detail.write_number(r, 4 + len(LINES), -end[i] / 100.0, money)
    book.close()
    return {
        "quarter": quarter.upper(),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "file": str(out),
    }


def _commitments(ctx: Context, mask: np.ndarray[Any, Any], rate: Decimal | None) -> float:
    partners = ctx.partners
    commitments = np.where(mask, partners.commitment, 0)
    return (
        float(to_fund(commitments, partners.currency, rate, what="the commitment lines").sum())
        / 100.0
    )


def _called(
    connection: Connection, who: str, roles: dict[str, tuple[str, ...]], before: dt.date | None
) -> float:
    if before is None:
        return 0.0
    sums = _by_role(connection, None, before - dt.timedelta(days=1))
    return -sum(sums.get((CONTRIBUTIONS, r), 0) for r in roles[who]) / 100.0


def _carry(
    connection: Connection, periods: dict[str, dt.date | None], last: dt.date
) -> list[tuple[str, dict[str, float]]]:
    posting, entry, partner = schema.posting, schema.entry, schema.partner

    def gp_sum(account: str, kinds: tuple[str, ...], first: dt.date | None, sign: int) -> float:
        query = (
            select(func.coalesce(func.sum(posting.c.value), 0))
            .join(entry, entry.c.id == posting.c.entry_id)
            .join(partner, partner.c.id == posting.c.partner_id)
            .where(
                partner.c.role == "gp",
                posting.c.account == account,
                entry.c.kind.in_(kinds),
                entry.c.date <= last,
            )
        )
        if first is not None:
            query = query.where(entry.c.date >= first)
        return sign * int(connection.execute(query).scalar_one()) / 100.0

    earned = {p: gp_sum(CARRY, ("distribution",), f, -1) for p, f in periods.items()}
    paid = {p: -gp_sum(DISTRIBUTIONS, ("distribution",), f, 1) for p, f in periods.items()}
    returned = {p: gp_sum(CARRY, ("clawback",), f, -1) for p, f in periods.items()}
    zero = dict.fromkeys(periods, 0.0)
    ending = dict.fromkeys(periods, 0.0)
    return [
        ("Starting carried interest balance", zero),
        ("Accrued (unrealized) carried interest", zero),
        ("Earned (realized) carried interest", earned),
        ("Carried interest paid", paid),
        ("Returned carried interest (clawback)", returned),
        ("Ending carried interest balance", ending),
    ]
