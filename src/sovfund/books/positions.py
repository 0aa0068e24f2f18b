"""What the books hold, read from the journal, and the one rule for sharing income.

Gains, losses and expenses (project proceeds, marks, interest on fund debt) belong to
the LPs pro rata to the capital they have paid in (to their commitments before anyone
has paid), as the waterfall's ``lps`` group is paid; GPs hold no capital and share
none of them. :func:`allocate_to_partners` is that rule, in exact cents.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from sqlalchemy import Connection, func, select

from sovfund.books import schema
from sovfund.books.accounts import CONTRIBUTIONS, RECEIVABLE
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings
from sovfund.books.money import IntArray, split
from sovfund.books.partners import PartnerTable, balances
from sovfund.books.store import read_ints
from sovfund.errors import BooksError

__all__ = [
    "account_total",
    "allocate_to_partners",
    "called",
    "cancelled",
    "income_weights",
    "invested_weights",
    "paid_in",
]


def account_total(
    connection: Connection,
    account: str,
    *,
    project: str | None = None,
    as_of: dt.date | None = None,
    currency: str = "USD",
) -> int:
    """The sum of one of the fund's own accounts (cash, investments, debt...: postings
    with no partner) in ``currency``, debits positive."""
    posting, entry = schema.posting, schema.entry
    query = select(func.coalesce(func.sum(posting.c.amount), 0)).where(
        posting.c.account == account,
        posting.c.currency == currency,
        posting.c.partner_id.is_(None),  # the index of the fund's side
    )
    if project is not None:
        query = query.where(posting.c.project_id == project)
    if as_of is not None:
        query = query.join(entry, entry.c.id == posting.c.entry_id).where(entry.c.date <= as_of)
    return int(connection.execute(query).scalar_one())


def called(
    connection: Connection, partners: PartnerTable, as_of: dt.date | None = None
) -> tuple[IntArray, IntArray]:
    """Capital called from each partner: in its currency, and in the fund's."""
    units, values = balances(connection, partners, [CONTRIBUTIONS], as_of=as_of)
    return -units, -values


def paid_in(
    connection: Connection, partners: PartnerTable, as_of: dt.date | None = None
) -> IntArray:
    """Capital each partner has paid in, in the fund's currency (called less receivable:
    minus the sum of both, in one pass)."""
    _, values = balances(connection, partners, [CONTRIBUTIONS, RECEIVABLE], as_of=as_of)
    return -values


def cancelled(
    connection: Connection, partners: PartnerTable, as_of: dt.date | None = None
) -> IntArray:
    """The contributed capital of each partner's units bought back by repurchase offers
    (settled by ``as_of``), in the fund's currency."""
    parts, settled, partner = schema.repurchase, schema.offer_settlement, schema.partner
    query = (
        select(partner.c.number, func.sum(parts.c.cancelled))
        .join(parts, parts.c.partner_id == partner.c.id)
        .join(settled, settled.c.offer_id == parts.c.offer_id)
        .group_by(partner.c.number)
    )
    if as_of is not None:
        query = query.where(settled.c.date <= as_of)
    numbers, amounts = read_ints(connection, query, 2)
    out = np.zeros(len(partners.ids), dtype=np.int64)
    out[partners.positions(numbers)] = amounts
    return out


def invested_weights(
    connection: Connection, partners: PartnerTable, as_of: dt.date | None = None
) -> IntArray:
    """Each partner's share of the fund's capital at work: paid in, less what
    repurchases cancelled (a partner that sold units back holds fewer)."""
    return paid_in(connection, partners, as_of) - cancelled(connection, partners, as_of)


def income_weights(
    connection: Connection,
    partners: PartnerTable,
    rate: Decimal | None,
    as_of: dt.date | None = None,
) -> IntArray:
    """Each partner's weight in the fund's income: LPs' paid-in capital (less units
    repurchased), else commitments."""
    weights = np.where(partners.is_lp, invested_weights(connection, partners, as_of), 0)
    if weights.sum() > 0:
        return weights
    commitments = np.where(partners.is_lp, partners.commitment, 0)
    return np.where(
        partners.is_lp,
        to_fund(commitments, partners.currency, rate, what="sharing income by commitment"),
        0,
    )


def allocate_to_partners(
    postings: Postings,
    account: str,
    total: int,
    weights: IntArray,
    partners: PartnerTable,
    rate: Decimal | None,
    *,
    what: str,
    project: str | None = None,
) -> IntArray:
    """Post ``total`` cents (debit > 0, credit < 0) to each partner's ``account`` by
    ``weights``, yen partners through FX trading; returns the cents of each."""
    if total == 0:
        return np.zeros(len(partners.ids), dtype=np.int64)
    if weights.sum() <= 0:
        raise BooksError(f"{what}: no partner to share it with (no LP has paid in or committed)")
    cents = np.sign(total) * split(abs(total), weights)
    units = to_partner(cents, partners.currency, rate, what=what)
    postings.partners(account, partners, units, cents, trade=True, project=project)
    return cents
