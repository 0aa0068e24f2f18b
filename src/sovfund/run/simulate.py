"""Monte Carlo runs: batches of paths, each a pure function, merged in path order.

Random streams belong to blocks of paths (``BLOCK``), not to batches, so path i gets
the same draws whatever the batch size (a batch that starts or ends inside a block
draws the whole block and keeps its own paths). Each
batch goes scenario generator -> engine -> per-path summaries; only the summaries
(and the full quarterly paths of the first ``SAMPLE`` paths, for charts) are kept.

Where batches run — in this process, a local process pool or a Dask cluster — is the
backend's business (:mod:`sovfund.run.backends`); results come back in path order and
are merged as they arrive, so memory holds the summaries, not the batches.

Engines: ``fast`` runs the compiled kernels over the whole batch (project flows, then
the fund loop and the per-path summaries, one path per thread); ``reference`` runs the
same project and fund kernels as plain Python (:mod:`sovfund.engine.kernels`) and the
NumPy definitions of the summaries. The tests hold the two to the same numbers path by
path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.paths import PathSummary, summarize_paths
from sovfund.engine.fund import SUMMARY_SERIES, Booked, run_fund
from sovfund.engine.projects import ProjectDetail, ProjectFlows, project_flows
from sovfund.errors import InputError
from sovfund.run.arguments import check_arguments
from sovfund.run.backends import choose, start
from sovfund.scenarios.draws import with_markets
from sovfund.scenarios.monte_carlo import BLOCK, monte_carlo
from sovfund.scenarios.sectors import tariff_exposure
from sovfund.scenarios.stress import stress_draws, stress_named, stressed_terms
from sovfund.terms.models import Stress, Terms
from sovfund.terms.sections import require_simulation

__all__ = [
    "DEFAULT_BATCH",
    "SAMPLE",
    "Batch",
    "Engine",
    "Simulation",
    "batches",
    "merge",
    "run_batch",
    "simulate",
]

Engine = Literal["fast", "reference"]
DEFAULT_BATCH = 16 * BLOCK
SAMPLE = 200
"""Full quarterly paths kept for charts (the first paths)."""
SAMPLED = ("nav", "debt", "asset_value", "distributions", "calls")

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Simulation:
    """A Monte Carlo run: per-path summaries of every path, and a sample of full paths."""

    terms: Terms
    seed: int
    engine: Engine
    summary: PathSummary
    sample: dict[str, Array]  # name -> (sampled paths, quarters)
    stress: str | None = None

    @property
    def paths(self) -> int:
        return self.summary.paths


@dataclass(frozen=True)
class Batch:
    """One unit of work: paths ``first_path`` .. ``first_path + paths - 1`` of a run.

    Everything a worker needs, and picklable, so any backend can run it.
    """

    terms: Terms
    seed: int
    first_path: int
    paths: int
    engine: Engine = "fast"
    stress: Stress | None = None
    macro: Terms | None = None
    """Where the market paths come from, if not ``terms`` (structures compared on the
    same markets)."""
    booked: Booked | None = None
    """The fund as its books hold it: its history is fixed, the rest simulated."""


BatchResult = tuple[PathSummary, dict[str, Array]]


def batches(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    batch_size: int,
    engine: Engine = "fast",
    stress: Stress | None = None,
    macro: Terms | None = None,
    booked: Booked | None = None,
) -> list[Batch]:
    """Split a run of ``paths`` paths into batches of ``batch_size`` paths (the last one
    shorter). ``terms`` are the stressed terms if there is a stress
    (:func:`~sovfund.scenarios.stress.stressed_terms`). Path i's numbers do not depend
    on the batch it falls in."""
    if paths < 1:
        raise InputError(f"paths: found {paths}; expected at least 1")
    if batch_size < 1:
        raise InputError(f"batch_size: found {batch_size}; expected at least 1")
    if engine == "reference" or terms.waterfall.style == "deal_by_deal" or booked:
        # plain Python, or per-project arrays (paths x projects x quarters): small
        # batches keep memory flat; results do not depend on the batch size
        batch_size = min(batch_size, BLOCK)
    return [
        Batch(terms, seed, first, min(batch_size, paths - first), engine, stress, macro, booked)
        for first in range(0, paths, batch_size)
    ]


def run_batch(batch: Batch) -> BatchResult:
    """The batch's per-path summaries and, for the sampled paths among them, their
    full quarterly paths. A pure function of ``batch``."""
    terms, first_path, paths = batch.terms, batch.first_path, batch.paths
    draws = monte_carlo(terms, batch.seed, first_path, paths)
    if batch.macro is not None:
        draws = with_markets(draws, monte_carlo(batch.macro, batch.seed, first_path, paths))
    draws = stress_draws(terms, batch.stress, draws)
    fast = batch.engine == "fast"
    booked = batch.booked
    projects = project_flows(
        terms,
        draws,
        tariff_exposed=tariff_exposure(terms),
        per_project=terms.waterfall.style == "deal_by_deal" or booked is not None,
        fast=fast,
    )
    if booked is not None:
        projects = as_booked(projects, booked)
    fund = run_fund(terms, draws, projects, record=SUMMARY_SERIES, fast=fast, booked=booked)
    yen = np.array([p.country == "JP" for p in terms.parties])  # whose yen IRR to report
    summary = summarize_paths(fund, draws, yen, compiled=fast)
    keep = max(0, min(SAMPLE - first_path, paths))
    return summary, {name: getattr(fund, name)[:keep] for name in SAMPLED}


def as_booked(projects: ProjectFlows, booked: Booked) -> ProjectFlows:
    """The projects' simulated flows, each project's income, marks and exit scaled by
    ``booked.project_scale`` from the first simulated quarter on (its latest mark against
    the plan's), summed again in project order."""
    detail = projects.by_project
    assert detail is not None, "per-project flows"
    scale = booked.project_scale
    if np.all(scale == 1.0):
        return projects
    start = booked.start
    factor = np.ones((len(scale), detail.value.shape[2]))
    factor[:, start:] = scale[:, None]
    operating = detail.operating_cash * factor[None]
    value = detail.value * factor[None]
    exit_value = detail.exit_value * scale[None, :]
    totals = [operating[:, 0].copy(), value[:, 0].copy(), exit_value[:, 0].copy()]
    for j in range(1, len(scale)):  # in project order, as the kernel sums them
        totals[0] += operating[:, j]
        totals[1] += value[:, j]
        totals[2] += exit_value[:, j]
    return ProjectFlows(
        projects.investment,
        totals[0],
        totals[1],
        totals[2],
        ProjectDetail(detail.investment, operating, value, exit_value),
    )


@check_arguments
def simulate(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    batch_size: int | None = None,
    engine: Engine = "fast",
    stress: str | Stress | None = None,
    macro: Terms | None = None,
    backend: str = "auto",
    workers: int | None = None,
    scheduler: str | None = None,
    on_progress: Callable[[int], Any] | None = None,
    booked: Booked | None = None,
) -> Simulation:
    """Simulate ``paths`` paths of ``terms`` from ``seed``, ``batch_size`` paths at a time
    (by default the backend's size: :data:`~sovfund.run.backends.BATCH_PATHS`).

    ``stress`` names one of the term sheet's ``[stress.NAME]`` scenarios (None or
    ``"base"``: none); it keeps the random numbers, so path i of a stressed run and of
    the base run on the same seed share every shock (a :class:`Stress` object may be
    given instead of a name). ``macro``: take the market paths (rates, inflation, yen,
    spreads, tariffs) from these terms' generator instead, so that two structures can be
    compared on the same markets; its term must be at least as long. ``backend`` is ``serial``,
    ``process`` (``workers`` local processes), ``dask`` (a local cluster of ``workers``
    processes, or the cluster at ``scheduler`` or ``$DASK_SCHEDULER_ADDRESS``) or
    ``auto`` (see :mod:`sovfund.run.backends`); the numbers depend on none of these, nor
    on ``batch_size``. ``on_progress(paths_done)`` is called after each batch, in path
    order. ``booked``: the fund as its books hold it (:func:`sovfund.books.history.booked`
    gives it and the terms to simulate): the booked quarters are the same on every path
    and only the rest is simulated.
    """
    require_simulation(terms)
    spec = stress if isinstance(stress, Stress) else stress_named(terms, stress)
    terms = stressed_terms(terms, spec)
    if macro is not None and macro.fund.quarters < terms.fund.quarters:
        raise InputError(
            f"markets from '{macro.fund.name}': found {macro.fund.quarters} quarters;"
            f" expected at least the {terms.fund.quarters} of '{terms.fund.name}'"
        )
    plan = choose(backend, paths=paths, batch_size=batch_size, workers=workers, scheduler=scheduler)
    size = plan.batch_size
    jobs = batches(
        terms,
        paths=paths,
        seed=seed,
        batch_size=size,
        engine=engine,
        stress=spec,
        macro=macro,
        booked=booked,
    )
    merged = _Merged(paths)
    with start(plan) as runner:
        for batch, result in zip(jobs, runner.map_ordered(run_batch, jobs), strict=True):
            merged.add(result)
            if on_progress is not None:
                on_progress(batch.first_path + batch.paths)
    name = None if spec is None else stress if isinstance(stress, str) else spec.title
    return merged.simulation(terms, seed, engine, name)


def merge(
    terms: Terms,
    seed: int,
    engine: Engine,
    results: list[BatchResult],
    *,
    stress: str | None = None,
) -> Simulation:
    """The batches' results, in path order, as one simulation."""
    merged = _Merged(sum(summary.paths for summary, _ in results))
    for result in results:
        merged.add(result)
    return merged.simulation(terms, seed, engine, stress)


class _Merged:
    """Batch results merged as they come, in path order, into arrays allocated once for
    every path: the client holds the summaries and a batch, never every batch twice."""

    def __init__(self, paths: int) -> None:
        self.paths, self.done = paths, 0
        self.arrays: dict[str, NDArray[Any]] = {}
        self.samples: list[dict[str, Array]] = []

    def add(self, result: BatchResult) -> None:
        summary, sample = result
        end = self.done + summary.paths
        for field in fields(PathSummary):
            part: NDArray[Any] = getattr(summary, field.name)
            if field.name not in self.arrays:
                self.arrays[field.name] = np.empty((self.paths, *part.shape[1:]), part.dtype)
            self.arrays[field.name][self.done : end] = part
        self.done = end
        if not self.samples or len(sample[SAMPLED[0]]):  # only the first paths have one
            # copies: a view would keep the batch's full quarterly arrays alive
            self.samples.append({name: np.array(values) for name, values in sample.items()})

    def simulation(self, terms: Terms, seed: int, engine: Engine, stress: str | None) -> Simulation:
        if self.done != self.paths:
            raise ValueError(f"merged {self.done} of {self.paths} paths")
        summary = PathSummary(**self.arrays)
        merged = {name: np.concatenate([s[name] for s in self.samples]) for name in SAMPLED}
        return Simulation(terms, seed, engine, summary, merged, stress)
