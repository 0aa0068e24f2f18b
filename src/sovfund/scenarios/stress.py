"""Stress scenarios: generators that move the Monte Carlo's draws (and a few terms).

A stress (``[stress.NAME]`` in the term sheet, see :class:`~sovfund.terms.models.Stress`)
is applied to each batch of Monte Carlo draws after they are generated, so it keeps the
random numbers: on the same seed, path i of a stressed run and path i of the base run
share every shock and differ only by the stress. Terms-level parts (default hazards,
leverage, debt margin) are applied first by :func:`stressed_terms`; the generator then
draws from the stressed terms (more defaults from the same uniforms) and
:func:`stress_draws` moves the markets and the projects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sovfund.errors import ArgumentError
from sovfund.scenarios.draws import Draws
from sovfund.scenarios.sectors import sector_parameters
from sovfund.terms.models import Stress, Terms

__all__ = ["profile", "stress_draws", "stress_named", "stressed_terms"]

Array = NDArray[np.float64]


def stress_named(terms: Terms, name: str | None) -> Stress | None:
    """The term sheet's stress ``name`` (None for the base run); an
    :class:`~sovfund.errors.ArgumentError` on ``stress`` if unknown."""
    if name is None or name == "base":
        return None
    if name not in terms.stress:
        known = ", ".join(["base", *terms.stress]) if terms.stress else "base (this term sheet"
        known += "" if terms.stress else " has no [stress.NAME] tables)"
        raise ArgumentError("stress", repr(name), f"one of {known}")
    return terms.stress[name]


def stressed_terms(terms: Terms, stress: Stress | None) -> Terms:
    """``terms`` with the stress's term-level changes: default hazards x
    ``default_scale``, the leverage target (caps raised by as much) and the margin."""
    if stress is None:
        return terms
    risk = terms.risk.model_copy(update={"defaults": terms.risk.defaults * stress.default_scale})
    leverage, policy = terms.leverage, terms.policy
    update: dict[str, object] = {"spread": leverage.spread + stress.spread}
    if stress.debt_to_equity is not None:
        raise_by = stress.debt_to_equity - leverage.debt_to_equity
        update["debt_to_equity"] = stress.debt_to_equity
        if leverage.max_debt_to_equity is not None:
            update["max_debt_to_equity"] = max(leverage.max_debt_to_equity + raise_by, 0.0)
        if policy.max_debt_to_equity is not None:
            policy = policy.model_copy(
                update={"max_debt_to_equity": max(policy.max_debt_to_equity + raise_by, 0.0)}
            )
    return terms.model_copy(
        update={"risk": risk, "leverage": leverage.model_copy(update=update), "policy": policy}
    )


def profile(stress: Stress, quarters: int) -> Array:
    """How much of the stress's market moves applies in each quarter: 0 before
    ``start_quarter``, rising linearly to 1 over ``ramp_quarters`` (the last of them at
    full size), held at full size for ``hold_quarters`` counting that one (to the end if
    not given), then 0."""
    t = np.arange(quarters, dtype=np.float64)
    ramp = np.clip((t - stress.start_quarter + 1.0) / stress.ramp_quarters, 0.0, 1.0)
    if stress.hold_quarters is not None:
        end = stress.start_quarter + stress.ramp_quarters + stress.hold_quarters - 2
        ramp[t > end] = 0.0
    return ramp


def stress_draws(terms: Terms, stress: Stress | None, draws: Draws) -> Draws:
    """``draws`` (generated from ``stressed_terms(terms, stress)``) moved by the stress."""
    if stress is None:
        return draws
    shape = profile(stress, draws.short_rate.shape[1])
    moved: dict[str, object] = {}
    for name in ("short_rate", "yield_10y", "inflation", "jpy_short_rate", "credit_spread"):
        size = getattr(stress, name)
        if size:
            moved[name] = getattr(draws, name) + size * shape
    if stress.usd_jpy:
        moved["usd_jpy"] = draws.usd_jpy * (1.0 + stress.usd_jpy * shape)
    if stress.tariff_snapback:
        moved["tariff"] = np.where(shape > 0.0, 1.0, draws.tariff)
    if stress.redemption_request:
        request = np.broadcast_to(stress.redemption_request * shape, draws.short_rate.shape)
        moved["redemption"] = np.ascontiguousarray(request)
    moved.update(_project_shocks(terms, stress, draws))
    return replace(draws, **moved)  # type: ignore[arg-type]


def _project_shocks(terms: Terms, stress: Stress, draws: Draws) -> dict[str, object]:
    hit = _targets(terms, stress)
    capex, revenue = draws.capex_factor, draws.revenue_factor
    if stress.overrun_scale != 1.0 or stress.overrun_add != 0.0:  # else leave every bit
        moved = 1.0 + (capex - 1.0) * stress.overrun_scale + stress.overrun_add
        capex = np.where(hit, np.maximum(moved, 0.0), capex)
    if stress.revenue_scale != 1.0:
        revenue = np.where(hit, revenue * stress.revenue_scale, revenue)
    delay = draws.delay.copy()
    default = draws.default_quarter.copy()
    recovery = draws.recovery.copy()
    quarters = draws.short_rate.shape[1]
    start = np.array([p.start_quarter for p in terms.projects])
    build = np.array([p.construction_quarters for p in terms.projects])
    if stress.delay_quarters:
        # a longer build pushes defaults in operation back by as much
        in_operation = hit & (default >= start + build + delay)
        default = np.where(in_operation, default + stress.delay_quarters, default)
        default = np.where(default >= quarters, -1, default)
        delay = np.where(hit, delay + stress.delay_quarters, delay)
    if stress.largest_project_default:
        largest = int(np.argmax([p.capex for p in terms.projects]))
        midway = start[largest] + (build[largest] + delay[:, largest]) // 2
        first = np.where(default[:, largest] >= 0, np.minimum(default[:, largest], midway), midway)
        default[:, largest] = np.where(first < quarters, first, -1)
        if stress.recovery is None:  # paths without a drawn recovery get the sector mean
            sector = terms.projects[largest].sector
            mean = sector_parameters(terms)[sector].recovery_mean
            new = (draws.default_quarter[:, largest] < 0) & (default[:, largest] >= 0)
            recovery[:, largest] = np.where(new, mean, recovery[:, largest])
    if stress.recovery is not None:
        recovery = np.where(hit & (default >= 0), stress.recovery, recovery)
        if stress.largest_project_default:
            recovery[:, largest] = np.where(default[:, largest] >= 0, stress.recovery, 1.0)
    if stress.cancel_after is not None:
        cancelled = np.array(
            [_start_date(terms, p.start_quarter) > stress.cancel_after for p in terms.projects]
        )
        capex = np.where(cancelled, 0.0, capex)
        revenue = np.where(cancelled, 0.0, revenue)
        default = np.where(cancelled, -1, default)
        recovery = np.where(cancelled, 1.0, recovery)
    return {
        "capex_factor": capex,
        "revenue_factor": revenue,
        "delay": delay,
        "default_quarter": default,
        "recovery": recovery,
    }


def _targets(terms: Terms, stress: Stress) -> NDArray[np.bool_]:
    """Which projects the project shocks hit: those named, in a listed sector or with a
    listed revenue model; all of them when nothing is listed."""
    if not (stress.projects or stress.sectors or stress.revenue_models):
        return np.ones(len(terms.projects), dtype=np.bool_)
    return np.array(
        [
            p.id in stress.projects
            or p.sector in stress.sectors
            or p.revenue_model in stress.revenue_models
            for p in terms.projects
        ]
    )


def _start_date(terms: Terms, quarter: int) -> dt.date:
    start = terms.fund.start
    months = start.month - 1 + 3 * quarter
    return dt.date(start.year + months // 12, months % 12 + 1, min(start.day, 28))
