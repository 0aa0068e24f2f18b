"""How random streams are tied to paths (DESIGN.md, principle 4): in blocks of
:data:`BLOCK` paths, each block drawing from its own stream (the ``b``-th child of
``SeedSequence(seed)``), so that path i gets the same numbers whatever batch, backend
or worker it runs in. A module of its own so that what needs only the block size (the
backends, argument checks) loads none of the generator's numerics."""

from __future__ import annotations

__all__ = ["BLOCK"]

BLOCK = 256
"""Paths per random stream."""
