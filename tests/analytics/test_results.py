"""The typed results (:mod:`sovfund.analytics.figures` and its kin) keep the promise
the README makes of them: frozen, and each key path of their ``to_dict()`` is an
attribute path of the object, with the same value (None where JSON has null, dates
as ISO text). Walked over real runs that have every optional part: the studies, the
redemption gate's figures, yen and reserve figures, Japan's opt-out, a comparison."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import pytest

import sovfund
from sovfund.analytics.base_case import BaseCase, PartyResult
from sovfund.run.bargain import bargain_study
from sovfund.run.studies import compare

PATHS = 256

RENAMED = {(PartyResult, "class"): "investor_class", (BaseCase, "parties"): "by_party"}
"""JSON keys that are not Python names, or name a DataFrame's typed twin."""
NOT_ATTRIBUTES = {(BaseCase, "fund_name"), (BaseCase, "tiers")}
"""The base case's keys drawn from its terms and its tier table (a DataFrame)."""


def walk(obj: Any, doc: Any, path: str, seen: list[str]) -> None:
    """Assert that ``doc`` is ``obj``'s JSON, key path by attribute path."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        assert isinstance(doc, dict), path
        if type(obj) is not BaseCase:  # holds DataFrames: frozen, but not a value
            first = dataclasses.fields(obj)[0].name
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, first, getattr(obj, first))
        seen.append(type(obj).__name__)
        for key, value in doc.items():
            if (type(obj), key) in NOT_ATTRIBUTES:
                continue
            name = RENAMED.get((type(obj), key), key)
            assert hasattr(obj, name), f"{path}.{key}: no attribute {name!r}"
            walk(getattr(obj, name), value, f"{path}.{key}", seen)
    elif isinstance(obj, Mapping):
        assert isinstance(doc, dict), path
        assert list(doc) == [str(key) for key in obj], path
        for key, value in obj.items():
            walk(value, doc[str(key)], f"{path}.{key}", seen)
    elif isinstance(obj, tuple):
        assert isinstance(doc, list), path
        assert len(doc) == len(obj), path
        for i, (item, value) in enumerate(zip(obj, doc, strict=True)):
            walk(item, value, f"{path}[{i}]", seen)
    elif isinstance(obj, dt.date):
        assert doc == obj.isoformat(), path
    elif doc is None:
        assert obj is None or (isinstance(obj, float) and not math.isfinite(obj)), path
    else:
        assert type(doc) is type(obj), path  # no NumPy scalar left in a result
        assert doc == obj, path


@pytest.fixture(scope="module")
def son_job() -> sovfund.Job:
    terms = sovfund.load_terms("son-2025")
    return sovfund.run_job(
        terms, scenario="son-2025", paths=PATHS, seed=4, study_paths=PATHS, backend="serial"
    )


def test_summary_json_is_the_summarys_attributes(son_job: sovfund.Job) -> None:
    summary = son_job.summary()
    document = summary.to_dict()
    json.dumps(document, allow_nan=True)  # plain JSON types only
    seen: list[str] = []
    walk(summary, document, "summary", seen)
    for kind in (  # every optional part was there to be walked
        "RunRecord",
        "Verdict",
        "Sentence",
        "BaseCase",
        "PartyResult",
        "FundFigures",
        "SimulationResult",
        "PartyFigures",
        "TailRisk",
        "FundRisk",
        "StressTest",
        "StressScenario",
        "Frontier",
        "FrontierPoint",
        "Sensitivity",
        "TornadoBar",
        "BargainStudy",
        "SectorRelief",
        "BreakEven",
    ):
        assert kind in seen, kind
    stress = summary.stress
    assert stress is not None
    assert any(s.fund.redeemed is not None for s in stress.scenarios)  # the gate's figures


def test_the_opt_out_and_a_comparison_are_their_json() -> None:
    mou = sovfund.load_terms("mou-550b")
    sim = sovfund.simulate(mou, paths=PATHS, seed=1, backend="serial")
    study = bargain_study(mou, paths=PATHS, seed=1, base=sim, opt_out_paths=64)
    seen: list[str] = []
    walk(study, study.to_dict(), "bargain", seen)
    assert {"OptOut", "ProjectDecision", "Portfolio"} <= set(seen)
    son = sovfund.load_terms("son-2025")
    both = compare(("son-2025", son), ("mou-550b", mou), paths=64, seed=5, backend="serial")
    walk(both, both.to_dict(), "compare", seen)
    assert {"Comparison", "ComparedStructure", "CountryRow"} <= set(seen)
