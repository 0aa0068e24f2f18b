"""The distribution waterfall: one allocator, vectorized over a leading axis of rows.

A row is a path of a simulation (or a path x deal for deal-by-deal terms); the
calculator and, later, the ledger use one row. Each distribution runs through the
tiers from the first; a tier's capacity is what its ``until`` still needs given every
flow so far (DESIGN.md):

- ``capital_returned = X``: X's distributions reach X's contributions;
- ``hurdle = X, rate = r``: the value of X's net flows compounded at r (annual
  compounding, Actual/365) to the distribution date reaches zero, i.e. X's IRR is r.
  A running balance per hurdle tier is compounded between flow dates (by
  :func:`accrual_factors`: a fixed rate, or the row's index rate plus a spread);
- ``profit_share = X, share = s``: X's distributions reach s x (all distributions
  minus all contributions). A tier paying X a share g > s fills after
  ``(s * profit - paid_to_X) / (g - s)``;
- the last tier takes the rest.

Groups: ``lps`` are paid pro rata to contributed capital (to commitments before any
contribution), ``gps`` pro rata to ``carry_share`` (equally if none is given).

:func:`allocate` runs a compiled (Numba) kernel, parallel over rows;
:func:`allocate_reference` is the same rule in plain NumPy, kept as the readable
reference the kernel is tested against.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from sovfund.terms.models import FloatingRate, Party, Terms, Waterfall

__all__ = [
    "WaterfallSpec",
    "WaterfallState",
    "accrual_factors",
    "allocate",
    "allocate_reference",
    "allocate_series",
    "clawback_transfers",
]

Array = NDArray[np.float64]

RESIDUAL, CAPITAL_RETURNED, HURDLE, PROFIT_SHARE = range(4)
_KINDS = {"capital_returned": CAPITAL_RETURNED, "hurdle": HURDLE, "profit_share": PROFIT_SHARE}


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

    @classmethod
    def from_terms(cls, terms: Terms) -> WaterfallSpec:
        """The waterfall of ``terms`` over its parties."""
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


def accrual_factors(spec: WaterfallSpec, years: float, index_rate: Array | float) -> Array:
    """Growth of each hurdle balance over ``years``, shape (rows, tiers) or (1, tiers).

    ``index_rate`` (a scalar or shape (rows,)) is the floating index (SOFR) over the
    period; floating hurdles compound at it plus their spread, fixed ones at their rate.
    """
    hurdle = spec.kind == HURDLE
    fixed = np.where(hurdle & ~spec.floating, (1.0 + spec.rate) ** years, 1.0)[None, :]
    if not (hurdle & spec.floating).any():
        return fixed  # shape (1, tiers): the same for every row
    index = np.atleast_1d(np.asarray(index_rate, dtype=np.float64))[:, None]
    floating = (1.0 + index + spec.rate[None, :]) ** years
    return np.where((hurdle & spec.floating)[None, :], floating, fixed)


def allocate(
    spec: WaterfallSpec, state: WaterfallState, amount: Array, *, tiers_out: Array | None = None
) -> Array:
    """Run ``amount`` (shape (rows,), >= 0) through the tiers; update ``state``.

    Returns what each party receives, shape (rows, parties). If ``tiers_out`` (shape
    (rows, tiers, parties)) is given, each tier's payments are added to it.
    """
    by_party = np.zeros_like(state.distributed)
    # Waking worker threads costs more than a few hundred rows of work.
    kernel = _allocate_parallel if amount.shape[0] >= _PARALLEL_ROWS else _allocate_serial
    kernel(
        *_spec_arrays(spec),
        state.contributed,
        state.distributed,
        state.balance,
        np.ascontiguousarray(amount, dtype=np.float64),
        by_party,
        *_tier_buffer(tiers_out),
    )
    return by_party


def allocate_series(
    spec: WaterfallSpec,
    state: WaterfallState,
    contributions: Array,
    amounts: Array,
    factors: Array,
    *,
    tiers_out: Array | None = None,
) -> Array:
    """Many periods at once: per period, accrue, contribute, then distribute; update ``state``.

    The same rule as calling :meth:`WaterfallState.accrue`, :meth:`WaterfallState.contribute`
    and :func:`allocate` period by period, fused into one pass per row so that each
    row's state stays in cache.

    Parameters
    ----------
    contributions : ndarray, shape (rows, periods, parties)
    amounts : ndarray, shape (rows, periods)
        Cash to distribute at the end of each period.
    factors : ndarray, shape (periods, tiers), (1, periods, tiers) or (rows, periods, tiers)
        Hurdle growth over each period (see :func:`accrual_factors`).

    Returns
    -------
    ndarray, shape (rows, parties)
        What each party received over all the periods.
    """
    rows = amounts.shape[0]
    received = np.zeros_like(state.distributed)
    factors = np.ascontiguousarray(
        factors if factors.ndim == 3 else factors[None], dtype=np.float64
    )
    kernel = _series_parallel if rows >= _PARALLEL_ROWS // 16 else _series_serial
    kernel(
        *_spec_arrays(spec),
        state.contributed,
        state.distributed,
        state.balance,
        factors,
        np.ascontiguousarray(contributions, dtype=np.float64),
        np.ascontiguousarray(amounts, dtype=np.float64),
        received,
        *_tier_buffer(tiers_out),
    )
    return received


def _spec_arrays(spec: WaterfallSpec) -> tuple[Array, ...]:
    """The spec as the kernels take it: loose arrays. (Bundling them in a NamedTuple
    reads better but measured 3-5x slower: Numba copies the tuple into every per-row
    call, and its parallel lowering mishandled in-place updates through one.)"""
    return (
        spec.kind,
        spec.direct,
        spec.lps,
        spec.gps,
        spec.target,
        spec.share,
        spec.gp_weights,
        spec.is_lp,
        spec.commitment_weights,
        np.flatnonzero(spec.kind == HURDLE),
    )  # type: ignore[return-value]


def _tier_buffer(tiers_out: Array | None) -> tuple[Array, bool]:
    return (tiers_out, True) if tiers_out is not None else (np.zeros((1, 1, 1)), False)


@numba.njit(cache=True, error_model="numpy")
def _lp_weights(r, is_lp, commitment_weights, contributed, weights):  # type: ignore[no-untyped-def]
    """Each LP's share of the LP group on row r: pro rata to contributions, else to
    commitments; they change only when contributions do."""
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


@numba.njit(cache=True, error_model="numpy")
def _allocate_row(  # type: ignore[no-untyped-def]
    r,
    amount,
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
    contributed,
    distributed,
    balance,
    weights,
    received,
    tiers_out,
    track,
):
    """Distribute ``amount`` on row r: the rule, written once for both kernels.

    ``weights[r]`` must hold the row's LP weights (see :func:`_lp_weights`).
    """
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
                tiers_out[r, k, i] += pay
            for h in hurdles:
                balance[r, h] -= target[h, i] * pay
        distributed_total += size
        remaining -= size


def _allocate_rows(  # type: ignore[no-untyped-def]
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
    contributed,
    distributed,
    balance,
    amount,
    received,
    tiers_out,
    track,
):
    weights = np.empty_like(contributed)
    for r in numba.prange(contributed.shape[0]):
        _lp_weights(r, is_lp, commitment_weights, contributed, weights)
        _allocate_row(
            r, amount[r], kind, direct, lps, gps, target, share, gp_weights, is_lp,
            commitment_weights, hurdles, contributed, distributed, balance, weights, received,
            tiers_out, track,
        )  # fmt: skip


def _series_rows(  # type: ignore[no-untyped-def]
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
    contributed,
    distributed,
    balance,
    factors,
    contributions,
    amounts,
    received,
    tiers_out,
    track,
):
    rows, periods, parties = contributions.shape
    stride = 0 if factors.shape[0] == 1 else 1  # factors shared by all rows, or per row
    weights = np.empty_like(contributed)
    for r in numba.prange(rows):
        f = r * stride
        _lp_weights(r, is_lp, commitment_weights, contributed, weights)
        for t in range(periods):
            for h in hurdles:
                balance[r, h] *= factors[f, t, h]
            paid = False
            for i in range(parties):
                paid_in = contributions[r, t, i]
                if paid_in != 0.0:
                    paid = True
                    contributed[r, i] += paid_in
                    for h in hurdles:
                        balance[r, h] += target[h, i] * paid_in
            if paid:
                _lp_weights(r, is_lp, commitment_weights, contributed, weights)
            if amounts[r, t] > 0.0:
                _allocate_row(
                    r, amounts[r, t], kind, direct, lps, gps, target, share, gp_weights,
                    is_lp, commitment_weights, hurdles, contributed, distributed, balance,
                    weights, received, tiers_out, track,
                )  # fmt: skip


_PARALLEL_ROWS = 4096


def _compile(function: Any, *, parallel: bool) -> Any:
    """Compile ``function``, serial for few rows or parallel over rows for many.

    Numba's on-disk cache is keyed by the function's name, not by ``parallel``, so
    each variant gets a name of its own (else the second would load the first).
    """
    variant = types.FunctionType(
        function.__code__, function.__globals__, function.__name__, function.__defaults__
    )
    variant.__qualname__ = f"{function.__qualname__}_{'parallel' if parallel else 'serial'}"
    return numba.njit(parallel=parallel, cache=True, error_model="numpy")(variant)


_allocate_serial = _compile(_allocate_rows, parallel=False)
_allocate_parallel = _compile(_allocate_rows, parallel=True)
_series_serial = _compile(_series_rows, parallel=False)
_series_parallel = _compile(_series_rows, parallel=True)


def allocate_reference(
    spec: WaterfallSpec, state: WaterfallState, amount: Array, *, tiers_out: Array | None = None
) -> Array:
    """Plain-NumPy twin of :func:`allocate`: the same rule, written to be read."""
    rows = amount.shape[0]
    by_party = np.zeros_like(state.distributed)
    remaining = np.asarray(amount, dtype=np.float64).copy()
    lp_contributed = np.where(spec.is_lp, state.contributed, 0.0)
    lp_total = lp_contributed.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        lp_weights = np.where(lp_total > 0, lp_contributed / lp_total, spec.commitment_weights)
    contributed_total = state.contributed.sum(axis=1)
    hurdles = spec.kind == HURDLE

    for k in range(len(spec.tier_names)):
        shares = spec.direct[k] + spec.lps[k] * lp_weights + spec.gps[k] * spec.gp_weights
        kind = spec.kind[k]
        if kind == RESIDUAL:
            size = remaining.copy()
        else:
            target_share = shares @ spec.target[k]
            divisor = target_share
            if kind == CAPITAL_RETURNED:
                need = (state.contributed - state.distributed) @ spec.target[k]
            elif kind == HURDLE:
                need = state.balance[:, k].copy()
            else:
                profit = state.distributed.sum(axis=1) - contributed_total
                need = spec.share[k] * profit - state.distributed @ spec.target[k]
                divisor = target_share - spec.share[k]
            with np.errstate(invalid="ignore", divide="ignore"):
                size = np.where(divisor > 0, need / divisor, 0.0)
            size = np.clip(size, 0.0, np.maximum(remaining, 0.0))
        payment = size[:, None] * shares * np.ones((rows, 1))
        state.distributed += payment
        by_party += payment
        state.balance -= (payment @ spec.target.T) * hurdles
        if tiers_out is not None:
            tiers_out[:, k, :] += payment
        remaining = remaining - size
    return by_party


def clawback_transfers(
    spec: WaterfallSpec, received: Array, entitled: Array, contributed: Array
) -> Array:
    """End-of-fund clawback, shape (rows, parties): + a GP gives back, - an LP receives.

    ``received`` is what each party got deal by deal, ``entitled`` what the same tiers
    pay on the whole fund, ``contributed`` each party's capital; all (rows, parties).
    Each GP returns its excess over its entitlement; LPs share it pro rata to capital.
    """
    excess = np.where(spec.is_lp, 0.0, np.maximum(received - entitled, 0.0))
    lp_contributed = np.where(spec.is_lp, contributed, 0.0)
    total = lp_contributed.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(total > 0, lp_contributed / total, spec.commitment_weights)
    return excess - excess.sum(axis=1, keepdims=True) * weights
