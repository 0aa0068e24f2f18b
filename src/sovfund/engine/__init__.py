"""Engines: deterministic functions of (terms, draws) giving every flow on every path."""

from sovfund.engine.fund import FundPaths, run_fund
from sovfund.engine.projects import ProjectFlows, project_flows
from sovfund.engine.waterfall import (
    WaterfallSpec,
    WaterfallState,
    accrual_factors,
    allocate,
    allocate_reference,
)

__all__ = [
    "FundPaths",
    "ProjectFlows",
    "WaterfallSpec",
    "WaterfallState",
    "accrual_factors",
    "allocate",
    "allocate_reference",
    "project_flows",
    "run_fund",
]
