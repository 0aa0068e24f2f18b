"""The fund loop: quarter by quarter over the term, one path at a time.

Each quarter, on every path still alive (a defaulted fund stops):

1. hurdle balances compound to the quarter's end;
2. interest on the debt at the start of the quarter (short rate + spread, /4) and
   management fees (on the previous quarter's basis) fall due; capitalised interest is
   added to the debt instead of being paid. With ``refinance_years``, the debt is
   refinanced every so many years at the then-current spread (``leverage.spread``
   plus the path's credit-spread move);
3. uses (equity for projects, fees, paid interest) net against the projects' operating
   cash (unless ``fund.recycling`` is false: then income is distributed as it comes and
   LPs fund every use). The need left is met, in order, by a debt draw (``pro_rata``:
   the share D/(1+D) of the quarter's investment, up to the target debt D x
   commitments), capital calls pro rata to unfunded commitments, and more debt up to
   the hard cap (``max_debt_to_equity``). A need still unmet is called from the LPs
   beyond their commitments (pro rata to commitments) where
   ``fund.calls_beyond_commitment``, else it is a funding shortfall: the fund sells
   everything at the fire-sale discount and stops (a default if it owes debt);
4. covenants are tested on the quarter-end marks: LTV = debt / asset value, and (from
   the end of the investment period) interest cover = operating cash / interest. A
   breach sweeps all spare cash to the debt (``on_breach = "sweep"``), or sells that
   share of every project, at the fire-sale discount, which brings LTV back to its
   maximum and sweeps cash too (``"sell"``; a default where no sale can), or makes the
   fund default (``"default"``);
5. on a default the lenders sell the assets at ``fire_sale_discount`` below their marks
   and take what they are owed; in the last quarter every project is sold at its exit
   value and the debt repaid. Debt left unpaid is the lenders' loss (a default);
6. redemptions (``fund.redemptions``, with requests in ``draws.redemption``): each LP of
   a redeeming class is paid ``min(request, gate)`` x its NAV at the end of the previous
   quarter, from spare cash first, then by selling the same share of every project at
   the fire-sale discount with part of the proceeds repaying debt so that LTV is
   unchanged. Where that sale cannot be made (``1 - discount - LTV <= 0``, or it would
   take everything), where the redeemers' NAV is gone, or on a default the gate is shut
   and nothing is paid; in the last quarter everyone is paid out anyway. A redemption
   cancels units at NAV: the LP's capital account (contributed, distributed, its part of
   each hurdle balance, unfunded commitment, invested capital) shrinks by the share
   redeemed, so later distributions treat it as the smaller investor it now is;
7. spare cash, after any sweep, repayment or redemption, goes through the waterfall.
   Deal by deal (``waterfall.style``), each project is a row of its own: the quarter's
   calls are attributed to projects in proportion to the equity each received that
   quarter, spare cash in proportion to the cash each produced (operating cash and sale
   proceeds); when a quarter has no such activity, in proportion to equity invested so
   far. A whole-fund row of the same tiers runs alongside: it values interim NAV and, at
   the close, sizes the clawback (each GP returns what it got above its whole-fund
   entitlement; the LPs share it pro rata to capital).

Equity NAV is the asset marks less debt (zero once the fund has defaulted); each
party's share of it is what the waterfall would pay it if the NAV were distributed
now (a hypothetical liquidation), so TVPI at any date is comparable across parties.
Redemptions are paid outside the waterfall (no tier records them) but count as
distributions: in ``distributed``, ``distributions`` and so in every party's cash.

The rules are kernels (:mod:`sovfund.engine.kernels`), one stage function each, run by
:func:`fund_path` for one path; :func:`run_fund` runs them compiled, in parallel over
paths, or as plain Python (the reference engine). There is no other copy of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.calendar import quarter_dates, year_fractions
from sovfund.engine.kernels import compiled, kernel, prange
from sovfund.engine.projects import ProjectFlows, project_flows
from sovfund.engine.waterfall import (
    WaterfallSpec,
    allocate_row,
    clawback_row,
    hurdle_growth,
    lp_weights,
    new_rows,
)
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Terms

__all__ = ["FUND_SERIES", "PARTY_SERIES", "SUMMARY_SERIES", "FundPaths", "run_fund"]

Array = NDArray[np.float64]

# -- what the loop records -----------------------------------------------------------

FUND_SERIES = (
    "investment",
    "operating_cash",
    "fees",
    "interest",
    "interest_capitalised",
    "debt_drawn",
    "debt_repaid",
    "calls",
    "sale_proceeds",
    "distributions",
    "asset_value",
    "debt",
    "nav",
    "redeemed",
)
"""Fund-level series, each (paths, quarters). ``distributions`` are through the waterfall
and in redemptions; ``redeemed`` what redeeming LPs were paid (also in distributions)."""
(
    S_INVESTMENT,
    S_OPERATING_CASH,
    S_FEES,
    S_INTEREST,
    S_INTEREST_CAPITALISED,
    S_DEBT_DRAWN,
    S_DEBT_REPAID,
    S_CALLS,
    S_SALE_PROCEEDS,
    S_DISTRIBUTIONS,
    S_ASSET_VALUE,
    S_DEBT,
    S_NAV,
    S_REDEEMED,
) = range(len(FUND_SERIES))

PARTY_SERIES = (
    "contributions",
    "invested_capital",
    "distributed",
    "fees_received",
    "clawback",
    "party_nav",
)
"""Party-level series, each (paths, quarters, parties). ``distributed`` is through the
waterfall and in redemptions, net of any clawback; ``clawback`` is + where a GP gave
back, - where an LP received; ``party_nav`` each party's share of NAV (a hypothetical
liquidation)."""
P_CONTRIBUTIONS, P_INVESTED, P_DISTRIBUTED, P_FEES_RECEIVED, P_CLAWBACK, P_NAV = range(
    len(PARTY_SERIES)
)

RECORDABLE = (*FUND_SERIES, *PARTY_SERIES, "tier_paid")
"""Everything :func:`run_fund` can keep: the series, and what each tier paid each party."""

SUMMARY_SERIES = frozenset(
    {
        "contributions",
        "distributed",
        "fees_received",
        "fees",
        "calls",
        "distributions",
        "asset_value",
        "debt",
        "debt_repaid",
        "nav",
        "redeemed",
    }
)
"""What per-path summaries and the sampled chart paths read (the Monte Carlo's record)."""

# -- the terms as the kernels take them ------------------------------------------------

(
    F_TARGET_RATIO,  # target debt / commitments
    F_CAP_RATIO,  # the hard cap
    F_SPREAD,  # the debt's spread over the short rate
    F_MAX_LTV,  # NaN: no LTV covenant
    F_MIN_COVER,  # NaN: no interest-cover covenant
    F_DISCOUNT,  # fire-sale discount
    F_GATE,  # the most redeemed a quarter, a share of NAV
) = range(7)
(
    M_INVESTMENT_QUARTERS,
    M_RECYCLING,
    M_BEYOND_COMMITMENT,
    M_PRO_RATA_DRAW,
    M_CAPITALISE,
    M_SWEEP_REPAYMENT,
    M_REFINANCE_QUARTERS,  # 0: never refinanced
    M_ON_BREACH,
    M_REDEEMING,
    M_DEAL_BY_DEAL,
    M_CLAWBACK,
    M_INTERIM_NAV,
    M_TRACK_TIERS,
) = range(13)
SWEEP, SELL, DEFAULT = range(3)
"""``leverage.covenants.on_breach``."""
COMMITTED, INVESTED, NAV = range(3)
"""A fee's basis."""
FEE_RATE, FEE_BASIS, FEE_STEPS, FEE_STEP_RATE, FEE_STEP_BASIS, FEE_COMMITTED, FEE_NAV_SHARE = range(
    7
)
"""A fee's columns: its rate and basis, whether it steps down and to what, and its
payers' commitments (in money, and as a share of all commitments: their part of NAV)."""


class Rules(NamedTuple):
    """The fund's terms as arrays: ``scalars`` (F_*), ``modes`` (M_*), one row per fee
    (FEE_* columns) with its payers' and receivers' weights (fees, parties), the
    parties' commitments and which of them may redeem."""

    scalars: Array
    modes: NDArray[np.int64]
    fees: Array
    payers: Array
    receivers: Array
    commitments: Array
    redeemer: NDArray[np.bool_]


class Market(NamedTuple):
    """The path-dependent inputs: year fraction of each quarter (quarters,); the growth
    of fixed-rate hurdles each quarter (quarters, tiers), the same on every path; the
    short rate, credit-spread move and redemption requests (paths, quarters)."""

    years: Array
    fixed_growth: Array
    short_rate: Array
    credit_spread: Array
    requests: Array


class Pipeline(NamedTuple):
    """Project totals (paths, quarters) and exit (paths,); per project (paths, projects,
    quarters) and (paths, projects) for deal-by-deal terms (empty otherwise)."""

    investment: Array
    operating: Array
    marks: Array
    exit_value: Array
    deal_investment: Array
    deal_operating: Array
    deal_marks: Array
    deal_exit: Array


class Record(NamedTuple):
    """Where the loop writes: a slot per series (-1: not kept) into ``fund`` (slots,
    paths, quarters) and ``party`` (slots, paths, quarters, parties); ``flags`` breach
    and gate shut (2, paths, quarters); ``events`` default and shortfall quarters (2,
    paths; -1: none); ``lenders_loss`` (paths,); ``tiers`` (paths, tiers, parties);
    ``residual`` each party's NAV after the last quarter (paths, parties)."""

    fund_slots: NDArray[np.int64]
    party_slots: NDArray[np.int64]
    fund: Array
    party: Array
    flags: NDArray[np.bool_]
    events: NDArray[np.int64]
    lenders_loss: Array
    tiers: Array
    residual: Array


O_START, O_DEBT, O_NAV, O_CASH = range(4)
"""The opening's scalars: the first quarter simulated, the debt owed (with interest
accrued), the NAV at the end of the quarter before, the cash the fund holds."""
O_UNFUNDED, O_INVESTED, O_CONTRIBUTED, O_DISTRIBUTED = range(4)
"""The opening's rows per party."""


class Opening(NamedTuple):
    """Where the fund stands when the loop starts: ``scalars`` (O_*), per party
    ``parties`` (4, parties; O_* rows), the whole-fund row's hurdle ``balance``
    (tiers,) and each party's part of it ``party_hurdle`` (tiers, parties)."""

    scalars: Array
    parties: Array
    balance: Array
    party_hurdle: Array


@dataclass(frozen=True)
class Booked:
    """The fund as booked up to a date (:mod:`sovfund.books.history` reads it): what
    happened in its first ``start`` quarters, the same on every path, and where it
    stands at their end, from which the loop simulates the rest.

    ``fund`` and ``party`` hold the history of series of :data:`FUND_SERIES` and
    :data:`PARTY_SERIES` (shapes (start,) and (start, parties); a series left out is
    zero). Per party: ``unfunded`` commitment, capital ``invested`` in projects,
    ``contributed`` and ``distributed`` as the waterfall counts them (parties,); the
    waterfall's hurdle ``balance`` (tiers,) and each party's part of it
    ``party_hurdle`` (tiers, parties). ``debt`` owed, ``nav`` at the end of the last
    booked quarter, ``cash`` held. ``project_scale`` (projects,) multiplies each
    project's simulated income, marks and exit from ``start`` on: its latest mark over
    what the plan had it worth then (1 where unmarked).
    """

    as_of: dt.date
    start: int
    fund: dict[str, Array]
    party: dict[str, Array]
    unfunded: Array
    invested: Array
    contributed: Array
    distributed: Array
    balance: Array
    party_hurdle: Array
    debt: float
    nav: float
    cash: float
    project_scale: Array

    def opening(self) -> Opening:
        """The loop's opening state."""
        parties = np.stack([self.unfunded, self.invested, self.contributed, self.distributed])
        return Opening(
            np.array([float(self.start), self.debt, self.nav, self.cash]),
            np.ascontiguousarray(parties, dtype=np.float64),
            np.ascontiguousarray(self.balance, dtype=np.float64),
            np.ascontiguousarray(self.party_hurdle, dtype=np.float64),
        )


def fresh_opening(spec: WaterfallSpec) -> Opening:
    """A fund at its start: nothing called, nothing owed."""
    parties, tiers = len(spec.parties), len(spec.tier_names)
    rows = np.zeros((4, parties))
    rows[O_UNFUNDED] = spec.commitments
    return Opening(np.zeros(4), rows, np.zeros(tiers), np.zeros((tiers, parties)))


@dataclass(frozen=True, slots=True)
class FundPaths:
    """Every flow of the fund on every path: the one result of the fund loop.

    Fund series (:data:`FUND_SERIES`) have shape (paths, quarters); party series
    (:data:`PARTY_SERIES`) (paths, quarters, parties), parties in term-sheet order. Only
    the series in ``recorded`` were kept (the Monte Carlo keeps
    :data:`SUMMARY_SERIES`); the others are empty arrays of shape (paths, 0) or
    (paths, 0, parties).
    """

    dates: tuple[dt.date, ...]
    parties: tuple[str, ...]
    tiers: tuple[str, ...]
    projects: ProjectFlows
    recorded: frozenset[str]
    investment: Array
    operating_cash: Array
    fees: Array
    interest: Array
    interest_capitalised: Array
    debt_drawn: Array
    debt_repaid: Array
    calls: Array
    sale_proceeds: Array
    distributions: Array
    asset_value: Array
    debt: Array
    nav: Array
    redeemed: Array
    breach: NDArray[np.bool_]  # (paths, quarters)
    gate_shut: NDArray[np.bool_]  # (paths, quarters): redemptions asked for, nothing paid
    contributions: Array
    invested_capital: Array
    distributed: Array
    fees_received: Array
    clawback: Array
    party_nav: Array
    tier_paid: Array  # (paths, tiers, parties)
    residual: Array  # (paths, parties): NAV left after the last quarter (the fund sells up)
    default_quarter: NDArray[np.int64]  # (paths,), -1 where the fund never defaulted
    shortfall_quarter: NDArray[np.int64]  # (paths,), -1 where the fund never ran short
    lenders_loss: Array  # (paths,)

    @property
    def party_cash(self) -> Array:
        """Each party's net cash flow: distributions and fees received less contributions."""
        return self.distributed + self.fees_received - self.contributions


def run_fund(
    terms: Terms,
    draws: Draws,
    projects: ProjectFlows | None = None,
    *,
    record: Iterable[str] | None = None,
    fast: bool = True,
    booked: Booked | None = None,
) -> FundPaths:
    """Simulate the fund on every path of ``draws``; deterministic in (terms, draws).

    With ``booked`` (the fund as its books hold it), the quarters before
    ``booked.start`` are what was booked, on every path, and the loop runs from there.

    ``projects`` are the project flows of these draws (per project for deal-by-deal
    terms); when not given they are computed here, with no project exposed to tariffs
    (pass them in for draws with tariff snap-backs). ``record`` names the series to
    keep (all by default; each party's NAV is worked out every quarter only if
    ``party_nav`` is kept). ``fast``: compiled and parallel over paths; else the same
    kernels as plain Python (the reference engine).
    """
    spec = WaterfallSpec.from_terms(terms)
    if projects is None:
        projects = project_flows(terms, draws, per_project=spec.deal_by_deal, fast=fast)
    if spec.deal_by_deal and projects.by_project is None:
        raise ValueError("deal-by-deal terms need per-project flows (per_project=True)")
    kept = frozenset(RECORDABLE if record is None else record)
    unknown = kept - set(RECORDABLE)
    if unknown:
        raise ValueError(f"no such series: {', '.join(sorted(unknown))}")
    paths, quarters, parties = draws.paths, terms.fund.quarters, len(spec.parties)
    dates = quarter_dates(terms.fund.start, quarters)

    fund_names = [name for name in FUND_SERIES if name in kept]
    party_names = [name for name in PARTY_SERIES if name in kept]
    rec = Record(
        fund_slots=_slots(FUND_SERIES, fund_names),
        party_slots=_slots(PARTY_SERIES, party_names),
        fund=np.zeros((len(fund_names), paths, quarters)),
        party=np.zeros((len(party_names), paths, quarters, parties)),
        flags=np.zeros((2, paths, quarters), dtype=np.bool_),
        events=np.full((2, paths), -1, dtype=np.int64),
        lenders_loss=np.zeros(paths),
        tiers=np.zeros((paths if "tier_paid" in kept else 1, len(spec.tier_names), parties)),
        residual=np.zeros((paths, parties)),
    )
    detail = projects.by_project
    none = np.zeros((paths, 0, quarters))
    pipeline = Pipeline(
        np.ascontiguousarray(projects.investment),
        np.ascontiguousarray(projects.operating_cash),
        np.ascontiguousarray(projects.value),
        np.ascontiguousarray(projects.exit_value),
        none if detail is None else np.ascontiguousarray(detail.investment),
        none if detail is None else np.ascontiguousarray(detail.operating_cash),
        none if detail is None else np.ascontiguousarray(detail.value),
        np.zeros((paths, 0)) if detail is None else np.ascontiguousarray(detail.exit_value),
    )
    rules = _rules(
        terms,
        spec,
        interim_nav="party_nav" in kept,
        track_tiers="tier_paid" in kept,
        redeeming=draws.redemption,
    )
    years = np.diff(year_fractions(terms.fund.start, dates), prepend=0.0)
    fixed_growth = np.ones((quarters, len(spec.tier_names)))
    tiers = spec.tiers
    for k in tiers.hurdles:
        if not tiers.floating[k]:
            fixed_growth[:, k] = [hurdle_growth(tiers, k, year, 0.0) for year in years]
    market = Market(
        years,
        fixed_growth,
        np.ascontiguousarray(draws.short_rate),
        np.ascontiguousarray(draws.credit_spread),
        np.zeros((paths, 1))
        if draws.redemption is None
        else np.ascontiguousarray(draws.redemption, dtype=np.float64),
    )
    if booked is not None and spec.deal_by_deal:
        raise ValueError("a fund as booked is simulated for whole-fund waterfalls only")
    opening = fresh_opening(spec) if booked is None else booked.opening()
    run = compiled(fund_paths) if fast else fund_paths
    run(rules, tiers, market, pipeline, opening, rec)
    if booked is not None:
        _write_history(booked, rec, fund_names, party_names)

    series = {name: rec.fund[k] for k, name in enumerate(fund_names)}
    series |= {name: rec.party[k] for k, name in enumerate(party_names)}
    empty = {name: np.zeros((paths, 0)) for name in FUND_SERIES if name not in kept}
    empty |= {name: np.zeros((paths, 0, parties)) for name in PARTY_SERIES if name not in kept}
    return FundPaths(
        dates=dates,
        parties=spec.parties,
        tiers=spec.tier_names,
        projects=projects,
        recorded=kept,
        breach=rec.flags[0],
        gate_shut=rec.flags[1],
        tier_paid=rec.tiers if "tier_paid" in kept else np.zeros((paths, 0, parties)),
        residual=rec.residual,
        default_quarter=rec.events[0],
        shortfall_quarter=rec.events[1],
        lenders_loss=rec.lenders_loss,
        **series,
        **empty,
    )


def _write_history(
    booked: Booked, rec: Record, fund_names: list[str], party_names: list[str]
) -> None:
    """The booked quarters into every path's record (the loop starts after them)."""
    start = booked.start
    for k, name in enumerate(fund_names):
        if name in booked.fund:
            rec.fund[k, :, :start] = booked.fund[name][None, :start]
    for k, name in enumerate(party_names):
        if name in booked.party:
            rec.party[k, :, :start] = booked.party[name][None, :start]


def _slots(names: tuple[str, ...], kept: list[str]) -> NDArray[np.int64]:
    return np.array([kept.index(name) if name in kept else -1 for name in names], np.int64)


def _rules(
    terms: Terms,
    spec: WaterfallSpec,
    *,
    interim_nav: bool,
    track_tiers: bool,
    redeeming: Array | None,
) -> Rules:
    fund, leverage = terms.fund, terms.leverage
    covenants = leverage.covenants
    target = leverage.debt_to_equity
    cap = max(target, leverage.max_debt_to_equity or terms.policy.max_debt_to_equity or target)
    table = fund.redemptions
    classes = table.classes if table is not None else ()
    redeemer = np.array(
        [p.role == "lp" and p.investor_class in classes for p in terms.parties], dtype=np.bool_
    )
    gate = table.gate if table is not None else 0.0
    redeems = redeeming is not None and gate > 0 and bool(redeemer.any())
    scalars = np.array(
        [
            target,
            cap,
            leverage.spread,
            np.nan if covenants.max_ltv is None else covenants.max_ltv,
            np.nan if covenants.min_interest_cover is None else covenants.min_interest_cover,
            leverage.fire_sale_discount,
            gate,
        ]
    )
    modes = np.array(
        [
            fund.investment_quarters,
            fund.recycling,
            fund.calls_beyond_commitment,
            leverage.draw == "pro_rata",
            leverage.interest == "capitalised",
            leverage.repayment == "sweep",
            4 * (leverage.refinance_years or 0),
            {"sweep": SWEEP, "sell": SELL, "default": DEFAULT}[covenants.on_breach],
            redeems,
            spec.deal_by_deal,
            spec.clawback,
            interim_nav,
            track_tiers,
        ],
        dtype=np.int64,
    )
    bases = {"committed": COMMITTED, "invested": INVESTED, "nav": NAV}
    fees = np.zeros((len(terms.fees), 7))
    payers = np.zeros((len(terms.fees), len(spec.parties)))
    receivers = np.zeros((len(terms.fees), len(spec.parties)))
    for f, fee in enumerate(terms.fees):
        step = fee.step_down
        payers[f] = [
            p.id in fee.paid_by or ("lps" in fee.paid_by and p.role == "lp") for p in terms.parties
        ]
        committed = 0.0  # summed in party order, as the kernels sum
        for commitment, payer in zip(spec.commitments, payers[f], strict=True):
            committed += commitment * payer
        fees[f] = (
            fee.rate,
            bases[fee.basis],
            step is not None,
            step.rate if step else 0.0,
            bases[(step.basis or fee.basis) if step else fee.basis],
            committed,
            committed / max(sum(spec.commitments.tolist()), 1e-300),
        )
        for who, share in fee.to.items():
            receivers[f] += share * (
                spec.gp_weights if who == "gps" else np.array([i == who for i in spec.parties])
            )
    return Rules(scalars, modes, fees, payers, receivers, spec.commitments, redeemer)


# -- the kernels -----------------------------------------------------------------------


@kernel(parallel=True)
def fund_paths(rules, tiers, market, pipeline, opening, record):  # type: ignore[no-untyped-def]
    """:func:`fund_path` on every path."""
    for p in prange(market.short_rate.shape[0]):
        fund_path(p, rules, tiers, market, pipeline, opening, record)


@kernel
def fund_path(p, rules, w, market, pipeline, opening, record):  # type: ignore[no-untyped-def]
    """The fund on path p, quarter by quarter (the module docstring gives the rules),
    from the ``opening`` state (a fund at its start, or as booked)."""
    scalars, modes, _, _, _, commitments, redeemer = rules
    years, fixed_growth, short_rate, credit_spread, requests = market
    (
        investment,
        operating,
        marks,
        exit_value,
        deal_investment,
        deal_operating,
        deal_marks,
        deal_exit,
    ) = pipeline
    hurdles, floating, target = w.hurdles, w.floating, w.target
    flags, events, lenders_loss, tier_paid = (
        record.flags,
        record.events,
        record.lenders_loss,
        record.tiers,
    )
    quarters = years.shape[0]
    parties = commitments.shape[0]
    tiers = w.kind.shape[0]
    deals = deal_investment.shape[1]
    deal_by_deal = modes[M_DEAL_BY_DEAL] != 0
    redeeming = modes[M_REDEEMING] != 0
    commitment = 0.0
    for i in range(parties):
        commitment += commitments[i]
    tolerance = 1e-9 * max(commitment, 1.0)
    discount = scalars[F_DISCOUNT]

    # the fund's state on this path
    # (per-party arrays as rows of one block: one allocation a path, not ten)
    work = np.zeros((9, parties))
    unfunded, invested_total, calls, invested = work[0], work[1], work[2], work[3]
    fees_to, paid, due, clawback, nav_parties = work[4], work[5], work[6], work[7], work[8]
    start = int(opening.scalars[O_START])
    for i in range(parties):
        unfunded[i] = opening.parties[O_UNFUNDED, i]
        invested_total[i] = opening.parties[O_INVESTED, i]
    party_hurdle = opening.party_hurdle.copy()  # each party's part of each hurdle balance
    debt = opening.scalars[O_DEBT]
    nav_previous = opening.scalars[O_NAV]
    cash_held = opening.scalars[O_CASH]  # spent or paid out in the first quarter
    held = 1.0  # share of the portfolio still held (forced sales cut it)
    spread = scalars[F_SPREAD]
    # the waterfall: the whole-fund row, and one row per deal where deal by deal
    whole = new_rows(1, parties, tiers)
    scratch = new_rows(1, parties, tiers)  # for hypothetical liquidations
    by_deal = new_rows(deals if deal_by_deal else 0, parties, tiers)
    deal_work = np.zeros((3, deals))
    cost = deal_work[0]  # equity each deal has received
    weights = deal_work[1]  # each deal's share of this quarter's calls or cash
    deal_cash = deal_work[2]
    deal_received = np.zeros((1, parties))  # what the deals paid each party so far
    fund_out, fund_slots = record.fund, record.fund_slots
    party_out, party_slots = record.party, record.party_slots
    for i in range(parties):
        whole.contributed[0, i] = opening.parties[O_CONTRIBUTED, i]
        whole.distributed[0, i] = opening.parties[O_DISTRIBUTED, i]
    for k in range(tiers):
        whole.balance[0, k] = opening.balance[k]
    if redeeming and start > 0:
        hypothetical(whole, scratch, w, nav_previous, nav_parties)

    for t in range(start, quarters):
        last = t == quarters - 1
        # 1. hurdles compound
        for h in hurdles:
            growth = fixed_growth[t, h]
            if floating[h]:
                growth = hurdle_growth(w, h, years[t], short_rate[p, t])
            whole.balance[0, h] *= growth
            for d in range(by_deal.rows):
                by_deal.balance[d, h] *= growth
            if redeeming:
                for i in range(parties):
                    party_hurdle[h, i] *= growth

        # 2. interest and fees
        if modes[M_REFINANCE_QUARTERS] > 0 and t > 0 and t % modes[M_REFINANCE_QUARTERS] == 0:
            spread = scalars[F_SPREAD] + credit_spread[p, t]  # refinanced at market
        interest = debt * (short_rate[p, t] + spread) / 4.0
        capitalised = interest if modes[M_CAPITALISE] else 0.0
        debt += capitalised
        fees = fees_due(rules, t, invested_total, nav_previous, fees_to)

        # 3. uses, met by debt, calls, more debt, calls beyond commitments
        spend = investment[p, t] * held
        cash_in = operating[p, t] * held
        expenses = fees + (interest - capitalised)
        # income pays for uses first when recycling; otherwise only losses are funded
        # and income is distributed as it comes
        offset = cash_in if modes[M_RECYCLING] else min(cash_in, 0.0)
        need = spend + expenses - offset - cash_held  # cash in hand pays first
        cash_held = 0.0
        drawn = 0.0
        target_ratio, cap_ratio = scalars[F_TARGET_RATIO], scalars[F_CAP_RATIO]
        if modes[M_PRO_RATA_DRAW] and target_ratio > 0:
            drawn = min(
                max(spend * target_ratio / (1.0 + target_ratio), 0.0),
                max(target_ratio * commitment - debt, 0.0),
            )
            need -= drawn
        unfunded_total = 0.0
        for i in range(parties):
            unfunded_total += unfunded[i]
        called = min(max(need, 0.0), unfunded_total)
        need -= called
        extra = min(max(need, 0.0), max(cap_ratio * commitment - debt - drawn, 0.0))
        drawn += extra
        need -= extra
        beyond = max(need, 0.0) if modes[M_BEYOND_COMMITMENT] else 0.0
        need -= beyond
        shortfall = need > tolerance
        surplus = max(-need, 0.0) + (cash_in - offset)
        debt += drawn
        for i in range(parties):
            calls[i] = called * unfunded[i] / unfunded_total if unfunded_total > 0 else 0.0
            unfunded[i] -= calls[i]
            calls[i] += beyond * w.commitment_weights[i]
        called += beyond
        for_expenses = min(called, max(expenses - max(offset, 0.0), 0.0))
        invested_part = 1.0 - for_expenses / called if called > 0 else 0.0
        for i in range(parties):
            invested[i] = calls[i] * invested_part
            invested_total[i] += invested[i]
        if deal_by_deal:
            for d in range(deals):
                cost[d] += deal_investment[p, d, t]
            attribution(deal_investment[p, :, t], cost, weights)
        contribute(whole, by_deal, weights, w, calls, party_hurdle, redeeming)

        # 4. covenants, forced sales, defaults and the close
        assets = marks[p, t] * held - (need if shortfall else 0.0)
        breach, sold_share, cannot_cure = covenant_test(
            scalars, modes, t, debt, assets, cash_in, interest
        )
        held *= 1.0 - sold_share
        sale = sold_share * assets * (1.0 - discount)
        assets *= 1.0 - sold_share
        covenant_default = breach and (modes[M_ON_BREACH] == DEFAULT or cannot_cure)
        default_now = shortfall or covenant_default
        if default_now:
            proceeds = assets * (1.0 - discount)
        elif last:
            proceeds = exit_value[p] * held
        else:
            proceeds = 0.0
        sweeping = (breach and modes[M_ON_BREACH] != DEFAULT) or (
            modes[M_SWEEP_REPAYMENT] and t >= modes[M_INVESTMENT_QUARTERS]
        )
        proceeds += sale
        cash = surplus + proceeds
        closing = default_now or last
        repaid = min(cash, debt) if (closing or sweeping) else 0.0
        debt -= repaid
        cash -= repaid
        unpaid = debt if closing else 0.0
        lenders_loss[p] += unpaid
        # A default is on debt: a covenant default, a shortfall with debt outstanding,
        # or debt left unpaid. A shortfall without debt is not one (nobody lent).
        owed = debt + repaid > 0  # debt outstanding before any repayment this quarter
        if (covenant_default or (shortfall and owed) or unpaid > 0) and events[0, p] < 0:
            events[0, p] = t
        if shortfall:
            events[1, p] = t
        if closing:
            debt = 0.0

        # 5. redemptions, paid from spare cash, then by a sale that keeps LTV
        redeemed = 0.0
        for i in range(parties):
            due[i] = 0.0
        ask = requests[p, t] if redeeming else 0.0
        if ask > 0 and not (last and not default_now):  # the last quarter pays all
            rate = min(ask, scalars[F_GATE])
            total = 0.0
            for i in range(parties):
                if not closing and redeemer[i] and nav_parties[i] > 0:
                    due[i] = rate * nav_parties[i]
                total += due[i]
            from_cash = min(cash, total)
            short = total - from_cash  # to raise by a sale
            free = assets * (1.0 - discount) - debt  # a sale of everything, net of debt
            if total > 0 and (short <= 0 or (free > 0 and short < free)):
                redeemed = total
                if short > 0:
                    cut = short / free
                    sold = cut * assets * (1.0 - discount)
                    to_lenders = sold - short  # the sale's share of the debt: LTV kept
                    held *= 1.0 - cut
                    assets *= 1.0 - cut
                    debt -= to_lenders
                    repaid += to_lenders
                    proceeds += sold
                cash -= from_cash
                cancel_units(rate, due, w, whole, party_hurdle, unfunded, invested_total)
            else:
                flags[1, p, t] = True
                for i in range(parties):
                    due[i] = 0.0

        # 6. the waterfall, and the clawback at the close
        if deal_by_deal:  # each deal's part: the cash it produced
            for d in range(deals):
                sold = deal_exit[p, d] if last else 0.0
                if default_now:
                    sold = deal_marks[p, d, t] * (1.0 - discount)
                deal_cash[d] = max(deal_operating[p, d, t], 0.0) + sold
            attribution(deal_cash, cost, weights)
        track = modes[M_TRACK_TIERS] != 0
        tiers_out = tier_paid[p] if track else tier_paid[0]
        distribute(whole, by_deal, weights, w, cash, paid, tiers_out, track)
        for i in range(parties):
            clawback[i] = 0.0
        if closing and deal_by_deal and modes[M_CLAWBACK]:
            for i in range(parties):
                deal_received[0, i] = 0.0
                for d in range(deals):
                    deal_received[0, i] += by_deal.distributed[d, i]
            clawback_row(
                0, w, deal_received, whole.distributed, whole.contributed, scratch.received
            )
            for i in range(parties):
                clawback[i] = scratch.received[0, i]
        if redeeming:
            for h in hurdles:
                for i in range(parties):
                    party_hurdle[h, i] -= target[h, i] * paid[i]
        nav = 0.0 if closing else assets - debt
        nav_previous = max(nav, 0.0)
        asked_next = redeeming and not closing and not last and requests[p, t + 1] > 0
        if modes[M_INTERIM_NAV] or asked_next:
            hypothetical(whole, scratch, w, nav_previous, nav_parties)

        # 7. record
        put(fund_out, fund_slots, S_INVESTMENT, p, t, spend)
        put(fund_out, fund_slots, S_OPERATING_CASH, p, t, cash_in)
        put(fund_out, fund_slots, S_FEES, p, t, fees)
        put(fund_out, fund_slots, S_INTEREST, p, t, interest)
        put(fund_out, fund_slots, S_INTEREST_CAPITALISED, p, t, capitalised)
        put(fund_out, fund_slots, S_DEBT_DRAWN, p, t, drawn)
        put(fund_out, fund_slots, S_DEBT_REPAID, p, t, repaid)
        put(fund_out, fund_slots, S_CALLS, p, t, called)
        put(fund_out, fund_slots, S_SALE_PROCEEDS, p, t, proceeds)
        put(fund_out, fund_slots, S_DISTRIBUTIONS, p, t, cash + redeemed)
        put(fund_out, fund_slots, S_ASSET_VALUE, p, t, 0.0 if closing else assets)
        put(fund_out, fund_slots, S_DEBT, p, t, debt)
        put(fund_out, fund_slots, S_NAV, p, t, nav)
        put(fund_out, fund_slots, S_REDEEMED, p, t, redeemed)
        for i in range(parties):
            paid[i] += due[i] - clawback[i]  # all the party got this quarter
        put_parties(party_out, party_slots, P_CONTRIBUTIONS, p, t, calls)
        put_parties(party_out, party_slots, P_INVESTED, p, t, invested)
        put_parties(party_out, party_slots, P_DISTRIBUTED, p, t, paid)
        put_parties(party_out, party_slots, P_FEES_RECEIVED, p, t, fees_to)
        put_parties(party_out, party_slots, P_CLAWBACK, p, t, clawback)
        put_parties(party_out, party_slots, P_NAV, p, t, nav_parties)
        flags[0, p, t] = breach
        if closing:
            break
    for i in range(parties):
        record.residual[p, i] = 0.0  # the fund has sold everything by the end of its term


@kernel(inline=True)
def fees_due(rules, t, invested_total, nav_previous, fees_to):  # type: ignore[no-untyped-def]
    """The management fees for quarter t, each on its basis over its payers (committed
    capital, capital invested so far, or NAV at the end of the previous quarter, the
    payers' share by commitment), stepped down after the investment period; each GP's
    share into ``fees_to``. Returns their total."""
    _, modes, fees, payers, receivers, _, _ = rules
    parties = fees_to.shape[0]
    for i in range(parties):
        fees_to[i] = 0.0
    total = 0.0
    for f in range(fees.shape[0]):
        rate = fees[f, FEE_RATE]
        basis = fees[f, FEE_BASIS]
        if fees[f, FEE_STEPS] != 0.0 and t >= modes[M_INVESTMENT_QUARTERS]:
            rate = fees[f, FEE_STEP_RATE]
            basis = fees[f, FEE_STEP_BASIS]
        if basis == COMMITTED:
            base = fees[f, FEE_COMMITTED]
        elif basis == INVESTED:
            base = 0.0
            for i in range(parties):
                base += invested_total[i] * payers[f, i]
        else:
            base = nav_previous * fees[f, FEE_NAV_SHARE]
        amount = base * rate / 4.0
        total += amount
        for i in range(parties):
            fees_to[i] += amount * receivers[f, i]
    return total


@kernel(inline=True)
def covenant_test(scalars, modes, t, debt, assets, cash_in, interest):  # type: ignore[no-untyped-def]
    """(breach, share of the portfolio to sell, whether no sale can cure it) on the
    quarter-end marks. A sale at the fire-sale discount d brings LTV back to its maximum
    m where debt - s A (1 - d) = m A (1 - s); it can only lower LTV if 1 - d - m > 0."""
    max_ltv, min_cover = scalars[F_MAX_LTV], scalars[F_MIN_COVER]
    over = not np.isnan(max_ltv) and debt > 0 and debt > max_ltv * assets
    cover_breach = (
        not np.isnan(min_cover)
        and t >= modes[M_INVESTMENT_QUARTERS]
        and interest > 0
        and cash_in < min_cover * interest
    )
    breach = over or cover_breach
    sold_share = 0.0
    cannot_cure = False
    if breach and modes[M_ON_BREACH] == SELL and over:
        room = 1.0 - scalars[F_DISCOUNT] - max_ltv
        if room <= 0 or assets <= 0:
            cannot_cure = True
        else:
            cut = (debt - max_ltv * assets) / (assets * room)
            if cut >= 1.0:
                cannot_cure = True
            else:
                sold_share = cut
    return breach, sold_share, cannot_cure


@kernel
def attribution(current, invested, out):  # type: ignore[no-untyped-def]
    """Each deal's share into ``out``: of ``current`` where it is positive, else of
    ``invested`` so far, else equal."""
    deals = current.shape[0]
    total = 0.0
    invested_total = 0.0
    for d in range(deals):
        total += current[d]
        invested_total += invested[d]
    for d in range(deals):
        if total > 0.0:
            out[d] = current[d] / total
        elif invested_total > 0.0:
            out[d] = invested[d] / invested_total
        else:
            out[d] = 1.0 / deals


@kernel(inline=True)
def contribute(whole, by_deal, weights, w, calls, party_hurdle, redeeming):  # type: ignore[no-untyped-def]
    """Book the quarter's calls: on the whole-fund row (and each party's part of its
    hurdle balances where units may be redeemed), and on each deal's row its share."""
    hurdles, target = w.hurdles, w.target
    contributed, balance = whole.contributed, whole.balance
    deal_contributed, deal_balance = by_deal.contributed, by_deal.balance
    parties = calls.shape[0]
    for i in range(parties):
        if calls[i] == 0.0:
            continue
        contributed[0, i] += calls[i]
        for h in hurdles:
            balance[0, h] += target[h, i] * calls[i]
            if redeeming:
                party_hurdle[h, i] += target[h, i] * calls[i]
        for d in range(by_deal.rows):
            amount = calls[i] * weights[d]
            deal_contributed[d, i] += amount
            for h in hurdles:
                deal_balance[d, h] += target[h, i] * amount


@kernel(inline=True)
def distribute(whole, by_deal, weights, w, cash, paid, tiers_out, track):  # type: ignore[no-untyped-def]
    """Pay ``cash`` through the waterfall; each party's share into ``paid``, each tier's
    payments added to ``tiers_out`` (tiers, parties) where ``track``. Whole fund: one
    row. Deal by deal: each deal's row pays its share of the cash; the whole-fund row
    runs too (what the clawback measures against, and interim NAV)."""
    parties = paid.shape[0]
    deal_by_deal = by_deal.rows > 0
    for i in range(parties):
        whole.received[0, i] = 0.0
        paid[i] = 0.0
    lp_weights(0, w, whole.contributed, whole.weights)
    allocate_row(
        0, cash, w, whole.contributed, whole.distributed, whole.balance, whole.weights,
        whole.received, tiers_out, track and not deal_by_deal,
    )  # fmt: skip
    if not deal_by_deal:
        for i in range(parties):
            paid[i] = whole.received[0, i]
        return
    for d in range(by_deal.rows):
        for i in range(parties):
            by_deal.received[d, i] = 0.0
        lp_weights(d, w, by_deal.contributed, by_deal.weights)
        allocate_row(
            d, cash * weights[d], w, by_deal.contributed, by_deal.distributed,
            by_deal.balance, by_deal.weights, by_deal.received, tiers_out, track,
        )  # fmt: skip
        for i in range(parties):
            paid[i] += by_deal.received[d, i]


@kernel
def hypothetical(whole, scratch, w, nav, out):  # type: ignore[no-untyped-def]
    """Each party's share if ``nav`` were distributed now, into ``out``: the waterfall
    on a copy of the whole-fund row."""
    parties = out.shape[0]
    for i in range(parties):
        scratch.contributed[0, i] = whole.contributed[0, i]
        scratch.distributed[0, i] = whole.distributed[0, i]
        scratch.received[0, i] = 0.0
    for k in range(whole.balance.shape[1]):
        scratch.balance[0, k] = whole.balance[0, k]
    lp_weights(0, w, scratch.contributed, scratch.weights)
    allocate_row(
        0, nav, w, scratch.contributed, scratch.distributed, scratch.balance, scratch.weights,
        scratch.received, scratch.weights, False,
    )  # fmt: skip
    for i in range(parties):
        out[i] = scratch.received[0, i]


@kernel
def cancel_units(rate, due, w, whole, party_hurdle, unfunded, invested_total):  # type: ignore[no-untyped-def]
    """Shrink the capital account of each party paid (``due > 0``) by ``rate``, the share
    of its units redeemed: contributions, distributions, its part of every hurdle
    balance, its unfunded commitment and its invested capital."""
    parties = due.shape[0]
    for h in w.hurdles:
        gone = 0.0
        for i in range(parties):
            if due[i] > 0:
                gone += rate * party_hurdle[h, i]
        whole.balance[0, h] -= gone
        for i in range(parties):
            if due[i] > 0:
                party_hurdle[h, i] = party_hurdle[h, i] * (1.0 - rate)
    for i in range(parties):
        if due[i] > 0:
            whole.contributed[0, i] = whole.contributed[0, i] * (1.0 - rate)
            whole.distributed[0, i] = whole.distributed[0, i] * (1.0 - rate)
            unfunded[i] = unfunded[i] * (1.0 - rate)
            invested_total[i] = invested_total[i] * (1.0 - rate)


@kernel(inline=True)
def put(out, slots, series, p, t, value):  # type: ignore[no-untyped-def]
    """Record a fund series' value in quarter t of path p, if that series is kept."""
    slot = slots[series]
    if slot >= 0:
        out[slot, p, t] = value


@kernel(inline=True)
def put_parties(out, slots, series, p, t, values):  # type: ignore[no-untyped-def]
    """Record a party series' values in quarter t of path p, if that series is kept."""
    slot = slots[series]
    if slot >= 0:
        for i in range(values.shape[0]):
            out[slot, p, t, i] = values[i]
