"""Retail liquidity: quarterly repurchase offers at NAV, gated, pro rata, with an early
repurchase deduction (``[fund.redemptions]``; BOOKS-REFERENCE.md section 5).

- ``offer``: the fund offers to buy back units from the LPs of one investor class
  (one of ``[fund.redemptions] classes``), at NAV on the pricing date (by default the
  last day of the offer's calendar quarter), for at most ``gate`` x the class's NAV
  on that date. One offer per class is open at a time, one per class a quarter.
- ``request``: an LP of that class asks to sell an amount of its NAV (in its
  currency) or a share of it; at most what it holds when it asks, once per offer.
- ``settle``: on or after the pricing date. In a partnership's books a partner's NAV
  is its capital account, so each request is valued at the requester's capital
  account on the pricing date (capped there). If the requests together exceed the
  cap, each is accepted pro rata, by largest remainder to the cent, so that they sum
  to the cap exactly. Units are bought first in, first out: the part of a
  requester's acceptance beyond the NAV of the capital it paid in at least
  ``holding_period_days`` before the pricing date bears ``early_repurchase_deduction``
  (rounded half to even), which the fund keeps for the remaining LPs (pro rata to
  their NAV after the repurchase). The rest is paid from cash; if cash is short the
  settlement is refused and nothing is booked.

Booking: one entry, ``repurchase``: each requester's payment debited to its
distributions (so statements and IRRs count it), its deduction debited to
``repurchase_deductions`` and credited to the remaining LPs there, cash credited
with the total paid. The units bought back are cancelled: each requester's
contributed capital shrinks by the share of its NAV sold (``repurchase.cancelled``),
so later distributions, income and fees treat it as the smaller investor it now is,
as the simulation's redemptions do (engine/fund.py, item 6). Its commitment is not
changed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, case, func, insert, select

from sovfund.books import schema
from sovfund.books.accounts import CAPITAL, CASH, DISTRIBUTIONS, RECEIVABLE, REPURCHASE_DEDUCTIONS
from sovfund.books.columns import partner_amounts
from sovfund.books.context import Context
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings, book, check_date, last_date
from sovfund.books.money import IntArray, from_minor, parse_amount, round_ratio, scaled
from sovfund.books.money import split as split_exact
from sovfund.books.partners import balances
from sovfund.books.portfolio import cash
from sovfund.books.positions import cancelled
from sovfund.books.store import read_ints
from sovfund.errors import BooksError
from sovfund.terms.models import Redemptions

__all__ = ["open_offer", "quarter_end", "request", "settle"]

SCALE = 10**12  # rates as integers of 1e-12 (money.scaled)


def quarter_end(date: dt.date) -> dt.date:
    """The last day of ``date``'s calendar quarter."""
    month = 3 * ((date.month - 1) // 3) + 3
    following = dt.date(date.year + (month == 12), 1 if month == 12 else month + 1, 1)
    return following - dt.timedelta(days=1)


def _terms(ctx: Context) -> Redemptions:
    table = ctx.terms.fund.redemptions
    if table is None:
        raise BooksError(
            "the term sheet has no [fund.redemptions] table: its LPs cannot redeem;"
            " expected one naming the classes that may, and the gate"
        )
    return table


def _offer_row(connection: Connection, offer: int) -> Any:
    row = connection.execute(select(schema.offer).where(schema.offer.c.id == offer)).first()
    if row is None:
        raise BooksError(f"no repurchase offer {offer} in these books")
    return row


def _settlement(connection: Connection, offer: int) -> Any:
    settled = schema.offer_settlement
    return connection.execute(select(settled).where(settled.c.offer_id == offer)).first()


def _nav(connection: Connection, ctx: Context, as_of: dt.date | None) -> tuple[IntArray, IntArray]:
    """Each partner's NAV (its capital account): in its currency, and in the fund's."""
    units, values = balances(connection, ctx.partners, CAPITAL, as_of=as_of)
    return -units, -values


def _summary(connection: Connection, ctx: Context, row: Any) -> dict[str, Any]:
    requests = schema.offer_request
    count = connection.execute(
        select(func.count()).where(requests.c.offer_id == row.id)
    ).scalar_one()
    settled = _settlement(connection, row.id)
    return {
        "offer": int(row.id),
        "kind": "offer",
        "class": row.investor_class,
        "date": row.opened.isoformat(),
        "pricing_date": row.pricing.isoformat(),
        "gate": row.gate,
        "early_repurchase_deduction": row.deduction,
        "holding_period_days": int(row.holding_days),
        "requests": int(count),
        "settled": None if settled is None else settled.date.isoformat(),
        "entry": None if settled is None else settled.entry_id,
        "currency": ctx.terms.fund.currency,
    }


def open_offer(
    connection: Connection,
    ctx: Context,
    *,
    investor_class: str,
    date: dt.date,
    pricing: dt.date | None,
) -> tuple[dict[str, Any], list[int]]:
    """Open a repurchase offer to one class (books nothing: no money moves yet)."""
    table = _terms(ctx)
    if investor_class not in table.classes:
        raise BooksError(
            f"the {investor_class} LPs may not redeem: [fund.redemptions] classes are"
            f" {', '.join(table.classes)}"
        )
    if date < ctx.start:
        raise BooksError(f"the offer is dated {date}, before the fund's start {ctx.start}")
    pricing = pricing or quarter_end(date)
    if pricing < date:
        raise BooksError(
            f"pricing date {pricing} is before the offer's date {date}; expected the NAV"
            " date on or after the offer opens"
        )
    latest = last_date(connection)
    if latest is not None and pricing < latest:
        raise BooksError(
            f"pricing date {pricing} is before the latest entry ({latest}): that NAV has"
            " moved since; expected a pricing date on or after it"
        )
    offers, settled = schema.offer, schema.offer_settlement
    earlier = connection.execute(
        select(offers.c.id, offers.c.pricing, settled.c.offer_id.label("done"))
        .join(settled, settled.c.offer_id == offers.c.id, isouter=True)
        .where(offers.c.investor_class == investor_class)
    ).all()
    for e in earlier:
        if e.done is None:
            raise BooksError(
                f"repurchase offer {e.id} to the {investor_class} LPs is still open; expected"
                " it settled before the next"
            )
        if quarter_end(e.pricing) == quarter_end(pricing):
            raise BooksError(
                f"repurchase offer {e.id} to the {investor_class} LPs is already priced in"
                f" the quarter ending {quarter_end(pricing)}; expected one offer a quarter"
            )
    offer_id = (
        int(connection.execute(select(func.coalesce(func.max(offers.c.id), 0))).scalar_one()) + 1
    )
    connection.execute(
        insert(offers).values(
            id=offer_id,
            investor_class=investor_class,
            opened=date,
            pricing=pricing,
            gate=repr(table.gate),
            deduction=repr(table.early_repurchase_deduction),
            holding_days=table.holding_period_days,
            created_at=dt.datetime.now(dt.UTC).isoformat(),
        )
    )
    row = _offer_row(connection, offer_id)
    result = _summary(connection, ctx, row)
    _, values = _nav(connection, ctx, None)
    members = ctx.partners.of_class(investor_class)
    nav = int(np.maximum(np.where(members, values, 0), 0).sum())
    result |= {
        "class_nav": str(from_minor(nav, "USD")),  # as of now: the cap is fixed at pricing
        "cap": str(from_minor(_cap(nav, row.gate), "USD")),
    }
    return result, []


def _cap(nav: int, gate: str) -> int:
    """``gate`` x the class's NAV, rounded down to the cent."""
    return int(nav * scaled(Decimal(gate))) // SCALE


def _share(text: str | Decimal) -> Decimal:
    try:
        share = Decimal(str(text).strip())
    except InvalidOperation:
        raise BooksError(f"share {text!r} is not a number; expected a share such as 0.25") from None
    if not share.is_finite() or share <= 0 or share > 1:
        raise BooksError(f"share {text!r}; expected more than 0 and at most 1 of its NAV")
    return share


def request(
    connection: Connection,
    ctx: Context,
    *,
    offer: int,
    partner: str,
    amount: str | None,
    share: str | None,
) -> tuple[dict[str, Any], list[int]]:
    """A partner's request to sell units in an open offer (books nothing)."""
    row = _offer_row(connection, offer)
    if _settlement(connection, offer) is not None:
        raise BooksError(
            f"repurchase offer {offer} is settled; expected a request to an open offer"
        )
    partners = ctx.partners
    i = partners.position(partner)
    if not partners.is_lp[i] or partners.investor_class[i] != row.investor_class:
        what = (
            "a GP"
            if not partners.is_lp[i]
            else f"a {partners.investor_class[i]} LP"
            if partners.investor_class[i]
            else "an LP of no investor class"
        )
        raise BooksError(
            f"partner {partner!r} is {what}; repurchase offer {offer} is to the"
            f" {row.investor_class} LPs"
        )
    if (amount is None) == (share is None):
        raise BooksError("a request is an AMOUNT or a --share of the partner's NAV; expected one")
    currency = str(partners.currency[i])
    units, _ = _nav(connection, ctx, None)
    held = int(units[i])
    if held <= 0:
        raise BooksError(
            f"partner {partner!r} holds nothing (its NAV is {from_minor(held, currency)})"
        )
    minor = None
    fraction = None
    if amount is not None:
        minor = parse_amount(amount, currency, what="request")
        if minor > held:
            raise BooksError(
                f"a request of {from_minor(minor, currency)} {currency} is more than partner"
                f" {partner!r} holds ({from_minor(held, currency)} {currency})"
            )
    else:
        assert share is not None
        fraction = _share(share)
    requests = schema.offer_request
    if connection.execute(
        select(requests.c.partner_id).where(
            requests.c.offer_id == offer, requests.c.partner_id == partner
        )
    ).first():
        raise BooksError(
            f"partner {partner!r} already asked in repurchase offer {offer}; expected one"
            " request a partner an offer"
        )
    connection.execute(
        insert(requests).values(
            offer_id=offer,
            partner_id=partner,
            amount=minor,
            share=None if fraction is None else str(fraction),
            created_at=dt.datetime.now(dt.UTC).isoformat(),
        )
    )
    return {
        "offer": offer,
        "kind": "request",
        "partner": partner,
        "currency": currency,
        "amount": None if minor is None else str(from_minor(minor, currency)),
        "share": None if fraction is None else str(fraction),
        "nav": str(from_minor(held, currency)),
    }, []


def _paid_in(
    connection: Connection, ctx: Context, pricing: dt.date, holding_days: int
) -> tuple[IntArray, IntArray]:
    """Each partner's capital paid in by the pricing date, and the part of it paid in
    the holding period before it (young units), in the fund's currency."""
    posting, entry, partner = schema.posting, schema.entry, schema.partner
    young = entry.c.date > pricing - dt.timedelta(days=holding_days)
    sums = (
        select(
            posting.c.partner_id,
            func.sum(-posting.c.value).label("paid"),
            func.sum(case((young, -posting.c.value), else_=0)).label("young"),
        )
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(
            and_(posting.c.account == RECEIVABLE, entry.c.kind == "payment"),
            entry.c.date <= pricing,
        )
        .group_by(posting.c.partner_id)
        .subquery()
    )
    numbers, paid, recent = read_ints(
        connection,
        select(partner.c.number, sums.c.paid, sums.c.young).join(
            sums, sums.c.partner_id == partner.c.id
        ),
        3,
    )
    at = ctx.partners.positions(numbers)
    total = np.zeros(len(ctx.partners.ids), dtype=np.int64)
    young_paid = np.zeros_like(total)
    total[at] = paid
    young_paid[at] = recent
    return total, young_paid


def settle(
    connection: Connection,
    ctx: Context,
    *,
    offer: int,
    date: dt.date,
    rate: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    row = _offer_row(connection, offer)
    if _settlement(connection, offer) is not None:
        raise BooksError(f"repurchase offer {offer} is already settled")
    if date < row.pricing:
        raise BooksError(
            f"the settlement is dated {date}, before offer {offer}'s pricing date"
            f" {row.pricing}; expected it on or after (its NAV is not known before)"
        )
    check_date(connection, date, "the settlement")
    partners = ctx.partners
    count = len(partners.ids)
    asked = connection.execute(
        select(schema.offer_request).where(schema.offer_request.c.offer_id == offer)
    ).all()
    nav_units, _ = _nav(connection, ctx, row.pricing)
    members = partners.of_class(row.investor_class)
    nav = to_fund(
        np.where(members, nav_units, 0), partners.currency, rate, what="the repurchase offer"
    )
    class_nav = int(np.maximum(nav, 0).sum())
    cap = _cap(class_nav, row.gate)
    requested = np.zeros(count, dtype=np.int64)
    for r in asked:
        i = partners.position(r.partner_id)
        if r.amount is not None:
            value = int(to_fund(np.array([r.amount]), partners.currency[i : i + 1], rate,
                                what="the repurchase offer")[0])  # fmt: skip
        else:
            value = int(round_ratio(np.array([int(nav[i]) * scaled(Decimal(r.share))]), SCALE)[0])
        requested[i] = max(0, min(value, int(nav[i])))
    total = int(requested.sum())
    prorated = total > cap
    accepted = split_exact(cap, requested) if prorated and cap > 0 else requested.copy()
    if prorated and cap == 0:
        accepted = np.zeros(count, dtype=np.int64)
    paid_in, young = _paid_in(connection, ctx, row.pricing, int(row.holding_days))
    held = np.maximum(paid_in - cancelled(connection, partners), 0)  # capital of units held
    old = np.maximum(held - young, 0)  # of it, held a holding period or more
    sold = accepted > 0
    # first in, first out: what a requester sells beyond the NAV of its old units is young
    old_nav = np.where(held > 0, _ratio(nav, old, held), nav)
    young_sold = np.where(sold, np.maximum(accepted - old_nav, 0), 0)
    deduction = np.minimum(
        round_ratio(young_sold.astype(object) * scaled(Decimal(row.deduction)), SCALE), accepted
    )
    paid = accepted - deduction
    gone = np.where(sold, np.minimum(_ratio(held, accepted, nav), held), 0)  # units' capital
    total_paid = int(paid.sum())
    available = cash(connection)
    if total_paid > available:
        raise BooksError(
            f"the fund's cash ({from_minor(available, 'USD')}) does not cover repurchase offer"
            f" {offer} ({from_minor(total_paid, 'USD')} to pay); expected cash first (receive"
            " proceeds, call capital or borrow)"
        )
    entry_id: int | None = None
    entries: list[int] = []
    if int(accepted.sum()) > 0:
        postings = Postings()
        units = to_partner(paid, partners.currency, rate, what="the repurchase")
        postings.partners(DISTRIBUTIONS, partners, units, paid, trade=True)
        kept = int(deduction.sum())
        if kept:
            everyone = to_fund(nav_units, partners.currency, rate, what="the repurchase")
            after = np.where(partners.is_lp, np.maximum(everyone - accepted, 0), 0)
            credit = split_exact(kept, after) if after.sum() > 0 else deduction
            moved = deduction - credit
            postings.partners(
                REPURCHASE_DEDUCTIONS, partners,
                to_partner(moved, partners.currency, rate, what="the repurchase"), moved,
                trade=True,
            )  # fmt: skip
        postings.add(CASH, -total_paid)
        details = {
            "offer": offer,
            "amount": str(from_minor(total_paid, "USD")),
            "usd_jpy": None if rate is None else str(rate),
        }
        entry_id = book(
            connection, kind="repurchase", date=date, postings=postings, details=details, key=key
        )
        entries.append(entry_id)
        at = np.flatnonzero(requested > 0)
        connection.execute(
            insert(schema.repurchase),
            [
                {
                    "offer_id": offer,
                    "partner_id": partners.ids[i],
                    "entry_id": entry_id,
                    "nav": int(nav[i]),
                    "requested": int(requested[i]),
                    "accepted": int(accepted[i]),
                    "deduction": int(deduction[i]),
                    "paid": int(paid[i]),
                    "cancelled": int(gone[i]),
                }
                for i in at.tolist()
            ],
        )
    connection.execute(
        insert(schema.offer_settlement).values(
            offer_id=offer, entry_id=entry_id, date=date, class_nav=class_nav, cap=cap
        )
    )
    usd = "USD"
    return {
        "entry": entry_id,
        "kind": "repurchase",
        "offer": offer,
        "class": row.investor_class,
        "date": date.isoformat(),
        "pricing_date": row.pricing.isoformat(),
        "currency": usd,
        "class_nav": str(from_minor(class_nav, usd)),
        "cap": str(from_minor(cap, usd)),
        "requested": str(from_minor(total, usd)),
        "accepted": str(from_minor(int(accepted.sum()), usd)),
        "deduction": str(from_minor(int(deduction.sum()), usd)),
        "amount": str(from_minor(total_paid, usd)),
        "prorated": prorated,
        "allocations": partner_amounts(
            partners, to_partner(paid, partners.currency, rate, what="the repurchase"), sold
        ),
        "requests": {
            "requested": partner_amounts(partners, requested, requested > 0, currency=usd),
            "accepted": partner_amounts(partners, accepted, requested > 0, currency=usd),
            "deduction": partner_amounts(partners, deduction, requested > 0, currency=usd),
        },
    }, entries


def _ratio(a: IntArray, b: IntArray, c: IntArray) -> IntArray:
    """``a * b / c`` elementwise, exactly (Python integers), rounded half to even; 0
    where ``c`` is not positive."""
    a, b, c = (np.asarray(x, dtype=np.int64) for x in (a, b, c))
    out = np.zeros(len(a), dtype=np.int64)
    at = np.flatnonzero(c > 0)
    numerator = a[at].astype(object) * b[at].astype(object)
    denominator = c[at].astype(object)
    quotient, remainder = numerator // denominator, numerator % denominator
    twice = remainder * 2
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    out[at] = (quotient + up).astype(np.int64)
    return out
