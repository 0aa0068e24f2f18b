"""Scenario generators: (terms, seed, ...) -> arrays of draws the engines consume."""

from sovfund.scenarios.draws import Draws, base_case

__all__ = ["Draws", "base_case"]
