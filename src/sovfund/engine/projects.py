"""Project cash flows on every path, reduced to the fund level.

For each project on each path (see :class:`~sovfund.terms.models.Project` and
:class:`~sovfund.scenarios.draws.Draws`):

- construction runs ``construction_quarters + delay`` quarters from ``start_quarter``;
  capex x ``capex_factor`` is spread evenly over them, each quarter's share raised by
  ``import_share x (snapback - deal)`` in tariff snap-back quarters for projects in
  tariff-exposed sectors built by Japanese contractors. The fund pays the equity part,
  ``1 - debt_share``;
- operation, from the quarter after completion for ``operating_years``: revenue (its
  ``indexation`` share indexed to CPI) x ``revenue_factor``, less opex (fully indexed),
  less the level annuity on project debt (``debt_share`` of the capex actually spent,
  at ``debt_rate``);
- a default in quarter d stops the project from d on; in quarter d the fund recovers
  ``recovery`` x the project's mark at the end of quarter d - 1;
- marks at each quarter's end: cost (equity paid in) while under construction; once
  complete, the remaining operating cash flows discounted at that quarter's 10-year
  yield plus ``valuation.risk_premium``, with CPI expected to grow at the base
  inflation rate from its level that quarter; floored at zero (the fund can walk
  away). Defaulted projects are marked at zero;
- exit at the end of the term: the mark, or ``multiple`` x the next four quarters'
  expected operating cash for projects sold on a multiple.

:func:`project_flows` is the readable NumPy version (one array per quantity over
paths x projects x quarters); :func:`project_totals` is the compiled one, parallel
over paths, that keeps only the fund-level sums and never holds a paths x projects x
quarters array. Both follow the same arithmetic and agree path by path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from sovfund.scenarios.draws import Draws
from sovfund.terms.models import Terms

__all__ = ["ProjectDetail", "ProjectFlows", "ProjectTerms", "project_flows"]

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ProjectFlows:
    """Project cash flows to the fund's equity.

    Attributes
    ----------
    investment, operating_cash, value : ndarray, shape (paths, quarters)
        Equity put in, cash received (operating cash and recoveries from defaults;
        negative when costs exceed revenue) and the marks, summed over projects.
    exit_value : ndarray, shape (paths,)
        What the projects sell for at the end of the term.
    by_project : ProjectDetail or None
        The same per project (needed by deal-by-deal waterfalls); None from
        :func:`project_totals`.
    """

    investment: Array
    operating_cash: Array
    value: Array
    exit_value: Array
    by_project: ProjectDetail | None = None


@dataclass(frozen=True, slots=True)
class ProjectDetail:
    """Per-project flows: arrays of shape (paths, projects, quarters); exit (paths, projects)."""

    investment: Array
    operating_cash: Array
    value: Array
    exit_value: Array


@dataclass(frozen=True, slots=True)
class ProjectTerms:
    """The pipeline as arrays over projects, in term-sheet order."""

    start: NDArray[np.int64]
    build: NDArray[np.int64]
    life: NDArray[np.int64]  # operating quarters
    capex: Array
    equity_share: Array
    debt_quarterly_rate: Array
    revenue: Array  # planned revenue a quarter, fund-start money
    indexation: Array
    opex: Array  # planned opex a quarter, fund-start money
    multiple: Array  # exit multiple, NaN for DCF
    tariff_uplift: Array  # extra capex share in snap-back quarters

    @classmethod
    def from_terms(cls, terms: Terms, tariff_exposed: Array | None = None) -> ProjectTerms:
        projects = terms.projects
        tariff = terms.market.tariff
        exposed = np.zeros(len(projects)) if tariff_exposed is None else tariff_exposed
        japanese = np.array([p.contractor_country == "JP" for p in projects])
        return cls(
            start=np.array([p.start_quarter for p in projects], dtype=np.int64),
            build=np.array([p.construction_quarters for p in projects], dtype=np.int64),
            life=np.array([4 * p.operating_years for p in projects], dtype=np.int64),
            capex=np.array([p.capex for p in projects]),
            equity_share=np.array([1.0 - p.debt_share for p in projects]),
            debt_quarterly_rate=np.array([p.debt_rate / 4.0 for p in projects]),
            revenue=np.array([p.annual_revenue / 4.0 for p in projects]),
            indexation=np.array([p.indexation for p in projects]),
            opex=np.array([p.opex_share * p.annual_revenue / 4.0 for p in projects]),
            multiple=np.array(
                [
                    p.terminal.multiple if p.terminal.method == "multiple" else np.nan
                    for p in projects
                ]
            ),
            tariff_uplift=exposed
            * japanese
            * tariff.import_share
            * (tariff.snapback - tariff.deal),
        )


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


def project_flows(
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
    service = (1.0 - pt.equity_share) * spent * _annuity_factor(pt.debt_quarterly_rate, pt.life)

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


def project_totals(
    terms: Terms, draws: Draws, *, tariff_exposed: Array | None = None
) -> ProjectFlows:
    """The fund-level sums of :func:`project_flows`, compiled and parallel over paths.

    Never holds a paths x projects x quarters array: memory grows with paths only.
    """
    pt = ProjectTerms.from_terms(terms, tariff_exposed)
    paths, quarters = draws.paths, terms.fund.quarters
    investment, operating_cash, value = (np.zeros((paths, quarters)) for _ in range(3))
    exit_value = np.zeros(paths)
    _totals_kernel(
        pt.start,
        pt.build,
        pt.life,
        pt.capex,
        pt.equity_share,
        _annuity_factor(pt.debt_quarterly_rate, pt.life),
        pt.revenue,
        pt.indexation,
        pt.opex,
        pt.multiple,
        pt.tariff_uplift,
        np.ascontiguousarray(draws.yield_10y + terms.valuation.risk_premium),
        np.ascontiguousarray(draws.inflation),
        np.ascontiguousarray(draws.tariff),
        np.ascontiguousarray(draws.capex_factor),
        np.ascontiguousarray(draws.delay),
        np.ascontiguousarray(draws.default_quarter),
        np.ascontiguousarray(draws.recovery),
        np.ascontiguousarray(draws.revenue_factor),
        (1.0 + terms.market.inflation) ** 0.25,
        investment,
        operating_cash,
        value,
        exit_value,
    )
    return ProjectFlows(investment, operating_cash, value, exit_value)


_CHUNK = 32
"""Paths a thread works through with one set of discount tables."""


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _totals_kernel(  # type: ignore[no-untyped-def]
    start,
    build,
    life,
    capex,
    equity_share,
    annuity,
    revenue,
    indexation,
    opex,
    multiple,
    tariff_uplift,
    discount_rate,
    inflation,
    tariff,
    capex_factor,
    delay,
    default_quarter,
    recovery,
    revenue_factor,
    growth,
    investment,
    operating_cash,
    value,
    exit_value,
):
    """Per path: CPI and the discount tables, then each project phase by phase, added
    to the fund totals in project order (the order :func:`project_flows` sums in)."""
    paths, quarters = discount_rate.shape
    longest = life.max()
    for chunk in numba.prange((paths + _CHUNK - 1) // _CHUNK):
        # A[t, m] = sum_{k=1..m} v_t^k and G[t, m] = sum_{k=1..m} (growth v_t)^k
        table_a = np.empty((quarters, longest + 1))
        table_g = np.empty((quarters, longest + 1))
        cpi = np.empty(quarters)
        for p in range(chunk * _CHUNK, min(paths, (chunk + 1) * _CHUNK)):
            level = 1.0
            for t in range(quarters):
                level *= (1.0 + inflation[p, t]) ** 0.25
                cpi[t] = level
            # the tables are read from the quarter before some project completes, and
            # in quarter t no further out than the last project's end
            first_complete, last_end = quarters, 0
            for j in range(start.shape[0]):
                first = start[j] + build[j] + delay[p, j]
                first_complete = min(first_complete, first - 1)
                last_end = max(last_end, first + life[j])
            for t in range(max(first_complete, 0), quarters, 2):
                columns = min(longest, last_end - 1 - t)
                _discount_rows(discount_rate[p], growth, t, columns, table_a, table_g)
            for j in range(start.shape[0]):
                _add_project(
                    start[j],
                    build[j] + delay[p, j],
                    life[j],
                    capex[j] * capex_factor[p, j],
                    equity_share[j],
                    annuity[j],
                    revenue[j] * revenue_factor[p, j],
                    indexation[j],
                    opex[j],
                    multiple[j],
                    tariff_uplift[j],
                    default_quarter[p, j],
                    recovery[p, j],
                    growth,
                    tariff[p],
                    cpi,
                    table_a,
                    table_g,
                    investment[p],
                    operating_cash[p],
                    value[p],
                    exit_value[p : p + 1],
                )


@numba.njit(cache=True, error_model="numpy", inline="always")
def _discount_rows(rate, growth, t, columns, table_a, table_g):  # type: ignore[no-untyped-def]
    """Rows t and t + 1 (where there is one) of the discount tables, up to m = columns:
    A[t, m] = sum_{k=1..m} v_t^k and G[t, m] = sum_{k=1..m} (growth v_t)^k with
    v_t = (1 + rate[t])^(-1/4). Two quarters at a time, so that their recursions
    (each bound by the latency of one multiply and one add a step) run side by side."""
    u = min(t + 1, rate.shape[0] - 1)  # t itself again at the last quarter
    v, w = (1.0 + rate[t]) ** -0.25, (1.0 + rate[u]) ** -0.25
    gv, gw = growth * v, growth * w
    v_m = gv_m = w_m = gw_m = 1.0
    a_v = g_v = a_w = g_w = 0.0
    table_a[u, 0] = table_g[u, 0] = table_a[t, 0] = table_g[t, 0] = 0.0
    for m in range(1, columns + 1):
        v_m *= v
        w_m *= w
        gv_m *= gv
        gw_m *= gw
        a_v += v_m
        a_w += w_m
        g_v += gv_m
        g_w += gw_m
        table_a[u, m], table_g[u, m] = a_w, g_w
        table_a[t, m], table_g[t, m] = a_v, g_v


@numba.njit(cache=True, error_model="numpy", inline="always")
def _add_project(  # type: ignore[no-untyped-def]
    s,
    n,
    life,
    cost_drawn,
    equity_share,
    annuity,
    income,
    indexation,
    opex,
    multiple,
    tariff_uplift,
    default,
    recovery,
    growth,
    tariff,
    cpi,
    table_a,
    table_g,
    investment,
    operating_cash,
    value,
    exit_value,
):
    """Add one project's flows and marks on one path to the fund totals: construction
    quarters [s, first), operation [first, end), nothing after; a default in quarter
    ``default`` (-1: none) recovers the last mark and stops everything from then on."""
    quarters = cpi.shape[0]
    last = quarters - 1
    first = s + n
    end = first + life
    stop = min(quarters, default) if default >= 0 else quarters  # alive before stop
    base_spend = cost_drawn / n
    built = min(first, quarters)
    spent = cost = 0.0  # capex spent (project debt is sized on it); equity paid in
    for t in range(s, min(built, stop, first - 1)):
        spend = base_spend * (1.0 + tariff_uplift * tariff[t])
        spent += spend
        spend *= equity_share
        investment[t] += spend
        cost += spend
        value[t] += cost  # marked at cost while under construction
    for t in range(max(s, min(built, stop, first - 1)), built):  # the rest of the plan
        spent += base_spend * (1.0 + tariff_uplift * tariff[t])
    fixed = income * (1.0 - indexation) - (1.0 - equity_share) * spent * annuity
    indexed = income * indexation - opex
    mark = cost  # the last quarter's mark
    t = first - 1  # the last construction quarter: complete at its end, marked on its flows
    if s <= t < stop:
        spend = base_spend * (1.0 + tariff_uplift * tariff[t]) * equity_share
        investment[t] += spend
        mark = max(fixed * table_a[t, life] + indexed * cpi[t] * table_g[t, life], 0.0)
        value[t] += mark
    for t in range(max(first, s), min(end, stop)):
        operating_cash[t] += fixed + indexed * cpi[t]
        remaining = end - 1 - t
        mark = max(fixed * table_a[t, remaining] + indexed * cpi[t] * table_g[t, remaining], 0.0)
        value[t] += mark
    if stop > end:
        mark = 0.0  # nothing left to earn
    if stop < quarters:
        if stop >= s:
            operating_cash[stop] += recovery * mark
    elif s <= last:
        if np.isnan(multiple) or last + 1 < first:
            exit_value[0] += mark
        else:
            ahead = min(max(end - 1 - last, 0), 4)
            forward = fixed * ahead
            for k in range(1, ahead + 1):
                forward += indexed * cpi[last] * growth**k
            exit_value[0] += max(multiple * forward, 0.0)
