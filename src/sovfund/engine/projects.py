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

The rule is written once, as kernels (:mod:`sovfund.engine.kernels`): one project
on one path, :func:`add_project`, added to the fund totals (and kept per project where
deal-by-deal waterfalls need it) by :func:`project_paths`, parallel over paths once
compiled. A paths x projects x quarters array is never held unless per-project flows
are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sovfund.engine.kernels import compiled, kernel, prange
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
        The same per project (needed by deal-by-deal waterfalls); None unless asked for.
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


class ProjectTerms(NamedTuple):
    """The pipeline as arrays over projects, in term-sheet order."""

    start: NDArray[np.int64]
    build: NDArray[np.int64]
    life: NDArray[np.int64]  # operating quarters
    capex: Array
    equity_share: Array
    annuity: Array  # level payment per unit of project debt, a quarter
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
        life = np.array([4 * p.operating_years for p in projects], dtype=np.int64)
        rate = np.array([p.debt_rate / 4.0 for p in projects])
        with np.errstate(divide="ignore", invalid="ignore"):
            annuity = np.where(rate > 0, rate / (1.0 - (1.0 + rate) ** -life), 1.0 / life)
        return cls(
            start=np.array([p.start_quarter for p in projects], dtype=np.int64),
            build=np.array([p.construction_quarters for p in projects], dtype=np.int64),
            life=life,
            capex=np.array([p.capex for p in projects]),
            equity_share=np.array([1.0 - p.debt_share for p in projects]),
            annuity=annuity,
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


class Shocks(NamedTuple):
    """What the draws do to the projects, per path (see :class:`Draws`)."""

    discount_rate: Array  # (paths, quarters): the 10-year yield plus the risk premium
    inflation: Array  # (paths, quarters)
    tariff: Array  # (paths, quarters): 1 in snap-back quarters
    capex_factor: Array  # (paths, projects)
    delay: NDArray[np.int64]  # (paths, projects)
    default_quarter: NDArray[np.int64]  # (paths, projects), -1: none
    recovery: Array  # (paths, projects)
    revenue_factor: Array  # (paths, projects)


def project_flows(
    terms: Terms,
    draws: Draws,
    *,
    tariff_exposed: Array | None = None,
    per_project: bool = False,
    fast: bool = True,
) -> ProjectFlows:
    """Cash flows and marks of every project on every path, summed to the fund level
    (and kept per project with ``per_project``). ``fast``: the compiled kernels, else
    the same rules as plain Python (the reference engine)."""
    pipeline = ProjectTerms.from_terms(terms, tariff_exposed)
    paths, quarters, projects = draws.paths, terms.fund.quarters, len(terms.projects)
    shocks = Shocks(
        np.ascontiguousarray(draws.yield_10y + terms.valuation.risk_premium),
        np.ascontiguousarray(draws.inflation),
        np.ascontiguousarray(draws.tariff),
        np.ascontiguousarray(draws.capex_factor),
        np.ascontiguousarray(draws.delay),
        np.ascontiguousarray(draws.default_quarter),
        np.ascontiguousarray(draws.recovery),
        np.ascontiguousarray(draws.revenue_factor),
    )
    totals = np.zeros((3, paths, quarters))
    exit_value = np.zeros(paths)
    size = (paths, projects) if per_project else (0, 0)
    detail = np.zeros((3, *size, quarters))
    detail_exit = np.zeros(size)
    run = compiled(project_paths) if fast else project_paths
    run(
        pipeline,
        shocks,
        (1.0 + terms.market.inflation) ** 0.25,
        per_project,
        totals,
        exit_value,
        detail,
        detail_exit,
    )
    by_project = (
        ProjectDetail(detail[0], detail[1], detail[2], detail_exit) if per_project else None
    )
    return ProjectFlows(totals[0], totals[1], totals[2], exit_value, by_project)


_CHUNK = 32
"""Paths a thread works through with one set of discount tables."""


@kernel(parallel=True)
def project_paths(  # type: ignore[no-untyped-def]
    pipeline, shocks, growth, per_project, totals, exit_value, detail, detail_exit
):
    """Per path: CPI and the discount tables, then each project phase by phase, added
    to the fund totals in project order. ``totals`` and ``detail`` hold investment,
    operating cash and marks (shapes (3, paths, quarters) and (3, paths, projects,
    quarters)); ``detail`` is filled only where ``per_project``."""
    paths, quarters = shocks.discount_rate.shape
    longest = pipeline.life.max()
    projects = pipeline.start.shape[0]
    for chunk in prange((paths + _CHUNK - 1) // _CHUNK):
        # A[t, m] = sum_{k=1..m} v_t^k and G[t, m] = sum_{k=1..m} (growth v_t)^k
        table_a = np.empty((quarters, longest + 1))
        table_g = np.empty((quarters, longest + 1))
        cpi = np.empty(quarters)
        for p in range(chunk * _CHUNK, min(paths, (chunk + 1) * _CHUNK)):
            level = 1.0
            for t in range(quarters):
                level *= (1.0 + shocks.inflation[p, t]) ** 0.25
                cpi[t] = level
            # the tables are read from the quarter before some project completes, and
            # in quarter t no further out than the last project's end
            first_complete, last_end = quarters, 0
            for j in range(projects):
                first = pipeline.start[j] + pipeline.build[j] + shocks.delay[p, j]
                first_complete = min(first_complete, first - 1)
                last_end = max(last_end, first + pipeline.life[j])
            for t in range(max(first_complete, 0), quarters, 2):
                columns = min(longest, last_end - 1 - t)
                discount_rows(shocks.discount_rate[p], growth, t, columns, table_a, table_g)
            for j in range(projects):
                if per_project:
                    add_project(
                        p, j, pipeline, shocks, growth, cpi, table_a, table_g,
                        detail[0, p, j], detail[1, p, j], detail[2, p, j],
                        detail_exit[p, j : j + 1],
                    )  # fmt: skip
                    for t in range(quarters):
                        for k in range(3):
                            totals[k, p, t] += detail[k, p, j, t]
                    exit_value[p] += detail_exit[p, j]
                else:
                    add_project(
                        p, j, pipeline, shocks, growth, cpi, table_a, table_g,
                        totals[0, p], totals[1, p], totals[2, p], exit_value[p : p + 1],
                    )  # fmt: skip


@kernel(inline=True)
def discount_rows(rate, growth, t, columns, table_a, table_g):  # type: ignore[no-untyped-def]
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


@kernel(inline=True)
def add_project(  # type: ignore[no-untyped-def]
    p,
    j,
    pipeline,
    shocks,
    growth,
    cpi,
    table_a,
    table_g,
    investment,
    operating_cash,
    value,
    exit_value,
):
    """Add project j's flows and marks on path p to ``investment``, ``operating_cash``
    and ``value`` (each shape (quarters,)) and its exit to ``exit_value[0]``:
    construction quarters [s, first), operation [first, end), nothing after; a default
    in quarter ``default`` (-1: none) recovers the last mark and stops everything from
    then on."""
    s = pipeline.start[j]
    n = pipeline.build[j] + shocks.delay[p, j]
    life = pipeline.life[j]
    equity_share = pipeline.equity_share[j]
    tariff_uplift = pipeline.tariff_uplift[j]
    income = pipeline.revenue[j] * shocks.revenue_factor[p, j]
    indexation = pipeline.indexation[j]
    multiple = pipeline.multiple[j]
    default = shocks.default_quarter[p, j]
    tariff = shocks.tariff[p]
    quarters = cpi.shape[0]
    last = quarters - 1
    first = s + n
    end = first + life
    stop = min(quarters, default) if default >= 0 else quarters  # alive before stop
    base_spend = pipeline.capex[j] * shocks.capex_factor[p, j] / n
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
    fixed = income * (1.0 - indexation) - (1.0 - equity_share) * spent * pipeline.annuity[j]
    indexed = income * indexation - pipeline.opex[j]
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
            operating_cash[stop] += shocks.recovery[p, j] * mark
    elif s <= last:
        if np.isnan(multiple) or last + 1 < first:
            exit_value[0] += mark
        else:
            ahead = min(max(end - 1 - last, 0), 4)
            forward = fixed * ahead
            for k in range(1, ahead + 1):
                forward += indexed * cpi[last] * growth**k
            exit_value[0] += max(multiple * forward, 0.0)
