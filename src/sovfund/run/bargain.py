"""Japan's side of the bargain (`sovfund bargain`): what the tariff relief a structure
buys is worth to Japan, against what the fund costs it, on the same paths.

- The net on every path: the relief (:func:`~sovfund.analytics.bargain.relief_value`
  on the Monte Carlo's own tariff regime and yen paths, regenerated from the seed: path
  i is path i) plus the fund's outcome for Japan
  (:attr:`~sovfund.analytics.paths.PathSummary.npv_jpy` of Japan's parties), both in
  yen discounted at Japan's yen funding rate; its distribution, and the relief Japan
  would need for the fund to break even on the median path and at the 5th percentile.
- The opt-out, where the term sheet lets Japan decline projects
  (``bargain.decline_snapback``): each project funded against declined, on the same
  paths (the project never built; the US snapping tariffs back from the quarter it
  starts with that chance, to the end of the term: the relief lost then, and the
  tariff's cost on the projects that remain); the rule declines a project when the
  expected loss of funding it exceeds the expected cost of the snap-back, and the
  portfolio it leaves is run with every declined project declined at once.

Every run uses the same seed, so differences between them are the effect of what
changed (common random numbers). docs/bargain.md has the model, its figures and how to
read the output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sovfund.analytics.bargain import (
    break_even,
    japan_parties,
    relief_schedule,
    relief_value,
    snapback_weights,
)
from sovfund.analytics.distribution import describe
from sovfund.errors import Problem, TermsError
from sovfund.run.arguments import check_arguments
from sovfund.run.simulate import Simulation, simulate
from sovfund.scenarios.monte_carlo import monte_carlo
from sovfund.scenarios.streams import BLOCK
from sovfund.terms.models import Bargain, Stress, Terms
from sovfund.terms.sections import require_simulation

__all__ = [
    "BargainStudy",
    "bargain_runs",
    "bargain_study",
    "require_bargain",
]

Array = NDArray[np.float64]
Progress = Callable[[int], Any] | None

_CHUNK = 16 * BLOCK
"""Paths of draws regenerated at a time for the relief (memory stays flat)."""
QUANTILES = tuple(range(1, 100))
"""The percentiles of the net kept for charts."""
RULE = (
    "decline a project when its expected loss to Japan (the net declining it without a"
    " snap-back less the net funding it) exceeds the expected cost of the snap-back (its"
    " chance times the relief and fund value a snap-back costs); fund it otherwise"
)


def require_bargain(terms: Terms) -> Bargain:
    """The term sheet's ``[bargain]``; a :class:`~sovfund.errors.TermsError` naming the
    missing table (and anything a simulation lacks) if there is none."""
    require_simulation(terms)
    if terms.bargain is None:
        raise TermsError(
            [
                Problem(
                    terms.source,
                    "bargain",
                    "no [bargain] table",
                    "a [bargain] table with at least one [[bargain.sector]] (Japan's"
                    " exports, the tariffs with and without the deal; see docs/bargain.md)",
                )
            ]
        )
    japan_parties(terms)  # a clear error if nobody is Japan
    return terms.bargain


def bargain_runs(terms: Terms) -> int:
    """At most how many Monte Carlo runs the opt-out makes (for progress bars): two per
    project, then the portfolio with and without each snap-back."""
    if terms.bargain is None or terms.bargain.decline_snapback is None:
        return 0
    starts = {p.start_quarter for p in terms.projects}
    return 2 * len(terms.projects) + 1 + len(starts)


@dataclass(frozen=True)
class BargainStudy:
    """Japan's side of the bargain for one term sheet; ``to_dict()`` is the JSON of
    ``sovfund bargain --json`` (docs/bargain.md), money in USD at the starting USD/JPY
    (``usd_jpy``) and in yen."""

    paths: int
    seed: int
    parties: list[str]
    usd_jpy: float
    hazard: float
    yearly_relief: float
    sectors: list[dict[str, Any]]
    relief: dict[str, Any]
    fund: dict[str, Any]
    net: dict[str, Any]
    break_even: dict[str, Any]
    opt_out: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Outcome:
    """Per path, in yen at the start: the relief and the fund's outcome for Japan."""

    relief: Array
    fund: Array

    @property
    def net(self) -> Array:
        return self.relief + self.fund


