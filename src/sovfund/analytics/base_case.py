"""The deterministic base case: one path with macro held at its base levels and every
project on plan, with its results as pandas DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sovfund.analytics.metrics import FundMetrics, PartyMetrics, fund_metrics, party_metrics
from sovfund.engine.fund import FundPaths, run_fund
from sovfund.scenarios.draws import base_case
from sovfund.terms.models import Terms
from sovfund.terms.sections import require_simulation

__all__ = ["BaseCase", "run_base_case"]


@dataclass(frozen=True)
class BaseCase:
    """Results of :func:`run_base_case`.

    Attributes
    ----------
    parties : DataFrame
        One row per party (index: party id): role, class, country, commitment,
        contributed, distributed (waterfall), fees_received, carry, irr, tvpi, dpi,
        rvpi, moic.
    quarterly : DataFrame
        One row per quarter end (index: date): the fund's investment, operating cash,
        fees, interest, debt drawn and repaid, calls, sale proceeds, distributions,
        asset value, debt, NAV, LTV, debt-to-equity and covenant breach.
    flows : DataFrame
        One row per quarter and party: contribution, distribution, fees, net cash, NAV.
    tiers : DataFrame
        What each waterfall tier paid each party (index: tier name).
    fund : dict
        Fund-level figures: invested, gross MOIC, peak debt, peak debt-to-equity, peak
        LTV, fees and interest paid, fees and carry to each GP, default and breach, and
        a funding shortfall (commitments and debt could not pay for the pipeline, so
        the fund sold everything) with its date.
    """

    terms: Terms
    paths: FundPaths
    parties: pd.DataFrame
    quarterly: pd.DataFrame
    flows: pd.DataFrame
    tiers: pd.DataFrame
    fund: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The results as plain JSON-ready Python (NaN becomes None)."""
        parties = {
            pid: {key: _plain(value) for key, value in row.items()}
            for pid, row in self.parties.to_dict(orient="index").items()
        }
        tiers = [
            {"name": name, "paid": {pid: float(v) for pid, v in row.items() if v != 0.0}}
            for name, row in self.tiers.to_dict(orient="index").items()
        ]
        return {
            "fund_name": self.terms.fund.name,
            "parties": parties,
            "tiers": tiers,
            "fund": {key: _plain(value) for key, value in self.fund.items()},
        }


def run_base_case(terms: Terms) -> BaseCase:
    """Run the deterministic base case of ``terms``."""
    require_simulation(terms)
    paths = run_fund(terms, base_case(terms))
    return summarize(terms, paths)


def summarize(terms: Terms, paths: FundPaths) -> BaseCase:
    """Tables of the first path of ``paths``."""
    party = party_metrics(paths)
    fund = fund_metrics(paths)
    return BaseCase(
        terms=terms,
        paths=paths,
        parties=_party_table(terms, paths, party),
        quarterly=_quarterly_table(paths),
        flows=_flows_table(paths),
        tiers=pd.DataFrame(
            paths.tier_paid[0], index=list(paths.tiers), columns=list(paths.parties)
        ),
        fund=_fund_figures(terms, paths, fund),
    )


def _party_table(terms: Terms, paths: FundPaths, m: PartyMetrics) -> pd.DataFrame:
    carry = paths.distributed[0].sum(axis=0)
    rows = []
    for i, p in enumerate(terms.parties):
        rows.append(
            {
                "role": p.role,
                "class": p.investor_class,
                "country": p.country,
                "commitment": p.commitment or 0.0,
                "contributed": m.contributed[0, i],
                "distributed": m.distributed[0, i],
                "fees_received": m.fees_received[0, i],
                "carry": carry[i] if p.role == "gp" else 0.0,
                "irr": m.irr[0, i],
                "tvpi": m.tvpi[0, i],
                "dpi": m.dpi[0, i],
                "rvpi": m.rvpi[0, i],
                "moic": m.moic[0, i],
            }
        )
    return pd.DataFrame(rows, index=pd.Index(paths.parties, name="party"))


def _quarterly_table(paths: FundPaths) -> pd.DataFrame:
    names = (
        "investment", "operating_cash", "fees", "interest", "interest_capitalised",
        "debt_drawn", "debt_repaid", "calls", "sale_proceeds", "distributions",
        "asset_value", "debt", "nav",
    )  # fmt: skip
    table = pd.DataFrame({name: getattr(paths, name)[0] for name in names})
    called = np.cumsum(paths.calls[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        table["ltv"] = np.where(
            paths.asset_value[0] > 0, paths.debt[0] / paths.asset_value[0], np.nan
        )
        table["debt_to_equity"] = np.where(called > 0, paths.debt[0] / called, np.nan)
    table["covenant_breach"] = paths.breach[0]
    table.index = pd.Index(pd.to_datetime(list(paths.dates)), name="date")
    return table


def _flows_table(paths: FundPaths) -> pd.DataFrame:
    quarters, parties = len(paths.dates), len(paths.parties)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(np.repeat(np.array(paths.dates), parties)),
            "party": np.tile(np.array(paths.parties), quarters),
            "contribution": paths.contributions[0].ravel(),
            "distribution": paths.distributed[0].ravel(),
            "fees": paths.fees_received[0].ravel(),
            "net": paths.party_cash[0].ravel(),
            "nav": paths.party_nav[0].ravel(),
        }
    )


def _fund_figures(terms: Terms, paths: FundPaths, m: FundMetrics) -> dict[str, Any]:
    gps = [i for i, p in enumerate(terms.parties) if p.role == "gp"]
    first_breach = int(m.first_breach_quarter[0])
    default_quarter = int(paths.default_quarter[0])
    shortfall_quarter = int(paths.shortfall_quarter[0])
    return {
        "commitments": terms.total_commitment,
        "invested": m.invested[0],
        "gross_moic": m.gross_moic[0],
        "peak_debt": m.peak_debt[0],
        "peak_debt_to_equity": m.peak_debt_to_equity[0],
        "peak_ltv": m.peak_ltv[0],
        "fees_paid": m.fees[0],
        "interest_paid": m.interest[0],
        "gp_fees": {paths.parties[i]: paths.fees_received[0, :, i].sum() for i in gps},
        "gp_carry": {paths.parties[i]: paths.distributed[0, :, i].sum() for i in gps},
        "covenant_breach": bool(m.breached[0]),
        "first_breach": paths.dates[first_breach].isoformat() if first_breach >= 0 else None,
        "defaulted": bool(m.defaulted[0]),
        "default_date": paths.dates[default_quarter].isoformat() if default_quarter >= 0 else None,
        "funding_shortfall": shortfall_quarter >= 0,
        "shortfall_date": (
            paths.dates[shortfall_quarter].isoformat() if shortfall_quarter >= 0 else None
        ),
        "lenders_loss": m.lenders_loss[0],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
