"""The fund loop in NumPy, vectorised over paths (an oracle: see the package doc).

The rules are those of src/sovfund/engine/fund.py's docstring, written independently
of its kernels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oracle.projects import project_flows_reference
from oracle.waterfall import allocate_reference, clawback_reference
from sovfund.engine.calendar import quarter_dates, year_fractions
from sovfund.engine.projects import ProjectFlows
from sovfund.engine.waterfall import HURDLE, WaterfallSpec, accrual_factors
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Fee, Terms

__all__ = ["ReferencePaths", "run_fund_reference"]

Array = NDArray[np.float64]


class FundWaterfall:
    """The waterfall state of a fund on a batch of paths."""

    def __init__(self, spec: WaterfallSpec, paths: int, projects: int) -> None:
        self.spec = spec
        self.deals = projects if spec.deal_by_deal else 1
        self.whole = spec.empty_state(paths)
        self.by_deal = spec.empty_state(paths * projects) if spec.deal_by_deal else None

    def accrue(self, years: float, index_rate: Array) -> None:
        factors = accrual_factors(self.spec, years, index_rate)
        self.whole.accrue(factors)
        if self.by_deal is not None:
            rows = factors if factors.shape[0] == 1 else np.repeat(factors, self.deals, axis=0)
            self.by_deal.accrue(rows)

    def contribute(self, calls: Array, weights: Array | None) -> None:
        """Book calls (paths, parties); ``weights`` (paths, projects) attribute them to deals."""
        self.whole.contribute(self.spec, calls)
        if self.by_deal is not None:
            assert weights is not None, "deal by deal needs weights"
            self.by_deal.contribute(self.spec, _spread(calls, weights))

    def distribute(self, cash: Array, weights: Array | None, tiers_out: Array) -> Array:
        """Pay out ``cash`` (paths,); returns each party's share, shape (paths, parties)."""
        if self.by_deal is None:
            return allocate_reference(self.spec, self.whole, cash, tiers_out=tiers_out)
        assert weights is not None, "deal by deal needs weights"
        paths, parties = cash.shape[0], len(self.spec.parties)
        allocate_reference(self.spec, self.whole, cash)
        tiers = np.zeros((paths * self.deals, len(self.spec.tier_names), parties))
        rows = allocate_reference(
            self.spec, self.by_deal, (cash[:, None] * weights).ravel(), tiers_out=tiers
        )
        tiers_out += tiers.reshape(paths, self.deals, -1, parties).sum(axis=1)
        return rows.reshape(paths, self.deals, parties).sum(axis=1)

    def hypothetical(self, nav: Array) -> Array:
        """Each party's share if ``nav`` (paths,) were distributed now (whole-fund terms)."""
        return allocate_reference(self.spec, self.whole.copy(), nav)

    def clawback(self, closing: NDArray[np.bool_]) -> Array:
        """Transfers at the close, shape (paths, parties): + a GP gives back, - an LP receives.

        Each GP returns what it received deal by deal above its whole-fund entitlement;
        LPs share it pro rata to contributed capital. Zero unless deal by deal with
        clawback, and on paths not closing now.
        """
        if self.by_deal is None or not self.spec.clawback:
            return np.zeros_like(self.whole.distributed)
        paths, parties = self.whole.distributed.shape
        received = self.by_deal.distributed.reshape(paths, self.deals, parties).sum(axis=1)
        transfers = clawback_reference(
            self.spec, received, self.whole.distributed, self.whole.contributed
        )
        return transfers * closing[:, None]


def attribution(current: Array, invested: Array) -> Array:
    """Each deal's share, shape (paths, deals): of ``current`` where it is positive,
    else of ``invested`` so far, else equal."""
    deals = current.shape[1]
    total = current.sum(axis=1, keepdims=True)
    invested_total = invested.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fallback = np.where(invested_total > 0, invested / invested_total, 1.0 / deals)
        return np.where(total > 0, current / total, fallback)


