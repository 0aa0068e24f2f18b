"""Project cash flows, reduced to the fund level.

For each project (see :class:`~sovfund.terms.models.Project` for the conventions):

- construction: capex x capex_factor spread evenly over its quarters; the fund pays
  the equity part, ``1 - debt_share`` of it;
- operation, from the quarter after completion for ``operating_years``: revenue
  (``indexation`` of it indexed to CPI) x revenue_factor, less opex (fully indexed:
  costs track inflation even where revenues do not), less the annuity on project debt;
- marks at each quarter's end: cost while under construction; once complete, the
  remaining operating cash flows discounted at that quarter's 10-year yield plus the
  valuation risk premium, floored at zero (the fund can walk away from a project);
- exit at the end of the term: that mark, or ``multiple`` x the next four quarters'
  operating cash for projects sold on a multiple.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Project, Terms

__all__ = ["ProjectFlows", "project_flows"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ProjectFlows:
    """Project cash flows to the fund's equity.

    Attributes
    ----------
    investment : ndarray, shape (paths, projects, quarters)
        Equity the fund puts into each project in each quarter of its term.
    operating_cash : ndarray, shape (paths, projects, quarters)
        Cash each project pays the fund (negative when revenue does not cover costs).
    value : ndarray, shape (paths, projects, quarters)
        Each project's mark at each quarter's end.
    exit_value : ndarray, shape (paths, projects)
        What each project sells for at the end of the term.
    """

    investment: Array
    operating_cash: Array
    value: Array
    exit_value: Array


def project_flows(terms: Terms, draws: Draws) -> ProjectFlows:
    """Cash flows, marks and exit values of every project on every path."""
    projects = terms.projects
    quarters = terms.fund.quarters
    horizon = max(
        p.start_quarter + p.construction_quarters + 4 * p.operating_years for p in projects
    )
    horizon = max(horizon, quarters) + 1

    q = np.arange(horizon)
    start = np.array([p.start_quarter for p in projects])[:, None]
    build = np.array([p.construction_quarters for p in projects])[:, None]
    life = np.array([4 * p.operating_years for p in projects])[:, None]
    building = (q >= start) & (q < start + build)  # (projects, horizon)
    operating = (q >= start + build) & (q < start + build + life)

    capex = np.array([p.capex for p in projects])
    equity_share = 1.0 - np.array([p.debt_share for p in projects])
    spend = (draws.capex_factor * capex)[:, :, None] * (building / build)[None]  # (P, J, H)
    investment = spend * equity_share[None, :, None]

    cpi = _price_index(draws.inflation, horizon)[:, None, :]  # (P, 1, H)
    revenue_plan = np.array([p.annual_revenue / 4.0 for p in projects])[None, :, None]
    indexed = np.array([p.indexation for p in projects])[None, :, None]
    revenue = revenue_plan * draws.revenue_factor[:, :, None] * (indexed * cpi + 1.0 - indexed)
    opex = np.array([p.opex_share for p in projects])[None, :, None] * revenue_plan * cpi
    debt_service = _annuity(projects, draws.capex_factor * capex)[:, :, None]
    operating_cash = (revenue - opex - debt_service) * operating[None]

    value = _marks(terms, draws, investment, operating_cash, start + build)
    exit_value = _exit_values(terms, value[:, :, quarters - 1], operating_cash, quarters)
    return ProjectFlows(
        investment=investment[:, :, :quarters],
        operating_cash=operating_cash[:, :, :quarters],
        value=value,
        exit_value=exit_value,
    )


def _price_index(inflation: Array, horizon: int) -> Array:
    """CPI level at each quarter's end, 1.0 at the fund's start; held beyond the term."""
    paths, quarters = inflation.shape
    rates = np.empty((paths, horizon))
    rates[:, :quarters] = inflation[:, :horizon]
    rates[:, quarters:] = inflation[:, -1:]
    return np.cumprod((1.0 + rates) ** 0.25, axis=1, dtype=np.float64)


def _annuity(projects: tuple[Project, ...], capex: Array) -> Array:
    """Quarterly payment on each project's debt, shape (paths, projects)."""
    share = np.array([p.debt_share for p in projects])
    rate = np.array([p.debt_rate / 4.0 for p in projects])
    n = np.array([4 * p.operating_years for p in projects])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(rate > 0, rate / (1.0 - (1.0 + rate) ** -n), 1.0 / n)
    return capex * share * factor


def _marks(
    terms: Terms, draws: Draws, investment: Array, cash: Array, first_operating: NDArray[np.int_]
) -> Array:
    """Marks at each quarter's end of the term, shape (paths, projects, quarters)."""
    quarters = terms.fund.quarters
    paths, projects, horizon = cash.shape
    cost = np.cumsum(investment[:, :, :quarters], axis=2)
    marks = np.empty((paths, projects, quarters))
    rate = draws.yield_10y + terms.valuation.risk_premium
    for t in range(quarters):
        ahead = np.arange(1, horizon - t)  # quarters after t
        discount = (1.0 + rate[:, t : t + 1]) ** (-ahead / 4.0)  # (P, H - t - 1)
        dcf = np.einsum("pjh,ph->pj", cash[:, :, t + 1 :], discount)
        complete = (t + 1 >= first_operating[:, 0])[None, :]
        marks[:, :, t] = np.where(complete, np.maximum(dcf, 0.0), cost[:, :, t])
    return marks


def _exit_values(terms: Terms, marks: Array, cash: Array, quarters: int) -> Array:
    """Sale value of each project at the end of the term, shape (paths, projects)."""
    multiple = np.array(
        [p.terminal.multiple if p.terminal.method == "multiple" else np.nan for p in terms.projects]
    )
    forward_year = cash[:, :, quarters : quarters + 4].sum(axis=2)
    on_multiple = np.maximum(multiple[None, :] * forward_year, 0.0)
    return np.where(np.isnan(multiple)[None, :], marks, on_multiple)
