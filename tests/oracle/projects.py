"""The project model in NumPy over paths x projects x quarters (an oracle: see the
package doc)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.projects import ProjectDetail, ProjectFlows, ProjectTerms
from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Terms

__all__ = ["project_flows_reference"]

Array = NDArray[np.float64]


def _annuity_factor(rate: Array, periods: NDArray[np.int64]) -> Array:
    """Level payment per unit borrowed at ``rate`` a period for ``periods`` periods."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate > 0, rate / (1.0 - (1.0 + rate) ** -periods), 1.0 / periods)


def _discount_tables(terms: Terms, draws: Draws, longest: int) -> tuple[Array, Array]:
    """Per path and quarter, the value of 1 a quarter for m quarters (A) and of a flow
    growing with expected CPI (G), for m = 0 .. longest; shapes (paths, quarters, longest + 1)."""
    rate = draws.yield_10y + terms.valuation.risk_premium
    v = (1.0 + rate) ** -0.25  # (P, T)
    growth = (1.0 + terms.market.inflation) ** 0.25
    k = np.arange(longest + 1)
    powers = v[:, :, None] ** k  # v^0 .. v^longest
    annuity = np.cumsum(powers, axis=2) - 1.0  # sum_{k=1..m} v^k
    grown = np.cumsum((growth * v[:, :, None]) ** k, axis=2) - 1.0
    return annuity, grown


def project_flows_reference(
    terms: Terms, draws: Draws, *, tariff_exposed: Array | None = None
) -> ProjectFlows:
    """Cash flows and marks of every project on every path (NumPy, readable)."""
    pt = ProjectTerms.from_terms(terms, tariff_exposed)
    paths, quarters = draws.paths, terms.fund.quarters
    q = np.arange(quarters)[None, None, :]
    start = pt.start[None, :, None]
    build = (pt.build + draws.delay)[:, :, None]  # (P, J, 1)
    first_operating = start + build
    end = first_operating + pt.life[None, :, None]
    default = np.where(draws.default_quarter < 0, np.iinfo(np.int64).max, draws.default_quarter)[
        :, :, None
    ]
    alive = q < default

    # construction (project debt is sized on the capex actually spent)
    planned = (q >= start) & (q < first_operating)
    base_spend = (pt.capex * draws.capex_factor)[:, :, None] / build
    uplift = 1.0 + pt.tariff_uplift[None, :, None] * draws.tariff[:, None, :]
    spend_planned = np.where(planned, base_spend * uplift, 0.0)
    investment = np.where(alive, spend_planned, 0.0) * pt.equity_share[None, :, None]
    cost = np.cumsum(investment, axis=2)
    spent = spend_planned.sum(axis=2)
    rate = np.array([p.debt_rate / 4.0 for p in terms.projects])
    service = (1.0 - pt.equity_share) * spent * _annuity_factor(rate, pt.life)

    # operation
    cpi = np.cumprod((1.0 + draws.inflation) ** 0.25, axis=1)[:, None, :]  # (P, 1, T)
    fixed = pt.revenue * draws.revenue_factor * (1.0 - pt.indexation) - service  # (P, J)
    indexed = pt.revenue * draws.revenue_factor * pt.indexation - pt.opex  # (P, J)
    operating = (q >= first_operating) & (q < end) & alive
    operating_cash = np.where(operating, fixed[:, :, None] + indexed[:, :, None] * cpi, 0.0)

    # marks
    annuity, grown = _discount_tables(terms, draws, int(pt.life.max()))
    complete = (q + 1 >= first_operating) & alive
    remaining = np.clip(end - 1 - q, 0, pt.life.max())  # operating quarters after q
    paths_index = np.arange(paths)[:, None, None]
    a = annuity[paths_index, q, remaining]
    g = grown[paths_index, q, remaining]
    dcf = fixed[:, :, None] * a + indexed[:, :, None] * cpi * g
    value = np.where(complete, np.maximum(dcf, 0.0), np.where(alive, cost, 0.0))

    # defaults: recovery of the last mark, paid in the quarter of default
    defaulted_now = q == default
    last_mark = np.concatenate([np.zeros((paths, len(pt.start), 1)), value[:, :, :-1]], axis=2)
    operating_cash = operating_cash + np.where(
        defaulted_now, draws.recovery[:, :, None] * last_mark, 0.0
    )

    # exit
    last = quarters - 1
    ahead = np.minimum(remaining[:, :, last], 4)  # operating quarters in the next year
    growth = (1.0 + terms.market.inflation) ** 0.25
    forward = fixed * ahead + indexed * cpi[:, :, last] * _growth_sum(growth, ahead)
    on_multiple = np.where(
        complete[:, :, last], np.maximum(pt.multiple * forward, 0.0), value[:, :, last]
    )
    exit_value = np.where(np.isnan(pt.multiple)[None, :], value[:, :, last], on_multiple)

    detail = ProjectDetail(investment, operating_cash, value, exit_value)
    return ProjectFlows(
        investment=investment.sum(axis=1),
        operating_cash=operating_cash.sum(axis=1),
        value=value.sum(axis=1),
        exit_value=exit_value.sum(axis=1),
        by_project=detail,
    )


def _growth_sum(growth: float, count: Any) -> Any:
    """sum_{k=1..count} growth^k."""
    return (
        np.where(count > 0, growth * (growth**count - 1.0) / (growth - 1.0), 0.0)
        if growth != 1.0
        else count
    )
