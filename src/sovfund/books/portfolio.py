"""The fund's money: investments in projects, their proceeds, marks, fund debt.

- ``invest``: cash into a project, at cost. A project is an id of the term sheet's
  ``[[project]]`` list or a new id, recorded on its first investment.
- ``receive``: proceeds from a project into cash; a realized gain of the partners
  (shared by :func:`~sovfund.books.positions.allocate_to_partners`). The project's
  carrying value is unchanged until it is marked again.
- ``mark``: the project's value; the change from its carrying value (cost plus
  earlier marks) is an unrealized gain or loss of the partners. NAV follows.
- ``borrow`` / ``repay``: fund debt. Interest accrues, simple, Actual/365, on the
  principal outstanding since the last draw or repayment, at the rate given with the
  command (default: the term sheet's index rate plus ``leverage.spread``); it is a
  fund expense of the partners, owed until a repayment pays it with the principal.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, select

from sovfund.books import schema
from sovfund.books.accounts import (
    CASH,
    DEBT,
    EXPENSES,
    INTEREST_PAYABLE,
    INVESTMENTS,
    REALIZED,
    UNREALIZED,
    VALUATION,
)
from sovfund.books.columns import Amounts, partner_amounts
from sovfund.books.context import Context
from sovfund.books.ledger import Postings, book, check_date
from sovfund.books.money import from_minor, round_ratio, scaled
from sovfund.books.positions import account_total, allocate_to_partners, income_weights
from sovfund.errors import BooksError

__all__ = ["borrow", "invest", "mark", "receive", "repay"]

PROJECT_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _booking(
    entry: int | None, kind: str, date: dt.date, amount: int, **extra: Any
) -> dict[str, Any]:
    return {
        "entry": entry,
        "kind": kind,
        "date": date.isoformat(),
        "amount": str(from_minor(amount, "USD")),
        "currency": "USD",
        **extra,
    }


def _allocations(ctx: Context, cents: np.ndarray[Any, Any]) -> Amounts:
    return partner_amounts(ctx.partners, cents, currency="USD")


def cash(connection: Connection) -> int:
    return account_total(connection, CASH)


def _need_cash(connection: Connection, amount: int, what: str) -> None:
    available = cash(connection)
    if amount > available:
        raise BooksError(
            f"{what} of {from_minor(amount, 'USD')} is more than the fund's cash"
            f" ({from_minor(available, 'USD')})"
        )


def record_project(connection: Connection, ctx: Context, project: str) -> None:
    """A project id of the term sheet, or a new one: recorded the first time it is used."""
    if not PROJECT_ID.match(project) or len(project) > 40:
        raise BooksError(f"project id {project!r}; expected a lowercase word (a-z, 0-9, _)")
    if not ctx.has_project(connection, project):
        connection.execute(insert(schema.project).values(id=project, name=None, from_terms=0))


def invest(
    connection: Connection,
    ctx: Context,
    *,
    project: str,
    amount: int,
    date: dt.date,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    record_project(connection, ctx, project)  # rolled back with the rest on an error
    check_date(connection, date, "the investment")
    _need_cash(connection, amount, "an investment")
    postings = Postings()
    postings.add(INVESTMENTS, amount, project=project)
    postings.add(CASH, -amount, project=project)
    entry = book(
        connection,
        kind="investment",
        date=date,
        postings=postings,
        details={"project": project},
        key=key,
    )
    return _booking(entry, "investment", date, amount, project=project), [entry]


def _known_project(connection: Connection, ctx: Context, project: str) -> None:
    if not ctx.has_project(connection, project):
        raise BooksError(
            f"no project {project!r} in these books; expected one the fund invested in"
        )


def receive(
    connection: Connection,
    ctx: Context,
    *,
    project: str,
    amount: int,
    date: dt.date,
    rate: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    _known_project(connection, ctx, project)
    check_date(connection, date, "the proceeds")
    postings = Postings()
    postings.add(CASH, amount, project=project)
    weights = income_weights(connection, ctx.partners, rate)
    cents = allocate_to_partners(
        postings,
        REALIZED,
        -amount,
        weights,
        ctx.partners,
        rate,
        what="the proceeds",
        project=project,
    )
    entry = book(
        connection,
        kind="proceeds",
        date=date,
        postings=postings,
        details={"project": project, "usd_jpy": _text(rate)},
        key=key,
    )
    return _booking(
        entry, "proceeds", date, amount, project=project, allocations=_allocations(ctx, -cents)
    ), [entry]


def _text(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


def carrying_value(connection: Connection, project: str, as_of: dt.date | None = None) -> int:
    return account_total(connection, INVESTMENTS, project=project, as_of=as_of) + account_total(
        connection, VALUATION, project=project, as_of=as_of
    )


def mark(
    connection: Connection,
    ctx: Context,
    *,
    project: str,
    value: int,
    date: dt.date,
    rate: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    _known_project(connection, ctx, project)
    check_date(connection, date, "the mark")
    change = value - carrying_value(connection, project)
    if change == 0:
        return _booking(
            None,
            "mark",
            date,
            0,
            project=project,
            value=str(from_minor(value, "USD")),
            allocations={},
        ), []
    postings = Postings()
    postings.add(VALUATION, change, project=project)
    weights = income_weights(connection, ctx.partners, rate)
    cents = allocate_to_partners(
        postings, UNREALIZED, -change, weights, ctx.partners, rate, what="the mark", project=project
    )
    details = {"project": project, "value": str(from_minor(value, "USD")), "usd_jpy": _text(rate)}
    entry = book(connection, kind="mark", date=date, postings=postings, details=details, key=key)
    return (
        _booking(
            entry,
            "mark",
            date,
            change,
            project=project,
            value=details["value"],
            allocations=_allocations(ctx, -cents),
        ),
        [entry],
    )


def debt_rate(ctx: Context, rate: float | None, index: float | None) -> float:
    """The annual rate of fund debt: given, else the index rate plus ``leverage.spread``."""
    for name, value in (("--rate", rate), ("--index-rate", index)):
        if value is not None and not -1.0 < value < 1.0:  # NaN fails both
            raise BooksError(
                f"{name} {value}; expected an annual rate as a fraction, above -1 and below 1"
                " (0.045 for 4.5%)"
            )
    if rate is not None:
        return rate
    if index is None:
        if ctx.terms.macro is None:
            raise BooksError(
                "no interest rate for the fund's debt: the term sheet has no [macro]"
                " short_rate; expected --rate (annual) or --index-rate"
            )
        index = ctx.terms.macro.short_rate
    return index + ctx.terms.leverage.spread


def _accrue(
    connection: Connection,
    ctx: Context,
    postings: Postings,
    date: dt.date,
    rate: float,
    fx: Decimal | None,
) -> int:
    """Interest on the principal outstanding since the last draw or repayment."""
    principal = -account_total(connection, DEBT)
    last = connection.execute(
        select(func.max(schema.entry.c.date)).where(schema.entry.c.kind.in_(("borrow", "repay")))
    ).scalar()
    if principal <= 0 or last is None:
        return 0
    days = (date - last).days
    interest = int(round_ratio(np.array([principal * scaled(rate) * days]), 365 * 10**12)[0])
    if interest:
        postings.add(INTEREST_PAYABLE, -interest)
        weights = income_weights(connection, ctx.partners, fx)
        allocate_to_partners(
            postings, EXPENSES, interest, weights, ctx.partners, fx, what="interest on fund debt"
        )
    return interest


def borrow(
    connection: Connection,
    ctx: Context,
    *,
    amount: int,
    date: dt.date,
    rate: float,
    fx: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    check_date(connection, date, "the draw")
    postings = Postings()
    interest = _accrue(connection, ctx, postings, date, rate, fx)
    postings.add(CASH, amount)
    postings.add(DEBT, -amount)
    details = {"rate": rate, "interest": str(from_minor(interest, "USD")), "usd_jpy": _text(fx)}
    entry = book(connection, kind="borrow", date=date, postings=postings, details=details, key=key)
    return _booking(entry, "borrow", date, amount, interest=details["interest"], rate=rate), [entry]


def repay(
    connection: Connection,
    ctx: Context,
    *,
    amount: int,
    date: dt.date,
    rate: float,
    fx: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    check_date(connection, date, "the repayment")
    principal = -account_total(connection, DEBT)
    if amount > principal:
        raise BooksError(
            f"a repayment of {from_minor(amount, 'USD')} is more than the debt outstanding"
            f" ({from_minor(principal, 'USD')})"
        )
    postings = Postings()
    interest = _accrue(connection, ctx, postings, date, rate, fx)
    owed = -account_total(connection, INTEREST_PAYABLE) + interest
    _need_cash(connection, amount + owed, "a repayment with its interest")
    postings.add(DEBT, amount)
    postings.add(INTEREST_PAYABLE, owed)
    postings.add(CASH, -(amount + owed))
    details = {"rate": rate, "interest": str(from_minor(owed, "USD")), "usd_jpy": _text(fx)}
    entry = book(connection, kind="repay", date=date, postings=postings, details=details, key=key)
    return _booking(entry, "repay", date, amount, interest=details["interest"], rate=rate), [entry]
