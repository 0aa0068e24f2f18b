"""sovfund: model, stress-test and run a leveraged sovereign infrastructure fund.

>>> import sovfund
>>> terms = sovfund.load_terms("son-2025")
>>> result = sovfund.run_base_case(terms)
>>> result.parties.loc["japan_reserves", "irr"]  # doctest: +SKIP
>>> sim = sovfund.simulate(terms, paths=10_000, seed=7)  # the Monte Carlo
>>> sim.summary.irr  # per path and party  # doctest: +SKIP
>>> sovfund.stress_test(terms, paths=2_000, seed=7).table()  # doctest: +SKIP
>>> sovfund.run_job(terms, scenario="son-2025", paths=10_000, seed=0).verdict  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from sovfund.analytics import BaseCase, irr, run_base_case
from sovfund.errors import (
    ConvergenceError,
    FlowsError,
    InputError,
    Problem,
    SovfundError,
    TermsError,
    UnknownScenarioError,
)
from sovfund.presets import DEFAULT_PRESET, preset_ids
from sovfund.run.job import Job, run_job
from sovfund.run.simulate import Simulation, simulate
from sovfund.run.studies import compare, leverage_frontier, sensitivity, stress_test
from sovfund.terms import Terms, load_terms, parse_terms

try:
    __version__ = version("sovfund")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_PRESET",
    "BaseCase",
    "ConvergenceError",
    "FlowsError",
    "InputError",
    "Job",
    "Problem",
    "Simulation",
    "SovfundError",
    "Terms",
    "TermsError",
    "UnknownScenarioError",
    "__version__",
    "compare",
    "irr",
    "leverage_frontier",
    "load_terms",
    "parse_terms",
    "preset_ids",
    "run_base_case",
    "run_job",
    "sensitivity",
    "simulate",
    "stress_test",
]