def _spread(amounts: Array, weights: Array) -> Array:
    """(paths, parties) x (paths, deals) -> one row per (path, deal)."""
    return (amounts[:, None, :] * weights[:, :, None]).reshape(-1, amounts.shape[1])


@dataclass(frozen=True, slots=True)
class ReferencePaths:
    """Every flow of the fund on every path.

    Fund-level arrays have shape (paths, quarters); party-level arrays
    (paths, quarters, parties) with parties in term-sheet order.
    """

    dates: tuple[dt.date, ...]
    parties: tuple[str, ...]
    tiers: tuple[str, ...]
    projects: ProjectFlows
    # fund level, (paths, quarters)
    investment: Array
    operating_cash: Array
    fees: Array
    interest: Array
    interest_capitalised: Array
    debt_drawn: Array
    debt_repaid: Array
    calls: Array
    sale_proceeds: Array
    distributions: Array  # through the waterfall and in redemptions
    asset_value: Array
    debt: Array
    nav: Array
    redeemed: Array  # paid to redeeming LPs (also in distributions)
    breach: NDArray[np.bool_]
    gate_shut: NDArray[np.bool_]  # redemptions asked for, nothing paid
    # party level, (paths, quarters, parties)
    contributions: Array
    invested_capital: Array
    distributed: Array  # through the waterfall and in redemptions
    fees_received: Array
    clawback: Array  # + a GP gave back, - an LP received (deal by deal with clawback)
    party_nav: Array
    # per path
    tier_paid: Array  # (paths, tiers, parties)
    default_quarter: NDArray[np.int_]  # (paths,), -1 where the fund never defaulted
    shortfall_quarter: NDArray[np.int_]  # (paths,), -1 where the fund never ran short
    lenders_loss: Array  # (paths,)

    @property
    def party_cash(self) -> Array:
        """Each party's net cash flow: distributions and fees received less contributions."""
        return self.distributed + self.fees_received - self.contributions


