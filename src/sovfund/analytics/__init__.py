"""Analytics on engine results: returns, multiples, fund figures, the base case."""

from sovfund.analytics.base_case import BaseCase, run_base_case
from sovfund.analytics.irr import irr, npv
from sovfund.analytics.metrics import FundMetrics, PartyMetrics, fund_metrics, party_metrics

__all__ = [
    "BaseCase",
    "FundMetrics",
    "PartyMetrics",
    "fund_metrics",
    "irr",
    "npv",
    "party_metrics",
    "run_base_case",
]
