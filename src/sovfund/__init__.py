"""sovfund: model, stress-test and run a leveraged sovereign infrastructure fund.

>>> import sovfund
>>> terms = sovfund.load_terms("son-2025")
>>> result = sovfund.run_base_case(terms)
>>> result.parties.loc["japan_reserves", "irr"]  # doctest: +SKIP
>>> sim = sovfund.simulate(terms, paths=10_000, seed=7)  # the Monte Carlo
>>> sim.summary.irr  # per path and party  # doctest: +SKIP
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
from sovfund.run.simulate import Simulation, simulate
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
    "Problem",
    "Simulation",
    "SovfundError",
    "Terms",
    "TermsError",
    "UnknownScenarioError",
    "__version__",
    "irr",
    "load_terms",
    "parse_terms",
    "preset_ids",
    "run_base_case",
    "simulate",
]