@check_arguments
def bargain_study(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    base: Simulation | None = None,
    opt_out_paths: int | None = None,
    on_progress: Progress = None,
    **options: Any,
) -> BargainStudy:
    """Japan's bargain on ``paths`` paths from ``seed``: the net on every path, its
    distribution, the break-even relief and, if Japan may decline projects, the opt-out
    on the first ``opt_out_paths`` of them (``paths`` if not given; 0 skips it).

    ``base``: the term sheet's simulation on this seed if already run (its first
    ``paths`` paths are used). ``options`` go to every
    :func:`~sovfund.run.simulate.simulate` (backend, workers...). ``on_progress(paths
    done)`` counts the paths of every run made here, the base (if run) first, up to
    ``paths`` (if the base is run) plus :func:`bargain_runs` x the opt-out's paths.
    """
    bargain = require_bargain(terms)
    runs = _Runs(seed, on_progress, **options)
    ran_base = base is None or base.paths < paths or base.seed != seed or base.stress is not None
    if base is None or ran_base:
        base = runs.run(terms, paths)  # else its first paths are the ones wanted
    parties = list(japan_parties(terms))
    columns = [p.id for p in terms.parties]
    index = [columns.index(p) for p in parties]
    quarters = terms.fund.quarters
    fx = terms.market.usd_jpy
    schedule = relief_schedule(bargain, quarters)
    unit = np.full(quarters, 0.25)  # $1 a year, every quarter of the term
    relief, unit_value = _reliefs(terms, seed, paths, [(schedule, None), (unit, None)])
    fund = base.summary.npv_jpy[:paths, index].sum(axis=1)
    outcome = _Outcome(relief, fund)
    yearly = 4.0 * float(schedule[0])  # the relief in force at the start, a year
    study_opt_out = None
    n = paths if opt_out_paths is None else min(opt_out_paths, paths)
    if bargain.decline_snapback is not None and n > 0:
        first = _Outcome(relief[:n], fund[:n])
        study_opt_out = _opt_out(terms, bargain, runs, first, index, n, schedule)
    if on_progress is not None and runs.done:  # the portfolio may take fewer runs than allowed
        on_progress(max(runs.done, (paths if ran_base else 0) + bargain_runs(terms) * n))
    return BargainStudy(
        paths=paths,
        seed=seed,
        parties=parties,
        usd_jpy=fx,
        hazard=bargain.hazard,
        yearly_relief=yearly,
        sectors=[
            {
                "name": s.name,
                "exports": s.exports,
                "tariff_without": s.tariff_without,
                "tariff_with": s.tariff_with,
                "exporter_share": s.exporter_share,
                "elasticity": s.elasticity,
                "margin": s.margin,
                "years": s.years,
                "yearly_relief": s.yearly_relief,
            }
            for s in bargain.sector
        ],
        relief=_money(outcome.relief, fx),
        fund=_money(outcome.fund, fx),
        net={
            **_money(outcome.net, fx),
            "p_ahead": float((outcome.net > 0.0).mean()),
            "quantiles_usd": [float(v) for v in np.percentile(outcome.net / fx, QUANTILES)],
            "fund_quantiles_usd": [float(v) for v in np.percentile(outcome.fund / fx, QUANTILES)],
        },
        break_even={
            name: _break_even(unit_value, outcome.fund, percentile, yearly)
            for name, percentile in (("p50", 50.0), ("p05", 5.0))
        },
        opt_out=study_opt_out,
    )


def _break_even(unit: Array, fund: Array, percentile: float, yearly: float) -> dict[str, Any]:
    """The flat yearly relief (USD, every quarter of the term, lost in snap-backs and to
    the hazard as the term sheet's is) at which the net's percentile is zero."""
    needed = break_even(unit, fund, percentile)
    return {
        "yearly_usd": needed,
        "multiple_of_relief": None if needed is None or yearly <= 0.0 else needed / yearly,
    }


def _money(values: Array, fx: float) -> dict[str, Any]:
    return {"usd": describe(values / fx), "jpy": describe(values)}


def _brief(values: Array, fx: float) -> dict[str, float]:
    usd = values / fx
    return {
        "mean": float(usd.mean()),
        "p05": float(np.percentile(usd, 5)),
        "p50": float(np.percentile(usd, 50)),
    }


# -- the opt-out ----------------------------------------------------------------------


