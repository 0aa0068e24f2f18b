"""Tail risk: value at risk and expected shortfall of a loss distribution.

Losses are positive (money lost). At level ``a`` (0.95, 0.99):

- ``VaR_a`` is the ``a``-quantile of the loss: the loss exceeded in only ``1 - a`` of
  paths (the empirical quantile, NumPy's default linear interpolation);
- ``ES_a`` (expected shortfall, CVaR) is the mean loss in the worst ``1 - a`` of
  paths, the losses at or beyond ``VaR_a``.

For normal losses with mean m and sd s these tend to ``m + s z`` and
``m + s phi(z) / (1 - a)`` with ``z = Phi^-1(a)`` (Acerbi & Tasche 2002, "On the
coherence of expected shortfall"); the tests check both.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.figures import TailRisk

__all__ = ["LEVELS", "expected_shortfall", "tail_risk", "value_at_risk"]

LEVELS = (0.95, 0.99)


def value_at_risk(losses: NDArray[np.float64], level: float) -> float:
    """The ``level`` quantile of ``losses`` (NaNs left out); NaN if there are none."""
    finite = losses[np.isfinite(losses)]
    return float(np.quantile(finite, level)) if finite.size else float("nan")


def expected_shortfall(losses: NDArray[np.float64], level: float) -> float:
    """The mean of the losses at or beyond the ``level`` VaR (NaNs left out)."""
    finite = losses[np.isfinite(losses)]
    if not finite.size:
        return float("nan")
    var = np.quantile(finite, level)
    return float(finite[finite >= var].mean())


def tail_risk(losses: NDArray[np.float64]) -> TailRisk:
    """VaR and ES of ``losses`` at :data:`LEVELS` (None where undefined)."""

    def defined(value: float) -> float | None:
        return value if np.isfinite(value) else None

    return TailRisk(
        var95=defined(value_at_risk(losses, 0.95)),
        es95=defined(expected_shortfall(losses, 0.95)),
        var99=defined(value_at_risk(losses, 0.99)),
        es99=defined(expected_shortfall(losses, 0.99)),
    )
