"""Project cash flows under shocks: the kernels (compiled and plain) agree with the
NumPy model kept as an oracle (tests/oracle/projects.py), and shocks move the numbers
the way the model says."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import sovfund
from oracle.projects import project_flows_reference
from sovfund.engine.projects import project_flows
from sovfund.scenarios.draws import Draws, base_case
from sovfund.terms.models import Terminal

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


def shocked(terms: sovfund.Terms, paths: int, seed: int) -> Draws:
    """Base-case draws with every shock the engine reads set at random."""
    rng = np.random.default_rng(seed)
    draws = base_case(terms, paths)
    projects, quarters = len(terms.projects), terms.fund.quarters
    return dataclasses.replace(
        draws,
        capex_factor=rng.lognormal(0.2, 0.3, (paths, projects)),
        delay=rng.integers(0, 9, (paths, projects)),
        default_quarter=np.where(
            rng.random((paths, projects)) < 0.2, rng.integers(0, quarters, (paths, projects)), -1
        ),
        recovery=rng.uniform(0.3, 1.0, (paths, projects)),
        revenue_factor=rng.lognormal(0.0, 0.2, (paths, projects)),
        tariff=(rng.random((paths, quarters)) < 0.2).astype(float),
        yield_10y=draws.yield_10y + rng.normal(0, 0.01, (paths, quarters)),
        inflation=draws.inflation + rng.normal(0, 0.01, (paths, quarters)),
    )


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_compiled_totals_agree_with_the_numpy_model(preset: str) -> None:
    terms = sovfund.load_terms(preset)
    draws = shocked(terms, 40, seed=1)
    exposed = (np.arange(len(terms.projects)) % 2).astype(float)
    readable = project_flows_reference(terms, draws, tariff_exposed=exposed)
    fast = project_flows(terms, draws, tariff_exposed=exposed)
    for name in ("investment", "operating_cash", "value", "exit_value"):
        np.testing.assert_allclose(
            getattr(fast, name), getattr(readable, name), rtol=1e-9, atol=1e-3
        )
    detail = project_flows(terms, draws, tariff_exposed=exposed, per_project=True)
    assert detail.by_project is not None
    assert readable.by_project is not None
    for name in ("investment", "operating_cash", "value", "exit_value"):
        # per project as the oracle has it, and summed to exactly the same totals
        np.testing.assert_allclose(
            getattr(detail.by_project, name),
            getattr(readable.by_project, name),
            rtol=1e-9,
            atol=1e-3,
        )
        np.testing.assert_array_equal(getattr(detail, name), getattr(fast, name))


def test_the_plain_kernels_are_the_compiled_ones() -> None:
    terms = sovfund.load_terms("son-2025")
    draws = shocked(terms, 3, seed=2)
    exposed = (np.arange(len(terms.projects)) % 2).astype(float)
    plain = project_flows(terms, draws, tariff_exposed=exposed, fast=False)
    fast = project_flows(terms, draws, tariff_exposed=exposed)
    for name in ("investment", "operating_cash", "value", "exit_value"):
        np.testing.assert_allclose(getattr(plain, name), getattr(fast, name), rtol=1e-13)


def test_delay_and_overrun_spread_capex_over_the_longer_build() -> None:
    terms = sovfund.load_terms(TINY)  # capex 100 over quarters 0 and 1
    draws = dataclasses.replace(
        base_case(terms), capex_factor=np.array([[1.5]]), delay=np.array([[1]])
    )
    flows = project_flows(terms, draws)
    np.testing.assert_allclose(flows.investment[0, :4], [50, 50, 50, 0])  # 150 over 3 quarters
    assert flows.operating_cash[0, 2] == 0  # still building in quarter 2
    assert flows.operating_cash[0, 3] == pytest.approx(5)  # 20 a year from quarter 3


def test_default_recovers_a_share_of_the_last_mark_then_stops() -> None:
    terms = sovfund.load_terms(TINY)
    base = project_flows(terms, base_case(terms))
    draws = dataclasses.replace(
        base_case(terms), default_quarter=np.array([[5]]), recovery=np.array([[0.8]])
    )
    flows = project_flows(terms, draws)
    np.testing.assert_allclose(flows.operating_cash[0, :5], base.operating_cash[0, :5])
    assert flows.operating_cash[0, 5] == pytest.approx(0.8 * base.value[0, 4])
    assert flows.operating_cash[0, 6:].sum() == 0
    assert flows.value[0, 5:].sum() == 0
    assert flows.exit_value[0] == 0


def test_tariff_snapback_raises_exposed_capex() -> None:
    terms = sovfund.load_terms(TINY)  # default tariff: 30% imports, 15% -> 25%
    draws = dataclasses.replace(base_case(terms), tariff=np.array([[1.0] + [0.0] * 11]))
    flows = project_flows(terms, draws, tariff_exposed=np.array([1.0]))
    np.testing.assert_allclose(flows.investment[0, :2], [50 * (1 + 0.3 * 0.10), 50])
    unexposed = project_flows(terms, draws, tariff_exposed=np.array([0.0]))
    np.testing.assert_allclose(unexposed.investment[0, :2], [50, 50])


@pytest.mark.parametrize("terminal", ["multiple", "dcf"])
def test_compiled_totals_at_every_edge_of_a_project_life(terminal: str) -> None:
    """One project started in quarter 1, on every combination of a default quarter (none,
    before, at and after each phase boundary) and a delay (completing inside, at and
    after the end of the term, and a life ending inside the term): the compiled totals
    equal the NumPy model's."""
    tiny = sovfund.load_terms(TINY)
    project = tiny.projects[0].model_copy(
        update={
            "start_quarter": 1,
            "operating_years": 1,
            "terminal": Terminal(method=terminal, multiple=5.0 if terminal == "multiple" else None),
        }
    )
    terms = tiny.model_copy(update={"projects": (project,)})
    quarters = terms.fund.quarters  # 12
    cases = [(d, q) for d in range(0, quarters + 2) for q in range(-1, quarters)]
    draws = dataclasses.replace(
        base_case(terms, len(cases)),
        delay=np.array([[d] for d, _ in cases]),
        default_quarter=np.array([[q] for _, q in cases]),
        recovery=np.full((len(cases), 1), 0.7),
        inflation=np.full((len(cases), quarters), 0.02),
    )
    readable = project_flows_reference(terms, draws)
    fast = project_flows(terms, draws)
    for name in ("investment", "operating_cash", "value", "exit_value"):
        np.testing.assert_allclose(
            getattr(fast, name), getattr(readable, name), rtol=1e-12, atol=1e-12, err_msg=name
        )
    assert (readable.exit_value > 0).any()  # sold at the end ...
    assert (readable.exit_value == 0).any()  # ... or gone before it
