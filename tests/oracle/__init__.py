"""Test oracles: the fund's rules written a second time, independently, in NumPy.

The engine defines each rule once, as kernels run compiled or as plain Python
(src/sovfund/engine/kernels.py). These modules are the NumPy implementations the
project had before that: vectorised over paths, sharing no rule with the kernels, kept
here only so that differential tests can hold the engine to an implementation it did
not produce. They are not part of sovfund; nothing in src/ imports them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["assert_same_paths"]


def assert_same_paths(reference: Any, got: Any, size: float = 1.0) -> None:
    """Every array ``got`` (a FundPaths) recorded that ``reference`` has too: events and
    flags equal, amounts to 1e-9 relative (near zero, to 1e-12 of the fund's ``size``:
    a residue of one rounding step either way)."""
    for field in dataclasses.fields(got):
        value = getattr(got, field.name)
        if not isinstance(value, np.ndarray) or not hasattr(reference, field.name):
            continue
        if value.size == 0 and field.name not in getattr(got, "recorded", {field.name}):
            continue  # not recorded
        expected = getattr(reference, field.name)
        if value.dtype.kind in "bi":
            np.testing.assert_array_equal(value, expected, field.name)
        else:
            np.testing.assert_allclose(
                value, expected, rtol=1e-9, atol=1e-12 * size, err_msg=field.name
            )
