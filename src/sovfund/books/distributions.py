"""Distributions through the one waterfall (engine/waterfall), split to the cent.

A distribution replays the partners' history from the journal, one row
(:func:`history`): date by date, hurdle balances accrue from the previous date, the
date's payments of called capital are contributed, then the date's earlier
distributions are run through the tiers again; the new amount is then allocated.
This is the calculator's order (``sovfund waterfall``), so both give the same split.

The waterfall tells parties apart only where a tier names them; every other LP is
paid inside the ``lps`` group, pro rata to contributed capital. So the tiers run over
the named partners, the GPs and one aggregate of all other LPs, whatever their
number, and the aggregate's part of each tier is split among its members pro rata to
the capital they contributed (to commitments if none has), by largest remainder in
whole cents. The float allocation of the named parties and the aggregate is itself
turned into cents by largest remainder, so the parts sum exactly to the amount.

Booking: each partner's distribution is debited to its capital account. What the GPs
receive is carried interest: credited to their capital accounts and charged to the
LPs pro rata to what they receive in the same distribution.

Deal by deal (``style = "deal_by_deal"``), a distribution names its project and runs
the tiers on that project's history: the calls made for it (``call --project``) and
its earlier distributions. ``clawback`` at wind-up gives back to the LPs, pro rata to
contributed capital, whatever the GPs received above what the same tiers would have
paid them on the whole fund.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from sovfund.books import schema
from sovfund.books.accounts import CARRY, CASH, DISTRIBUTIONS, RECEIVABLE
from sovfund.books.context import Context
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings, book, check_date
from sovfund.books.money import IntArray, from_minor, split, split_floats
from sovfund.books.portfolio import cash
from sovfund.books.returns import irr_rows
from sovfund.engine.waterfall import (
    WaterfallSpec,
    accrual_factors,
    allocate,
    clawback_transfers,
)
from sovfund.errors import BooksError
from sovfund.terms.models import Party
from sovfund.terms.sections import index_rate

__all__ = ["clawback", "distribute", "history"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Grouping:
    """The waterfall's parties: named partners and GPs one each, other LPs as one."""

    spec: WaterfallSpec
    party_of: IntArray  # each partner's waterfall party, shape (partners,)
    aggregate: int | None  # the index of the aggregate party, if any


def grouping(ctx: Context, rate: Decimal | None) -> Grouping:
    partners, waterfall = ctx.partners, ctx.terms.waterfall
    named = {t.until.target for t in waterfall.tier if t.until is not None}
    named |= {party for t in waterfall.tier for party in t.pay}
    named -= {"lps", "gps"}
    commitments = to_fund(
        np.where(partners.is_lp, partners.commitment, 0),
        partners.currency,
        rate,
        what="the waterfall's commitment weights",
    )
    parties: list[Party] = []
    party_of = np.zeros(len(partners.ids), dtype=np.int64)
    members: list[int] = []
    for i, partner in enumerate(partners.ids):
        if partner in named or not partners.is_lp[i]:
            party_of[i] = len(parties)
            share = partners.carry_share[i]
            parties.append(
                Party(
                    id=partner,
                    role="lp" if partners.is_lp[i] else "gp",
                    commitment=float(commitments[i]) / 100 if partners.is_lp[i] else None,
                    carry_share=None if np.isnan(share) else float(share),
                )
            )
        else:
            members.append(i)
    aggregate = None
    if members:
        aggregate = len(parties)
        name = "other_lps"
        while name in partners.ids:
            name += "_"
        party_of[members] = aggregate
        parties.append(
            Party(id=name, role="lp", commitment=float(commitments[members].sum()) / 100)
        )
    return Grouping(WaterfallSpec.from_parties(waterfall, parties), party_of, aggregate)


@dataclass(frozen=True, slots=True)
class History:
    """Dated flows in the fund's currency (cents), per partner."""

    dates: tuple[dt.date, ...]
    contributions: IntArray  # shape (dates, partners)
    distributions: list[list[int]]  # per date: the amounts of its distribution entries
    received: IntArray  # shape (dates, partners): what each partner was distributed


