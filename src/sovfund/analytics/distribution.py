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
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.context import JAPAN_FX_RESERVES, US_GDP
from sovfund.analytics.figures import Distribution, FundRisk, PartyFigures, SimulationFigures
from sovfund.analytics.metrics import ratio
from sovfund.analytics.paths import PathSummary
from sovfund.analytics.risk import tail_risk

__all__ = ["describe", "probability", "simulation_figures"]


def describe(values: NDArray[np.float64]) -> Distribution:
    """Mean (and its standard error), sd and the 5th, 50th and 95th percentiles."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Distribution(mean=None, se=None, sd=None, p05=None, p50=None, p95=None, n=0)
    sd = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    p05, p50, p95 = np.percentile(finite, [5, 50, 95])
    return Distribution(
        mean=float(finite.mean()),
        se=sd / math.sqrt(finite.size),
        sd=sd,
        p05=float(p05),
        p50=float(p50),
        p95=float(p95),
        n=int(finite.size),
    )


def probability(events: NDArray[np.bool_]) -> tuple[float, float]:
    """The share of paths where ``events`` is true, and its standard error."""
    n = max(events.size, 1)
    p = float(events.mean()) if events.size else 0.0
    return p, math.sqrt(p * (1.0 - p) / n)


def simulation_figures(
    summary: PathSummary,
    parties: tuple[str, ...],
    japanese: tuple[bool, ...],
    reserves: tuple[bool, ...] | None = None,
) -> SimulationFigures:
    """The ``parties`` and ``fund`` figures of the simulate JSON (DESIGN.md).

    ``reserves`` marks the parties whose money is Japan's FX reserves (their share of
    the reserves at risk is reported).
    """
    return SimulationFigures(
        parties={
            party: _party(summary, i, japanese[i], reserves is not None and reserves[i])
            for i, party in enumerate(parties)
        },
        fund=_fund(summary),
    )


def _party(summary: PathSummary, i: int, japanese: bool, reserves: bool) -> PartyFigures:
    paid_in = summary.contributed[:, i] > 0
    value = summary.received[:, i] + summary.residual[:, i]
    figures = PartyFigures(
        irr=describe(summary.irr[:, i]),
        tvpi=describe(summary.tvpi[:, i]),
        dpi=describe(summary.dpi[:, i]),
        rvpi=describe(ratio(summary.residual[:, i], summary.contributed[:, i])),
        pme_ks=describe(summary.ks_pme[:, i]),
        direct_alpha=describe(summary.direct_alpha[:, i]),
        received=describe(summary.received[:, i]),
        p_loss=None,
        p_total_loss=None,
        irr_jpy=describe(summary.irr_jpy[:, i]) if japanese else None,
        irr_jpy_net_of_funding=describe(summary.irr_jpy_net[:, i]) if japanese else None,
    )
    if not paid_in.any():
        return replace(
            figures,
            fees=describe(summary.fees_received[:, i]),
            carry=describe(summary.received[:, i] - summary.fees_received[:, i]),
        )
    contributed = summary.contributed[paid_in, i]
    p_loss, p_loss_se = probability(value[paid_in] < contributed)
    loss_usd = tail_risk(contributed - value[paid_in])
    yen_loss = summary.contributed_jpy[paid_in, i] - summary.received_jpy[paid_in, i]
    worst = loss_usd.var99
    return replace(
        figures,
        p_loss=p_loss,
        p_total_loss=probability(value[paid_in] <= 1e-9 * contributed)[0],
        p_loss_se=p_loss_se,
        loss_usd=loss_usd,
        loss_jpy=tail_risk(yen_loss) if japanese else None,
        reserves=reserves,
        reserves_at_risk_var99=(
            worst / JAPAN_FX_RESERVES if reserves and worst is not None else None
        ),
    )


def _fund(summary: PathSummary) -> FundRisk:
    default, default_se = probability(summary.defaulted)
    breach, breach_se = probability(summary.breached)
    shortfall, shortfall_se = probability(summary.shortfall)
    redemptions = bool(summary.redeemed.any() or summary.gate_shut.any())
    return FundRisk(
        p_default=default,
        p_default_se=default_se,
        p_funding_shortfall=shortfall,
        p_funding_shortfall_se=shortfall_se,
        p_covenant_breach=breach,
        p_covenant_breach_se=breach_se,
        lenders_loss=describe(summary.lenders_loss),
        peak_debt=describe(summary.peak_debt),
        peak_ltv=describe(summary.peak_ltv),
        peak_leverage=describe(summary.peak_leverage),
        years_to_first_breach=describe(
            summary.first_breach[summary.breached].astype(np.float64) / 4.0 + 0.25
        ),
        lenders_loss_if_default=describe(summary.lenders_loss[summary.defaulted]),
        fees=describe(summary.fees),
        peak_assets_to_us_gdp=describe(summary.peak_assets / US_GDP),
        redeemed=describe(summary.redeemed) if redemptions else None,
        p_gate_shut=probability(summary.gate_shut > 0)[0] if redemptions else None,
        gate_shut_quarters=(
            describe(summary.gate_shut.astype(np.float64)) if redemptions else None
        ),
    )
