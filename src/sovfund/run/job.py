"""The main job (`sovfund run`): base case, Monte Carlo, studies and the verdict.

One function runs everything a report needs, in order, and returns it; writing files
and printing are the caller's business. What the reports are drawn from is the job's
:class:`Summary`, whose ``to_dict()`` is summary.json. The studies (stress test, leverage frontier,
tornado) use ``study_paths`` paths per run, fewer than the main Monte Carlo, since each
is a dozen runs; ``study_paths = 0`` skips them. A term sheet with a ``[bargain]`` also
gets Japan's side of the bargain: its net on the main Monte Carlo's paths, its opt-out
(if Japan may decline projects) on ``study_paths`` paths a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sovfund.analytics.base_case import BaseCase, run_base_case
from sovfund.analytics.figures import BooksSource, SimulationResult
from sovfund.analytics.verdict import Verdict, verdict
from sovfund.documents import Document
from sovfund.run.arguments import check_arguments
from sovfund.run.bargain import BargainStudy, bargain_runs, bargain_study
from sovfund.run.defaults import LEVERAGE_LEVELS, STUDY_PATHS
from sovfund.run.simulate import Simulation, simulate
from sovfund.run.studies import (
    SENSITIVITY_RUNS,
    Frontier,
    Sensitivity,
    StressTest,
    leverage_frontier,
    sensitivity,
    simulation_result,
    stress_runs,
    stress_test,
)
from sovfund.terms.models import Terms
from sovfund.terms.sections import require_simulation
from sovfund.version import __version__

__all__ = ["STUDY_PATHS", "Job", "RunRecord", "Summary", "run_job", "steps"]

Progress = Callable[[str, int], Any] | None
"""on_progress(step, paths done in that step)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """How the numbers were made: what anyone needs to make them again."""

    version: str
    """sovfund's version."""
    seed: int
    paths: int
    """Paths of the main Monte Carlo."""
    study_paths: int
    """Paths of each run of the studies (0: none were run)."""
    engine: str
    backend: str
    seconds: float
    """The job's wall time, to a tenth of a second."""
    command: str
    """The command line that reproduces the job."""

    def to_dict(self) -> Document:
        return {
            "version": self.version,
            "seed": self.seed,
            "paths": self.paths,
            "study_paths": self.study_paths,
            "engine": self.engine,
            "backend": self.backend,
            "seconds": self.seconds,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """What the reports are drawn from (with the simulation's sampled paths); its
    ``to_dict()`` is summary.json: the keys DESIGN.md asks for, plus the studies.

    ``run``, ``verdict`` and the studies are None where they were not made (a report
    leaves their sections out).
    """

    scenario: str
    """The preset id or term-sheet file, as given."""
    base_case: BaseCase
    simulation: SimulationResult
    run: RunRecord | None = None
    verdict: Verdict | None = None
    stress: StressTest | None = None
    frontier: Frontier | None = None
    sensitivity: Sensitivity | None = None
    bargain: BargainStudy | None = None

    def to_dict(self) -> Document:
        out: Document = {"scenario": self.scenario}
        if self.run is not None:
            out["run"] = self.run.to_dict()
        if self.verdict is not None:
            out["verdict"] = self.verdict.to_dict()
        out["base_case"] = self.base_case.to_dict()
        out["simulation"] = self.simulation.to_dict()
        for name, study in (
            ("stress", self.stress),
            ("frontier", self.frontier),
            ("sensitivity", self.sensitivity),
            ("bargain", self.bargain),
        ):
            if study is not None:
                out[name] = study.to_dict()
        return out


@dataclass(frozen=True)
class Job:
    """Everything `sovfund run` computes for one scenario."""

    scenario: str
    terms: Terms
    base: BaseCase
    simulation: Simulation
    figures: SimulationResult
    """The simulation's figures (``sovfund simulate --json``), worked out once."""
    stress: StressTest | None
    frontier: Frontier | None
    sensitivity: Sensitivity | None
    verdict: Verdict
    run: RunRecord
    bargain: BargainStudy | None = None
    """Japan's side of the bargain, where the term sheet has a ``[bargain]``."""

    def summary(self) -> Summary:
        """What the reports are drawn from; ``summary().to_dict()`` is summary.json."""
        return Summary(
            scenario=self.scenario,
            base_case=self.base,
            simulation=self.figures,
            run=self.run,
            verdict=self.verdict,
            stress=self.stress,
            frontier=self.frontier,
            sensitivity=self.sensitivity,
            bargain=self.bargain,
        )


def steps(
    terms: Terms, paths: int, study_paths: int, *, from_books: bool = False
) -> dict[str, int]:
    """The job's Monte Carlo steps and the paths each runs, in order (for progress bars);
    ``from_books``: a run from the books, which leaves out the opt-out."""
    out = {"Monte Carlo": paths}
    if study_paths:
        out["Stress tests"] = stress_runs(terms) * study_paths
        out["Leverage frontier"] = len(LEVERAGE_LEVELS) * study_paths
        out["Sensitivity"] = SENSITIVITY_RUNS * study_paths
    if terms.bargain is not None and study_paths and bargain_runs(terms) and not from_books:
        out["Bargain"] = bargain_runs(terms) * study_paths
    return out


@check_arguments
def run_job(
    terms: Terms,
    *,
    scenario: str,
    paths: int,
    seed: int,
    study_paths: int = STUDY_PATHS,
    on_progress: Progress = None,
    books: BooksSource | None = None,
    **options: Any,
) -> Job:
    """Run the main job on ``terms``. ``options`` go to every
    :func:`~sovfund.run.simulate.simulate` (backend, workers, scheduler, and ``booked``
    for a run from the books, named by ``books``: every simulation starts from what the
    books hold, the base case stays the term sheet's plan, and Japan's opt-out, which
    takes projects out of a pipeline already booked, is left out)."""
    require_simulation(terms)
    started = time.perf_counter()

    def report(step: str) -> Callable[[int], Any] | None:
        if on_progress is None:
            return None
        return lambda done: on_progress(step, done)

    base = run_base_case(terms)
    sim = simulate(terms, paths=paths, seed=seed, on_progress=report("Monte Carlo"), **options)
    stress = frontier = tornado = None
    if study_paths:
        common: dict[str, Any] = {"paths": study_paths, "seed": seed, **options}
        stress = stress_test(terms, on_progress=report("Stress tests"), **common)
        frontier = leverage_frontier(terms, on_progress=report("Leverage frontier"), **common)
        tornado = sensitivity(terms, on_progress=report("Sensitivity"), **common)
    bargain = None
    if terms.bargain is not None:
        bargain = bargain_study(
            terms,
            paths=paths,
            seed=seed,
            base=sim,
            opt_out_paths=0 if options.get("booked") is not None else study_paths,
            on_progress=report("Bargain"),
            **options,
        )
    figures = simulation_result(scenario, sim, books=books)
    said = verdict(terms, base, figures, stress, bargain)
    run = RunRecord(
        version=__version__,
        seed=seed,
        paths=paths,
        study_paths=study_paths,
        engine=sim.engine,
        backend=str(options.get("backend", "auto")),
        seconds=round(time.perf_counter() - started, 1),
        command=f"sovfund run {_source(scenario, books)} --paths {paths} --seed {seed}"
        + (f" --study-paths {study_paths}" if study_paths != STUDY_PATHS else ""),
    )
    return Job(scenario, terms, base, sim, figures, stress, frontier, tornado, said, run, bargain)


def _source(scenario: str, books: BooksSource | None) -> str:
    """What the run's command line names: the scenario, or the books and their date."""
    if books is None:
        return scenario
    return f"--from-books {books.books} --as-of {books.as_of.isoformat()}"