def history(
    connection: Connection, ctx: Context, *, project: str | None, deal_by_deal: bool
) -> History:
    """Payments of called capital and distributions, from the journal."""
    posting, entry = schema.posting, schema.entry
    index = ctx.partners.index()

    def rows(account: str, kinds: tuple[str, ...]) -> list[Any]:
        query = (
            select(entry.c.date, entry.c.id, posting.c.partner_id, func.sum(posting.c.value))
            .join(entry, entry.c.id == posting.c.entry_id)
            .where(posting.c.account == account, entry.c.kind.in_(kinds))
            .group_by(entry.c.date, entry.c.id, posting.c.partner_id)
        )
        if deal_by_deal:
            query = query.where(
                posting.c.project_id == project
                if project is not None
                else posting.c.project_id.is_(None)
            )
        return list(connection.execute(query))

    paid = rows(RECEIVABLE, ("payment",))
    out = rows(DISTRIBUTIONS, ("distribution",))
    dates = tuple(sorted({r[0] for r in paid} | {r[0] for r in out}))
    at = {d: k for k, d in enumerate(dates)}
    contributions = np.zeros((len(dates), len(ctx.partners.ids)), dtype=np.int64)
    received = np.zeros_like(contributions)
    for date, _, partner, value in paid:
        contributions[at[date], index[partner]] -= value
    by_entry: dict[int, tuple[dt.date, int]] = {}
    for date, entry_id, partner, value in out:
        received[at[date], index[partner]] += value
        day, total = by_entry.get(entry_id, (date, 0))
        by_entry[entry_id] = (day, total + int(value))
    distributions: list[list[int]] = [[] for _ in dates]
    for entry_id in sorted(by_entry):
        day, total = by_entry[entry_id]
        distributions[at[day]].append(total)
    return History(dates, contributions, distributions, received)


def _replay(
    grouping: Grouping, past: History, until: dt.date, index: float
) -> tuple[Any, dt.date | None]:
    """The waterfall state after every flow up to ``until``, one row."""
    spec = grouping.spec
    parties = len(spec.parties)
    state = spec.empty_state(1)
    previous: dt.date | None = None
    for k, date in enumerate(past.dates):
        if previous is not None:
            state.accrue(accrual_factors(spec, (date - previous).days / 365.0, index))
        previous = date
        paid = np.zeros((1, parties))
        np.add.at(paid[0], grouping.party_of, past.contributions[k] / 100.0)
        state.contribute(spec, paid)
        for amount in past.distributions[k]:
            allocate(spec, state, np.array([amount / 100.0]))
    if previous is not None and until > previous:
        state.accrue(accrual_factors(spec, (until - previous).days / 365.0, index))
    return state, previous


def _index(ctx: Context, given: float | None) -> float:
    return given if given is not None else index_rate(ctx.terms)


def _member_split(total: int, weights: IntArray, fallback: IntArray) -> IntArray:
    if total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    return split(total, weights if weights.sum() > 0 else fallback)


