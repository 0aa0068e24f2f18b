"""Engines: deterministic functions of (terms, draws) giving every flow on every path.

``projects`` (project cash flows) -> ``fund`` (the quarterly fund loop, calling the
``waterfall``); each rule is a kernel (``kernels``), run compiled or as plain Python.
``money`` splits amounts into cents for the books. Names are imported on first use,
so that the calculator and the books load only the waterfall.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sovfund.engine.fund import FundPaths, run_fund
    from sovfund.engine.money import allocate_cents
    from sovfund.engine.projects import ProjectFlows, project_flows
    from sovfund.engine.waterfall import WaterfallSpec, WaterfallState, allocate

_HOMES = {
    "FundPaths": "fund",
    "run_fund": "fund",
    "ProjectFlows": "projects",
    "project_flows": "projects",
    "WaterfallSpec": "waterfall",
    "WaterfallState": "waterfall",
    "allocate": "waterfall",
    "allocate_cents": "money",
}

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sovfund.engine' has no attribute {name!r}")
    return getattr(import_module(f"sovfund.engine.{home}"), name)
