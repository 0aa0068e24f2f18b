"""Outside figures the analytics compare the fund with (CALIBRATION.md, "Macro").

These are facts about the world, not terms of the fund, so they live here rather than
in the term sheet; each carries its source.
"""

from __future__ import annotations

__all__ = ["JAPAN_FX_RESERVES", "US_GDP"]

US_GDP = 30.36e12
"""US GDP, FY2025, USD (CBO)."""

JAPAN_FX_RESERVES = 1.27e12
"""Japan's foreign-currency reserves, March 2025, USD (Ministry of Finance)."""
