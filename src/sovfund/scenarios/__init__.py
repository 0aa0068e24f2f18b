"""Scenario generators: (terms, seed, paths) -> arrays of draws the engines consume.

Names are imported on first use (:mod:`sovfund.lazy`). The Monte Carlo generator is
``sovfund.scenarios.monte_carlo.monte_carlo`` (it loads Numba and SciPy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovfund.lazy import lazy_exports
from sovfund.scenarios.streams import BLOCK

if TYPE_CHECKING:
    from sovfund.scenarios.draws import Draws, base_case

__getattr__ = lazy_exports(
    __name__,
    {
        "Draws": "sovfund.scenarios.draws",
        "base_case": "sovfund.scenarios.draws",
    },
)

__all__ = ["BLOCK", "Draws", "base_case"]
