"""Distributions over Monte Carlo paths: the figures `sovfund simulate` reports.

Every mean carries its Monte Carlo standard error (sd / sqrt(n)); every probability
its binomial standard error. Percentiles use NumPy's default (linear) interpolation.
NaN values (a path where a party has no IRR) are left out and counted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.paths import PathSummary

__all__ = ["describe", "probability", "summary_dict"]


def describe(values: NDArray[np.float64]) -> dict[str, float | int | None]:
    """Mean (and its standard error), sd and the 5th, 50th and 95th percentiles."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "se": None, "sd": None, "p05": None, "p50": None, "p95": None, "n": 0}
    sd = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    p05, p50, p95 = np.percentile(finite, [5, 50, 95])
    return {
        "mean": float(finite.mean()),
        "se": sd / math.sqrt(finite.size),
        "sd": sd,
        "p05": float(p05),
        "p50": float(p50),
        "p95": float(p95),
        "n": int(finite.size),
    }


def probability(events: NDArray[np.bool_]) -> dict[str, float]:
    """The share of paths where ``events`` is true, with its standard error."""
    n = max(events.size, 1)
    p = float(events.mean()) if events.size else 0.0
    return {"p": p, "se": math.sqrt(p * (1.0 - p) / n)}


def summary_dict(
    summary: PathSummary, parties: tuple[str, ...], japanese: tuple[bool, ...]
) -> dict[str, Any]:
    """The ``parties`` and ``fund`` parts of the simulate JSON (DESIGN.md)."""
    out: dict[str, Any] = {}
    for i, party in enumerate(parties):
        paid_in = summary.contributed[:, i] > 0
        value = summary.received[:, i] + summary.residual[:, i]
        entry: dict[str, Any] = {
            "irr": describe(summary.irr[:, i]),
            "tvpi": describe(summary.tvpi[:, i]),
            "dpi": describe(summary.dpi[:, i]),
            "received": describe(summary.received[:, i]),
            "p_loss": None,
            "p_total_loss": None,
        }
        if paid_in.any():
            loss = value[paid_in] < summary.contributed[paid_in, i]
            total_loss = value[paid_in] <= 1e-9 * summary.contributed[paid_in, i]
            entry["p_loss"] = probability(loss)["p"]
            entry["p_loss_se"] = probability(loss)["se"]
            entry["p_total_loss"] = probability(total_loss)["p"]
        if japanese[i]:
            entry["irr_jpy"] = describe(summary.irr_jpy[:, i])
            entry["irr_jpy_net_of_funding"] = describe(summary.irr_jpy_net[:, i])
        out[party] = entry
    default, breach = probability(summary.defaulted), probability(summary.breached)
    shortfall = probability(summary.shortfall)
    fund = {
        "p_default": default["p"],
        "p_default_se": default["se"],
        "p_funding_shortfall": shortfall["p"],
        "p_funding_shortfall_se": shortfall["se"],
        "p_covenant_breach": breach["p"],
        "p_covenant_breach_se": breach["se"],
        "lenders_loss": describe(summary.lenders_loss),
        "peak_debt": describe(summary.peak_debt),
        "peak_ltv": describe(summary.peak_ltv),
        "fees": describe(summary.fees),
    }
    return {"parties": out, "fund": fund}
