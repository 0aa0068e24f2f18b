"""The distribution waterfall: one allocator, vectorized over a leading axis of paths.

Simulation calls it with many paths, the base case and calculators with one. Each
distribution runs through the tiers from the first; a tier's capacity is what its
``until`` still needs given every flow so far (DESIGN.md):

- ``capital_returned = X``: X's distributions reach X's contributions;
- ``hurdle = X, rate = r``: the value of X's net flows compounded at r (annual
  compounding, Actual/365) to the distribution date reaches zero, i.e. X's IRR is r.
  The running balance is kept per hurdle tier and compounded between flow dates;
- ``profit_share = X, share = s``: X's distributions reach s x (all distributions
  minus all contributions). A tier paying X a share g > s fills after
  ``(s * profit - paid_to_X) / (g - s)``;
- the last tier takes the rest.

Groups: ``lps`` are paid pro rata to contributed capital (to commitments before any
contribution), ``gps`` pro rata to ``carry_share`` (equally if none is given).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sovfund.terms.models import FloatingRate, Terms

__all__ = ["Allocation", "TierSpec", "WaterfallSpec", "WaterfallState"]

Array = NDArray[np.float64]

RESIDUAL, CAPITAL_RETURNED, HURDLE, PROFIT_SHARE = range(4)
_KINDS = {"capital_returned": CAPITAL_RETURNED, "hurdle": HURDLE, "profit_share": PROFIT_SHARE}


@dataclass(frozen=True, slots=True)
class TierSpec:
    """One tier, compiled: who is paid what share, and when it is full."""

    name: str
    direct: Array  # shape (parties,): shares paid to single parties
    lps: float  # share paid to the LP group
    gps: float  # share paid to the GP group
    kind: int
    target: NDArray[np.bool_]  # shape (parties,): whom the until measures
    rate: float = 0.0  # hurdle rate, or the spread over the index when floating
    floating: bool = False
    share: float = 0.0  # profit share


@dataclass(frozen=True, slots=True)
class WaterfallSpec:
    """A term sheet's waterfall, compiled to arrays over parties (in term-sheet order)."""

    parties: tuple[str, ...]
    is_lp: NDArray[np.bool_]
    commitments: Array
    gp_weights: Array
    tiers: tuple[TierSpec, ...]

    @classmethod
    def from_terms(cls, terms: Terms) -> WaterfallSpec:
        ids = tuple(p.id for p in terms.parties)
        is_lp = np.array([p.role == "lp" for p in terms.parties])
        is_gp = ~is_lp
        commitments = np.array([p.commitment or 0.0 for p in terms.parties])
        carry = np.array(
            [p.carry_share if p.carry_share is not None else 1.0 for p in terms.parties]
        )
        gp_weights = np.where(is_gp, carry, 0.0)
        gp_weights = gp_weights / gp_weights.sum() if gp_weights.sum() > 0 else gp_weights
        groups = {"lps": is_lp, "gps": is_gp}

        tiers = []
        for tier in terms.waterfall.tier:
            direct = np.array([tier.pay.get(i, 0.0) for i in ids])
            until = tier.until
            if until is None:
                kind, target = RESIDUAL, np.zeros(len(ids), dtype=bool)
            else:
                kind = _KINDS[until.kind]
                target = groups.get(until.target, np.array([i == until.target for i in ids]))
            rate = until.rate if until is not None else None
            tiers.append(
                TierSpec(
                    name=tier.name,
                    direct=direct,
                    lps=tier.pay.get("lps", 0.0),
                    gps=tier.pay.get("gps", 0.0),
                    kind=kind,
                    target=target,
                    rate=rate.spread if isinstance(rate, FloatingRate) else (rate or 0.0),
                    floating=isinstance(rate, FloatingRate),
                    share=(until.share or 0.0) if until is not None else 0.0,
                )
            )
        return cls(ids, is_lp, commitments, gp_weights, tuple(tiers))

    def lp_weights(self, contributed: Array) -> Array:
        """Each LP's share of the LP group, shape (paths, parties)."""
        lp_contributed = np.where(self.is_lp, contributed, 0.0)
        total = lp_contributed.sum(axis=1, keepdims=True)
        by_commitment = (
            self.commitments * self.is_lp / max(self.commitments[self.is_lp].sum(), 1e-300)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, lp_contributed / total, by_commitment[None, :])

    def empty_state(self, paths: int) -> WaterfallState:
        zeros = np.zeros((paths, len(self.parties)))
        return WaterfallState(zeros, zeros.copy(), np.zeros((paths, len(self.tiers))))


