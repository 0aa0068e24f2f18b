"""The deterministic base case: one path with macro held at its base levels and every
project on plan, with its results as pandas DataFrames and as typed figures (each
party's :class:`PartyResult`, the fund's :class:`FundFigures`).

Money is in US dollars, IRRs a year, multiples per dollar paid in.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sovfund.analytics.metrics import FundMetrics, PartyMetrics, fund_metrics, party_metrics
from sovfund.documents import Document, JsonValue
from sovfund.engine.fund import FundPaths, run_fund
from sovfund.scenarios.draws import base_case
from sovfund.terms.models import Terms
from sovfund.terms.sections import require_simulation

__all__ = ["BaseCase", "FundFigures", "PartyResult", "run_base_case"]


@dataclass(frozen=True, slots=True)
class PartyResult:
    """One party's base case (its row of :attr:`BaseCase.parties`). The ratios and the
    IRR are None for a party that paid nothing in (the GPs)."""

    role: str
    """``lp`` or ``gp``."""
    investor_class: str | None
    """The term sheet's ``class`` (sovereign, institutional, retail), if given."""
    country: str | None
    commitment: float
    """Committed capital (0 for a GP)."""
    contributed: float
    """Paid in."""
    distributed: float
    """Waterfall distributions received."""
    fees_received: float
    """Management fees received (GPs)."""
    carry: float
    """A GP's waterfall distributions (its carried interest); 0 for an LP."""
    irr: float | None
    tvpi: float | None
    """Distributions, fees and the NAV left over what was paid in."""
    dpi: float | None
    """Distributions and fees over what was paid in."""
    rvpi: float | None
    """The NAV left over what was paid in."""
    moic: float | None
    """Money back (distributions and fees) over money in."""

    def to_dict(self) -> Document:
        return {
            "role": self.role,
            "class": self.investor_class,
            "country": self.country,
            "commitment": _number(self.commitment),
            "contributed": _number(self.contributed),
            "distributed": _number(self.distributed),
            "fees_received": _number(self.fees_received),
            "carry": _number(self.carry),
            "irr": _number(self.irr),
            "tvpi": _number(self.tvpi),
            "dpi": _number(self.dpi),
            "rvpi": _number(self.rvpi),
            "moic": _number(self.moic),
        }


@dataclass(frozen=True, slots=True)
class FundFigures:
    """The fund's base case."""

    commitments: float
    """Committed capital of every LP."""
    invested: float
    """Invested in projects (equity and debt)."""
    gross_moic: float | None
    """What the projects returned (operating cash and exit value) over what was
    invested; None if nothing was."""
    peak_debt: float
    """The most debt outstanding at once."""
    peak_debt_to_equity: float
    """The highest debt over the equity called so far."""
    peak_ltv: float
    """The highest loan-to-value (debt over the assets' marked value)."""
    fees_paid: float
    """Management fees paid."""
    interest_paid: float
    """Interest paid or capitalised."""
    gp_fees: Mapping[str, float]
    """Management fees to each GP (by party id)."""
    gp_carry: Mapping[str, float]
    """Waterfall distributions (carry) to each GP."""
    covenant_breach: bool
    first_breach: dt.date | None
    """The end of the quarter of the first covenant breach."""
    defaulted: bool
    """Whether the fund defaulted on its debt."""
    default_date: dt.date | None
    funding_shortfall: bool
    """Whether commitments and debt could not pay for the pipeline, so the fund sold
    everything."""
    shortfall_date: dt.date | None
    lenders_loss: float
    """What the lenders lost."""

    def to_dict(self) -> Document:
        return {
            "commitments": _number(self.commitments),
            "invested": _number(self.invested),
            "gross_moic": _number(self.gross_moic),
            "peak_debt": _number(self.peak_debt),
            "peak_debt_to_equity": _number(self.peak_debt_to_equity),
            "peak_ltv": _number(self.peak_ltv),
            "fees_paid": _number(self.fees_paid),
            "interest_paid": _number(self.interest_paid),
            "gp_fees": {gp: _number(value) for gp, value in self.gp_fees.items()},
            "gp_carry": {gp: _number(value) for gp, value in self.gp_carry.items()},
            "covenant_breach": self.covenant_breach,
            "first_breach": _date(self.first_breach),
            "defaulted": self.defaulted,
            "default_date": _date(self.default_date),
            "funding_shortfall": self.funding_shortfall,
            "shortfall_date": _date(self.shortfall_date),
            "lenders_loss": _number(self.lenders_loss),
        }


