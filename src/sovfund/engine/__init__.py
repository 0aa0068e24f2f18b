"""Engines: deterministic functions of (terms, draws) giving every flow on every path.

``projects`` (project cash flows) -> ``fund`` (the quarterly fund loop, calling the
``waterfall``); each rule is a kernel (``kernels``), run compiled or as plain Python.
``money`` splits amounts into cents for the books. Names are imported on first use,
so that the calculator and the books load only the waterfall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovfund.lazy import lazy_exports

if TYPE_CHECKING:
    from sovfund.engine.fund import FundPaths, run_fund
    from sovfund.engine.money import allocate_cents
    from sovfund.engine.projects import ProjectFlows, project_flows
    from sovfund.engine.waterfall import WaterfallSpec, WaterfallState, allocate

__getattr__ = lazy_exports(
    __name__,
    {
        "FundPaths": "sovfund.engine.fund",
        "run_fund": "sovfund.engine.fund",
        "ProjectFlows": "sovfund.engine.projects",
        "project_flows": "sovfund.engine.projects",
        "WaterfallSpec": "sovfund.engine.waterfall",
        "WaterfallState": "sovfund.engine.waterfall",
        "allocate": "sovfund.engine.waterfall",
        "allocate_cents": "sovfund.engine.money",
    },
)

__all__ = [
    "FundPaths",
    "ProjectFlows",
    "WaterfallSpec",
    "WaterfallState",
    "allocate",
    "allocate_cents",
    "project_flows",
    "run_fund",
]
