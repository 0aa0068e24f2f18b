"""Scalar rules written once, run as plain Python or compiled by Numba.

The engine's per-path rules (a waterfall row, a project's flows, a fund's quarter) are
plain Python functions over numbers and small arrays, marked :func:`kernel`. Plain,
they are the readable reference engine (step through them with a debugger) and serve
callers that must start fast and never load Numba (the calculator, the books).
:func:`compiled` gives a function's Numba twin, built from the same code object with
every kernel it calls (in any module) replaced by that kernel's twin. So each rule
exists once, and the fast engine differs from the readable one only by compilation.

Kernels must be valid in both worlds: guard every division (plain Python raises on a
division by zero where Numba's ``error_model="numpy"`` gives inf) and loop over
:func:`prange` where a loop may run in parallel once compiled.

Numba's on-disk cache only watches the file a function is defined in, not the kernels
it calls from other files; twins are therefore cached in a folder named after a hash
of every kernel module's source (:func:`_cache_folder`), so an edit anywhere in the
engine can never bring back a stale compiled function.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import types
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

__all__ = ["KERNEL_MODULES", "compiled", "kernel", "prange"]

KERNEL_MODULES = ("sovfund.engine.waterfall", "sovfund.engine.projects", "sovfund.engine.fund")
"""The modules that define kernels: their source names the compiled cache."""

F = TypeVar("F", bound=Callable[..., Any])

_KERNELS: dict[Callable[..., Any], tuple[bool, bool]] = {}
"""Every kernel, and whether its twin runs its :func:`prange` loops in parallel, and is
inlined into its callers."""
_TWINS: dict[Callable[..., Any], Any] = {}
_NAMESPACES: dict[str, dict[str, Any]] = {}
"""Per module, a copy of its globals in which kernels are their twins."""


def kernel(function: F | None = None, *, parallel: bool = False, inline: bool = False) -> Any:
    """Mark ``function`` as a kernel (returned unchanged). ``parallel``: its twin runs
    :func:`prange` loops on Numba's threads; ``inline``: its twin is inlined into the
    twins that call it (for small kernels called in hot loops: no call, and no copying
    of the records of arrays they take)."""

    def mark(fn: F) -> F:
        if fn.__module__ not in KERNEL_MODULES:
            raise ValueError(f"kernels live in {', '.join(KERNEL_MODULES)}, not {fn.__module__}")
        _KERNELS[fn] = (parallel, inline)
        return fn

    return mark if function is None else mark(function)


def prange(*bounds: int) -> Iterator[int]:
    """``range`` in plain Python; ``numba.prange`` in a compiled twin."""
    return iter(range(*bounds))


def compiled(function: F) -> F:
    """The Numba twin of kernel ``function`` (compiled on first call, or loaded from
    the cache), calling the twins of the kernels it calls."""
    twin = _TWINS.get(function)
    if twin is None:
        if function not in _KERNELS:
            raise TypeError(f"{function.__qualname__} is not a kernel")
        import numba

        numba.config.CACHE_DIR = str(_cache_folder())  # type: ignore[attr-defined]
        code = types.FunctionType(
            function.__code__,
            _namespace(function.__globals__),
            function.__name__,
            function.__defaults__,
            function.__closure__,
        )
        code.__qualname__ = function.__qualname__
        code.__doc__ = function.__doc__
        parallel, inline = _KERNELS[function]
        twin = numba.njit(
            parallel=parallel,
            inline="always" if inline else "never",
            cache=True,
            error_model="numpy",
        )(code)
        _TWINS[function] = twin
    return cast(F, twin)


def _namespace(module_globals: dict[str, Any]) -> dict[str, Any]:
    name = module_globals["__name__"]
    namespace = _NAMESPACES.get(name)
    if namespace is None:
        import numba

        namespace = _NAMESPACES[name] = dict(module_globals)
        for key, value in module_globals.items():
            if value is prange:
                namespace[key] = numba.prange
            elif callable(value) and _is_kernel(value):
                namespace[key] = compiled(value)  # lazy: compiles on its first call
    return namespace


def _is_kernel(value: Any) -> bool:
    try:
        return value in _KERNELS
    except TypeError:  # unhashable
        return False


@cache
def _cache_folder() -> Path:
    """Where twins are cached: named after the source of every kernel module."""
    import numba

    digest = hashlib.sha256(numba.__version__.encode())
    for module in (*KERNEL_MODULES, __name__):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            digest.update(Path(spec.origin).read_bytes())
    folder = f"numba-{digest.hexdigest()[:16]}"
    home = Path(__file__).parent / "__pycache__"
    if os.access(home if home.exists() else home.parent, os.W_OK):
        return home / folder
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sovfund" / folder
