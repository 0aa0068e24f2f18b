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
   (and a repurchase's) to the cash paid out; a repurchase offer accepts no more than
   its cap;
8. the database's guards (triggers) are in place.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import Connection, case, func, or_, select, text

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
        "posting_entry_exists",
        "posting_append_only",
        "entry_append_only",
        "entry_stamp",
        "partner_kept",
    },
}


def check(connection: Connection, ctx: Context) -> list[str]:
    """Every breach, in words (empty when the books are sound).

    Set-based: one pass over the journal summed per entry, account and currency gives
    every check of entries and accounts; one more per partner and currency finds the
    partners called beyond commitment or posted in another currency, and one over the
    receivables finds those paid more than called. Only breaches come back."""
    posting, entry, partner = schema.posting, schema.entry, schema.partner
    breaches: list[str] = []
    fund_currency = ctx.terms.fund.currency

    sums = connection.execute(
        select(
            posting.c.entry_id,
            posting.c.account,
            posting.c.currency,
            posting.c.partner_id.is_(None).label("fund_side"),
            func.count(),
            func.sum(posting.c.amount),
            func.sum(posting.c.value),
        ).group_by(
            posting.c.entry_id,
            posting.c.account,
            posting.c.currency,
            posting.c.partner_id.is_(None),
        )
    ).all()
    per_currency: dict[tuple[int, str], int] = defaultdict(int)
    per_value: dict[int, int] = defaultdict(int)
    count: dict[int, int] = defaultdict(int)
    by_account: dict[str, int] = defaultdict(int)
    allocated: dict[tuple[int, str], int] = defaultdict(int)
    foreign: set[tuple[str, str]] = set()
    totals: dict[str, int] = defaultdict(int)
    for e, account, currency, fund_side, n, amount, value in sums:
        per_currency[(int(e), currency)] += int(amount)
        per_value[int(e)] += int(value)
        count[int(e)] += int(n)
        by_account[account] += int(value)
        allocated[(int(e), account)] += int(value)
        if currency == fund_currency:
            totals[account] += int(amount)
        if currency != fund_currency and (fund_side or account in FUND_SIDE):
            foreign.add((account, currency))
    breaches += [
        f"entry {e} does not balance in {c}: its postings sum to {from_minor(s, c)}"
        for (e, c), s in sorted(per_currency.items())
        if s
    ]
    breaches += [
        f"entry {e} does not balance in value: {from_minor(s, 'USD')}"
        for e, s in sorted(per_value.items())
        if s
    ]
    entries = connection.execute(
        select(entry.c.id, entry.c.kind, entry.c.date, entry.c.details).order_by(entry.c.id)
    ).all()
    known = {int(e.id) for e in entries}
    orphans = sum(n for e, n in count.items() if e not in known)
    if orphans:
        breaches.append(f"{orphans} postings belong to no entry")
    breaches += [f"entry {e} has no postings" for e in sorted(known - set(count))]

    kinds = {code: kind for code, (kind, _) in ACCOUNTS.items()}
    by_kind: dict[str, int] = {"asset": 0, "liability": 0, "capital": 0, "trading": 0}
    for account, value in sorted(by_account.items()):
        kind = kinds.get(account)
        if kind is None:
            breaches.append(f"postings to an unknown account {account!r}")
            continue
        by_kind[kind] += value
    net_assets = by_kind["asset"] + by_kind["liability"]
    capital = -by_kind["capital"]
    if net_assets != capital:
        breaches.append(
            f"the partners' capital accounts ({from_minor(capital, 'USD')}) differ from the"
            f" fund's net assets ({from_minor(net_assets, 'USD')})"
        )
    breaches += [
        f"{account} has postings in {currency}: the fund's side is kept in"
        f" {fund_currency}, other currencies only on partners' accounts"
        for account, currency in sorted(foreign)
    ]

    beyond = not ctx.terms.fund.calls_beyond_commitment
    per_partner = (
        select(
            posting.c.partner_id,
            posting.c.currency,
            (
                -func.sum(case((posting.c.account == CONTRIBUTIONS, posting.c.amount), else_=0))
            ).label("called"),
        )
        .where(posting.c.account.in_(CAPITAL), posting.c.partner_id.is_not(None))
        .group_by(posting.c.partner_id, posting.c.currency)
        .subquery()
    )
    mismatch = per_partner.c.currency != partner.c.currency
    over = per_partner.c.called > partner.c.commitment
    for pid, currency, called, commitment, own in connection.execute(
        select(
            per_partner.c.partner_id,
            per_partner.c.currency,
            per_partner.c.called,
            partner.c.commitment,
            partner.c.currency,
        )
        .join(partner, partner.c.id == per_partner.c.partner_id)
        .where(or_(mismatch, over) if beyond else mismatch)
        .order_by(per_partner.c.partner_id)
    ):
        if currency != own:
            breaches.append(
                f"partner {pid}'s capital accounts have postings in {currency}, not in the"
                f" partner's currency"
            )
        elif beyond:
            breaches.append(
                f"partner {pid} is called {from_minor(int(called), own)} {own},"
                f" beyond its commitment of {from_minor(int(commitment), own)}"
            )
    negative = connection.execute(
        select(posting.c.partner_id, posting.c.ref)
        .where(posting.c.account.in_(("calls_receivable", "equalization_receivable")))
        .group_by(posting.c.partner_id, posting.c.ref)
        .having(func.sum(posting.c.amount) < 0)
        .order_by(posting.c.partner_id, posting.c.ref)
    )
    breaches += [f"partner {p} paid more than entry {r} called" for p, r in negative]

    if totals[CASH] < 0:
        breaches.append(f"cash is negative: {from_minor(totals[CASH], 'USD')}")
    if totals[DEBT] > 0:
        breaches.append("fund debt is negative (repaid more than drawn)")

    start = ctx.start
    early = sum(1 for e in entries if e.date < start)
    if early:
        breaches.append(f"{early} entries are dated before the fund's start {start}")
    breaches += [
        f"entry {b.id} is dated before entry {a.id}"
        for a, b in itertools.pairwise(entries)
        if b.id == a.id + 1 and b.date < a.date
    ]

    for e in entries:
        if e.kind not in ALLOCATED:
            continue
        amount = to_minor(Decimal(json.loads(e.details)["amount"]), "USD")
        account, sign = ALLOCATED[e.kind]
        parts = sign * allocated.get((int(e.id), account), 0)
        if parts != amount:
            breaches.append(
                f"the {e.kind} of entry {e.id} allocates {from_minor(parts, 'USD')}, not"
                f" its amount {from_minor(amount, 'USD')}"
            )
    breaches += _offers(connection)

    present = _triggers(connection)
    missing = TRIGGERS.get(connection.dialect.name, set()) - present
    breaches += [f"the database guard {name!r} is missing" for name in sorted(missing)]
    return breaches


# what each kind of entry allocates to the partners: the account, and its sign
ALLOCATED = {
    "call": (CONTRIBUTIONS, -1),
    "distribution": (DISTRIBUTIONS, 1),
    "repurchase": (DISTRIBUTIONS, 1),
}


def _offers(connection: Connection) -> list[str]:
    """A settled repurchase offer accepts no more than its cap, and pays what its
    requesters' rows say."""
    settled, parts = schema.offer_settlement, schema.repurchase
    query = (
        select(
            settled.c.offer_id,
            settled.c.cap,
            func.coalesce(func.sum(parts.c.accepted), 0),
        )
        .join(parts, parts.c.offer_id == settled.c.offer_id, isouter=True)
        .group_by(settled.c.offer_id, settled.c.cap)
        .order_by(settled.c.offer_id)
    )
    return [
        f"repurchase offer {offer} accepted {from_minor(int(accepted), 'USD')}, above its cap"
        f" {from_minor(int(cap), 'USD')}"
        for offer, cap, accepted in connection.execute(query)
        if int(accepted) > int(cap)
    ]


def _triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        query = text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    return set(connection.execute(query).scalars())
