"""The distribution waterfall: one rule, for one row or many.

A row is a path of a simulation (or a path x deal for deal-by-deal terms); the
calculator and the books use one row per deal. Each distribution runs through the
tiers from the first; a tier's capacity is what its ``until`` still needs given every
flow so far (DESIGN.md):

- ``capital_returned = X``: X's distributions reach X's contributions;
- ``hurdle = X, rate = r``: the value of X's net flows compounded at r (annual
  compounding, Actual/365) to the distribution date reaches zero, i.e. X's IRR is r.
  A running balance per hurdle tier is compounded between flow dates
  (:func:`hurdle_growth`: a fixed rate, or the row's index rate plus a spread);
- ``profit_share = X, share = s``: X's distributions reach s x (all distributions
  minus all contributions). A tier paying X a share g > s fills after
  ``(s * profit - paid_to_X) / (g - s)``;
- the last tier takes the rest.

Groups: ``lps`` are paid pro rata to contributed capital (to commitments before any
contribution), ``gps`` pro rata to ``carry_share`` (equally if none is given).

The rule is written once, as the kernels :func:`allocate_row` and :func:`lp_weights`
(:mod:`sovfund.engine.kernels`): :func:`allocate` runs them as plain Python, or
compiled over many rows; the fund loop calls their compiled twins path by path. This
module never imports Numba, so the calculator and the books start fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.kernels import compiled, kernel, prange
from sovfund.terms.models import Contract, FloatingRate, Party, Waterfall

__all__ = [
    "CAPITAL_RETURNED",
    "HURDLE",
    "PROFIT_SHARE",
    "RESIDUAL",
    "Rows",
    "Tiers",
    "WaterfallSpec",
    "WaterfallState",
    "accrual_factors",
    "allocate",
    "allocate_row",
    "clawback_row",
    "clawback_transfers",
    "hurdle_growth",
    "lp_weights",
    "new_rows",
    "run_dated",
]

Array = NDArray[np.float64]

RESIDUAL, CAPITAL_RETURNED, HURDLE, PROFIT_SHARE = range(4)
"""Tier kinds: the last tier, and the three ``until`` conditions."""
_KINDS = {"capital_returned": CAPITAL_RETURNED, "hurdle": HURDLE, "profit_share": PROFIT_SHARE}


class Tiers(NamedTuple):
    """A waterfall as the kernels take it (see :class:`WaterfallSpec` for each array)."""

    kind: NDArray[np.int64]
    direct: Array
    lps: Array
    gps: Array
    target: Array
    share: Array
    rate: Array
    floating: NDArray[np.bool_]
    gp_weights: Array
    is_lp: NDArray[np.bool_]
    commitment_weights: Array
    hurdles: NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class WaterfallSpec:
    """A term sheet's waterfall compiled to arrays; parties in term-sheet order.

    Attributes
    ----------
    direct : ndarray, shape (tiers, parties)
        Shares of each tier paid to single parties.
    lps, gps : ndarray, shape (tiers,)
        Shares of each tier paid to the LP and GP groups.
    target : ndarray, shape (tiers, parties)
        1.0 for the parties a tier's ``until`` measures.
    kind : ndarray of int, shape (tiers,)
        RESIDUAL, CAPITAL_RETURNED, HURDLE or PROFIT_SHARE.
    rate, floating : ndarray, shape (tiers,)
        The hurdle rate, or the spread over the index where ``floating``.
    share : ndarray, shape (tiers,)
        The profit share of PROFIT_SHARE tiers.
    """

    parties: tuple[str, ...]
    tier_names: tuple[str, ...]
    is_lp: NDArray[np.bool_]
    commitments: Array
    gp_weights: Array
    direct: Array
    lps: Array
    gps: Array
    target: Array
    kind: NDArray[np.int64]
    rate: Array
    floating: NDArray[np.bool_]
    share: Array
    commitment_weights: Array  # each LP's share of LP commitments (zero for GPs)
    deal_by_deal: bool = False
    clawback: bool = False
    tiers: Tiers = field(init=False, repr=False)
    """The same arrays as the kernels read them (made once, at construction)."""

    def __post_init__(self) -> None:
        hurdles = np.flatnonzero(self.kind == HURDLE).astype(np.int64)
        packed = Tiers(
            self.kind,
            self.direct,
            self.lps,
            self.gps,
            self.target,
            self.share,
            self.rate,
            self.floating,
            self.gp_weights,
            self.is_lp,
            self.commitment_weights,
            hurdles,
        )
        object.__setattr__(self, "tiers", packed)

    @classmethod
    def from_terms(cls, terms: Contract) -> WaterfallSpec:
        """The waterfall of a contract (or whole term sheet) over its parties."""
        return cls.from_parties(terms.waterfall, terms.parties)

    @classmethod
    def from_parties(cls, waterfall: Waterfall, parties: Sequence[Party]) -> WaterfallSpec:
        """The tiers of ``waterfall`` over ``parties`` (any LPs and GPs: the books pass
        their partners). A tier or ``until`` naming an id not among ``parties`` pays or
        measures nobody; groups (``lps``, ``gps``) cover the parties of that role."""
        ids = tuple(p.id for p in parties)
        is_lp = np.array([p.role == "lp" for p in parties], dtype=np.bool_)
        carry = np.array([p.carry_share if p.carry_share is not None else 1.0 for p in parties])
        gp_weights = np.where(is_lp, 0.0, carry)
        if gp_weights.sum() > 0:
            gp_weights = gp_weights / gp_weights.sum()
        groups = {"lps": is_lp, "gps": ~is_lp}
        tiers = waterfall.tier
        kind, target, rate, floating, share = [], [], [], [], []
        for tier in tiers:
            until = tier.until
            if until is None:
                kind.append(RESIDUAL)
                target.append(np.zeros(len(ids)))
                rate.append(0.0)
                floating.append(False)
                share.append(0.0)
                continue
            kind.append(_KINDS[until.kind])
            members = groups.get(until.target, np.array([i == until.target for i in ids]))
            target.append(members.astype(np.float64))
            hurdle = until.rate
            rate.append(hurdle.spread if isinstance(hurdle, FloatingRate) else (hurdle or 0.0))
            floating.append(isinstance(hurdle, FloatingRate))
            share.append(until.share or 0.0)
        commitments = np.array([p.commitment or 0.0 for p in parties])
        lp_commitments = np.where(is_lp, commitments, 0.0)
        return cls(
            parties=ids,
            tier_names=tuple(t.name for t in tiers),
            is_lp=is_lp,
            commitments=commitments,
            gp_weights=gp_weights,
            direct=np.array([[t.pay.get(i, 0.0) for i in ids] for t in tiers]).reshape(
                len(tiers), len(ids)
            ),
            lps=np.array([t.pay.get("lps", 0.0) for t in tiers]),
            gps=np.array([t.pay.get("gps", 0.0) for t in tiers]),
            target=np.array(target).reshape(len(tiers), len(ids)),
            kind=np.array(kind, dtype=np.int64),
            rate=np.array(rate),
            floating=np.array(floating, dtype=np.bool_),
            share=np.array(share),
            commitment_weights=lp_commitments / max(lp_commitments.sum(), 1e-300),
            deal_by_deal=waterfall.style == "deal_by_deal",
            clawback=waterfall.clawback,
        )

    def empty_state(self, rows: int) -> WaterfallState:
        parties, tiers = len(self.parties), len(self.tier_names)
        return WaterfallState(
            contributed=np.zeros((rows, parties)),
            distributed=np.zeros((rows, parties)),
            balance=np.zeros((rows, tiers)),
        )


@dataclass(slots=True)
class WaterfallState:
    """Cumulative flows through the waterfall so far, per row; updated in place.

    Attributes
    ----------
    contributed, distributed : ndarray, shape (rows, parties)
    balance : ndarray, shape (rows, tiers)
        For hurdle tiers, the target's contributions less distributions compounded at
        the tier's rate to the last flow date (zero for other tiers).
    """

    contributed: Array
    distributed: Array
    balance: Array

    def copy(self) -> WaterfallState:
        return WaterfallState(self.contributed.copy(), self.distributed.copy(), self.balance.copy())

    def accrue(self, factors: Array) -> None:
        """Compound hurdle balances by ``factors`` (see :func:`accrual_factors`)."""
        self.balance *= factors

    def contribute(self, spec: WaterfallSpec, amounts: Array) -> None:
        """Add contributions, shape (rows, parties)."""
        self.contributed += amounts
        # elementwise sums, not a matrix product: BLAS may sum in an order that depends
        # on the number of rows, and a path's numbers must not
        for k in np.flatnonzero(spec.kind == HURDLE):
            self.balance[:, k] += (amounts * spec.target[k]).sum(axis=1)


def accrual_factors(spec: WaterfallSpec, years: float | Array, index_rate: Array | float) -> Array:
    """Growth of each hurdle balance over ``years``, shape (rows, tiers) or (1, tiers).

    ``index_rate`` (a scalar or shape (rows,)) is the floating index (SOFR) over the
    period; floating hurdles compound at it plus their spread, fixed ones at their rate
    (:func:`hurdle_growth`). ``years`` may instead be one period per row (shape
    (rows,), as for the gaps between a series of dates), with one index rate for all.
    """
    w = spec.tiers
    index = np.atleast_1d(np.asarray(index_rate, dtype=np.float64))
    periods = np.atleast_1d(np.asarray(years, dtype=np.float64))
    floats = bool(spec.floating[spec.kind == HURDLE].any())
    rows = max(periods.shape[0], index.shape[0] if floats else 1)
    factors = np.ones((rows, len(spec.tier_names)))
    for r in range(rows):
        period = float(periods[min(r, periods.shape[0] - 1)])
        rate = float(index[min(r, index.shape[0] - 1)])
        for k in w.hurdles:
            factors[r, k] = hurdle_growth(w, k, period, rate)
    return factors


@kernel(inline=True)
def hurdle_growth(w, k, years, index_rate):  # type: ignore[no-untyped-def]
    """How much hurdle tier k's balance grows over ``years``: at its fixed rate, or at
    the index rate plus its spread where it floats."""
    rate = w.rate[k] + index_rate if w.floating[k] else w.rate[k]
    return (1.0 + rate) ** years


@kernel(inline=True)
def lp_weights(r, w, contributed, weights):  # type: ignore[no-untyped-def]
    """Each LP's share of the LP group on row r: pro rata to contributions, else to
    commitments; they change only when contributions do."""
    is_lp, commitment_weights = w.is_lp, w.commitment_weights
    lp_total = 0.0
    for i in range(contributed.shape[1]):
        if is_lp[i]:
            lp_total += contributed[r, i]
    for i in range(contributed.shape[1]):
        if not is_lp[i]:
            weights[r, i] = 0.0
        elif lp_total > 0.0:
            weights[r, i] = contributed[r, i] / lp_total
        else:
            weights[r, i] = commitment_weights[i]


@kernel(inline=True)
def allocate_row(  # type: ignore[no-untyped-def]
    r, amount, w, contributed, distributed, balance, weights, received, tiers_out, track
):
    """Distribute ``amount`` on row r through the tiers; update the row's state.

    ``weights[r]`` must hold the row's LP weights (:func:`lp_weights`); each party's
    payment is added to ``received[r]`` and, where ``track``, to ``tiers_out``
    (shape (tiers, parties)).
    """
    # the tiers' arrays as locals: read through the record, every access would count a
    # reference to its array once compiled
    kind, direct, lps, gps, target, share, _, _, gp_weights, _, _, hurdles = w
    parties = contributed.shape[1]
    tiers = kind.shape[0]
    contributed_total = 0.0
    distributed_total = 0.0
    for i in range(parties):
        contributed_total += contributed[r, i]
        distributed_total += distributed[r, i]
    remaining = amount
    for k in range(tiers):
        if remaining <= 0.0:
            break
        if kind[k] == RESIDUAL:
            size = remaining
        else:
            # the target's share of the tier, and what it still needs
            target_share = 0.0
            need = 0.0
            for i in range(parties):
                if target[k, i] != 0.0:
                    target_share += direct[k, i] + lps[k] * weights[r, i] + gps[k] * gp_weights[i]
                    if kind[k] == CAPITAL_RETURNED:
                        need += contributed[r, i] - distributed[r, i]
                    elif kind[k] == PROFIT_SHARE:
                        need -= distributed[r, i]
            divisor = target_share
            if kind[k] == HURDLE:
                need = balance[r, k]
            elif kind[k] == PROFIT_SHARE:
                need += share[k] * (distributed_total - contributed_total)
                divisor = target_share - share[k]
            size = need / divisor if divisor > 0.0 else 0.0
            size = min(max(size, 0.0), remaining)
        if size <= 0.0:
            continue
        for i in range(parties):
            pay = size * (direct[k, i] + lps[k] * weights[r, i] + gps[k] * gp_weights[i])
            if pay == 0.0:
                continue
            distributed[r, i] += pay
            received[r, i] += pay
            if track:
                tiers_out[k, i] += pay
            for h in hurdles:
                balance[r, h] -= target[h, i] * pay
        distributed_total += size
        remaining -= size


@kernel(parallel=True)
def allocate_rows(  # type: ignore[no-untyped-def]
    w, contributed, distributed, balance, amount, received, tiers_out, track
):
    """:func:`allocate_row` on every row; ``tiers_out`` shape (rows, tiers, parties)
    where ``track``, else any one row of that shape."""
    weights = np.empty_like(contributed)
    for r in prange(contributed.shape[0]):
        lp_weights(r, w, contributed, weights)
        # (no arithmetic on r: Numba's parallel loop index is unsigned)
        tiers = tiers_out[r] if track else tiers_out[0]
        allocate_row(
            r, amount[r], w, contributed, distributed, balance, weights, received, tiers, track
        )


def allocate(
    spec: WaterfallSpec,
    state: WaterfallState,
    amount: Array,
    *,
    tiers_out: Array | None = None,
    fast: bool = False,
) -> Array:
    """Run ``amount`` (shape (rows,), >= 0) through the tiers; update ``state``.

    Returns what each party receives, shape (rows, parties). If ``tiers_out`` (shape
    (rows, tiers, parties)) is given, each tier's payments are added to it. ``fast``
    runs the compiled twin (worth it from a few hundred rows; it loads Numba).
    """
    rows = amount.shape[0]
    received = np.zeros_like(state.distributed)
    track = tiers_out is not None
    buffer = tiers_out if tiers_out is not None else np.zeros((1, len(spec.tier_names), 1))
    run = compiled(allocate_rows) if fast else allocate_rows
    run(
        spec.tiers,
        state.contributed,
        state.distributed,
        state.balance,
        np.ascontiguousarray(amount, dtype=np.float64).reshape(rows),
        received,
        buffer,
        track,
    )
    return received


class Rows(NamedTuple):
    """Waterfall rows as the kernels keep them: cumulative contributions and
    distributions (rows, parties), hurdle balances (rows, tiers), LP weights (rows,
    parties) and a scratch row for each payment (rows, parties)."""

    rows: int
    contributed: Array
    distributed: Array
    balance: Array
    weights: Array
    received: Array


@kernel(inline=True)
def new_rows(rows, parties, tiers):  # type: ignore[no-untyped-def]
    """``rows`` empty waterfall rows."""
    block = np.zeros((4, rows, parties))
    return Rows(rows, block[0], block[1], np.zeros((rows, tiers)), block[2], block[3])


@kernel
def run_dated(w, factors, contributions, proceeds, rows, whole, received, tiers_out):  # type: ignore[no-untyped-def]
    """Dated flows through the waterfall, one date after another: every row's hurdle
    balances (and the whole-fund row's) compound by ``factors[d]`` (dates, tiers); the
    date's contributions (dates, rows, parties) are booked on their rows and on the
    whole-fund row; then each row pays out its proceeds (dates, rows), each tier's
    payments added to ``tiers_out`` (tiers, parties), and the whole-fund row pays out
    their total. ``received[d]`` is what each party got on date d, over all rows."""
    dates, count, parties = contributions.shape
    hurdles, target = w.hurdles, w.target
    for d in range(dates):
        for h in hurdles:
            for r in range(count):
                rows.balance[r, h] *= factors[d, h]
            whole.balance[0, h] *= factors[d, h]
        for r in range(count):
            for i in range(parties):
                paid_in = contributions[d, r, i]
                if paid_in != 0.0:
                    rows.contributed[r, i] += paid_in
                    whole.contributed[0, i] += paid_in
                    for h in hurdles:
                        rows.balance[r, h] += target[h, i] * paid_in
                        whole.balance[0, h] += target[h, i] * paid_in
        total = 0.0
        for r in range(count):
            amount = proceeds[d, r]
            if amount <= 0.0:
                continue
            total += amount
            for i in range(parties):
                rows.received[r, i] = 0.0
            lp_weights(r, w, rows.contributed, rows.weights)
            allocate_row(
                r, amount, w, rows.contributed, rows.distributed, rows.balance, rows.weights,
                rows.received, tiers_out, True,
            )  # fmt: skip
            for i in range(parties):
                received[d, i] += rows.received[r, i]
        if total > 0.0:
            lp_weights(0, w, whole.contributed, whole.weights)
            allocate_row(
                0, total, w, whole.contributed, whole.distributed, whole.balance, whole.weights,
                whole.received, tiers_out, False,
            )  # fmt: skip


@kernel
def clawback_row(r, w, received, entitled, contributed, out):  # type: ignore[no-untyped-def]
    """The clawback on row r into ``out[r]``: + a GP gives back, - an LP receives.

    ``received`` is what each party got deal by deal, ``entitled`` what the same tiers
    pay on the whole fund, ``contributed`` each party's capital; all (rows, parties).
    Each GP returns its excess over its entitlement; LPs share it pro rata to capital
    (to commitments before any).
    """
    parties = received.shape[1]
    excess = 0.0
    lp_total = 0.0
    for i in range(parties):
        if w.is_lp[i]:
            lp_total += contributed[r, i]
            out[r, i] = 0.0
        else:
            out[r, i] = max(received[r, i] - entitled[r, i], 0.0)
            excess += out[r, i]
    for i in range(parties):
        if w.is_lp[i]:
            share = contributed[r, i] / lp_total if lp_total > 0.0 else w.commitment_weights[i]
            out[r, i] -= excess * share


def clawback_transfers(
    spec: WaterfallSpec, received: Array, entitled: Array, contributed: Array
) -> Array:
    """End-of-fund clawback per row (:func:`clawback_row`), shape (rows, parties)."""
    out = np.zeros_like(received)
    for r in range(received.shape[0]):
        clawback_row(r, spec.tiers, received, entitled, contributed, out)
    return out
