"""The summaries the reports are drawn from, made by the model itself: `sovfund run`'s
own job on a small number of paths (every section: the verdict, the stress test, the
leverage frontier, the tornado, Japan's side of the bargain, the run record), and a bare
summary of a base case and a Monte Carlo alone (no optional section)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

import sovfund
from sovfund.analytics.base_case import BaseCase, run_base_case
from sovfund.run.bargain import bargain_study
from sovfund.run.job import Summary, run_job
from sovfund.run.simulate import Simulation, simulate
from sovfund.run.studies import simulation_result


@dataclass(frozen=True)
class Run:
    """What a report is rendered from."""

    summary: Summary
    sim: Simulation

    @property
    def base(self) -> BaseCase:
        return self.summary.base_case


def build_run(
    scenario: str, *, paths: int, seed: int = 0, study_paths: int = 256, sections: bool = True
) -> Run:
    """Base case and Monte Carlo of ``scenario``; with ``sections``, the whole job of
    `sovfund run` (its studies on ``study_paths`` paths a run)."""
    terms = sovfund.load_terms(scenario)
    if sections:
        job = run_job(
            terms,
            scenario=scenario,
            paths=paths,
            seed=seed,
            study_paths=study_paths,
            backend="serial",
        )
        return Run(job.summary(), job.simulation)
    sim = simulate(terms, paths=paths, seed=seed)
    summary = Summary(
        scenario=scenario,
        base_case=run_base_case(terms),
        simulation=simulation_result(scenario, sim),
    )
    return Run(summary, sim)


@pytest.fixture(scope="session")
def son_run() -> Run:
    """son-2025 with every optional section."""
    return build_run("son-2025", paths=512, seed=3)


@pytest.fixture(scope="session")
def mou_run() -> Run:
    """mou-550b with none of the optional sections."""
    return build_run("mou-550b", paths=256, seed=1, sections=False)


@pytest.fixture(scope="session")
def mou_bargain_run(mou_run: Run) -> Run:
    """mou-550b with Japan's side of the bargain, its opt-out included."""
    terms = mou_run.base.terms
    bargain = bargain_study(terms, paths=256, seed=1, base=mou_run.sim, opt_out_paths=256)
    return Run(replace(mou_run.summary, bargain=bargain), mou_run.sim)
