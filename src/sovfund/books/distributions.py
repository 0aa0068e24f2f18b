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
from sqlalchemy import Connection, Integer, and_, case, cast, func, literal_column, or_, select

from sovfund.books import schema
from sovfund.books.accounts import CARRY, CASH, DISTRIBUTIONS, RECEIVABLE
from sovfund.books.columns import Parties, partner_amounts
from sovfund.books.context import Context
from sovfund.books.fx import to_fund, to_partner
from sovfund.books.ledger import Postings, book, check_date
from sovfund.books.money import IntArray, from_minor, split, split_floats
from sovfund.books.portfolio import cash
from sovfund.books.returns import irr_sparse
from sovfund.books.store import read_ints
from sovfund.engine.waterfall import (
    HURDLE,
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
    index = partners.index()
    single = ~partners.is_lp
    single[[index[p] for p in named if p in index]] = True
    for i in np.flatnonzero(single).tolist():
        party_of[i] = len(parties)
        share = partners.carry_share[i]
        parties.append(
            Party(
                id=partners.ids[i],
                role="lp" if partners.is_lp[i] else "gp",
                commitment=float(commitments[i]) / 100 if partners.is_lp[i] else None,
                carry_share=None if np.isnan(share) else float(share),
            )
        )
    members = np.flatnonzero(~single)
    aggregate = None
    if len(members):
        aggregate = len(parties)
        name = "other_lps"
        while name in index:
            name += "_"
        party_of[members] = aggregate
        parties.append(
            Party(id=name, role="lp", commitment=float(commitments[members].sum()) / 100)
        )
    return Grouping(WaterfallSpec.from_parties(waterfall, parties), party_of, aggregate)


@dataclass(frozen=True, slots=True, eq=False)
class History:
    """The partners' flows from the journal, in the fund's currency (cents).

    ``paid`` is each waterfall party's payments of called capital per date, shape
    (dates, parties); ``events`` the date's distributions (an amount) and repurchases
    (each party's contributed capital cancelled), in the order booked. Per partner:
    ``contributed`` (paid in), ``weights`` (paid in less what repurchases cancelled:
    its share of the ``lps`` group), ``received`` (distributions and repurchases), and
    ``flows``, its dated net flows for its IRR, sparse: (position, date index, cents).
    """

    dates: tuple[dt.date, ...]
    paid: IntArray
    events: list[list[tuple[int, int | IntArray]]]
    contributed: IntArray
    weights: IntArray
    received: IntArray
    flows: tuple[IntArray, IntArray, IntArray]


_EPOCH = dt.date(1970, 1, 1).toordinal()
DISTRIBUTION, REPURCHASE = 0, 1


def _days(connection: Connection, column: Any) -> Any:
    """A date column as days since 1970-01-01 (an integer), in the database."""
    if connection.dialect.name == "postgresql":
        return column - literal_column("DATE '1970-01-01'")
    return cast(func.julianday(column) - 2440587.5, Integer)


def history(
    connection: Connection,
    ctx: Context,
    groups: Grouping,
    *,
    project: str | None,
    deal_by_deal: bool,
) -> History:
    """Payments of called capital, distributions and repurchases, from the journal: summed
    per partner and date in the database, read back as integer columns."""
    posting, entry, partner = schema.posting, schema.entry, schema.partner
    partners = ctx.partners

    def in_deal(query: Any) -> Any:
        if not deal_by_deal:
            return query
        return query.where(
            posting.c.project_id == project
            if project is not None
            else posting.c.project_id.is_(None)
        )

    is_paid = and_(posting.c.account == RECEIVABLE, entry.c.kind == "payment")
    is_out = and_(
        posting.c.account == DISTRIBUTIONS, entry.c.kind.in_(("distribution", "repurchase"))
    )
    sums = in_deal(
        select(
            posting.c.partner_id,
            entry.c.date,
            func.sum(case((is_paid, -posting.c.value), else_=0)).label("paid"),
            func.sum(case((is_out, posting.c.value), else_=0)).label("out"),
        )
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(or_(is_paid, is_out), posting.c.partner_id.is_not(None))
        .group_by(posting.c.partner_id, entry.c.date)
    ).subquery()
    numbers, days, paid, out = read_ints(
        connection,
        select(partner.c.number, _days(connection, sums.c.date), sums.c.paid, sums.c.out).join(
            sums, sums.c.partner_id == partner.c.id
        ),
        4,
    )
    at = partners.positions(numbers)
    totals = in_deal(
        select(entry.c.id, entry.c.date, func.sum(posting.c.value))
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(posting.c.account == DISTRIBUTIONS, entry.c.kind == "distribution")
        .group_by(entry.c.id, entry.c.date)
    )
    paid_out = [(int(e), d, int(v)) for e, d, v in connection.execute(totals)]
    redeemed: list[Any] = []
    if not deal_by_deal:
        redeemed = list(
            connection.execute(
                select(entry.c.id, entry.c.date, partner.c.number, schema.repurchase.c.cancelled)
                .join(entry, entry.c.id == schema.repurchase.c.entry_id)
                .join(partner, partner.c.id == schema.repurchase.c.partner_id)
            )
        )
    day_set = {int(d) for d in np.unique(days).tolist()}
    day_set |= {d.toordinal() - _EPOCH for _, d, _ in paid_out}
    day_set |= {r[1].toordinal() - _EPOCH for r in redeemed}
    ordered = np.array(sorted(day_set), dtype=np.int64)
    dates = tuple(dt.date.fromordinal(int(d) + _EPOCH) for d in ordered)
    index = np.searchsorted(ordered, days)
    parties = len(groups.spec.parties)
    by_party = np.zeros((len(dates), parties), dtype=np.int64)
    np.add.at(by_party, (index, groups.party_of[at]), paid)
    count = len(partners.ids)
    contributed = np.zeros(count, dtype=np.int64)
    np.add.at(contributed, at, paid)
    received = np.zeros(count, dtype=np.int64)
    np.add.at(received, at, out)
    weights = contributed.copy()
    events: list[list[tuple[int, int, int | IntArray]]] = [[] for _ in dates]
    where = {d: k for k, d in enumerate(dates)}
    for entry_id, day, value in paid_out:
        events[where[day]].append((entry_id, DISTRIBUTION, value))
    cancelled: dict[int, tuple[dt.date, IntArray]] = {}
    for entry_id, day, number, gone in redeemed:
        i = int(partners.positions(np.array([number]))[0])
        _, by = cancelled.setdefault(int(entry_id), (day, np.zeros(parties, dtype=np.int64)))
        by[groups.party_of[i]] += int(gone)
        weights[i] -= int(gone)
    for entry_id, (day, by) in cancelled.items():
        events[where[day]].append((entry_id, REPURCHASE, by))
    keep = (paid != 0) | (out != 0)
    return History(
        dates=dates,
        paid=by_party,
        events=[
            [(kind, payload) for _, kind, payload in sorted(e, key=lambda x: x[0])] for e in events
        ],
        contributed=contributed,
        weights=weights,
        received=received,
        flows=(at[keep], index[keep], (out - paid)[keep]),
    )


def _first(event: tuple[int, int, int | IntArray]) -> int:
    return event[0]


def _replay(
    grouping: Grouping, past: History, until: dt.date, index: float
) -> tuple[Any, dt.date | None]:
    """The waterfall state after every flow up to ``until``, one row.

    A repurchase cancels the units it bought: each party's contributions,
    distributions and part of every hurdle balance shrink by the share of its
    contributed capital the repurchase cancelled, as the simulation's redemptions do
    (engine/fund.py, ``cancel_units``)."""
    spec = grouping.spec
    parties = len(spec.parties)
    state = spec.empty_state(1)
    hurdles = np.flatnonzero(spec.kind == HURDLE)
    part = np.zeros((len(spec.tier_names), parties))  # each party's part of each balance
    previous: dt.date | None = None

    def accrue(days: int) -> None:
        factors = accrual_factors(spec, days / 365.0, index)
        state.accrue(factors)
        part[:] *= factors[0][:, None]

    for k, date in enumerate(past.dates):
        if previous is not None:
            accrue((date - previous).days)
        previous = date
        paid = (past.paid[k] / 100.0).reshape(1, parties)
        state.contribute(spec, paid)
        part[hurdles] += spec.target[hurdles] * paid
        for kind, payload in past.events[k]:
            if kind == DISTRIBUTION:
                assert isinstance(payload, int)
                got = allocate(spec, state, np.array([payload / 100.0]))
                part[hurdles] -= spec.target[hurdles] * got
                continue
            assert not isinstance(payload, int)
            held = state.contributed[0]
            share = np.divide(payload / 100.0, held, out=np.zeros(parties), where=held > 0).clip(
                0.0, 1.0
            )
            state.balance[0, hurdles] -= (part[hurdles] * share).sum(axis=1)
            part[hurdles] *= 1.0 - share
            state.contributed[0] *= 1.0 - share
            state.distributed[0] *= 1.0 - share
    if previous is not None and until > previous:
        accrue((until - previous).days)
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
    past = history(connection, ctx, groups, project=project, deal_by_deal=deal_by_deal)
    state, _ = _replay(groups, past, date, _index(ctx, index))
    tiers = np.zeros((1, len(spec.tier_names), len(spec.parties)))
    allocate(spec, state, np.array([amount / 100.0]), tiers_out=tiers)
    cells = split_floats(amount, tiers[0])  # (tiers, parties) in cents
    contributed = past.weights  # the lps group's weights: paid in, less units repurchased
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
    postings.partners(DISTRIBUTIONS, partners, units, cents, trade=True, project=project)
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
            partners,
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
    times = np.array([(d - dates[0]).days / 365.0 for d in dates])
    now = np.flatnonzero(cents)
    at, when, flow = past.flows
    irr = irr_sparse(
        times,
        np.concatenate([at, now]),
        np.concatenate([when, np.full(len(now), len(dates) - 1, dtype=np.int64)]),
        np.concatenate([flow, cents[now]]),
        len(partners.ids),
    )
    contributed = past.contributed
    shown = np.flatnonzero((contributed != 0) | (cents != 0))
    usd = "USD"
    return {
        "entry": None,
        "kind": "distribution",
        "date": date.isoformat(),
        "amount": str(from_minor(amount, usd)),
        "currency": usd,
        "project": project,
        "parties": Parties(partners.ids, shown, contributed[shown], cents[shown], irr[shown]),
        "tiers": [
            {"name": name, "paid": partner_amounts(partners, row, currency=usd)}
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
    past = history(connection, ctx, groups, project=None, deal_by_deal=False)
    whole, _ = _replay(groups, past, date, _index(ctx, index))
    received = np.zeros((1, len(spec.parties)))
    np.add.at(received[0], groups.party_of, past.received / 100.0)
    contributed = np.zeros((1, len(spec.parties)))
    np.add.at(contributed[0], groups.party_of, past.contributed / 100.0)
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
    paid_in = np.where(partners.is_lp, past.contributed, 0)
    back = split(total, paid_in)
    moved = give - back  # GPs debited carry, LPs credited
    postings.partners(
        CARRY,
        partners,
        to_partner(moved, partners.currency, rate, what="the clawback"),
        moved,
        trade=True,
    )
    postings.partners(
        DISTRIBUTIONS,
        partners,
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
    allocations = partner_amounts(partners, -moved, currency="USD")
    return {
        "entry": entry,
        "kind": "clawback",
        "date": date.isoformat(),
        "amount": str(from_minor(total, "USD")),
        "currency": "USD",
        "allocations": allocations,
    }, [entry]
