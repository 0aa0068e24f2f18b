"""Scenario generators: (terms, seed, paths) -> arrays of draws the engines consume."""

from sovfund.scenarios.draws import Draws, base_case
from sovfund.scenarios.monte_carlo import BLOCK, monte_carlo

__all__ = ["BLOCK", "Draws", "base_case", "monte_carlo"]
