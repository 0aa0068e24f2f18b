"""Per-party and fund-level metrics of simulated fund paths.

Per party (all flows to the end of the term, so the residual NAV is zero unless the
fund was cut short):

- ``contributed``: capital paid in (calls, including the part that paid fees);
- ``received``: waterfall distributions plus management fees received;
- ``tvpi`` = (received + residual NAV) / contributed; ``dpi`` = received / contributed;
  ``rvpi`` = residual NAV / contributed;
- ``moic`` = (received + residual NAV) / invested capital, where invested capital is
  paid-in capital less the part of calls that paid fees and fund interest: the deal
  multiple, before the fund's costs;
- ``irr``: see :mod:`sovfund.analytics.irr`. Ratios and IRRs are NaN for a party
  that contributed nothing (a GP): its cash is reported in money, not as a return.

Fund: gross MOIC of the projects, peak debt, peak debt-to-equity (debt over capital
called so far), peak LTV, fees and carry to each GP, default and covenant breaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.irr import irr_by_party
from sovfund.engine.calendar import year_fractions
from sovfund.engine.fund import FundPaths

__all__ = ["FundMetrics", "PartyMetrics", "debt_figures", "fund_metrics", "party_metrics", "ratio"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PartyMetrics:
    """Metrics per path and party: every array has shape (paths, parties)."""

    parties: tuple[str, ...]
    contributed: Array
    invested: Array
    distributed: Array
    fees_received: Array
    residual: Array
    irr: Array
    tvpi: Array
    dpi: Array
    rvpi: Array
    moic: Array


@dataclass(frozen=True, slots=True)
class FundMetrics:
    """Fund-level metrics per path: every array has shape (paths,)."""

    invested: Array
    gross_moic: Array
    peak_debt: Array
    peak_debt_to_equity: Array
    peak_ltv: Array
    fees: Array
    interest: Array
    defaulted: NDArray[np.bool_]
    breached: NDArray[np.bool_]
    first_breach_quarter: NDArray[np.int_]
    lenders_loss: Array


def party_metrics(fund: FundPaths) -> PartyMetrics:
    """Per-party metrics on every path."""
    contributed = fund.contributions.sum(axis=1)
    invested = fund.invested_capital.sum(axis=1)
    distributed = fund.distributed.sum(axis=1)
    fees = fund.fees_received.sum(axis=1)
    residual = fund.residual
    received = distributed + fees
    times = year_fractions(fund.dates[0], fund.dates)
    rates = irr_by_party(times, fund.party_cash)
    return PartyMetrics(
        parties=fund.parties,
        contributed=contributed,
        invested=invested,
        distributed=distributed,
        fees_received=fees,
        residual=residual,
        irr=rates,
        tvpi=ratio(received + residual, contributed),
        dpi=ratio(received, contributed),
        rvpi=ratio(residual, contributed),
        moic=ratio(received + residual, invested),
    )


def fund_metrics(fund: FundPaths) -> FundMetrics:
    """Fund-level metrics on every path."""
    invested = fund.investment.sum(axis=1)
    gross = fund.operating_cash.sum(axis=1) + fund.projects.exit_value
    called = np.cumsum(fund.calls, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        debt_to_equity = np.where(called > 0, (fund.debt + fund.debt_repaid) / called, 0.0)
    peak_debt, peak_ltv, breached, first_breach = debt_figures(
        fund.debt, fund.debt_repaid, fund.asset_value, fund.breach
    )
    return FundMetrics(
        invested=invested,
        gross_moic=ratio(gross, invested),
        peak_debt=peak_debt,
        peak_debt_to_equity=debt_to_equity.max(axis=1),
        peak_ltv=peak_ltv,
        fees=fund.fees.sum(axis=1),
        interest=fund.interest.sum(axis=1),
        defaulted=fund.default_quarter >= 0,
        breached=breached,
        first_breach_quarter=first_breach,
        lenders_loss=fund.lenders_loss,
    )


def debt_figures(
    debt: Array, repaid: Array, assets: Array, breach: NDArray[np.bool_]
) -> tuple[Array, Array, NDArray[np.bool_], NDArray[np.int64]]:
    """Per path, from (paths, quarters) series: peak debt (before the quarter's
    repayment), peak LTV, whether a covenant was ever breached and the first quarter."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ltv = np.where(assets > 0, debt / assets, 0.0)
    breached = np.asarray(breach.any(axis=1), dtype=np.bool_)
    first = np.where(breached, breach.argmax(axis=1), -1).astype(np.int64)
    return (debt + repaid).max(axis=1), ltv.max(axis=1), breached, first


def ratio(numerator: Array, denominator: Array) -> Array:
    """numerator / denominator, NaN where the denominator is not positive (no money in)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan
        )
