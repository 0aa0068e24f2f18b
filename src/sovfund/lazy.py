"""Names a package exports but imports on first use, so that importing the package
(and the command line, and the books) stays fast: NumPy's heavy neighbours (Numba,
SciPy, pandas, Plotly, Dask) load only when something that needs them is asked for.

A package lists where each name lives and sets ``__getattr__ = lazy_exports(...)``;
its ``__all__`` still names everything, and tests/test_exported_members.py checks that
each one resolves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``name`` from the module
    ``homes[name]`` (a full dotted path) on first use and keeps it."""

    def get(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home), name)
        setattr(import_module(package), name, value)
        return value

    return get
