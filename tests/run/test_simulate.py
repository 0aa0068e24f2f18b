"""Monte Carlo runs: reproducible, batch-invariant, the fast engine equal to the
reference engine path by path, and the base case when nothing is random."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import sovfund
from sovfund.analytics.base_case import run_base_case
from sovfund.analytics.paths import summarize_paths
from sovfund.run.simulate import simulate
from sovfund.scenarios.draws import base_case

if TYPE_CHECKING:
    from conftest import CliRun

FIELDS = [f.name for f in dataclasses.fields(sovfund.analytics.paths.PathSummary)]


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_fast_and_reference_engines_agree_path_by_path(preset: str) -> None:
    terms = sovfund.load_terms(preset)
    fast = simulate(terms, paths=256, seed=11, engine="fast").summary
    reference = simulate(terms, paths=256, seed=11, engine="reference").summary
    for name in FIELDS:
        got, expected = getattr(fast, name), getattr(reference, name)
        if got.dtype.kind in "bi":
            np.testing.assert_array_equal(got, expected, err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("batch_size", [1, 300, 256, 1024])
def test_batch_size_does_not_change_any_path(batch_size: int) -> None:
    # batches that start and end inside a block of random streams (1, 300) included
    terms = sovfund.load_terms("son-2025")
    paths = 40 if batch_size == 1 else 700
    default = simulate(terms, paths=paths, seed=3)
    other = simulate(terms, paths=paths, seed=3, batch_size=batch_size)
    for name in FIELDS:
        np.testing.assert_array_equal(
            getattr(default.summary, name), getattr(other.summary, name), err_msg=name
        )
    for name, values in default.sample.items():
        np.testing.assert_array_equal(values, other.sample[name], err_msg=name)


def test_seed_decides_the_numbers() -> None:
    terms = sovfund.load_terms("mou-550b")
    a = simulate(terms, paths=256, seed=5).summary
    b = simulate(terms, paths=256, seed=5).summary
    c = simulate(terms, paths=256, seed=6).summary
    np.testing.assert_array_equal(a.irr, b.irr)
    assert not np.array_equal(a.irr, c.irr)


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_without_volatility_or_defaults_every_path_is_the_base_case(preset: str) -> None:
    terms = sovfund.load_terms(preset)
    calm = terms.model_copy(
        update={"risk": terms.risk.model_copy(update={"volatility": 0.0, "defaults": 0.0})}
    )
    summary = simulate(calm, paths=300, seed=9).summary
    base = run_base_case(terms).paths
    yen = np.array([p.country == "JP" for p in terms.parties])
    expected = summarize_paths(base, base_case(terms), yen)
    # The same arithmetic, compiled on one side and NumPy on the other: equal events,
    # amounts equal up to the order of floating-point additions.
    for name in FIELDS:
        got, want = getattr(summary, name), np.repeat(getattr(expected, name), 300, axis=0)
        if got.dtype.kind in "bi":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-6, err_msg=name)


def test_simulate_json_has_the_design_keys_and_is_reproducible(
    tmp_path: Path, sovfund_cli: CliRun
) -> None:
    args = ("simulate", "son-2025", "--paths", "512", "--seed", "7", "--json")
    first = sovfund_cli(tmp_path, *args)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert (data["scenario"], data["paths"], data["seed"]) == ("son-2025", 512, 7)
    for party in ("japan_reserves", "us_treasury"):
        entry = data["parties"][party]
        assert set(entry["irr"]) >= {"mean", "p05", "p50", "p95"}
        assert set(entry["tvpi"]) >= {"mean", "p05", "p50", "p95"}
        assert "p_loss" in entry
    assert 0.0 <= data["fund"]["p_default"] <= 1.0
    assert 0.0 <= data["fund"]["p_covenant_breach"] <= 1.0
    smaller_batches = sovfund_cli(tmp_path, *args, "--batch-size", "256")
    assert smaller_batches.stdout == first.stdout


def test_any_batch_size_gives_the_same_bytes(tmp_path: Path, sovfund_cli: CliRun) -> None:
    args = ("simulate", "son-2025", "--paths", "700", "--seed", "4", "--json")
    default = sovfund_cli(tmp_path, *args)
    odd = sovfund_cli(tmp_path, *args, "--batch-size", "300")
    assert default.returncode == 0, default.stderr
    assert odd.returncode == 0, odd.stderr
    assert odd.stdout == default.stdout
