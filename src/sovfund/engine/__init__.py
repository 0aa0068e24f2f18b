"""Engines: deterministic functions of (terms, draws) giving every flow on every path."""

from sovfund.engine.fund import FundPaths, run_fund
from sovfund.engine.projects import ProjectFlows, project_flows
from sovfund.engine.waterfall import Allocation, WaterfallSpec, WaterfallState, allocate

__all__ = [
    "Allocation",
    "FundPaths",
    "ProjectFlows",
    "WaterfallSpec",
    "WaterfallState",
    "allocate",
    "project_flows",
    "run_fund",
]
