"""The studies' defaults and choices, in a module of their own so that the command line
can show them in its help without loading the studies (:mod:`sovfund.run.studies`)."""

from __future__ import annotations

__all__ = ["LEVERAGE_LEVELS", "MAX_LEVEL", "METRICS", "STUDY_PATHS"]

STUDY_PATHS = 2_000
"""Paths per run of each study in the main job (``sovfund run --study-paths``)."""

LEVERAGE_LEVELS = tuple(float(x) for x in range(11))
"""The debt-to-equity levels of the leverage frontier, by default."""
MAX_LEVEL = 50.0
"""The largest debt-to-equity level a frontier may try (the term sheet's bound)."""

METRICS = ("tvpi_mean", "irr_mean", "irr_p50", "irr_p05", "p_loss", "p_default")
"""What a tornado can measure: a party's figure, or the fund's ``p_default``."""
