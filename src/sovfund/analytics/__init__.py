"""Analytics on engine results: returns, multiples, fund figures, the base case.

Names are imported on first use (:mod:`sovfund.lazy`): the base case loads pandas, the
IRR Numba. (``irr`` itself is ``sovfund.irr``: here the name is its module's.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovfund.lazy import lazy_exports

if TYPE_CHECKING:
    from sovfund.analytics.base_case import BaseCase, run_base_case
    from sovfund.analytics.irr import npv
    from sovfund.analytics.metrics import FundMetrics, PartyMetrics, fund_metrics, party_metrics

__getattr__ = lazy_exports(
    __name__,
    {
        "BaseCase": "sovfund.analytics.base_case",
        "run_base_case": "sovfund.analytics.base_case",
        "npv": "sovfund.analytics.irr",
        "FundMetrics": "sovfund.analytics.metrics",
        "PartyMetrics": "sovfund.analytics.metrics",
        "fund_metrics": "sovfund.analytics.metrics",
        "party_metrics": "sovfund.analytics.metrics",
    },
)

__all__ = [
    "BaseCase",
    "FundMetrics",
    "PartyMetrics",
    "fund_metrics",
    "npv",
    "party_metrics",
    "run_base_case",
]
