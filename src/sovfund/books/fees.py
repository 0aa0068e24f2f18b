"""Management fees per ``[[fee]]``, quarter by quarter, billed once.

Quarter q runs three months from ``fund.start + 3q months``. ``fees --through D``
bills every quarter whose last day is on or before D and that no earlier run billed
(the ``fee_period`` table holds one row per quarter, so the database itself refuses a
quarter billed twice), one entry per quarter, dated D. For each fee, each paying
partner admitted by the quarter's end pays ``rate / 4`` of its basis, measured at the
quarter's end, rounded to the cent:

- ``committed``: its commitment;
- ``invested``: its share of the fund's investments at cost, pro rata to paid-in capital;
- ``nav``: its capital account.

After the investment period the fee's ``step_down`` rate and basis apply. The paying
partners are the parties ``paid_by`` names (``lps`` / ``gps`` for the groups); a
partner the term sheet does not name pays the fees of the named parties of its class
(a retail LP added from CSV pays what the term sheet's retail LPs pay). The fee is
credited to the GPs by ``to`` (``gps``: pro rata to carry share, equally if none),
owed to them by the fund (``fees_payable``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select

from sovfund.books import schema
from sovfund.books.accounts import CAPITAL, FEES, FEES_PAYABLE, INVESTMENTS
from sovfund.books.columns import partner_amounts
from sovfund.books.context import Context
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings, book, check_date
from sovfund.books.money import IntArray, from_minor, round_ratio, scaled, split_floats
from sovfund.books.partners import PartnerTable, balances
from sovfund.books.positions import account_total, invested_weights
from sovfund.terms.models import Fee

__all__ = ["bill_fees", "quarter_bounds", "quarter_name"]


def _add_months(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def quarter_bounds(start: dt.date, q: int) -> tuple[dt.date, dt.date]:
    """First and last day of the fund's quarter q (0 = the first)."""
    return _add_months(start, 3 * q), _add_months(start, 3 * (q + 1)) - dt.timedelta(days=1)


def quarter_name(date: dt.date) -> str:
    return f"{date.year}Q{(date.month - 1) // 3 + 1}"


def payers(fee: Fee, ctx: Context) -> np.ndarray[Any, Any]:
    """Which partners pay ``fee`` (see the module docstring)."""
    partners = ctx.partners
    named = {p.id for p in ctx.terms.parties}
    ids = np.array(partners.ids, dtype=object)
    pays = np.zeros(len(ids), dtype=bool)
    classes: set[str | None] = set()
    for payer in fee.paid_by:
        if payer == "lps":
            pays |= partners.is_lp
        elif payer == "gps":
            pays |= ~partners.is_lp
        else:
            pays |= ids == payer
            classes |= {
                c for p, c in zip(partners.ids, partners.investor_class, strict=True) if p == payer
            }
    if classes - {None}:
        unnamed = np.array([p not in named for p in partners.ids], dtype=bool)
        of_class = np.array([c in classes for c in partners.investor_class], dtype=bool)
        pays |= unnamed & of_class & partners.is_lp
    return pays


def _receivers(fee: Fee, partners: PartnerTable) -> np.ndarray[Any, Any]:
    """Each partner's share of the fee's income (GPs by ``to``)."""
    shares = np.zeros(len(partners.ids))
    gps = ~partners.is_lp
    carry = np.where(np.isnan(partners.carry_share), 1.0, partners.carry_share)
    gp_weights = np.where(gps, carry, 0.0)
    if gp_weights.sum() > 0:
        gp_weights = gp_weights / gp_weights.sum()
    for receiver, share in fee.to.items():
        if receiver == "gps":
            shares += share * gp_weights
        elif receiver == "lps":
            lps = partners.is_lp.astype(float)
            shares += share * lps / max(lps.sum(), 1.0)
        elif receiver in partners.ids:
            shares[partners.ids.index(receiver)] += share
    return shares


def _basis(
    connection: Connection, ctx: Context, basis: str, end: dt.date, rate: Decimal | None
) -> IntArray:
    partners = ctx.partners
    if basis == "committed":
        return to_fund(partners.commitment, partners.currency, rate, what="a fee on commitments")
    if basis == "invested":
        paid = invested_weights(connection, partners, end)
        cost = account_total(connection, INVESTMENTS, as_of=end)
        if paid.sum() <= 0 or cost <= 0:
            return np.zeros(len(partners.ids), dtype=np.int64)
        return round_ratio(paid.astype(object) * cost, int(paid.sum()))
    _, values = balances(connection, partners, CAPITAL, as_of=end)
    return np.maximum(-values, 0)


def bill_fees(
    connection: Connection,
    ctx: Context,
    *,
    through: dt.date,
    rate: Decimal | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    terms, partners = ctx.terms, ctx.partners
    check_date(connection, through, "the fees")
    billed = {row.quarter for row in connection.execute(select(schema.fee_period.c.quarter))}
    entries: list[int] = []
    quarters: list[dict[str, Any]] = []
    q = 0
    while True:
        first, last = quarter_bounds(ctx.start, q)
        if last > through or first >= _add_months(ctx.start, 12 * terms.fund.term_years):
            break
        name = quarter_name(first)
        q += 1
        if name in billed or not terms.fees:
            continue
        stepped = q - 1 >= terms.fund.investment_quarters
        admitted = partners.admitted(last)
        postings = Postings()
        charged = np.zeros(len(partners.ids), dtype=np.int64)
        credited = np.zeros(len(partners.ids), dtype=np.int64)
        for fee in terms.fees:
            fee_rate, basis = fee.rate, fee.basis
            if stepped and fee.step_down is not None:
                fee_rate = fee.step_down.rate
                basis = fee.step_down.basis or basis
            base = np.where(
                payers(fee, ctx) & admitted, _basis(connection, ctx, basis, last, rate), 0
            )
            cents = round_ratio(base.astype(object) * scaled(fee_rate), 4 * 10**12)
            total = int(cents.sum())
            if total == 0:
                continue
            charged += cents
            credited += split_floats(total, _receivers(fee, partners))
        if not charged.any():
            continue
        units = to_partner(charged, partners.currency, rate, what="the management fees")
        postings.partners(FEES, partners, units, charged, trade=True)
        postings.partners(FEES_PAYABLE, partners, -credited, -credited, trade=False, currency="USD")
        details = {
            "quarter": name,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "usd_jpy": None if rate is None else str(rate),
        }
        entry = book(
            connection, kind="fees", date=through, postings=postings, details=details, key=key
        )
        connection.execute(insert(schema.fee_period).values(quarter=name, entry_id=entry))
        entries.append(entry)
        quarters.append(
            {
                "quarter": name,
                "entry": entry,
                "amount": str(from_minor(int(charged.sum()), "USD")),
                "billed": partner_amounts(partners, np.where(charged != 0, units, 0), charged != 0),
                "credited": partner_amounts(partners, credited, currency="USD"),
            }
        )
    billed_total = sum((Decimal(q["amount"]) for q in quarters), Decimal(0))
    return {
        "kind": "fees",
        "through": through.isoformat(),
        "amount": str(billed_total),
        "currency": "USD",
        "entries": entries,
        "quarters": quarters,
    }, entries