def _opt_out(
    terms: Terms,
    bargain: Bargain,
    runs: _Runs,
    funded: _Outcome,
    index: list[int],
    paths: int,
    schedule: Array,
) -> dict[str, Any]:
    """Each project funded against declined, the rule's decisions and its portfolio."""
    chance = bargain.decline_snapback
    assert chance is not None  # the caller checks
    fx = terms.market.usd_jpy
    starts = sorted({p.start_quarter for p in terms.projects})
    snapped = dict(
        zip(
            starts,
            _reliefs(terms, runs.seed, paths, [(schedule, q) for q in starts]),
            strict=True,
        )
    )

    def declined(ids: Sequence[str], snap_from: int | None) -> _Outcome:
        sim = runs.run(terms, paths, stress=_declined(ids, snap_from))
        fund = sim.summary.npv_jpy[:, index].sum(axis=1)
        return _Outcome(funded.relief if snap_from is None else snapped[snap_from], fund)

    rows: list[dict[str, Any]] = []
    for project in terms.projects:
        quiet = declined([project.id], None)
        loud = declined([project.id], project.start_quarter)
        decline = (1.0 - chance) * quiet.net + chance * loud.net
        gain = funded.net - decline
        loss = float((quiet.net - funded.net).mean()) / fx
        cost = chance * float((quiet.net - loud.net).mean()) / fx
        se = float(gain.std(ddof=1) / np.sqrt(gain.size)) / fx if gain.size > 1 else 0.0
        rows.append(
            {
                "id": project.id,
                "name": project.name,
                "sector": project.sector,
                "capex": project.capex,
                "start_quarter": project.start_quarter,
                "expected_loss_usd": loss,
                "snapback_cost_usd": cost,
                "gain_usd": float(gain.mean()) / fx,
                "gain_se_usd": se,
                "net_if_funded_usd": _brief(funded.net, fx),
                "net_if_declined_usd": _brief(decline, fx),
                "decision": "decline" if loss > cost else "fund",
                "close": abs(cost - loss) < 2.0 * se,
            }
        )
    out_ids = [str(r["id"]) for r in rows if r["decision"] == "decline"]
    portfolio: dict[str, Any] = {
        "declined": out_ids,
        "funded": [r["id"] for r in rows if r["decision"] == "fund"],
        "capex_declined": float(sum(p.capex for p in terms.projects if p.id in out_ids)),
    }
    if out_ids:
        quarters = [p.start_quarter for p in terms.projects if p.id in out_ids]
        none, first = snapback_weights(quarters, chance)
        kept = declined(out_ids, None)
        net = none * kept.net
        fund = none * kept.fund
        for quarter, weight in first.items():
            hit = declined(out_ids, quarter)
            net = net + weight * hit.net
            fund = fund + weight * hit.fund
        portfolio["snapback_chance"] = 1.0 - none
        outcome = _Outcome(net - fund, fund)
    else:
        portfolio["snapback_chance"] = 0.0
        outcome = funded
    portfolio["relief"] = _money(outcome.relief, fx)
    portfolio["fund"] = _money(outcome.fund, fx)
    portfolio["net"] = {**_money(outcome.net, fx), "p_ahead": float((outcome.net > 0.0).mean())}
    return {
        "paths": paths,
        "decline_snapback": chance,
        "rule": RULE,
        "all_funded": {
            "net": {**_money(funded.net, fx), "p_ahead": float((funded.net > 0.0).mean())}
        },
        "projects": rows,
        "portfolio": portfolio,
    }


def _declined(ids: Sequence[str], snap_from: int | None) -> Stress:
    """The stress that declines the projects ``ids``: never built (capex and revenue
    zero on every path, so nothing is called for them and nothing comes back), with
    tariffs snapped back from quarter ``snap_from`` to the end if given.

    The schema keeps a user's ``overrun_add`` at -0.5 or more; here -1 with
    ``overrun_scale = 0`` takes the capex factor to exactly zero (the stress clips it
    there), hence the copy that sets it past the bound."""
    stress = Stress(
        title="Japan declines " + ", ".join(ids),
        description="Declined projects are never built"
        + ("." if snap_from is None else f"; tariffs snap back from quarter {snap_from}."),
        projects=tuple(ids),
        overrun_scale=0.0,
        revenue_scale=0.0,
        tariff_snapback=snap_from is not None,
        start_quarter=0 if snap_from is None else snap_from,
    )
    return stress.model_copy(update={"overrun_add": -1.0})


# -- runs and reliefs -----------------------------------------------------------------


class _Runs:
    """Simulations one after another on one seed, counting the paths done."""

    def __init__(self, seed: int, on_progress: Progress, **options: Any) -> None:
        self.seed, self.done, self.on_progress, self.options = seed, 0, on_progress, options

    def run(self, terms: Terms, paths: int, **kwargs: Any) -> Simulation:
        def report(done: int) -> None:
            if self.on_progress is not None:
                self.on_progress(self.done + done)

        sim = simulate(
            terms, paths=paths, seed=self.seed, on_progress=report, **self.options, **kwargs
        )
        self.done += paths
        return sim


def _reliefs(
    terms: Terms, seed: int, paths: int, schedules: Sequence[tuple[Array, int | None]]
) -> list[Array]:
    """The yen value on each of the first ``paths`` paths of each (schedule, quarter a
    snap-back after a decline starts) pair, on the Monte Carlo's own markets and tariff
    regime: the draws are regenerated from ``seed`` a chunk of paths at a time (path i
    is path i in every run, so these are the paths the simulations ran)."""
    hazard = terms.bargain.hazard if terms.bargain is not None else 0.0
    out = [np.empty(paths) for _ in schedules]
    for first in range(0, paths, _CHUNK):
        count = min(_CHUNK, paths - first)
        draws = monte_carlo(terms, seed, first, count)
        for values, (schedule, snap_from) in zip(out, schedules, strict=True):
            values[first : first + count] = relief_value(
                schedule, draws, hazard, snapped_from=snap_from
            )
    return out
