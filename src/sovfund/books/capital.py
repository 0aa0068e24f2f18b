"""Capital: calls pro rata to unfunded commitments, payments, and equalization.

- A call is split among the LPs admitted by its date pro rata to their unfunded
  commitments (in dollars, yen partners at the call's rate), by largest remainder,
  never beyond a partner's commitment unless the term sheet has
  ``calls_beyond_commitment``: then what the unfunded commitments cannot cover is
  called pro rata to commitments. Each partner's part is a receivable until paid.
- A payment settles what a partner owes on one call, in full or in part; the
  waterfall dates the contribution when it is paid.
- Equalization: a partner admitted at a later closing is called, on its closing date,
  the share of every earlier call that makes it as called as the earlier LPs (the
  same fraction of its commitment), plus simple interest (Actual/365) from each
  earlier call's date at the equalization rate, paid to the earlier LPs pro rata to
  the capital they had been called. The rate is the term sheet's preferred return
  (its first hurdle on the LPs; a floating one at the index rate plus its spread), as
  LPAs commonly set it, unless a rate is given with the command.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from sovfund.books import schema
from sovfund.books.accounts import (
    CASH,
    CONTRIBUTIONS,
    EQUALIZATION,
    EQUALIZATION_RECEIVABLE,
    RECEIVABLE,
)
from sovfund.books.columns import Amounts, partner_amounts
from sovfund.books.context import Context
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings, book, check_date, next_entry_id
from sovfund.books.money import IntArray, from_minor, parse_amount, round_ratio, scaled, split
from sovfund.books.partners import balances
from sovfund.books.portfolio import record_project
from sovfund.books.positions import called
from sovfund.errors import BooksError
from sovfund.terms.models import FloatingRate, Terms
from sovfund.terms.sections import index_rate

__all__ = ["call", "equalization_rate", "equalize", "pay"]


def call(
    connection: Connection,
    ctx: Context,
    *,
    amount: int,
    date: dt.date,
    due: dt.date | None,
    purpose: str | None,
    project: str | None,
    rate: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    partners = ctx.partners
    check_date(connection, date, "the call")
    if due is not None and due < date:
        raise BooksError(f"due date {due} is before the call's date {date}")
    if project is not None:
        record_project(connection, ctx, project)
    lps = partners.is_lp & partners.admitted(date) & (partners.commitment > 0)
    if not lps.any():
        raise BooksError(f"no LP with a commitment admitted by {date}: nobody to call")
    called_units, _ = called(connection, partners)
    unfunded = np.where(lps, np.maximum(partners.commitment - called_units, 0), 0)
    unfunded_cents = to_fund(unfunded, partners.currency, rate, what="the call")
    available = int(unfunded_cents.sum())
    if amount <= available:
        cents = split(amount, unfunded_cents)
        units = np.minimum(to_partner(cents, partners.currency, rate, what="the call"), unfunded)
    elif ctx.terms.fund.calls_beyond_commitment:
        commitments = np.where(lps, partners.commitment, 0)
        beyond = split(
            amount - available, to_fund(commitments, partners.currency, rate, what="the call")
        )
        cents = unfunded_cents + beyond
        units = unfunded + to_partner(beyond, partners.currency, rate, what="the call")
    else:
        raise BooksError(
            f"a call of {from_minor(amount, 'USD')} is more than the unfunded commitments"
            f" ({from_minor(available, 'USD')}); the term sheet does not allow calls beyond"
            " commitment"
        )
    entry_id = next_entry_id(connection)
    postings = Postings()
    postings.partners(
        RECEIVABLE, partners, units, cents,
        trade=False, project=project, ref=entry_id,
    )  # fmt: skip
    postings.partners(
        CONTRIBUTIONS, partners, -units, -cents,
        trade=False, project=project,
    )  # fmt: skip
    details = {
        "amount": str(from_minor(amount, "USD")),
        "due": due.isoformat() if due else None,
        "purpose": purpose,
        "project": project,
        "usd_jpy": str(rate) if rate is not None else None,
    }
    book(
        connection, kind="call", date=date, postings=postings, details=details,
        memo=purpose, key=key, entry_id=entry_id,
    )  # fmt: skip
    result = {
        "entry": entry_id,
        "kind": "call",
        "date": date.isoformat(),
        "amount": details["amount"],
        "currency": "USD",
        "allocations": _allocations(ctx, units, np.asarray(cents) != 0),
        "due": details["due"],
        "purpose": purpose,
        "project": project,
    }
    return result, [entry_id]


def _allocations(ctx: Context, units: np.ndarray[Any, Any], keep: np.ndarray[Any, Any]) -> Amounts:
    return partner_amounts(ctx.partners, units, keep)


def pay(
    connection: Connection,
    ctx: Context,
    *,
    entry: int,
    partner_ids: list[str] | None,
    date: dt.date | None,
    amount: str | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    partners = ctx.partners
    header = connection.execute(select(schema.entry).where(schema.entry.c.id == entry)).first()
    if header is None or header.kind not in ("call", "equalization"):
        raise BooksError(f"entry {entry} is not a capital call; expected the entry of a call")
    details = json.loads(header.details)
    if date is None:
        date = dt.date.fromisoformat(details["due"]) if details.get("due") else header.date
    check_date(connection, date, "the payment")
    owed: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {
        account: balances(connection, partners, [account], ref=entry)
        for account in (RECEIVABLE, EQUALIZATION_RECEIVABLE)
    }
    outstanding = owed[RECEIVABLE][0] + owed[EQUALIZATION_RECEIVABLE][0]
    if partner_ids:
        chosen = np.zeros(len(partners.ids), dtype=bool)
        for partner in partner_ids:
            i = partners.position(partner)
            if outstanding[i] <= 0:
                raise BooksError(f"partner {partner!r} owes nothing on entry {entry}")
            chosen[i] = True
    else:
        chosen = outstanding > 0
        if not chosen.any():
            raise BooksError(f"nothing is outstanding on entry {entry}: it is paid in full")
    paying: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {
        account: (np.where(chosen, units, 0), np.where(chosen, values, 0))
        for account, (units, values) in owed.items()
    }
    if amount is not None:
        if partner_ids is None or len(partner_ids) != 1:
            raise BooksError("--amount pays one partner; expected exactly one --partner")
        i = partners.position(partner_ids[0])
        currency = str(partners.currency[i])
        paid = parse_amount(amount, currency, what="payment")
        if paid > outstanding[i]:
            raise BooksError(
                f"a payment of {from_minor(paid, currency)} {currency} from {partner_ids[0]!r}"
                f" is more than it owes on entry {entry}"
                f" ({from_minor(int(outstanding[i]), currency)})"
            )
        left = paid  # capital first, then equalization interest
        for account in (RECEIVABLE, EQUALIZATION_RECEIVABLE):
            units, values = paying[account]
            take = min(left, int(units[i]))
            value = (
                int(values[i])
                if take == units[i]
                else int(round_ratio(np.array([int(values[i]) * take]), int(units[i]))[0])
            )
            units, values = np.zeros_like(units), np.zeros_like(values)
            units[i], values[i] = take, value
            paying[account] = (units, values)
            left -= take
    postings = Postings()
    total = 0
    for account, (units, values) in paying.items():
        postings.partners(
            account, partners, -units, -values,
            trade=True, ref=entry, project=details.get("project"),
        )  # fmt: skip
        total += int(values.sum())
    postings.add(CASH, total)
    entry_id = book(
        connection, kind="payment", date=date, postings=postings,
        details={"call": entry}, key=key,
    )  # fmt: skip
    units = paying[RECEIVABLE][0] + paying[EQUALIZATION_RECEIVABLE][0]
    result = {
        "entry": entry_id,
        "kind": "payment",
        "date": date.isoformat(),
        "amount": str(from_minor(total, "USD")),
        "currency": "USD",
        "allocations": _allocations(ctx, units, units != 0),
        "call": entry,
    }
    return result, [entry_id]


def equalization_rate(terms: Terms, index: float | None) -> float:
    """The term sheet's preferred return: its first hurdle (0 without one); a floating
    one at ``index`` (default ``[macro].short_rate``) plus its spread."""
    for tier in terms.waterfall.tier:
        until = tier.until
        if until is None or until.hurdle is None:
            continue
        if isinstance(until.rate, FloatingRate):
            return (index if index is not None else index_rate(terms)) + until.rate.spread
        return float(until.rate or 0.0)
    return 0.0


def equalize(
    connection: Connection,
    ctx: Context,
    new: list[str],
    *,
    interest_rate: float,
    rate: Decimal | None,
) -> list[int]:
    """Book the equalization of each newly admitted partner whose closing follows a call."""
    partners = ctx.partners
    calls = connection.execute(
        select(schema.entry.c.id, schema.entry.c.date)
        .where(schema.entry.c.kind == "call")
        .order_by(schema.entry.c.id)
    ).all()
    entries: list[int] = []
    if not calls:
        return entries
    index = partners.index()
    for partner in new:
        i = index[partner]
        closing = partners.closing[i].astype(dt.date)
        earlier = [(c.id, c.date) for c in calls if c.date <= closing]
        if not earlier or partners.role[i] != "lp":
            continue
        before = partners.is_lp & (partners.closing < partners.closing[i])
        _, called_value = called(connection, partners)
        commitments = to_fund(
            np.where(before, partners.commitment, 0), partners.currency, rate, what="equalization"
        )
        if commitments.sum() == 0:
            continue
        mine = int(
            to_fund(
                partners.commitment[i : i + 1],
                partners.currency[i : i + 1],
                rate,
                what="equalization",
            )[0]
        )
        catch_up = int(
            round_ratio(
                np.array([int(np.where(before, called_value, 0).sum()) * mine]),
                int(commitments.sum()),
            )[0]
        )
        catch_up = min(catch_up, mine)
        if catch_up == 0:
            continue
        # interest from each earlier call's date on its part of the catch-up
        call_values = [
            -int(
                np.where(
                    before, balances(connection, partners, [CONTRIBUTIONS], entry=c)[1], 0
                ).sum()
            )
            for c, _ in earlier
        ]
        parts = (
            split(catch_up, np.array([max(v, 0) for v in call_values], dtype=np.int64))
            if sum(call_values) > 0
            else np.array([catch_up] + [0] * (len(earlier) - 1))
        )
        rate_units = scaled(interest_rate)
        interest = int(
            sum(
                round_ratio(
                    np.array([int(part) * rate_units * (closing - day).days]), 365 * 10**12
                )[0]
                for part, (_, day) in zip(parts, earlier, strict=True)
            )
        )
        entry_id = next_entry_id(connection)
        postings = Postings()
        units = to_partner(
            np.array([catch_up]), partners.currency[i : i + 1], rate, what="equalization"
        )
        units = np.minimum(units, partners.commitment[i : i + 1])

        def one(amount: int, at: int = i) -> IntArray:
            column = np.zeros(len(partners.ids), dtype=np.int64)
            column[at] = amount
            return column

        postings.partners(
            RECEIVABLE, partners, one(int(units[0])), one(catch_up), trade=False, ref=entry_id
        )
        postings.partners(CONTRIBUTIONS, partners, one(-int(units[0])), one(-catch_up), trade=False)
        if interest:
            owed = to_partner(
                np.array([interest]), partners.currency[i : i + 1], rate, what="equalization"
            )
            postings.partners(
                EQUALIZATION_RECEIVABLE, partners, one(int(owed[0])), one(interest),
                trade=True, ref=entry_id,
            )  # fmt: skip
            weights = np.where(before, called_value, 0)
            cents = split(interest, weights)
            earned = to_partner(cents, partners.currency, rate, what="equalization")
            postings.partners(EQUALIZATION, partners, -earned, -cents, trade=True)
        book(
            connection, kind="equalization", date=closing, postings=postings, entry_id=entry_id,
            details={
                "partner": partner,
                "catch_up": str(from_minor(catch_up, "USD")),
                "interest": str(from_minor(interest, "USD")),
                "interest_rate": interest_rate,
                "usd_jpy": str(rate) if rate is not None else None,
            },
        )  # fmt: skip
        entries.append(entry_id)
    return entries
