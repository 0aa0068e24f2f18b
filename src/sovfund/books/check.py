"""``books check``: every invariant of the books, each breach named.

1. every entry balances: its postings sum to zero in each currency and in value;
2. no posting without its entry, no entry without postings;
3. the sum of the partners' capital accounts equals the fund's net assets (assets
   less liabilities, in the fund's currency; yen partners through FX trading), and
   the fund's own accounts hold only its currency;
4. no partner is called beyond its commitment (unless the term sheet allows it), no
   receivable is negative (paid more than called), each posting to a partner is in
   the partner's currency;
5. cash and debt are not negative; project balances are on known projects;
6. entries are dated from the fund's start, in the order booked;
7. every allocation sums to its amount: a call's parts to the call, a distribution's
   to the cash paid out;
8. the database's guards (triggers) are in place.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import Connection, func, select, text

from sovfund.books import schema
from sovfund.books.accounts import ACCOUNTS, CAPITAL, CASH, CONTRIBUTIONS, DEBT, DISTRIBUTIONS
from sovfund.books.context import Context
from sovfund.books.money import from_minor, to_minor

__all__ = ["check"]

# accounts of the fund itself: in the fund's currency only
FUND_SIDE = ("cash", "investments", "valuation", "debt", "interest_payable", "fees_payable")

TRIGGERS = {
    "sqlite": {
        "entry_balanced",
        "posting_sealed",
        "posting_no_update",
        "posting_no_delete",
        "entry_no_update",
        "entry_no_delete",
    },
    "postgresql": {
        "entry_balanced",
        "posting_sealed",
        "posting_append_only",
        "entry_append_only",
        "entry_stamp",
    },
}


def check(connection: Connection, ctx: Context) -> list[str]:
    """Every breach, in words (empty when the books are sound)."""
    posting, entry, partner = schema.posting, schema.entry, schema.partner
    breaches: list[str] = []

    unbalanced = connection.execute(
        select(posting.c.entry_id, posting.c.currency, func.sum(posting.c.amount))
        .group_by(posting.c.entry_id, posting.c.currency)
        .having(func.sum(posting.c.amount) != 0)
    )
    breaches += [
        f"entry {e} does not balance in {c}: its postings sum to {from_minor(int(s), c)}"
        for e, c, s in unbalanced
    ]
    off_value = connection.execute(
        select(posting.c.entry_id, func.sum(posting.c.value))
        .group_by(posting.c.entry_id)
        .having(func.sum(posting.c.value) != 0)
    )
    breaches += [
        f"entry {e} does not balance in value: {from_minor(int(s), 'USD')}" for e, s in off_value
    ]
    orphans = connection.execute(
        select(func.count())
        .select_from(posting)
        .where(~select(entry.c.id).where(entry.c.id == posting.c.entry_id).exists())
    ).scalar_one()
    if orphans:
        breaches.append(f"{orphans} postings belong to no entry")
    empty = (
        connection.execute(
            select(entry.c.id).where(
                ~select(posting.c.id).where(posting.c.entry_id == entry.c.id).exists()
            )
        )
        .scalars()
        .all()
    )
    breaches += [f"entry {e} has no postings" for e in empty]

    kinds = {code: kind for code, (kind, _) in ACCOUNTS.items()}
    by_kind: dict[str, int] = {"asset": 0, "liability": 0, "capital": 0, "trading": 0}
    for account, value in connection.execute(
        select(posting.c.account, func.sum(posting.c.value)).group_by(posting.c.account)
    ):
        kind = kinds.get(account)
        if kind is None:
            breaches.append(f"postings to an unknown account {account!r}")
            continue
        by_kind[kind] += int(value)
    net_assets = by_kind["asset"] + by_kind["liability"]
    capital = -by_kind["capital"]
    if net_assets != capital:
        breaches.append(
            f"the partners' capital accounts ({from_minor(capital, 'USD')}) differ from the"
            f" fund's net assets ({from_minor(net_assets, 'USD')})"
        )
    foreign = connection.execute(
        select(posting.c.account, posting.c.currency)
        .where(posting.c.currency != ctx.terms.fund.currency)
        .where((posting.c.partner_id.is_(None)) | (posting.c.account.in_(FUND_SIDE)))
        .distinct()
    )
    breaches += [
        f"{account} has postings in {currency}: the fund's side is kept in"
        f" {ctx.terms.fund.currency}, other currencies only on partners' accounts"
        for account, currency in foreign
    ]

    called = dict(
        connection.execute(
            select(posting.c.partner_id, -func.sum(posting.c.amount))
            .where(posting.c.account == CONTRIBUTIONS)
            .group_by(posting.c.partner_id)
        ).all()
    )
    if not ctx.terms.fund.calls_beyond_commitment:
        for pid, commitment, currency in connection.execute(
            select(partner.c.id, partner.c.commitment, partner.c.currency)
        ):
            if called.get(pid, 0) > commitment:
                breaches.append(
                    f"partner {pid} is called {from_minor(int(called[pid]), currency)} {currency},"
                    f" beyond its commitment of {from_minor(commitment, currency)}"
                )
    negative = connection.execute(
        select(posting.c.partner_id, posting.c.ref, func.sum(posting.c.amount))
        .where(posting.c.account.in_(("calls_receivable", "equalization_receivable")))
        .group_by(posting.c.partner_id, posting.c.ref)
        .having(func.sum(posting.c.amount) < 0)
    )
    breaches += [f"partner {p} paid more than entry {r} called" for p, r, _ in negative]
    wrong_currency = connection.execute(
        select(posting.c.partner_id, posting.c.account, posting.c.currency)
        .join(partner, partner.c.id == posting.c.partner_id)
        .where(posting.c.account.in_(CAPITAL), posting.c.currency != partner.c.currency)
        .distinct()
    )
    breaches += [
        f"partner {p}'s {a} has postings in {c}, not in the partner's currency"
        for p, a, c in wrong_currency
    ]

    cash = _total(connection, CASH)
    if cash < 0:
        breaches.append(f"cash is negative: {from_minor(cash, 'USD')}")
    if _total(connection, DEBT) > 0:
        breaches.append("fund debt is negative (repaid more than drawn)")

    start = ctx.start
    early = connection.execute(select(func.count()).where(entry.c.date < start)).scalar_one()
    if early:
        breaches.append(f"{early} entries are dated before the fund's start {start}")
    out_of_order = (
        connection.execute(
            text("SELECT a.id FROM entry a JOIN entry b ON b.id = a.id + 1 WHERE b.date < a.date")
        )
        .scalars()
        .all()
    )
    breaches += [f"entry {e + 1} is dated before entry {e}" for e in out_of_order]

    for e, kind, details in connection.execute(
        select(entry.c.id, entry.c.kind, entry.c.details).where(
            entry.c.kind.in_(("call", "distribution"))
        )
    ):
        amount = to_minor(Decimal(json.loads(details)["amount"]), "USD")
        account = CONTRIBUTIONS if kind == "call" else DISTRIBUTIONS
        sign = -1 if kind == "call" else 1
        parts = connection.execute(
            select(func.coalesce(func.sum(posting.c.value), 0)).where(
                posting.c.entry_id == e, posting.c.account == account
            )
        ).scalar_one()
        if sign * int(parts) != amount:
            breaches.append(
                f"the {kind} of entry {e} allocates {from_minor(sign * int(parts), 'USD')}, not"
                f" its amount {from_minor(amount, 'USD')}"
            )

    present = _triggers(connection)
    missing = TRIGGERS.get(connection.dialect.name, set()) - present
    breaches += [f"the database guard {name!r} is missing" for name in sorted(missing)]
    return breaches


def _total(connection: Connection, account: str) -> int:
    posting = schema.posting
    query = select(func.coalesce(func.sum(posting.c.amount), 0)).where(posting.c.account == account)
    return int(connection.execute(query).scalar_one())


def _triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        query = text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    return set(connection.execute(query).scalars())