@dataclass(frozen=True)
class BaseCase:
    """Results of :func:`run_base_case`.

    Attributes
    ----------
    parties : DataFrame
        One row per party (index: party id): role, class, country, commitment,
        contributed, distributed (waterfall), fees_received, carry, irr, tvpi, dpi,
        rvpi, moic.
    by_party : Mapping
        The same rows as typed figures: party id -> :class:`PartyResult`.
    quarterly : DataFrame
        One row per quarter end (index: date): the fund's investment, operating cash,
        fees, interest, debt drawn and repaid, calls, sale proceeds, distributions,
        asset value, debt, NAV, LTV, debt-to-equity and covenant breach.
    flows : DataFrame
        One row per quarter and party: contribution, distribution, fees, net cash, NAV.
    tiers : DataFrame
        What each waterfall tier paid each party (index: tier name).
    fund : FundFigures
        Fund-level figures: invested, gross MOIC, peak debt, peak debt-to-equity, peak
        LTV, fees and interest paid, fees and carry to each GP, default and breach, and
        a funding shortfall (commitments and debt could not pay for the pipeline, so
        the fund sold everything) with its date.
    """

    terms: Terms
    paths: FundPaths
    parties: pd.DataFrame
    by_party: Mapping[str, PartyResult]
    quarterly: pd.DataFrame
    flows: pd.DataFrame
    tiers: pd.DataFrame
    fund: FundFigures

    def to_dict(self) -> Document:
        """The results as a JSON document (summary.json's ``base_case``; NaN is None)."""
        tiers: list[JsonValue] = [
            {"name": str(name), "paid": {str(pid): float(v) for pid, v in row.items() if v != 0.0}}
            for name, row in self.tiers.to_dict(orient="index").items()
        ]
        return {
            "fund_name": self.terms.fund.name,
            "parties": {pid: row.to_dict() for pid, row in self.by_party.items()},
            "tiers": tiers,
            "fund": self.fund.to_dict(),
        }


def run_base_case(terms: Terms) -> BaseCase:
    """Run the deterministic base case of ``terms``."""
    require_simulation(terms)
    paths = run_fund(terms, base_case(terms))
    return summarize(terms, paths)


def summarize(terms: Terms, paths: FundPaths) -> BaseCase:
    """Tables of the first path of ``paths``."""
    by_party = _party_results(terms, paths, party_metrics(paths))
    fund = fund_metrics(paths)
    return BaseCase(
        terms=terms,
        paths=paths,
        parties=_party_table(paths, by_party),
        by_party=by_party,
        quarterly=_quarterly_table(paths),
        flows=_flows_table(paths),
        tiers=pd.DataFrame(
            paths.tier_paid[0], index=list(paths.tiers), columns=list(paths.parties)
        ),
        fund=_fund_figures(terms, paths, fund),
    )


def _party_results(terms: Terms, paths: FundPaths, m: PartyMetrics) -> dict[str, PartyResult]:
    carry = paths.distributed[0].sum(axis=0)
    return {
        p.id: PartyResult(
            role=p.role,
            investor_class=p.investor_class,
            country=p.country,
            commitment=p.commitment or 0.0,
            contributed=float(m.contributed[0, i]),
            distributed=float(m.distributed[0, i]),
            fees_received=float(m.fees_received[0, i]),
            carry=float(carry[i]) if p.role == "gp" else 0.0,
            irr=_defined(m.irr[0, i]),
            tvpi=_defined(m.tvpi[0, i]),
            dpi=_defined(m.dpi[0, i]),
            rvpi=_defined(m.rvpi[0, i]),
            moic=_defined(m.moic[0, i]),
        )
        for i, p in enumerate(terms.parties)
    }


def _party_table(paths: FundPaths, by_party: Mapping[str, PartyResult]) -> pd.DataFrame:
    """The party figures as a table: NaN where a figure is None."""
    rows = [
        {
            "role": row.role,
            "class": row.investor_class,
            "country": row.country,
            "commitment": row.commitment,
            "contributed": row.contributed,
            "distributed": row.distributed,
            "fees_received": row.fees_received,
            "carry": row.carry,
            "irr": _nan(row.irr),
            "tvpi": _nan(row.tvpi),
            "dpi": _nan(row.dpi),
            "rvpi": _nan(row.rvpi),
            "moic": _nan(row.moic),
        }
        for row in by_party.values()
    ]
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


def _fund_figures(terms: Terms, paths: FundPaths, m: FundMetrics) -> FundFigures:
    gps = [i for i, p in enumerate(terms.parties) if p.role == "gp"]
    return FundFigures(
        commitments=terms.total_commitment,
        invested=float(m.invested[0]),
        gross_moic=_defined(m.gross_moic[0]),
        peak_debt=float(m.peak_debt[0]),
        peak_debt_to_equity=float(m.peak_debt_to_equity[0]),
        peak_ltv=float(m.peak_ltv[0]),
        fees_paid=float(m.fees[0]),
        interest_paid=float(m.interest[0]),
        gp_fees={paths.parties[i]: float(paths.fees_received[0, :, i].sum()) for i in gps},
        gp_carry={paths.parties[i]: float(paths.distributed[0, :, i].sum()) for i in gps},
        covenant_breach=bool(m.breached[0]),
        first_breach=_quarter_end(paths, int(m.first_breach_quarter[0])),
        defaulted=bool(m.defaulted[0]),
        default_date=_quarter_end(paths, int(paths.default_quarter[0])),
        funding_shortfall=int(paths.shortfall_quarter[0]) >= 0,
        shortfall_date=_quarter_end(paths, int(paths.shortfall_quarter[0])),
        lenders_loss=float(m.lenders_loss[0]),
    )


def _quarter_end(paths: FundPaths, quarter: int) -> dt.date | None:
    """The date of ``quarter`` (an index into the path's dates), None for -1 (never)."""
    return paths.dates[quarter] if quarter >= 0 else None


def _defined(value: float) -> float | None:
    """A figure as a float, None where it is NaN (not defined)."""
    number = float(value)
    return None if math.isnan(number) else number


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _number(value: float | None) -> float | None:
    """A figure for JSON: None where it is missing or not finite."""
    return None if value is None or not math.isfinite(value) else float(value)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
