"""Distributions over Monte Carlo paths: the figures `sovfund simulate` reports.

Every mean carries its Monte Carlo standard error (sd / sqrt(n)); every probability
its binomial standard error. Percentiles use NumPy's default (linear) interpolation.
NaN values (a path where a party has no IRR) are left out and counted.

Per party: IRR, TVPI, DPI, RVPI, PME (Kaplan-Schoar and Direct Alpha against Treasury
bills), the chance of any loss and of a total loss, and the value at risk and expected
shortfall of the money lost (contributed less what came back, at 95% and 99%), in USD
and, for Japanese parties, in yen. GPs: fees and carry. Fund: default, funding
shortfall and covenant breach probabilities, time to the first breach, the lenders'
loss, peak debt, leverage and LTV, and the fund's peak size against US GDP.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.context import JAPAN_FX_RESERVES, US_GDP
from sovfund.analytics.metrics import ratio
from sovfund.analytics.paths import PathSummary
from sovfund.analytics.risk import tail_risk

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
    summary: PathSummary,
    parties: tuple[str, ...],
    japanese: tuple[bool, ...],
    reserves: tuple[bool, ...] | None = None,
) -> dict[str, Any]:
    """The ``parties`` and ``fund`` parts of the simulate JSON (DESIGN.md).

    ``reserves`` marks the parties whose money is Japan's FX reserves (their share of
    the reserves at risk is reported).
    """
    out: dict[str, Any] = {}
    for i, party in enumerate(parties):
        paid_in = summary.contributed[:, i] > 0
        value = summary.received[:, i] + summary.residual[:, i]
        entry: dict[str, Any] = {
            "irr": describe(summary.irr[:, i]),
            "tvpi": describe(summary.tvpi[:, i]),
            "dpi": describe(summary.dpi[:, i]),
            "rvpi": describe(ratio(summary.residual[:, i], summary.contributed[:, i])),
            "pme_ks": describe(summary.ks_pme[:, i]),
            "direct_alpha": describe(summary.direct_alpha[:, i]),
            "received": describe(summary.received[:, i]),
            "p_loss": None,
            "p_total_loss": None,
        }
        if paid_in.any():
            contributed = summary.contributed[paid_in, i]
            loss = value[paid_in] < contributed
            total_loss = value[paid_in] <= 1e-9 * contributed
            entry["p_loss"] = probability(loss)["p"]
            entry["p_loss_se"] = probability(loss)["se"]
            entry["p_total_loss"] = probability(total_loss)["p"]
            entry["loss_usd"] = tail_risk(contributed - value[paid_in])
            if japanese[i]:
                yen_loss = summary.contributed_jpy[paid_in, i] - summary.received_jpy[paid_in, i]
                entry["loss_jpy"] = tail_risk(yen_loss)
            if reserves is not None and reserves[i]:
                worst = entry["loss_usd"]["var99"]
                entry["reserves_at_risk_var99"] = (
                    None if worst is None else worst / JAPAN_FX_RESERVES
                )
        else:
            entry["fees"] = describe(summary.fees_received[:, i])
            entry["carry"] = describe(summary.received[:, i] - summary.fees_received[:, i])
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
        "peak_leverage": describe(summary.peak_leverage),
        "years_to_first_breach": describe(
            summary.first_breach[summary.breached].astype(np.float64) / 4.0 + 0.25
        ),
        "lenders_loss_if_default": describe(summary.lenders_loss[summary.defaulted]),
        "fees": describe(summary.fees),
        "peak_assets_to_us_gdp": describe(summary.peak_assets / US_GDP),
    }
    if summary.redeemed.any() or summary.gate_shut.any():
        fund["redeemed"] = describe(summary.redeemed)
        fund["p_gate_shut"] = probability(summary.gate_shut > 0)["p"]
        fund["gate_shut_quarters"] = describe(summary.gate_shut.astype(np.float64))
    return {"parties": out, "fund": fund}
