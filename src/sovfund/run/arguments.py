"""The library's boundary: the arguments of ``simulate``, the studies and the main job
checked before any work, each error naming the parameter (``paths``, ``batch_size``),
never a CLI flag (the CLI maps the parameter to its flag when it shows the message).

:func:`check_arguments` decorates a function and checks every argument whose name it
knows (:data:`CHECKS`), so that the same rule holds wherever a parameter appears:
``paths`` is a whole number of at least 1 that fits this machine's memory, ``seed`` a
whole number >= 0, ``terms`` a :class:`~sovfund.terms.models.Terms` (not a preset id),
``engine`` and ``backend`` one of their names, and so on.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from sovfund.errors import ArgumentError
from sovfund.run.backends import BACKENDS, MAX_WORKERS
from sovfund.scenarios.streams import BLOCK
from sovfund.terms.models import Stress, Terms
from sovfund.terms.sections import require_terms

__all__ = ["CHECKS", "MEMORY_SHARE", "check_arguments", "memory_needed", "total_memory"]

P = ParamSpec("P")
R = TypeVar("R")

ENGINES = ("fast", "reference")
MEMORY_SHARE = 0.75
"""A run may plan on at most this share of the machine's memory."""


def check_arguments(function: Callable[P, R]) -> Callable[P, R]:
    """Check ``function``'s arguments by name (:data:`CHECKS`) before it runs."""
    signature = inspect.signature(function)
    known = [name for name in signature.parameters if name in CHECKS]

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        for name in known:
            CHECKS[name](values[name], values)
        return function(*args, **kwargs)

    return checked


def _whole(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and value >= least:
            found = f"the float {value!r}"
        else:
            found = repr(value) if isinstance(value, float | str) else f"a {type(value).__name__}"
        raise ArgumentError(name, found, f"a whole number (int) of at least {least}")
    if value < least:
        raise ArgumentError(name, f"{value:,}", f"a whole number of at least {least}")
    return value


def _terms(value: Any, values: dict[str, Any]) -> None:
    require_terms(value)


def _paths(value: Any, values: dict[str, Any]) -> None:
    paths = _whole("paths", value, 1)
    pairs = [values.get("a"), values.get("b")]  # compare's (name, terms)
    candidates = [values.get("terms"), *(p[1] for p in pairs if isinstance(p, tuple) and p[1:])]
    known = [terms for terms in candidates if isinstance(terms, Terms)]
    if not known:
        return
    terms = max(known, key=lambda t: memory_needed(t, 1))
    need, limit = memory_needed(terms, paths), MEMORY_SHARE * total_memory()
    if need > limit:
        per_path = memory_needed(terms, 1_000_000) / 1_000_000
        most = max(1, int(limit / per_path))
        raise ArgumentError(
            "paths",
            f"{paths:,}",
            f"at most about {most:,} paths on this machine: {paths:,} would keep"
            f" {_gib(need)} of results in memory, more than {MEMORY_SHARE:.0%} of its"
            f" {_gib(total_memory())}",
        )


def _study_paths(value: Any, values: dict[str, Any]) -> None:
    paths = _whole("study_paths", value, 0)
    terms = values.get("terms")
    if paths and isinstance(terms, Terms):
        _paths(paths, {"terms": terms})


def _opt_out_paths(value: Any, values: dict[str, Any]) -> None:
    if value is not None:
        _whole("opt_out_paths", value, 0)


def _seed(value: Any, values: dict[str, Any]) -> None:
    _whole("seed", value, 0)


def _batch_size(value: Any, values: dict[str, Any]) -> None:
    if value is not None:
        _whole("batch_size", value, 1)


def _choice(name: str, choices: Sequence[str]) -> Callable[[Any, dict[str, Any]], None]:
    def check(value: Any, values: dict[str, Any]) -> None:
        if not isinstance(value, str) or value not in choices:
            raise ArgumentError(name, repr(value), f"one of {', '.join(choices)}")

    return check


def _workers(value: Any, values: dict[str, Any]) -> None:
    if value is None:
        return
    workers = _whole("workers", value, 1)
    if workers > MAX_WORKERS:
        raise ArgumentError("workers", f"{workers:,}", f"a whole number from 1 to {MAX_WORKERS}")


def _scheduler(value: Any, values: dict[str, Any]) -> None:
    if value is not None and not isinstance(value, str):
        raise ArgumentError(
            "scheduler", f"a {type(value).__name__}", "an address such as tcp://10.0.0.5:8786"
        )


def _on_progress(value: Any, values: dict[str, Any]) -> None:
    if value is not None and not callable(value):
        raise ArgumentError(
            "on_progress", f"a {type(value).__name__}", "a function of the paths done, or None"
        )


def _stress_name(parameter: str, value: Any, values: dict[str, Any], other: str = "") -> None:
    terms = values.get("terms")
    known = ["base", *terms.stress] if isinstance(terms, Terms) else ["base"]
    if not isinstance(value, str) or value not in known:
        found = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        listed = ", ".join(known)
        if len(known) == 1:
            listed += " (this term sheet has no [stress.NAME] tables)"
        raise ArgumentError(parameter, found, f"one of {listed}{other}")


def _stress(value: Any, values: dict[str, Any]) -> None:
    if value is not None and not isinstance(value, Stress):
        _stress_name("stress", value, values, ", or a Stress")


def _names(value: Any, values: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ArgumentError("names", repr(value), "a list of stress names, or None for all")
    for name in value:
        _stress_name("names", name, values)


def _macro(value: Any, values: dict[str, Any]) -> None:
    if value is not None:
        require_terms(value, "macro")


CHECKS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "terms": _terms,
    "paths": _paths,
    "study_paths": _study_paths,
    "opt_out_paths": _opt_out_paths,
    "seed": _seed,
    "batch_size": _batch_size,
    "engine": _choice("engine", ENGINES),
    "backend": _choice("backend", ("auto", *BACKENDS)),
    "workers": _workers,
    "scheduler": _scheduler,
    "on_progress": _on_progress,
    "stress": _stress,
    "names": _names,
    "macro": _macro,
}
"""Each known parameter's check: (value, every argument by name) -> None or raise."""


def memory_needed(terms: Terms, paths: int) -> float:
    """Bytes a run of ``paths`` paths of ``terms`` keeps, roughly: the per-path results
    of every path (13 figures a party and 12 for the fund, once more while they are
    summarised), and one batch of paths at work (its quarterly and per-project arrays)."""
    parties, quarters, projects = len(terms.parties), terms.fund.quarters, len(terms.projects)
    kept = 2 * 8 * (13 * parties + 12)
    batch = 8 * (40 * quarters + 12 * projects + 8 * parties * quarters)
    return float(paths) * kept + min(paths, 64 * BLOCK) * batch


def total_memory() -> float:
    """This machine's memory in bytes (physical; infinite where it cannot be told)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not on POSIX
        return math.inf


def _gib(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB"
