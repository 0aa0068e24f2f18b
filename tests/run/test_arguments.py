"""The library's boundary: bad arguments to simulate, the studies and the main job are
refused before any work, each error naming the Python parameter, never a CLI flag."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sovfund
from sovfund.errors import ArgumentError
from sovfund.run.arguments import memory_needed, total_memory

TINY = sovfund.load_terms(Path(__file__).parents[2] / "examples" / "tiny.toml")
SON = sovfund.load_terms("son-2025")


def _simulate(**kwargs: Any) -> Any:
    return sovfund.simulate(**{"terms": TINY, "paths": 256, "seed": 0, **kwargs})


def _study(function: Callable[..., Any]) -> Callable[..., Any]:
    return lambda **kwargs: function(**{"terms": TINY, "paths": 256, "seed": 0, **kwargs})


CASES: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (_simulate, {"terms": "son-2025"}, "terms: found the text 'son-2025'; expected a Terms"),
    (_simulate, {"terms": Path("x.toml")}, "pass sovfund.load_terms('x.toml')"),
    (_simulate, {"terms": None}, "terms: found a NoneType"),
    (_simulate, {"paths": 1.5}, "paths: found 1.5; expected a whole number"),
    (_simulate, {"paths": 0}, "paths: found 0; expected a whole number of at least 1"),
    (_simulate, {"paths": True}, "paths: found a bool"),
    (_simulate, {"paths": "256"}, "paths: found '256'"),
    (_simulate, {"paths": 10**15}, "paths: found 1,000,000,000,000,000; expected at most about"),
    (_simulate, {"seed": -1}, "seed: found -1"),
    (_simulate, {"seed": 0.5}, "seed: found 0.5"),
    (_simulate, {"engine": "x"}, "engine: found 'x'; expected one of fast, reference"),
    (_simulate, {"backend": "gpu"}, "backend: found 'gpu'"),
    (_simulate, {"batch_size": 0}, "batch_size: found 0; expected a whole number of at least 1"),
    (_simulate, {"workers": 0}, "workers: found 0"),
    (_simulate, {"workers": 10**6}, "workers: found 1,000,000; expected a whole number from 1"),
    (_simulate, {"stress": "nosuch"}, "stress: found 'nosuch'; expected one of base"),
    (_simulate, {"macro": "mou-550b"}, "macro: found the text 'mou-550b'"),
    (_simulate, {"on_progress": 3}, "on_progress: found a int"),
    (_simulate, {"scheduler": 7}, "scheduler: found a int"),
    (_study(sovfund.stress_test), {"names": ["nosuch"]}, "names: found 'nosuch'"),
    (_study(sovfund.stress_test), {"names": "overruns"}, "names: found 'overruns'"),
    (_study(sovfund.leverage_frontier), {"levels": [float("nan")]}, "levels: found nan"),
    (_study(sovfund.leverage_frontier), {"levels": []}, "levels: found []"),
    (_study(sovfund.leverage_frontier), {"levels": [100.0]}, "levels: found 100.0"),
    (_study(sovfund.sensitivity), {"metric": "sharpe"}, "metric: found 'sharpe'"),
    (_study(sovfund.sensitivity), {"party": "gp"}, "party: found 'gp'; expected an LP: lp"),
    (
        lambda **k: sovfund.compare(("a", TINY), ("b", "son-2025"), paths=256, seed=0),
        {},
        "b: found the text 'son-2025'",
    ),
    (
        lambda **k: sovfund.run_job(TINY, scenario="t", paths=256, seed=0, study_paths=-1),
        {},
        "study_paths: found -1",
    ),
    (lambda **k: sovfund.run_base_case("son-2025"), {}, "terms: found the text 'son-2025'"),
]


@pytest.mark.parametrize(
    ("call", "kwargs", "message"), CASES, ids=[message for _, _, message in CASES]
)
def test_bad_arguments_are_refused_at_once_naming_the_parameter(
    call: Callable[..., Any], kwargs: dict[str, Any], message: str
) -> None:
    start = time.perf_counter()
    with pytest.raises(ArgumentError) as error:
        call(**kwargs)
    assert message in str(error.value)
    assert "--" not in str(error.value)  # a parameter, never a CLI flag
    assert isinstance(error.value, ValueError)  # what Python code expects of bad arguments
    assert time.perf_counter() - start < 5  # before any work


def test_the_memory_estimate_scales_with_paths_and_parties() -> None:
    step = memory_needed(SON, 2_000_000) - memory_needed(SON, 1_000_000)
    assert step == memory_needed(SON, 3_000_000) - memory_needed(SON, 2_000_000) > 0
    assert memory_needed(SON, 10**6) > memory_needed(TINY, 10**6)  # 8 parties against 2
    # a run that fits is not refused
    fits = int(0.1 * total_memory() / (memory_needed(TINY, 10**6) / 10**6))
    assert fits > 256