def run_fund_reference(
    terms: Terms,
    draws: Draws,
    projects: ProjectFlows | None = None,
    *,
    interim_nav: bool = True,
) -> ReferencePaths:
    """Simulate the fund on every path of ``draws``; deterministic in (terms, draws).

    ``projects`` are the project flows of these draws; when not given they are
    computed here, with no project exposed to tariffs (pass them in for draws with
    tariff snap-backs): the compiled totals, or the per-project flows that deal-by-deal
    waterfalls need. With ``interim_nav=False`` each party's NAV is worked out for the
    last quarter only (what per-path summaries need; the rest stay zero).
    """
    if projects is None:
        projects = project_flows_reference(terms, draws)
    spec = WaterfallSpec.from_terms(terms)
    fund, leverage = terms.fund, terms.leverage
    paths, quarters, parties = draws.paths, fund.quarters, len(spec.parties)

    dates = quarter_dates(fund.start, quarters)
    years = np.diff(year_fractions(fund.start, dates), prepend=0.0)
    investment, operating = projects.investment, projects.operating_cash
    marks, exit_value = projects.value, projects.exit_value
    detail = projects.by_project
    if spec.deal_by_deal and detail is None:
        raise ValueError("deal-by-deal terms need per-project flows (project_flows)")
    requests, redeemer, gate = _redemption_terms(terms, draws)
    if requests is not None and spec.deal_by_deal:
        raise ValueError("redemptions are modelled for whole-fund waterfalls only")

    commitment = spec.commitments.sum()
    target_ratio = leverage.debt_to_equity
    cap_ratio = max(
        target_ratio,
        leverage.max_debt_to_equity or terms.policy.max_debt_to_equity or target_ratio,
    )
    covenants = leverage.covenants
    fee_terms = [(fee, *_fee_weights(terms, spec, fee)) for fee in terms.fees]

    # Built quarter by quarter, so stored quarter-major (each quarter's row is
    # contiguous), then handed out path-major: sums over quarters must not depend on
    # how many paths share the array, and NumPy's depend on the layout.
    def series() -> Array:
        return np.zeros((quarters, paths))

    def party_series() -> Array:
        return np.zeros((quarters, paths, parties))

    out = {name: series() for name in _FUND_SERIES}
    party = {name: party_series() for name in _PARTY_SERIES}
    breach_history = np.zeros((quarters, paths), dtype=bool)
    shut_history = np.zeros((quarters, paths), dtype=bool)

    book = FundWaterfall(spec, paths, len(terms.projects))
    deal_by_deal = spec.deal_by_deal
    cost = np.zeros((paths, len(terms.projects)))
    unfunded = np.broadcast_to(spec.commitments, (paths, parties)).copy()
    invested_total = np.zeros((paths, parties))
    debt = np.zeros(paths)
    nav_previous = np.zeros(paths)
    alive = np.ones(paths, dtype=bool)
    default_quarter = np.full(paths, -1)
    shortfall_quarter = np.full(paths, -1)
    lenders_loss = np.zeros(paths)
    tier_paid = np.zeros((paths, len(spec.tier_names), parties))
    held = np.ones(paths)  # share of the portfolio still held (forced sales cut it)
    spread = np.full(paths, leverage.spread)  # the debt's spread, reset at refinancing
    hurdles = np.flatnonzero(spec.kind == HURDLE)
    # with redemptions: each party's part of each hurdle balance, and its NAV at the end
    # of the previous quarter
    party_hurdle = np.zeros((paths, len(spec.tier_names), parties) if requests is not None else 0)
    nav_parties = np.zeros((paths, parties))

    for t in range(quarters):
        live = alive.astype(np.float64)
        book.accrue(years[t], draws.short_rate[:, t])
        if requests is not None:
            party_hurdle *= accrual_factors(spec, years[t], draws.short_rate[:, t])[:, :, None]

        if leverage.refinance_years and t > 0 and t % (4 * leverage.refinance_years) == 0:
            spread = leverage.spread + draws.credit_spread[:, t]  # refinanced at market
        interest = debt * (draws.short_rate[:, t] + spread) / 4.0 * live
        capitalised = interest if leverage.interest == "capitalised" else np.zeros(paths)
        debt = debt + capitalised
        fees = np.zeros(paths)
        fees_to = np.zeros((paths, parties))
        for fee, payer_weights, receiver_weights in fee_terms:
            amount = (
                _fee_due(
                    fee,
                    t,
                    fund.investment_quarters,
                    payer_weights,
                    spec.commitments,
                    invested_total,
                    nav_previous,
                )
                * live
            )
            fees += amount
            fees_to += amount[:, None] * receiver_weights[None, :]

        spend, cash_in = investment[:, t] * live * held, operating[:, t] * live * held
        expenses = fees + (interest - capitalised)
        # Income pays for uses first when recycling; otherwise only losses are funded
        # and income is distributed as it comes.
        offset = cash_in if fund.recycling else np.minimum(cash_in, 0.0)
        need = spend + expenses - offset
        drawn = np.zeros(paths)
        if leverage.draw == "pro_rata" and target_ratio > 0:
            drawn = np.clip(
                spend * target_ratio / (1.0 + target_ratio),
                0.0,
                np.maximum(target_ratio * commitment - debt, 0.0),
            )
            need = need - drawn
        calls_total = np.clip(need, 0.0, unfunded.sum(axis=1))
        need = need - calls_total
        extra = np.clip(need, 0.0, np.maximum(cap_ratio * commitment - debt - drawn, 0.0))
        drawn, need = drawn + extra, need - extra
        # beyond commitments: LPs pay the rest pro rata to commitments, if the terms say so
        beyond = np.maximum(need, 0.0) if fund.calls_beyond_commitment else np.zeros(paths)
        need = need - beyond
        shortfall = need > 1e-9 * max(commitment, 1.0)
        surplus = np.maximum(-need, 0.0) + (cash_in - offset)
        debt = debt + drawn

        with np.errstate(invalid="ignore", divide="ignore"):
            calls = calls_total[:, None] * np.where(
                unfunded.sum(axis=1, keepdims=True) > 0,
                unfunded / unfunded.sum(axis=1, keepdims=True),
                0.0,
            )
            unfunded = unfunded - calls
            calls = calls + beyond[:, None] * spec.commitment_weights[None, :]
            calls_total = calls_total + beyond
            for_expenses = np.minimum(
                calls_total, np.maximum(expenses - np.maximum(offset, 0.0), 0.0)
            )
            invested_part = np.where(calls_total > 0, 1.0 - for_expenses / calls_total, 0.0)
        invested = calls * invested_part[:, None]
        invested_total = invested_total + invested
        weights = None
        if detail is not None and deal_by_deal:
            cost += detail.investment[:, :, t]
            weights = attribution(detail.investment[:, :, t], cost)
        book.contribute(calls, weights)
        if requests is not None:
            for k in hurdles:
                party_hurdle[:, k, :] += spec.target[k] * calls

        # on a shortfall the marks count work nobody paid for: a buyer takes it on
        assets = marks[:, t] * live * held - np.where(shortfall, need, 0.0)
        breach = alive & _breached(
            covenants.max_ltv,
            covenants.min_interest_cover,
            debt,
            assets,
            cash_in,
            interest,
            t >= fund.investment_quarters,
        )
        sold_share, cannot_cure = _forced_sale(
            breach & (covenants.on_breach == "sell"), debt, assets, covenants.max_ltv,
            leverage.fire_sale_discount,
        )  # fmt: skip
        held = held * (1.0 - sold_share)
        sale = sold_share * assets * (1.0 - leverage.fire_sale_discount)
        assets = assets * (1.0 - sold_share)
        covenant_default = breach & ((covenants.on_breach == "default") | cannot_cure)
        default_now = alive & (shortfall | covenant_default)
        last = t == quarters - 1
        proceeds = np.where(
            default_now,
            assets * (1.0 - leverage.fire_sale_discount),
            exit_value * live * held if last else 0.0,
        )
        sweeping = (breach & (covenants.on_breach != "default")) | (
            leverage.repayment == "sweep" and t >= fund.investment_quarters
        )
        proceeds = proceeds + sale
        cash = surplus + proceeds
        closing = default_now | (alive & last)
        repaid = np.where(closing | sweeping, np.minimum(cash, debt), 0.0)
        debt, cash = debt - repaid, cash - repaid
        unpaid = np.where(closing, debt, 0.0)
        lenders_loss += unpaid
        # A default is on debt: a covenant default, a shortfall with debt outstanding,
        # or debt left unpaid. A shortfall without debt is not one (nobody lent).
        owed = debt + repaid > 0  # debt outstanding before any repayment this quarter
        debt_default = covenant_default | (shortfall & owed)
        default_quarter = np.where(
            alive & (debt_default | (unpaid > 0)) & (default_quarter < 0), t, default_quarter
        )
        shortfall_quarter = np.where(alive & shortfall, t, shortfall_quarter)
        debt = np.where(closing, 0.0, debt)

        redeemed = np.zeros(paths)
        gate_shut = np.zeros(paths, dtype=bool)
        if requests is not None:
            ask = requests[:, t]
            pending = alive & (ask > 0) & ~(last & ~default_now)  # the last quarter pays all
            rate = np.minimum(ask, gate)
            due = np.where(
                (pending & ~closing)[:, None] & redeemer & (nav_parties > 0),
                rate[:, None] * nav_parties,
                0.0,
            )
            total = np.zeros(paths)
            for i in range(parties):
                total += due[:, i]
            from_cash = np.minimum(cash, total)
            short = total - from_cash  # to raise by a sale
            free = assets * (1.0 - leverage.fire_sale_discount) - debt  # a sale of all, net
            can = (total > 0) & ((short <= 0) | ((free > 0) & (short < free)))
            gate_shut = pending & ~can
            if can.any():
                redeemed = np.where(can, total, 0.0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = np.where(can & (short > 0), short / free, 0.0)
                sold = share * assets * (1.0 - leverage.fire_sale_discount)
                to_lenders = np.where(share > 0, sold - short, 0.0)  # share x debt: LTV kept
                held, assets = held * (1.0 - share), assets * (1.0 - share)
                debt, repaid = debt - to_lenders, repaid + to_lenders
                proceeds = proceeds + sold
                cash = cash - np.where(can, from_cash, 0.0)
                due = np.where(can[:, None], due, 0.0)
                cut = np.where(due > 0, rate[:, None], 0.0)  # the share of units cancelled
                _cancel_units(book, party_hurdle, hurdles, cut)
                unfunded = unfunded * (1.0 - cut)
                invested_total = invested_total * (1.0 - cut)
            else:
                due = np.zeros_like(due)

        by_project = None
        if detail is not None and deal_by_deal:  # the cash each project produced
            sold = detail.exit_value if last else np.zeros_like(cost)
            sold = np.where(
                default_now[:, None],
                detail.value[:, :, t] * (1 - leverage.fire_sale_discount),
                sold,
            )
            by_project = attribution(np.maximum(detail.operating_cash[:, :, t], 0.0) + sold, cost)
        paid = book.distribute(cash, by_project, tier_paid)
        if requests is not None:
            for k in hurdles:
                party_hurdle[:, k, :] -= spec.target[k] * paid
            paid = paid + due
        clawback = book.clawback(closing)
        paid -= clawback
        alive = alive & ~closing
        nav = np.where(alive, assets - debt, 0.0)
        nav_previous = np.maximum(nav, 0.0)
        asked_next = requests is not None and t + 1 < quarters and bool(requests[:, t + 1].any())
        if interim_nav or t == quarters - 1 or asked_next:
            nav_parties = book.hypothetical(nav_previous)

        for name, value in (
            ("investment", spend),
            ("operating_cash", cash_in),
            ("fees", fees),
            ("interest", interest),
            ("interest_capitalised", capitalised),
            ("debt_drawn", drawn),
            ("debt_repaid", repaid),
            ("calls", calls_total),
            ("sale_proceeds", proceeds),
            ("distributions", cash + redeemed),
            ("asset_value", np.where(alive, assets, 0.0)),
            ("debt", debt),
            ("nav", nav),
            ("redeemed", redeemed),
        ):
            out[name][t] = value
        breach_history[t] = breach
        shut_history[t] = gate_shut
        party["contributions"][t] = calls
        party["invested_capital"][t] = invested
        party["distributed"][t] = paid
        party["fees_received"][t] = fees_to
        party["clawback"][t] = clawback
        if interim_nav or t == quarters - 1:
            party["party_nav"][t] = nav_parties

    return ReferencePaths(
        dates=dates,
        parties=spec.parties,
        tiers=spec.tier_names,
        projects=projects,
        breach=_path_major(breach_history),
        gate_shut=_path_major(shut_history),
        tier_paid=tier_paid,
        default_quarter=default_quarter,
        shortfall_quarter=shortfall_quarter,
        lenders_loss=lenders_loss,
        **{name: _path_major(values) for name, values in out.items()},
        **{name: _path_major(values) for name, values in party.items()},
    )


_FUND_SERIES = (
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
_PARTY_SERIES = (
    "contributions",
    "invested_capital",
    "distributed",
    "fees_received",
    "clawback",
    "party_nav",
)


def _redemption_terms(terms: Terms, draws: Draws) -> tuple[Array | None, NDArray[np.bool_], float]:
    """(requests, which parties redeem, the gate); requests None where nobody can redeem."""
    table = terms.fund.redemptions
    classes = table.classes if table is not None else ()
    redeemer = np.array([p.role == "lp" and p.investor_class in classes for p in terms.parties])
    gate = table.gate if table is not None else 0.0
    requests = draws.redemption
    if requests is None or gate <= 0 or not redeemer.any():
        return None, redeemer, gate
    return np.ascontiguousarray(requests, dtype=np.float64), redeemer, gate


def _cancel_units(
    book: FundWaterfall, party_hurdle: Array, hurdles: NDArray[np.int_], cut: Array
) -> None:
    """Shrink each party's capital account by ``cut`` (paths, parties), the share of its
    units redeemed: contributions, distributions and its part of every hurdle balance."""
    state, keep = book.whole, 1.0 - cut
    state.contributed *= keep
    state.distributed *= keep
    for k in hurdles:
        part = party_hurdle[:, k, :]
        gone = np.zeros(cut.shape[0])
        for i in range(cut.shape[1]):
            gone += cut[:, i] * part[:, i]
        state.balance[:, k] -= gone
        party_hurdle[:, k, :] = part * keep


def _forced_sale(
    selling: NDArray[np.bool_], debt: Array, assets: Array, max_ltv: float | None, discount: float
) -> tuple[Array, NDArray[np.bool_]]:
    """The share of the portfolio to sell at ``discount`` below its marks so that LTV is
    back at ``max_ltv`` (debt - s A (1 - d) = m A (1 - s)), and where no sale can do it."""
    if max_ltv is None:
        return np.zeros_like(debt), np.zeros_like(selling)
    room = 1.0 - discount - max_ltv  # LTV falls only if a sale repays more than it removes
    over = selling & (debt > max_ltv * assets)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(over & (assets > 0), (debt - max_ltv * assets) / (assets * room), 1.0)
    cannot_cure = over & ((room <= 0) | (share >= 1.0))
    return np.where(over & ~cannot_cure, share, 0.0), cannot_cure


def _path_major(values: NDArray[Any]) -> NDArray[Any]:
    return np.ascontiguousarray(values.swapaxes(0, 1))


def _fee_weights(terms: Terms, spec: WaterfallSpec, fee: Fee) -> tuple[Array, Array]:
    """(payers' weights over parties, receivers' shares over parties) for one fee."""
    ids = spec.parties
    payers = np.array(
        [p.id in fee.paid_by or ("lps" in fee.paid_by and p.role == "lp") for p in terms.parties],
        dtype=np.float64,
    )
    receivers = np.zeros(len(ids))
    for who, share in fee.to.items():
        receivers += share * (
            spec.gp_weights if who == "gps" else np.array([i == who for i in ids])
        )
    return payers, receivers


def _fee_due(
    fee: Fee,
    t: int,
    investment_quarters: int,
    payers: Array,
    commitments: Array,
    invested: Array,
    nav: Array,
) -> Array:
    """The fee for quarter t, shape (paths,)."""
    rate, basis = fee.rate, fee.basis
    if fee.step_down is not None and t >= investment_quarters:
        rate, basis = fee.step_down.rate, fee.step_down.basis or basis
    payer_share = (commitments * payers).sum() / max(commitments.sum(), 1e-300)
    if basis == "committed":
        amount = np.full(invested.shape[0], (commitments * payers).sum())
    elif basis == "invested":
        amount = (invested * payers[None, :]).sum(axis=1)
    else:
        amount = nav * payer_share
    return amount * rate / 4.0


def _breached(
    max_ltv: float | None,
    min_cover: float | None,
    debt: Array,
    assets: Array,
    cash_in: Array,
    interest: Array,
    cover_tested: bool,
) -> NDArray[np.bool_]:
    breach = np.zeros(debt.shape[0], dtype=bool)
    if max_ltv is not None:
        breach |= (debt > 0) & (debt > max_ltv * assets)
    if min_cover is not None and cover_tested:
        breach |= (interest > 0) & (cash_in < min_cover * interest)
    return breach