def compute(
    connection: Connection,
    ctx: Context,
    *,
    amount: int,
    date: dt.date,
    project: str | None,
    rate: Decimal | None,
    index: float | None,
) -> tuple[dict[str, Any], Postings]:
    """The split of a distribution of ``amount`` cents on ``date`` and its postings."""
    terms, partners = ctx.terms, ctx.partners
    deal_by_deal = terms.waterfall.style == "deal_by_deal"
    if deal_by_deal and project is None:
        raise BooksError("the term sheet's waterfall is deal by deal; expected --project")
    if project is not None and not ctx.has_project(connection, project):
        raise BooksError(f"no project {project!r} in these books")
    if connection.execute(
        select(schema.entry.c.id).where(schema.entry.c.kind == "clawback")
    ).first():
        raise BooksError(
            "the fund is wound up (its clawback is booked); nothing more to distribute"
        )
    check_date(connection, date, "the distribution")
    available = cash(connection)
    if amount > available:
        raise BooksError(
            f"a distribution of {from_minor(amount, 'USD')} is more than the fund's cash"
            f" ({from_minor(available, 'USD')})"
        )
    groups = grouping(ctx, rate)
    spec = groups.spec
    past = history(connection, ctx, project=project, deal_by_deal=deal_by_deal)
    state, _ = _replay(groups, past, date, _index(ctx, index))
    tiers = np.zeros((1, len(spec.tier_names), len(spec.parties)))
    allocate(spec, state, np.array([amount / 100.0]), tiers_out=tiers)
    cells = split_floats(amount, tiers[0])  # (tiers, parties) in cents
    contributed = past.contributions.sum(axis=0)
    per_tier = np.zeros((len(spec.tier_names), len(partners.ids)), dtype=np.int64)
    members = groups.party_of == groups.aggregate
    fallback = np.where(
        members & partners.is_lp,
        to_fund(partners.commitment, partners.currency, rate, what="the distribution"),
        0,
    )
    singles = ~members
    for t in range(len(spec.tier_names)):
        per_tier[t, singles] = cells[t, groups.party_of[singles]]
        if groups.aggregate is not None:
            per_tier[t, members] = _member_split(
                int(cells[t, groups.aggregate]),
                np.where(members, contributed, 0)[members],
                fallback[members],
            )
    cents = per_tier.sum(axis=0)
    postings = _postings(ctx, cents, project, rate)
    postings.add(CASH, -amount, project=project)
    result = _result(ctx, spec.tier_names, per_tier, cents, past, date, amount, project)
    return result, postings


def _postings(ctx: Context, cents: IntArray, project: str | None, rate: Decimal | None) -> Postings:
    partners = ctx.partners
    lps = partners.is_lp
    carry = int(np.where(~lps, cents, 0).sum())
    postings = Postings()
    units = to_partner(cents, partners.currency, rate, what="the distribution")
    postings.partners(
        DISTRIBUTIONS, partners.ids, partners.currency, units, cents, trade=True, project=project
    )
    if carry:
        gp = np.where(~lps, cents, 0)
        lp_share = np.where(lps, cents, 0)
        committed = to_fund(
            np.where(lps, partners.commitment, 0), partners.currency, rate, what="the carry"
        )
        charge = split(carry, lp_share if lp_share.sum() > 0 else committed)
        moved = charge - gp  # LPs charged (debit), GPs credited
        postings.partners(
            CARRY,
            partners.ids,
            partners.currency,
            to_partner(moved, partners.currency, rate, what="the carry"),
            moved,
            trade=True,
            project=project,
        )
    return postings


def _result(
    ctx: Context,
    tier_names: tuple[str, ...],
    per_tier: IntArray,
    cents: IntArray,
    past: History,
    date: dt.date,
    amount: int,
    project: str | None,
) -> dict[str, Any]:
    partners = ctx.partners
    dates = [*past.dates, date] if not past.dates or past.dates[-1] != date else list(past.dates)
    flows = np.zeros((len(dates), len(partners.ids)))
    k = len(past.dates)
    flows[:k] = (past.received - past.contributions) / 100.0
    flows[len(dates) - 1] += cents / 100.0
    times = np.array([(d - dates[0]).days / 365.0 for d in dates])
    irr = irr_rows(times, flows.T)
    contributed = past.contributions.sum(axis=0)
    usd = "USD"
    return {
        "entry": None,
        "kind": "distribution",
        "date": date.isoformat(),
        "amount": str(from_minor(amount, usd)),
        "currency": usd,
        "project": project,
        "parties": {
            p: {
                "contributed": str(from_minor(int(contributed[i]), usd)),
                "distributed": str(from_minor(int(cents[i]), usd)),
                "irr": None if np.isnan(irr[i]) else float(irr[i]),
            }
            for i, p in enumerate(partners.ids)
            if contributed[i] or cents[i]
        },
        "tiers": [
            {
                "name": name,
                "paid": {
                    partners.ids[i]: str(from_minor(int(row[i]), usd)) for i in np.flatnonzero(row)
                },
            }
            for name, row in zip(tier_names, per_tier, strict=True)
        ],
    }


