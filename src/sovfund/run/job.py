"""The main job (`sovfund run`): base case, Monte Carlo, studies and the verdict.

One function runs everything a report needs, in order, and returns it; writing files
and printing are the caller's business. The studies (stress test, leverage frontier,
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
from sovfund.analytics.verdict import verdict
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
    simulation_json,
    stress_runs,
    stress_test,
)
from sovfund.terms.models import Terms
from sovfund.terms.sections import require_simulation
from sovfund.version import __version__

__all__ = ["STUDY_PATHS", "Job", "run_job", "steps"]

Progress = Callable[[str, int], Any] | None
"""on_progress(step, paths done in that step)."""


@dataclass(frozen=True)
class Job:
    """Everything `sovfund run` computes for one scenario."""

    scenario: str
    terms: Terms
    base: BaseCase
    simulation: Simulation
    figures: dict[str, Any]
    """The simulation's JSON (``sovfund simulate --json``), worked out once."""
    stress: StressTest | None
    frontier: Frontier | None
    sensitivity: Sensitivity | None
    verdict: dict[str, Any]
    run: dict[str, Any]
    bargain: BargainStudy | None = None
    """Japan's side of the bargain, where the term sheet has a ``[bargain]``."""

    def summary(self) -> dict[str, Any]:
        """``summary.json``: the keys DESIGN.md asks for, plus the studies."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "run": self.run,
            "verdict": self.verdict,
            "base_case": self.base.to_dict(),
            "simulation": self.figures,
        }
        for name, study in (
            ("stress", self.stress),
            ("frontier", self.frontier),
            ("sensitivity", self.sensitivity),
            ("bargain", self.bargain),
        ):
            if study is not None:
                out[name] = study.to_dict()
        return out


def steps(terms: Terms, paths: int, study_paths: int) -> dict[str, int]:
    """The job's Monte Carlo steps and the paths each runs, in order (for progress bars)."""
    out = {"Monte Carlo": paths}
    if study_paths:
        out["Stress tests"] = stress_runs(terms) * study_paths
        out["Leverage frontier"] = len(LEVERAGE_LEVELS) * study_paths
        out["Sensitivity"] = SENSITIVITY_RUNS * study_paths
    if terms.bargain is not None and study_paths and bargain_runs(terms):
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
    **options: Any,
) -> Job:
    """Run the main job on ``terms``. ``options`` go to every
    :func:`~sovfund.run.simulate.simulate` (backend, workers, scheduler)."""
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
            opt_out_paths=study_paths,
            on_progress=report("Bargain"),
            **options,
        )
    figures = simulation_json(scenario, sim)
    said = verdict(
        terms,
        base.to_dict(),
        figures,
        None if stress is None else stress.to_dict(),
        None if bargain is None else bargain.to_dict(),
    )
    run = {
        "version": __version__,
        "seed": seed,
        "paths": paths,
        "study_paths": study_paths,
        "engine": sim.engine,
        "backend": str(options.get("backend", "auto")),
        "seconds": round(time.perf_counter() - started, 1),
        "command": f"sovfund run {scenario} --paths {paths} --seed {seed}"
        + (f" --study-paths {study_paths}" if study_paths != STUDY_PATHS else ""),
    }
    return Job(scenario, terms, base, sim, figures, stress, frontier, tornado, said, run, bargain)
