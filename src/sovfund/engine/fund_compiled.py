"""The fund loop of :mod:`sovfund.engine.fund`, compiled: one path per thread.

The same quarter-by-quarter rules as :func:`~sovfund.engine.fund.run_fund` (read that
module's docstring for them), written as scalar code over one path so that a batch of
paths costs no NumPy temporaries. It returns only what per-path summaries and charts
read (:class:`FundOutcome`), and serves whole-fund waterfalls; deal-by-deal terms run
through :func:`~sovfund.engine.fund.run_fund`. The Monte Carlo's reference engine keeps
using ``run_fund``, so the tests hold the two loops to the same numbers path by path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from sovfund.engine.calendar import quarter_dates, year_fractions
from sovfund.engine.fund import _fee_weights, _redemption_terms
from sovfund.engine.projects import ProjectFlows
from sovfund.engine.waterfall import HURDLE, WaterfallSpec, _allocate_row, _lp_weights
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Terms

__all__ = ["FundOutcome", "run_fund_compiled"]

Array = NDArray[np.float64]
_BASES = {"committed": 0, "invested": 1, "nav": 2}
_BREACH = {"sweep": 0, "sell": 1, "default": 2}


@dataclass(frozen=True, slots=True)
class FundOutcome:
    """What the compiled loop keeps: the fields of FundPaths that summaries read.

    Party arrays (paths, quarters, parties); fund arrays (paths, quarters) or (paths,).
    ``party_nav`` has the last quarter only, (paths, 1, parties), and is zero: the fund
    sells everything in its last quarter, so no NAV is left to share at the end
    (``run_fund`` shows the NAV quarter by quarter).
    ``distributed`` and ``distributions`` include redemptions; ``redeemed`` is their
    fund total, ``gate_shut`` the quarters redemptions were asked for and nothing paid.
    """

    dates: tuple[dt.date, ...]
    contributions: Array
    distributed: Array
    fees_received: Array
    party_nav: Array
    asset_value: Array
    debt: Array
    debt_repaid: Array
    fees: Array
    nav: Array
    distributions: Array
    calls: Array
    redeemed: Array
    breach: NDArray[np.bool_]
    gate_shut: NDArray[np.bool_]
    default_quarter: NDArray[np.int64]
    shortfall_quarter: NDArray[np.int64]
    lenders_loss: Array

    @property
    def party_cash(self) -> Array:
        return self.distributed + self.fees_received - self.contributions


def run_fund_compiled(terms: Terms, draws: Draws, projects: ProjectFlows) -> FundOutcome:
    """Run the fund loop on every path of ``draws`` (whole-fund waterfalls only)."""
    spec = WaterfallSpec.from_terms(terms)
    if spec.deal_by_deal:
        raise ValueError("the compiled fund loop serves whole-fund waterfalls only")
    fund, leverage, covenants = terms.fund, terms.leverage, terms.leverage.covenants
    paths, quarters, parties = draws.paths, fund.quarters, len(spec.parties)
    dates = quarter_dates(fund.start, quarters)
    years = np.diff(year_fractions(fund.start, dates), prepend=0.0)
    target_ratio = leverage.debt_to_equity
    cap_ratio = max(
        target_ratio,
        leverage.max_debt_to_equity or terms.policy.max_debt_to_equity or target_ratio,
    )
    fees = terms.fees
    weights = [_fee_weights(terms, spec, fee) for fee in fees]
    payers = np.array([w[0] for w in weights]).reshape(len(fees), parties)
    receivers = np.array([w[1] for w in weights]).reshape(len(fees), parties)
    hurdle = spec.kind == HURDLE
    requests, redeemer, gate = _redemption_terms(terms, draws)

    out: dict[str, Any] = {
        name: np.zeros((paths, quarters, parties))
        for name in ("contributions", "distributed", "fees_received")
    }
    out["party_nav"] = np.zeros((paths, 1, parties))
    out |= {
        name: np.zeros((paths, quarters))
        for name in (
            "asset_value",
            "debt",
            "debt_repaid",
            "fees",
            "nav",
            "distributions",
            "calls",
            "redeemed",
        )
    }
    out["breach"] = np.zeros((paths, quarters), dtype=np.bool_)
    out["gate_shut"] = np.zeros((paths, quarters), dtype=np.bool_)
    out["default_quarter"] = np.full(paths, -1, dtype=np.int64)
    out["shortfall_quarter"] = np.full(paths, -1, dtype=np.int64)
    out["lenders_loss"] = np.zeros(paths)

    _fund_kernel(
        # terms
        years,
        fund.investment_quarters,
        fund.recycling,
        fund.calls_beyond_commitment,
        target_ratio,
        cap_ratio,
        leverage.draw == "pro_rata",
        leverage.interest == "capitalised",
        leverage.repayment == "sweep",
        leverage.spread,
        4 * (leverage.refinance_years or 0),
        np.nan if covenants.max_ltv is None else covenants.max_ltv,
        np.nan if covenants.min_interest_cover is None else covenants.min_interest_cover,
        _BREACH[covenants.on_breach],
        leverage.fire_sale_discount,
        np.array([f.rate for f in fees]),
        np.array([_BASES[f.basis] for f in fees], dtype=np.int64),
        np.array([f.step_down is not None for f in fees]),
        np.array([f.step_down.rate if f.step_down else 0.0 for f in fees]),
        np.array(
            [_BASES[(f.step_down.basis or f.basis) if f.step_down else f.basis] for f in fees],
            dtype=np.int64,
        ),
        payers,
        receivers,
        # the waterfall
        spec.kind,
        spec.direct,
        spec.lps,
        spec.gps,
        spec.target,
        spec.share,
        spec.gp_weights,
        spec.is_lp,
        spec.commitment_weights,
        np.flatnonzero(hurdle),
        spec.commitments,
        np.where(hurdle & ~spec.floating, spec.rate, 0.0),
        np.where(hurdle & spec.floating, spec.rate, 0.0),
        hurdle & spec.floating,
        # redemptions
        requests is not None,
        gate,
        redeemer,
        np.zeros((1, 1)) if requests is None else requests,
        # draws and projects
        np.ascontiguousarray(draws.short_rate),
        np.ascontiguousarray(draws.credit_spread),
        np.ascontiguousarray(projects.investment),
        np.ascontiguousarray(projects.operating_cash),
        np.ascontiguousarray(projects.value),
        np.ascontiguousarray(projects.exit_value),
        # outputs
        out["contributions"],
        out["distributed"],
        out["fees_received"],
        out["asset_value"],
        out["debt"],
        out["debt_repaid"],
        out["fees"],
        out["nav"],
        out["distributions"],
        out["calls"],
        out["redeemed"],
        out["breach"],
        out["gate_shut"],
        out["default_quarter"],
        out["shortfall_quarter"],
        out["lenders_loss"],
    )
    return FundOutcome(dates=dates, **out)


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _fund_kernel(  # type: ignore[no-untyped-def]
    years,
    investment_quarters,
    recycling,
    beyond_commitment,
    target_ratio,
    cap_ratio,
    pro_rata,
    capitalise,
    repayment_sweep,
    base_spread,
    refinance_quarters,
    max_ltv,
    min_cover,
    on_breach,
    discount,
    fee_rate,
    fee_basis,
    fee_steps,
    step_rate,
    step_basis,
    payers,
    receivers,
    kind,
    direct,
    lps,
    gps,
    target,
    share,
    gp_weights,
    is_lp,
    commitment_weights,
    hurdles,
    commitments,
    fixed_rate,
    floating_spread,
    floating,
    redeeming,
    gate,
    redeemer,
    requests,
    short_rate,
    credit_spread,
    investment,
    operating,
    marks,
    exit_value,
    contributions,
    distributed_out,
    fees_received,
    asset_value,
    debt_out,
    debt_repaid,
    fees_out,
    nav_out,
    distributions,
    calls_out,
    redeemed_out,
    breach_out,
    gate_shut_out,
    default_quarter,
    shortfall_quarter,
    lenders_loss,
):
    paths, quarters = short_rate.shape
    parties = commitments.shape[0]
    tiers = kind.shape[0]
    commitment = commitments.sum()
    tolerance = 1e-9 * max(commitment, 1.0)
    payer_share = np.zeros(payers.shape[0])
    committed_base = np.zeros(payers.shape[0])
    for f in range(payers.shape[0]):
        for i in range(parties):
            committed_base[f] += commitments[i] * payers[f, i]
        payer_share[f] = committed_base[f] / max(commitment, 1e-300)
    # the waterfall's row state: one row per path
    contributed = np.zeros((paths, parties))
    distributed = np.zeros((paths, parties))
    balance = np.zeros((paths, tiers))
    weights = np.zeros((paths, parties))
    paid = np.zeros((paths, parties))
    no_tiers = np.zeros((1, 1, 1))
    fixed_growth = np.ones((tiers, quarters))  # a quarter's growth of fixed-rate hurdles
    for h in hurdles:
        for t in range(quarters):
            fixed_growth[h, t] = (1.0 + fixed_rate[h]) ** years[t]
    for p in numba.prange(paths):
        unfunded = commitments.copy()
        invested_total = np.zeros(parties)
        calls = np.zeros(parties)
        fees_to = np.zeros(parties)
        debt = 0.0
        nav_previous = 0.0
        held = 1.0
        spread = base_spread
        # redemptions: each party's part of each hurdle balance, its NAV at the end of
        # the previous quarter, what it is paid; a scratch waterfall row for that NAV
        party_hurdle = np.zeros((tiers, parties))
        nav_parties = np.zeros(parties)
        due = np.zeros(parties)
        h_contributed = np.zeros((1, parties))
        h_distributed = np.zeros((1, parties))
        h_balance = np.zeros((1, tiers))
        h_weights = np.zeros((1, parties))
        h_received = np.zeros((1, parties))
        for t in range(quarters):
            # 1. hurdles compound
            for h in hurdles:
                growth = fixed_growth[h, t]
                if floating[h]:
                    growth = (1.0 + (short_rate[p, t] + floating_spread[h])) ** years[t]
                balance[p, h] *= growth
                if redeeming:
                    for i in range(parties):
                        party_hurdle[h, i] *= growth
            # 2. interest and fees
            if refinance_quarters > 0 and t > 0 and t % refinance_quarters == 0:
                spread = base_spread + credit_spread[p, t]
            interest = debt * (short_rate[p, t] + spread) / 4.0
            capitalised = interest if capitalise else 0.0
            debt = debt + capitalised
            fees = 0.0
            for i in range(parties):
                fees_to[i] = 0.0
            for f in range(fee_rate.shape[0]):
                rate = fee_rate[f]
                basis = fee_basis[f]
                if fee_steps[f] and t >= investment_quarters:
                    rate = step_rate[f]
                    basis = step_basis[f]
                if basis == 0:
                    base = committed_base[f]
                elif basis == 1:
                    base = 0.0
                    for i in range(parties):
                        base += invested_total[i] * payers[f, i]
                else:
                    base = nav_previous * payer_share[f]
                amount = base * rate / 4.0
                fees += amount
                for i in range(parties):
                    fees_to[i] += amount * receivers[f, i]
            # 3. uses, met by debt, calls, more debt, calls beyond commitments
            spend = investment[p, t] * held
            cash_in = operating[p, t] * held
            expenses = fees + (interest - capitalised)
            offset = cash_in if recycling else min(cash_in, 0.0)
            need = spend + expenses - offset
            drawn = 0.0
            if pro_rata and target_ratio > 0:
                drawn = min(max(spend * target_ratio / (1.0 + target_ratio), 0.0),
                            max(target_ratio * commitment - debt, 0.0))  # fmt: skip
                need = need - drawn
            unfunded_total = unfunded.sum()
            calls_total = min(max(need, 0.0), unfunded_total)
            need = need - calls_total
            extra = min(max(need, 0.0), max(cap_ratio * commitment - debt - drawn, 0.0))
            drawn = drawn + extra
            need = need - extra
            beyond = max(need, 0.0) if beyond_commitment else 0.0
            need = need - beyond
            shortfall = need > tolerance
            surplus = max(-need, 0.0) + (cash_in - offset)
            debt = debt + drawn
            for i in range(parties):
                calls[i] = calls_total * unfunded[i] / unfunded_total if unfunded_total > 0 else 0.0
                unfunded[i] -= calls[i]
                calls[i] += beyond * commitment_weights[i]
            calls_total = calls_total + beyond
            for_expenses = min(calls_total, max(expenses - max(offset, 0.0), 0.0))
            invested_part = 1.0 - for_expenses / calls_total if calls_total > 0 else 0.0
            for i in range(parties):
                invested_total[i] += calls[i] * invested_part
                if calls[i] != 0.0:
                    contributed[p, i] += calls[i]
                    for h in hurdles:
                        balance[p, h] += target[h, i] * calls[i]
                        if redeeming:
                            party_hurdle[h, i] += target[h, i] * calls[i]
            # 4. covenants, forced sales
            assets = marks[p, t] * held - (need if shortfall else 0.0)
            ltv_breach = not np.isnan(max_ltv) and debt > 0 and debt > max_ltv * assets
            cover_breach = (
                not np.isnan(min_cover)
                and t >= investment_quarters
                and interest > 0
                and cash_in < min_cover * interest
            )
            breach = ltv_breach or cover_breach
            sold_share = 0.0
            cannot_cure = False
            if breach and on_breach == 1 and not np.isnan(max_ltv) and debt > max_ltv * assets:
                room = 1.0 - discount - max_ltv
                cut = (debt - max_ltv * assets) / (assets * room) if assets > 0 else 1.0
                if room <= 0 or cut >= 1.0:
                    cannot_cure = True
                else:
                    sold_share = cut
            held = held * (1.0 - sold_share)
            sale = sold_share * assets * (1.0 - discount)
            assets = assets * (1.0 - sold_share)
            covenant_default = breach and (on_breach == 2 or cannot_cure)
            default_now = shortfall or covenant_default
            last = t == quarters - 1
            if default_now:
                proceeds = assets * (1.0 - discount)
            elif last:
                proceeds = exit_value[p] * held
            else:
                proceeds = 0.0
            sweeping = (breach and on_breach != 2) or (repayment_sweep and t >= investment_quarters)
            proceeds = proceeds + sale
            cash = surplus + proceeds
            closing = default_now or last
            repaid = min(cash, debt) if (closing or sweeping) else 0.0
            debt = debt - repaid
            cash = cash - repaid
            unpaid = debt if closing else 0.0
            lenders_loss[p] += unpaid
            owed = debt + repaid > 0
            if (covenant_default or (shortfall and owed) or unpaid > 0) and default_quarter[p] < 0:
                default_quarter[p] = t
            if shortfall:
                shortfall_quarter[p] = t
            if closing:
                debt = 0.0
            # 5. redemptions, paid from spare cash, then by a sale that keeps LTV
            redeemed = 0.0
            for i in range(parties):
                due[i] = 0.0
            if redeeming and requests[p, t] > 0 and not (last and not default_now):
                rate = min(requests[p, t], gate)
                total = 0.0
                for i in range(parties):
                    if not closing and redeemer[i] and nav_parties[i] > 0:
                        due[i] = rate * nav_parties[i]
                    total += due[i]
                from_cash = min(cash, total)
                short = total - from_cash
                free = assets * (1.0 - discount) - debt
                if total > 0 and (short <= 0 or (free > 0 and short < free)):
                    redeemed = total
                    if short > 0:
                        cut = short / free
                        sold = cut * assets * (1.0 - discount)
                        to_lenders = sold - short
                        held = held * (1.0 - cut)
                        assets = assets * (1.0 - cut)
                        debt = debt - to_lenders
                        repaid = repaid + to_lenders
                    cash = cash - from_cash
                    _cancel_units(
                        p, rate, due, hurdles, contributed, distributed, balance, party_hurdle
                    )
                    for i in range(parties):
                        if due[i] > 0:
                            unfunded[i] = unfunded[i] * (1.0 - rate)
                            invested_total[i] = invested_total[i] * (1.0 - rate)
                else:
                    gate_shut_out[p, t] = True
                    for i in range(parties):
                        due[i] = 0.0
            # 6. the waterfall
            _lp_weights(p, is_lp, commitment_weights, contributed, weights)
            for i in range(parties):
                paid[p, i] = 0.0
            _allocate_row(
                p, cash, kind, direct, lps, gps, target, share, gp_weights, is_lp,
                commitment_weights, hurdles, contributed, distributed, balance, weights, paid,
                no_tiers, False,
            )  # fmt: skip
            if redeeming:
                for i in range(parties):
                    for h in hurdles:
                        party_hurdle[h, i] -= target[h, i] * paid[p, i]
            nav = 0.0 if closing else assets - debt
            nav_previous = max(nav, 0.0)
            if redeeming and not closing and t + 1 < quarters and requests[p, t + 1] > 0:
                # each party's NAV: a hypothetical liquidation on a copy of the row
                for i in range(parties):
                    h_contributed[0, i] = contributed[p, i]
                    h_distributed[0, i] = distributed[p, i]
                    h_received[0, i] = 0.0
                for k in range(tiers):
                    h_balance[0, k] = balance[p, k]
                _lp_weights(0, is_lp, commitment_weights, h_contributed, h_weights)
                _allocate_row(
                    0, nav_previous, kind, direct, lps, gps, target, share, gp_weights, is_lp,
                    commitment_weights, hurdles, h_contributed, h_distributed, h_balance,
                    h_weights, h_received, no_tiers, False,
                )  # fmt: skip
                for i in range(parties):
                    nav_parties[i] = h_received[0, i]
            # 7. record
            for i in range(parties):
                contributions[p, t, i] = calls[i]
                distributed_out[p, t, i] = paid[p, i] + due[i]
                fees_received[p, t, i] = fees_to[i]
            asset_value[p, t] = 0.0 if closing else assets
            debt_out[p, t] = debt
            debt_repaid[p, t] = repaid
            fees_out[p, t] = fees
            nav_out[p, t] = nav
            distributions[p, t] = cash + redeemed
            calls_out[p, t] = calls_total
            redeemed_out[p, t] = redeemed
            breach_out[p, t] = breach
            if closing:
                break


@numba.njit(cache=True, error_model="numpy")
def _cancel_units(  # type: ignore[no-untyped-def]
    p, rate, due, hurdles, contributed, distributed, balance, party_hurdle
):
    """Shrink the capital account of each party paid (``due > 0``) by ``rate``, the share
    of its units redeemed: contributions, distributions, its part of every hurdle balance."""
    parties = due.shape[0]
    for h in hurdles:
        gone = 0.0
        for i in range(parties):
            if due[i] > 0:
                gone += rate * party_hurdle[h, i]
        balance[p, h] -= gone
        for i in range(parties):
            if due[i] > 0:
                party_hurdle[h, i] = party_hurdle[h, i] * (1.0 - rate)
    for i in range(parties):
        if due[i] > 0:
            contributed[p, i] = contributed[p, i] * (1.0 - rate)
            distributed[p, i] = distributed[p, i] * (1.0 - rate)