def distribute(
    connection: Connection,
    ctx: Context,
    *,
    amount: int,
    date: dt.date,
    project: str | None,
    rate: Decimal | None,
    index: float | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    result, postings = compute(
        connection, ctx, amount=amount, date=date, project=project, rate=rate, index=index
    )
    details = {
        "amount": result["amount"],
        "project": project,
        "usd_jpy": None if rate is None else str(rate),
    }
    entry = book(
        connection, kind="distribution", date=date, postings=postings, details=details, key=key
    )
    return {**result, "entry": entry}, [entry]


def clawback(
    connection: Connection,
    ctx: Context,
    *,
    date: dt.date,
    rate: Decimal | None,
    index: float | None,
    key: str | None,
) -> tuple[dict[str, Any], list[int]]:
    """At wind-up: each GP gives back what it got deal by deal above its whole-fund due."""
    terms, partners = ctx.terms, ctx.partners
    if terms.waterfall.style != "deal_by_deal" or not terms.waterfall.clawback:
        raise BooksError(
            "the term sheet has no clawback (it needs deal-by-deal terms with clawback = true)"
        )
    if connection.execute(
        select(schema.entry.c.id).where(schema.entry.c.kind == "clawback")
    ).first():
        raise BooksError("the clawback is already booked")
    check_date(connection, date, "the clawback")
    groups = grouping(ctx, rate)
    spec = groups.spec
    past = history(connection, ctx, project=None, deal_by_deal=False)
    whole, _ = _replay(groups, past, date, _index(ctx, index))
    received = np.zeros((1, len(spec.parties)))
    np.add.at(received[0], groups.party_of, past.received.sum(axis=0) / 100.0)
    contributed = np.zeros((1, len(spec.parties)))
    np.add.at(contributed[0], groups.party_of, past.contributions.sum(axis=0) / 100.0)
    transfers = clawback_transfers(spec, received, whole.distributed, contributed)[0]
    gp = ~partners.is_lp
    give = np.zeros(len(partners.ids), dtype=np.int64)
    give[gp] = np.round(np.maximum(transfers[groups.party_of[gp]], 0.0) * 100).astype(np.int64)
    total = int(give.sum())
    postings = Postings()
    if total == 0:
        return {
            "entry": None,
            "kind": "clawback",
            "date": date.isoformat(),
            "amount": "0.00",
            "currency": "USD",
            "allocations": {},
        }, []
    paid_in = np.where(partners.is_lp, past.contributions.sum(axis=0), 0)
    back = split(total, paid_in)
    moved = give - back  # GPs debited carry, LPs credited
    postings.partners(
        CARRY,
        partners.ids,
        partners.currency,
        to_partner(moved, partners.currency, rate, what="the clawback"),
        moved,
        trade=True,
    )
    postings.partners(
        DISTRIBUTIONS,
        partners.ids,
        partners.currency,
        to_partner(-moved, partners.currency, rate, what="the clawback"),
        -moved,
        trade=True,
    )
    entry = book(
        connection,
        kind="clawback",
        date=date,
        postings=postings,
        details={"amount": str(from_minor(total, "USD"))},
        key=key,
    )
    allocations = {
        partners.ids[i]: str(from_minor(int(-moved[i]), "USD")) for i in np.flatnonzero(moved)
    }
    return {
        "entry": entry,
        "kind": "clawback",
        "date": date.isoformat(),
        "amount": str(from_minor(total, "USD")),
        "currency": "USD",
        "allocations": allocations,
    }, [entry]