@dataclass(frozen=True, slots=True)
class WaterfallState:
    """Cumulative flows through the waterfall so far, per path.

    Attributes
    ----------
    contributed, distributed : ndarray, shape (paths, parties)
    hurdle_balance : ndarray, shape (paths, tiers)
        For hurdle tiers, the target's contributions less distributions compounded at
        the tier's rate to the last flow date (zero for other tiers).
    """

    contributed: Array
    distributed: Array
    hurdle_balance: Array

    def accrue(self, spec: WaterfallSpec, years: float, index_rate: Array) -> WaterfallState:
        """Compound hurdle balances over ``years`` (Actual/365); ``index_rate`` shape (paths,)."""
        balance = self.hurdle_balance.copy()
        for k, tier in enumerate(spec.tiers):
            if tier.kind == HURDLE:
                rate = index_rate + tier.rate if tier.floating else tier.rate
                balance[:, k] *= (1.0 + rate) ** years
        return replace(self, hurdle_balance=balance)

    def contribute(self, spec: WaterfallSpec, amounts: Array) -> WaterfallState:
        """Add contributions, shape (paths, parties)."""
        return replace(
            self,
            contributed=self.contributed + amounts,
            hurdle_balance=self.hurdle_balance + _by_target(spec, amounts),
        )


@dataclass(frozen=True, slots=True)
class Allocation:
    """One distribution's split: ``paid`` shape (paths, tiers, parties), and the new state."""

    paid: Array
    state: WaterfallState

    @property
    def by_party(self) -> Array:
        return self.paid.sum(axis=1)


def allocate(spec: WaterfallSpec, state: WaterfallState, amount: Array) -> Allocation:
    """Run ``amount`` (shape (paths,), >= 0) through the tiers from the first."""
    paths = amount.shape[0]
    paid = np.zeros((paths, len(spec.tiers), len(spec.parties)))
    remaining = amount.astype(np.float64, copy=True)
    distributed = state.distributed.copy()
    balance = state.hurdle_balance.copy()
    lp_weights = spec.lp_weights(state.contributed)
    contributed_total = state.contributed.sum(axis=1)

    for k, tier in enumerate(spec.tiers):
        shares = tier.direct[None, :] + tier.lps * lp_weights + tier.gps * spec.gp_weights[None, :]
        if tier.kind == RESIDUAL:
            size = remaining
        else:
            target_share = (shares * tier.target).sum(axis=1)
            need = _need(tier, state.contributed, distributed, balance[:, k], contributed_total)
            # Paying y through the tier moves the target's position by y * its share (for
            # a profit share, by y * (share - s), since y also adds to the profit).
            rate = target_share - tier.share if tier.kind == PROFIT_SHARE else target_share
            with np.errstate(divide="ignore", invalid="ignore"):
                size = np.where(rate > 0, need / rate, 0.0)
            size = np.clip(size, 0.0, remaining)
        payment = size[:, None] * shares
        paid[:, k, :] = payment
        distributed += payment
        balance -= _by_target(spec, payment)
        remaining = remaining - size

    return Allocation(paid, WaterfallState(state.contributed, distributed, balance))


def _need(
    tier: TierSpec,
    contributed: Array,
    distributed: Array,
    balance: Array,
    contributed_total: Array,
) -> Array:
    """What the tier's target still needs, before dividing by its share of the tier."""
    if tier.kind == CAPITAL_RETURNED:
        return ((contributed - distributed) * tier.target).sum(axis=1)
    if tier.kind == HURDLE:
        return balance
    profit = distributed.sum(axis=1) - contributed_total
    paid_to_target = (distributed * tier.target).sum(axis=1)
    return tier.share * profit - paid_to_target


def _by_target(spec: WaterfallSpec, amounts: Array) -> Array:
    """Sum of ``amounts`` (paths, parties) over each hurdle tier's target, shape (paths, tiers)."""
    out = np.zeros((amounts.shape[0], len(spec.tiers)))
    for k, tier in enumerate(spec.tiers):
        if tier.kind == HURDLE:
            out[:, k] = (amounts * tier.target).sum(axis=1)
    return out
