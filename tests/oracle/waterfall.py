"""The waterfall rule in NumPy, vectorised over rows (an oracle: see the package doc)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.waterfall import (
    CAPITAL_RETURNED,
    HURDLE,
    RESIDUAL,
    WaterfallSpec,
    WaterfallState,
)

__all__ = ["allocate_reference", "clawback_reference"]

Array = NDArray[np.float64]


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


def clawback_reference(
    spec: WaterfallSpec, received: Array, entitled: Array, contributed: Array
) -> Array:
    """End-of-fund clawback, shape (rows, parties): + a GP gives back, - an LP receives."""
    excess = np.where(spec.is_lp, 0.0, np.maximum(received - entitled, 0.0))
    lp_contributed = np.where(spec.is_lp, contributed, 0.0)
    total = lp_contributed.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(total > 0, lp_contributed / total, spec.commitment_weights)
    return excess - excess.sum(axis=1, keepdims=True) * weights
