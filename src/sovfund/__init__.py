"""sovfund: model, stress-test and run a leveraged sovereign infrastructure fund.

>>> import sovfund
>>> terms = sovfund.load_terms("son-2025")
>>> result = sovfund.run_base_case(terms)
>>> result.parties.loc["japan_reserves", "irr"]  # doctest: +SKIP
>>> sim = sovfund.simulate(terms, paths=10_000, seed=7)  # the Monte Carlo
>>> sim.summary.irr  # per path and party  # doctest: +SKIP
>>> sovfund.stress_test(terms, paths=2_000, seed=7).table()  # doctest: +SKIP
>>> sovfund.bargain_study(terms, paths=10_000, seed=7).net["usd"]  # Japan's side  # doctest: +SKIP
>>> sovfund.run_job(terms, scenario="son-2025", paths=10_000, seed=0).verdict  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from sovfund.errors import (
    ArgumentError,
    BooksError,
    ConvergenceError,
    FlowsError,
    InputError,
    KeyReusedError,
    PartnersError,
    Problem,
    SovfundError,
    TermsError,
    UnknownScenarioError,
)
from sovfund.lazy import lazy_exports
from sovfund.presets import DEFAULT_PRESET, preset_ids

if TYPE_CHECKING:
    from sovfund.analytics.base_case import BaseCase, run_base_case
    from sovfund.analytics.irr import irr
    from sovfund.run.bargain import bargain_study
    from sovfund.run.job import Job, run_job
    from sovfund.run.simulate import Simulation, simulate
    from sovfund.run.studies import compare, leverage_frontier, sensitivity, stress_test
    from sovfund.terms import Terms, load_terms, parse_terms
    from sovfund.version import __version__

# The simulation's names (and the version, read from the installed metadata) are
# imported on first use (sovfund.lazy), so that `import sovfund`, the CLI's quick
# commands and the books load none of NumPy's heavy neighbours.
_HOMES = {
    "__version__": "sovfund.version",
    "Terms": "sovfund.terms.models",
    "load_terms": "sovfund.terms.load",
    "parse_terms": "sovfund.terms.load",
    "BaseCase": "sovfund.analytics.base_case",
    "irr": "sovfund.analytics.irr",
    "run_base_case": "sovfund.analytics.base_case",
    "Job": "sovfund.run.job",
    "run_job": "sovfund.run.job",
    "Simulation": "sovfund.run.simulate",
    "simulate": "sovfund.run.simulate",
    "compare": "sovfund.run.studies",
    "leverage_frontier": "sovfund.run.studies",
    "sensitivity": "sovfund.run.studies",
    "stress_test": "sovfund.run.studies",
    "bargain_study": "sovfund.run.bargain",
}

__getattr__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "DEFAULT_PRESET",
    "ArgumentError",
    "BaseCase",
    "BooksError",
    "ConvergenceError",
    "FlowsError",
    "InputError",
    "Job",
    "KeyReusedError",
    "PartnersError",
    "Problem",
    "Simulation",
    "SovfundError",
    "Terms",
    "TermsError",
    "UnknownScenarioError",
    "__version__",
    "bargain_study",
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
