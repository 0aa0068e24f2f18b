"""The fund as booked, for the Monte Carlo: what has happened is fixed, the rest is
simulated (``sovfund simulate --from-books BOOKS [--as-of D]``).

:func:`booked` reads the books up to a date and gives the term sheet to simulate and a
:class:`~sovfund.engine.fund.Booked`: the history of every quarter up to the one that
holds the date (the same on every path) and where the fund stands at its end. The rules:

- **Quarters.** An entry belongs to the fund quarter it falls in (quarter t ends at the
  t-th quarter end after ``fund.start``; the first quarter includes the start). The
  simulation starts with the quarter after the one holding ``as_of`` (the latest
  entry's date by default); books with nothing booked by then start at quarter 0 and
  give the term sheet's own numbers.
- **Parties.** The simulation runs on the term sheet's parties. A partner that is one
  of them is itself; any other LP (added from a partners file) counts with the term
  sheet's LP of the same class and country, whose commitment grows by its own (yen at
  ``macro.usd_jpy``).
- **History.** Per quarter: calls are the capital paid in (a contribution is dated
  when it is paid), distributions what partners were paid, fees what the GPs were
  credited, investment what went into projects at cost, operating cash the proceeds
  received, debt drawn and repaid, interest accrued; at each quarter's end the assets
  (cost plus marks), the debt and the NAV (the partners' capital accounts).
- **Opening.** Capital called but not yet paid is counted as paid when the simulation
  starts (it is cash due to the fund); the cash the fund holds pays for its first
  uses. The waterfall's state (what each party contributed and was distributed, the
  hurdle balances compounded to the last booked quarter's end) is replayed from the
  dated flows through the one waterfall. Debt owed includes interest accrued and
  unpaid. Capital invested (the basis of fees on invested capital) is shared among
  the LPs pro rata to what they paid in.
- **Projects.** Every project the books invested in must be one of the term sheet's
  ``[[project]]``: the pipeline's future follows the term sheet and the draws. A
  project's latest mark (cost plus marks) over what the plan has it worth at the end
  of the last booked quarter scales its simulated income, marks and exit from then on:
  a mark-down is the market's view that the project will earn less.
- Whole-fund waterfalls only (a deal-by-deal fund's deals are not yet read from the
  books), and no repurchases booked by ``--as-of`` (``books settle``: not yet read
  either; such books are refused, with the date to simulate from instead).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, case, func, select

from sovfund.books import schema
from sovfund.books.accounts import (
    CAPITAL,
    CASH,
    CONTRIBUTIONS,
    DEBT,
    DISTRIBUTIONS,
    FEES_PAYABLE,
    INTEREST_PAYABLE,
    INVESTMENTS,
    RECEIVABLE,
    VALUATION,
)
from sovfund.books.context import load_context
from sovfund.books.store import reading
from sovfund.engine.calendar import quarter_dates
from sovfund.engine.fund import Booked
from sovfund.engine.waterfall import (
    WaterfallSpec,
    accrual_factors,
    hurdle_growth,
    new_rows,
    run_dated,
)
from sovfund.errors import BooksError
from sovfund.terms.models import Terms
from sovfund.terms.sections import index_rate, require_simulation

__all__ = ["booked"]

Array = NDArray[np.float64]


def booked(books: str | Path, *, as_of: dt.date | None = None) -> tuple[Terms, Booked]:
    """The term sheet to simulate (its parties' commitments as the books hold them) and
    the fund as booked up to ``as_of`` (the latest entry's date by default)."""
    from sovfund.books.api import open as open_books

    with open_books(books) as handle, reading(handle.engine) as connection:
        return _read(connection, as_of)


def _read(connection: Connection, as_of: dt.date | None) -> tuple[Terms, Booked]:
    ctx = load_context(connection)
    terms = ctx.terms
    require_simulation(terms)
    if terms.waterfall.style == "deal_by_deal":
        raise BooksError(
            "a simulation from the books is made for whole-fund waterfalls; these books'"
            " term sheet runs deal by deal"
        )
    latest = connection.execute(select(func.max(schema.entry.c.date))).scalar()
    as_of = as_of or latest or ctx.start
    if as_of < ctx.start:
        raise BooksError(f"--as-of {as_of}: before the fund's start ({ctx.start})")
    dates = quarter_dates(terms.fund.start, terms.fund.quarters)
    if as_of > dates[-1]:
        raise BooksError(f"--as-of {as_of}: after the fund's term (it ends on {dates[-1]})")
    repurchased = connection.execute(
        select(func.min(schema.entry.c.date)).where(
            schema.entry.c.kind == "repurchase", schema.entry.c.date <= as_of
        )
    ).scalar()
    if repurchased is not None:  # the simulation's waterfall state would miss the units
        raise BooksError(
            f"--as-of {as_of}: the books hold a repurchase settled on {repurchased}, and a"
            " simulation from the books does not read repurchases yet; expected --as-of"
            f" before {repurchased}"
        )
    booked_any = latest is not None and latest >= ctx.start
    first_entry = connection.execute(select(func.min(schema.entry.c.date))).scalar()
    start = 0
    if booked_any and first_entry is not None and first_entry <= as_of:
        start = _quarter(dates, as_of) + 1

    keys, terms = _parties(connection, terms)
    party_index = {p.id: i for i, p in enumerate(terms.parties)}
    rows = _postings(connection, as_of, terms)
    return terms, _assemble(terms, ctx.start, dates, start, as_of, rows, keys, party_index)


def _quarter(dates: tuple[dt.date, ...], day: dt.date) -> int:
    """The fund quarter ``day`` falls in: the first whose end is on or after it."""
    for t, end in enumerate(dates):
        if day <= end:
            return t
    return len(dates) - 1


def _parties(connection: Connection, terms: Terms) -> tuple[dict[str, str], Terms]:
    """Each partner's simulated party, and the terms with the parties' commitments as
    booked (the term sheet's, plus those of the LPs counted with them)."""
    ctx = load_context(connection)
    partners = ctx.partners
    ids = {p.id for p in terms.parties}
    by_kind: dict[tuple[str | None, str | None], str] = {}
    for lp in terms.lps:
        by_kind.setdefault((lp.investor_class, lp.country), lp.id)
    usd_jpy = terms.market.usd_jpy
    extra: defaultdict[str, float] = defaultdict(float)
    keys: dict[str, str] = {}
    for i, partner in enumerate(partners.ids):
        if partner in ids:
            keys[partner] = partner
            continue
        kind = (partners.investor_class[i], partners.countries[i])
        home = by_kind.get(kind)
        if home is None or not partners.is_lp[i]:
            raise BooksError(
                f"partner {partner!r} ({kind[0] or 'no class'}, {kind[1] or 'no country'})"
                " has no LP of its class and country in the term sheet to be simulated with;"
                " expected a [[party]] of that class and country"
            )
        keys[partner] = home
        commitment = int(partners.commitment[i])
        extra[home] += commitment / usd_jpy if partners.currency[i] == "JPY" else commitment / 100
    parties = tuple(
        p.model_copy(update={"commitment": (p.commitment or 0.0) + extra[p.id]})
        if p.id in extra
        else p
        for p in terms.parties
    )
    return keys, terms.model_copy(update={"parties": parties})


def _postings(connection: Connection, as_of: dt.date, terms: Terms) -> list[Any]:
    """Postings up to ``as_of`` summed by date, entry kind, account, partner and project,
    debits and credits apart, in the fund's currency (cents)."""
    posting, entry = schema.posting, schema.entry
    debit = func.sum(case((posting.c.value > 0, posting.c.value), else_=0))
    credit = func.sum(case((posting.c.value < 0, posting.c.value), else_=0))
    query = (
        select(
            entry.c.date,
            entry.c.kind,
            posting.c.account,
            posting.c.partner_id,
            posting.c.project_id,
            debit,
            credit,
        )
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(entry.c.date <= as_of)
        .group_by(
            entry.c.date,
            entry.c.kind,
            posting.c.account,
            posting.c.partner_id,
            posting.c.project_id,
        )
    )
    return list(connection.execute(query))


def _assemble(
    terms: Terms,
    fund_start: dt.date,
    dates: tuple[dt.date, ...],
    start: int,
    as_of: dt.date,
    rows: list[Any],
    keys: dict[str, str],
    index: dict[str, int],
) -> Booked:
    parties = len(terms.parties)
    projects = {p.id: j for j, p in enumerate(terms.projects)}
    fund = {name: np.zeros(start) for name in _FUND_FLOWS + _FUND_LEVELS}
    party = {name: np.zeros((start, parties)) for name in (*_PARTY_FLOWS, "party_nav")}
    called = np.zeros(parties)
    receivable = np.zeros(parties)
    net_capital = np.zeros((start, parties))  # capital accounts' change in each quarter
    levels = {name: np.zeros(start) for name in ("assets", "debt", "cash", "interest_owed")}
    marked: dict[int, float] = {}
    cost: defaultdict[int, float] = defaultdict(float)
    valuation: defaultdict[int, float] = defaultdict(float)
    dated: defaultdict[dt.date, list[Any]] = defaultdict(list)  # for the waterfall replay
    for day, kind, account, partner, project, debit, credit in rows:
        t = _quarter(dates, day)
        debit, credit = float(debit) / 100.0, float(credit) / 100.0
        i = index[keys[partner]] if partner is not None else -1
        if project is not None and project not in projects and account == INVESTMENTS:
            raise BooksError(
                f"project {project!r} is in the books but not in the term sheet's [[project]]"
                " list; expected every project the fund holds to be in its pipeline"
            )
        j = projects.get(project, -1) if project is not None else -1
        if t >= start:  # booked after as_of's quarter: cannot happen (the query stops)
            continue
        if account == RECEIVABLE and i >= 0:
            receivable[i] += debit + credit
            if kind == "payment":
                party["contributions"][t, i] -= credit
                dated[day].append(("paid", i, -credit))
        elif account == CONTRIBUTIONS and i >= 0:
            called[i] -= debit + credit
        elif account == DISTRIBUTIONS and i >= 0:
            party["distributed"][t, i] += debit + credit
            dated[day].append(("paid_out", i, debit + credit))
        elif account == FEES_PAYABLE and i >= 0:
            party["fees_received"][t, i] -= debit + credit
        elif account == INVESTMENTS:
            fund["investment"][t] += debit + credit
            levels["assets"][t] += debit + credit
            if j >= 0:
                cost[j] += debit + credit
        elif account == VALUATION:
            levels["assets"][t] += debit + credit
            if j >= 0:
                valuation[j] += debit + credit
                marked[j] = 1.0
        elif account == DEBT:
            fund["debt_drawn"][t] -= credit
            fund["debt_repaid"][t] += debit
            levels["debt"][t] -= debit + credit
        elif account == INTEREST_PAYABLE:
            fund["interest"][t] -= credit
            levels["interest_owed"][t] -= debit + credit
        elif account == CASH:
            levels["cash"][t] += debit + credit
            if kind == "proceeds":
                fund["operating_cash"][t] += debit
        if account in CAPITAL and i >= 0:
            net_capital[t, i] -= debit + credit
    fund["calls"] = party["contributions"].sum(axis=1)
    fund["distributions"] = party["distributed"].sum(axis=1)
    fund["fees"] = party["fees_received"].sum(axis=1)
    fund["asset_value"] = np.cumsum(levels["assets"])
    fund["debt"] = np.cumsum(levels["debt"])
    party["party_nav"] = np.cumsum(net_capital, axis=0)
    fund["nav"] = party["party_nav"].sum(axis=1)

    outstanding = np.maximum(receivable, 0.0)
    paid_in = party["contributions"].sum(axis=0)
    contributed = paid_in + outstanding
    invested_total = float(sum(cost.values()))
    invested = np.zeros(parties)
    if contributed.sum() > 0:
        invested = contributed * (invested_total / contributed.sum())
    commitments = np.array([p.commitment or 0.0 for p in terms.parties])
    last_end = dates[start - 1] if start else fund_start
    spec = WaterfallSpec.from_terms(terms)
    balance, party_hurdle = _replay(terms, spec, dated, last_end, outstanding)
    return Booked(
        as_of=as_of,
        start=start,
        fund=fund,
        party=party,
        unfunded=np.where(spec.is_lp, np.maximum(commitments - called, 0.0), 0.0),
        invested=np.where(spec.is_lp, invested, 0.0),
        contributed=contributed,
        distributed=party["distributed"].sum(axis=0),
        balance=balance,
        party_hurdle=party_hurdle,
        debt=float(levels["debt"].sum() + levels["interest_owed"].sum()),
        nav=float(fund["nav"][-1]) if start else 0.0,
        cash=float(levels["cash"].sum() + outstanding.sum()),
        project_scale=_project_scale(terms, start, cost, valuation, marked),
    )


_FUND_FLOWS = (
    "investment",
    "operating_cash",
    "interest",
    "debt_drawn",
    "debt_repaid",
)
_FUND_LEVELS = ("asset_value", "debt", "nav", "calls", "distributions", "fees")
_PARTY_FLOWS = ("contributions", "distributed", "fees_received")


def _replay(
    terms: Terms,
    spec: WaterfallSpec,
    dated: dict[dt.date, list[Any]],
    until: dt.date,
    outstanding: Array,
) -> tuple[Array, Array]:
    """The whole-fund row's hurdle balances at ``until``, and each party's part of them:
    the dated payments and distributions through the waterfall (run_dated), then
    capital called and unpaid, counted as paid at ``until``."""
    parties, tiers = len(spec.parties), len(spec.tier_names)
    days = [*sorted(d for d in dated if d <= until), until]
    contributions = np.zeros((len(days), 1, parties))
    proceeds = np.zeros((len(days), 1))
    net: list[Array] = []  # each date's net flow to each party, for its part of the hurdle
    for k, day in enumerate(days[:-1]):
        flows = np.zeros(parties)
        for what, i, amount in dated[day]:
            if what == "paid":
                contributions[k, 0, i] += amount
                flows[i] -= amount
            else:
                proceeds[k, 0] += amount
                flows[i] += amount
        net.append(flows)
    contributions[-1, 0] += outstanding
    net.append(-outstanding)
    rate = index_rate(terms)
    gaps = np.diff(np.array([(d - days[0]).days for d in days], dtype=np.float64)) / 365.0
    factors = accrual_factors(spec, np.concatenate([[0.0], gaps]), rate)
    factors = np.ascontiguousarray(np.broadcast_to(factors, (len(days), tiers)))
    rows, whole = new_rows(1, parties, tiers), new_rows(1, parties, tiers)
    received = np.zeros((len(days), parties))
    run_dated(
        spec.tiers, factors, contributions, proceeds, rows, whole, received,
        np.zeros((tiers, parties)),
    )  # fmt: skip
    w = spec.tiers
    party_hurdle = np.zeros((tiers, parties))
    for k in w.hurdles:  # each party's own flows, compounded at the tier's rate to until
        for day, flows in zip(days, net, strict=True):
            growth = hurdle_growth(w, k, (until - day).days / 365.0, rate)
            party_hurdle[k] -= w.target[k] * flows * growth
    return rows.balance[0].copy(), party_hurdle


def _project_scale(
    terms: Terms,
    start: int,
    cost: dict[int, float],
    valuation: dict[int, float],
    marked: dict[int, float],
) -> Array:
    """Each project's latest mark over its planned value at the last booked quarter's end."""
    scale = np.ones(len(terms.projects))
    if not marked or start == 0:
        return scale
    from sovfund.engine.projects import project_flows
    from sovfund.scenarios.draws import base_case

    plan = project_flows(terms, base_case(terms), per_project=True).by_project
    assert plan is not None
    for j in marked:
        planned = float(plan.value[0, j, start - 1])
        if planned > 0:
            scale[j] = max(cost[j] + valuation[j], 0.0) / planned
    return scale
