"""Studies made of several Monte Carlo runs on common random numbers.

Every run of a study uses the same seed and the same number of paths, so path i sees
the same shocks in each: differences between runs are the effect of what changed, not
noise (see docs/stress.md).

- :func:`stress_test`: the base and each named stress of the term sheet;
- :func:`leverage_frontier`: the same fund at leverage from 0x to 10x;
- :func:`sensitivity`: one assumption at a time moved to a low and a high setting
  (a tornado);
- :func:`compare`: two structures on the same market paths.

Each returns a result whose ``to_dict()`` is the JSON the CLI prints and whose
``table()`` is a pandas DataFrame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sovfund.analytics.verdict import focus_party, japan_sovereign
from sovfund.errors import ArgumentError, Problem, TermsError
from sovfund.run.arguments import check_arguments
from sovfund.run.defaults import LEVERAGE_LEVELS, MAX_LEVEL, METRICS, STUDY_PATHS
from sovfund.terms.models import Stress, Terms, Tier
from sovfund.terms.sections import require_terms

if TYPE_CHECKING:
    import pandas as pd

    from sovfund.run.simulate import Simulation

__all__ = [
    "ASSUMPTIONS",
    "METRICS",
    "SENSITIVITY_RUNS",
    "STUDY_PATHS",
    "Assumption",
    "Comparison",
    "Frontier",
    "Sensitivity",
    "StressTest",
    "at_leverage",
    "check_levels",
    "compare",
    "leverage_frontier",
    "metric_value",
    "sensitivity",
    "simulation_json",
    "simulation_summary",
    "stress_runs",
    "stress_test",
]

Progress = Callable[[int], Any] | None


def simulation_summary(sim: Simulation) -> dict[str, Any]:
    """The ``parties`` and ``fund`` figures of a run (the simulate JSON's body)."""
    from sovfund.analytics.distribution import summary_dict  # with the engine's results

    parties = sim.terms.parties
    reserves = japan_sovereign(sim.terms)
    return summary_dict(
        sim.summary,
        tuple(p.id for p in parties),
        tuple(p.country == "JP" for p in parties),
        tuple(p.id == reserves for p in parties),
    )


def simulation_json(scenario: str, sim: Simulation) -> dict[str, Any]:
    """The ``sovfund simulate --json`` document of a run (DESIGN.md)."""
    head: dict[str, Any] = {
        "scenario": scenario,
        "paths": sim.paths,
        "seed": sim.seed,
        "engine": sim.engine,
    }
    if sim.stress is not None:
        head["stress"] = sim.stress
    return {**head, **simulation_summary(sim)}


class _Runs:
    """Runs simulations one after another, reporting paths done across all of them."""

    def __init__(self, paths: int, seed: int, on_progress: Progress, **options: Any) -> None:
        self.paths, self.seed, self.done = paths, seed, 0
        self.on_progress, self.options = on_progress, options

    def run(self, terms: Terms, **kwargs: Any) -> Simulation:
        def report(done: int) -> None:
            if self.on_progress is not None:
                self.on_progress(self.done + done)

        from sovfund.run.simulate import simulate  # the engine loads when a run starts

        sim = simulate(
            terms, paths=self.paths, seed=self.seed, on_progress=report, **self.options, **kwargs
        )
        self.done += self.paths
        return sim


# -- stress test ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Study:
    """A study's result: ``to_dict()`` is its JSON, field by field."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StressTest(_Study):
    """The base run and each stress, on the same seed."""

    paths: int
    seed: int
    scenarios: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        """One row per scenario: fund default and breach, and each party's median IRR,
        mean TVPI and chance of a loss."""
        import pandas as pd  # only for a table: the studies load without it

        return pd.DataFrame([_row(s) for s in self.scenarios]).set_index("name")


def stress_runs(terms: Terms, names: Sequence[str] | None = None) -> int:
    """How many runs :func:`stress_test` makes: the base and each stress."""
    return 1 + len([n for n in names if n != "base"] if names is not None else terms.stress)


@check_arguments
def stress_test(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    names: Sequence[str] | None = None,
    on_progress: Progress = None,
    **options: Any,
) -> StressTest:
    """The base and the named stresses (all of the term sheet's by default).

    ``options`` go to :func:`~sovfund.run.simulate.simulate` (backend, batch size...).
    """
    chosen = list(terms.stress) if names is None else [n for n in names if n != "base"]
    runs = _Runs(paths, seed, on_progress, **options)
    scenarios = [
        _entry("base", "Base", "The Monte Carlo as the term sheet sets it.", runs.run(terms))
    ]
    for name in chosen:
        stress = terms.stress[name]
        sim = runs.run(terms, stress=name)
        scenarios.append(_entry(name, stress.title, stress.description, sim))
    return StressTest(paths, seed, scenarios)


def _entry(name: str, title: str, description: str, sim: Simulation) -> dict[str, Any]:
    return {"name": name, "title": title, "description": description, **simulation_summary(sim)}


def _row(scenario: dict[str, Any]) -> dict[str, Any]:
    fund = scenario["fund"]
    row: dict[str, Any] = {
        "name": scenario["name"],
        "title": scenario["title"],
        "p_default": fund["p_default"],
        "p_covenant_breach": fund["p_covenant_breach"],
        "lenders_loss_mean": fund["lenders_loss"]["mean"],
    }
    for party, figures in scenario["parties"].items():
        if figures["p_loss"] is None:
            row[f"{party} received mean"] = figures["received"]["mean"]
            continue
        row[f"{party} irr p50"] = figures["irr"]["p50"]
        row[f"{party} tvpi mean"] = figures["tvpi"]["mean"]
        row[f"{party} p_loss"] = figures["p_loss"]
    return row


# -- leverage frontier ---------------------------------------------------------------


def check_levels(levels: Sequence[float]) -> None:
    """Raise an :class:`ArgumentError` naming ``levels`` unless they are debt-to-equity
    numbers from 0 to :data:`MAX_LEVEL`, at least one."""
    expected = f"debt-to-equity numbers from 0 to {MAX_LEVEL:g}, at least one"
    if isinstance(levels, str) or not isinstance(levels, Sequence) or not levels:
        raise ArgumentError("levels", repr(levels), expected)
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float):
            raise ArgumentError("levels", f"{level!r} in {list(levels)!r}", expected)
        if not (math.isfinite(level) and 0 <= level <= MAX_LEVEL):
            raise ArgumentError("levels", f"{level!r} in {list(levels)!r}", expected)


@dataclass(frozen=True)
class Frontier(_Study):
    """Each party's returns and the fund's default risk against fund leverage."""

    paths: int
    seed: int
    points: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        import pandas as pd  # only for a table: the studies load without it

        rows = []
        for point in self.points:
            row: dict[str, Any] = {"leverage": point["leverage"], **point["fund"]}
            for party, figures in point["parties"].items():
                row.update({f"{party} {key}": value for key, value in figures.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("leverage")


@check_arguments
def leverage_frontier(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    levels: Sequence[float] = LEVERAGE_LEVELS,
    on_progress: Progress = None,
    **options: Any,
) -> Frontier:
    """The fund at each debt-to-equity target in ``levels`` (caps raised with it).

    The equity stays the same and buys the same projects: at leverage L the fund holds
    (1 + L) / (1 + L0) of each project's capex and revenue (L0 the term sheet's own
    target), so the pipeline always fits what the fund can pay for and only the
    leverage changes. Per LP: expected, 5th-percentile and median IRR and the chance of
    a loss; per fund: the chance of a default, a covenant breach and a funding shortfall.
    """
    check_levels(levels)
    runs = _Runs(paths, seed, on_progress, **options)
    points = []
    for level in levels:
        levered, stress = at_leverage(terms, level)
        figures = simulation_summary(runs.run(levered, stress=stress))
        parties = {
            party: {
                "irr_mean": f["irr"]["mean"],
                "irr_p05": f["irr"]["p05"],
                "irr_p50": f["irr"]["p50"],
                "p_loss": f["p_loss"],
            }
            for party, f in figures["parties"].items()
            if f["p_loss"] is not None
        }
        fund = {
            "p_default": figures["fund"]["p_default"],
            "p_covenant_breach": figures["fund"]["p_covenant_breach"],
            "p_funding_shortfall": figures["fund"]["p_funding_shortfall"],
        }
        points.append({"leverage": float(level), "parties": parties, "fund": fund})
    return Frontier(paths, seed, points)


def at_leverage(
    terms: Terms,
    level: float,
    *,
    title: str | None = None,
    description: str | None = None,
    **levers: Any,
) -> tuple[Terms, Stress]:
    """``terms`` at debt to equity ``level`` as the frontier runs it: the pipeline
    scaled by (1 + level) / (1 + the term sheet's target), and the stress that sets the
    target (with any other ``levers`` of :class:`Stress` added to it)."""
    stress = Stress(
        title=title or f"Leverage {level:g}x",
        description=description or f"Debt to equity {level:g}x",
        debt_to_equity=float(level),
        **levers,
    )
    scale = (1.0 + level) / (1.0 + terms.leverage.debt_to_equity)
    return _pipeline_scaled(terms, scale), stress


def _pipeline_scaled(terms: Terms, scale: float) -> Terms:
    """``terms`` holding ``scale`` times its stake in every project."""
    projects = tuple(
        p.model_copy(update={"capex": p.capex * scale, "annual_revenue": p.annual_revenue * scale})
        for p in terms.projects
    )
    return terms.model_copy(update={"projects": projects})


# -- sensitivity -------------------------------------------------------------------

METRIC_LABELS = {
    "tvpi_mean": "mean TVPI",
    "irr_mean": "mean IRR",
    "irr_p50": "median IRR",
    "irr_p05": "IRR in the worst 5% of paths",
    "p_loss": "chance of losing money",
    "p_default": "chance of defaulting on its debt",
}


@dataclass(frozen=True)
class Assumption:
    """One bar of the tornado: an assumption and its low and high settings."""

    name: str
    label: str
    low_setting: str
    high_setting: str
    apply: Callable[[Terms, bool], tuple[Terms, Stress | None]]
    """(terms, high) -> the terms to run and the stress to apply."""


def _stress(**levers: Any) -> Stress:
    return Stress(title="sensitivity", description="one assumption moved", **levers)


def _fees(terms: Terms, factor: float) -> Terms:
    fees = []
    for fee in terms.fees:
        update: dict[str, Any] = {"rate": fee.rate * factor}
        if fee.step_down is not None:
            update["step_down"] = fee.step_down.model_copy(
                update={"rate": fee.step_down.rate * factor}
            )
        fees.append(fee.model_copy(update=update))
    return terms.model_copy(update={"fees": tuple(fees)})


def _carry(terms: Terms, factor: float) -> Terms:
    """Every GP share of profits times ``factor``: the GPs' part of shared tiers (the LPs'
    part shrinks to match) and catch-up targets; tiers paying only GPs are unchanged."""
    gps = {"gps", *(p.id for p in terms.gps)}
    tiers = []
    for tier in terms.waterfall.tier:
        pay = dict(tier.pay)
        gp_share = sum(v for k, v in pay.items() if k in gps)
        if 0.0 < gp_share < 1.0:
            new_gp = min(gp_share * factor, 1.0)
            pay = {
                k: v * (new_gp / gp_share if k in gps else (1.0 - new_gp) / (1.0 - gp_share))
                for k, v in pay.items()
            }
        until = tier.until
        if until is not None and until.profit_share is not None and until.share is not None:
            until = until.model_copy(update={"share": min(until.share * factor, 1.0)})
        tiers.append(Tier(name=tier.name, pay=pay, until=until))
    waterfall = terms.waterfall.model_copy(update={"tier": tuple(tiers)})
    return terms.model_copy(update={"waterfall": waterfall})


def _fx_vol(terms: Terms, factor: float) -> Terms:
    macro = terms.market.model_copy(update={"usd_jpy_vol": terms.market.usd_jpy_vol * factor})
    return terms.model_copy(update={"macro": macro})


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "overrun_scale", "Cost overruns", "x0.5", "x1.5",
        lambda t, high: (t, _stress(overrun_scale=1.5 if high else 0.5)),
    ),
    Assumption(
        "default_rate", "Default rates", "x0.5", "x2",
        lambda t, high: (t, _stress(default_scale=2.0 if high else 0.5)),
    ),
    Assumption(
        "recovery", "Recovery on default", "50%", "95%",
        lambda t, high: (t, _stress(recovery=0.95 if high else 0.5)),
    ),
    Assumption(
        "rate_level", "Interest rates", "-100bp", "+100bp",
        lambda t, high: (
            t,
            _stress(short_rate=0.01 if high else -0.01, yield_10y=0.01 if high else -0.01),
        ),
    ),
    Assumption(
        "fx_vol", "Yen volatility", "x0.5", "x1.5",
        lambda t, high: (_fx_vol(t, 1.5 if high else 0.5), None),
    ),
    Assumption(
        "fees", "Management fees", "x0.5", "x1.5",
        lambda t, high: (_fees(t, 1.5 if high else 0.5), None),
    ),
    Assumption(
        "carry", "Carry (GP profit share)", "x0.5", "x1.5",
        lambda t, high: (_carry(t, 1.5 if high else 0.5), None),
    ),
)  # fmt: skip
"""The tornado's assumptions and their ranges (docs/stress.md gives the reasoning)."""
SENSITIVITY_RUNS = 1 + 2 * len(ASSUMPTIONS)
"""How many runs :func:`sensitivity` makes: the base, then each assumption low and high."""


@dataclass(frozen=True)
class Sensitivity(_Study):
    """A tornado: the metric at each assumption's low and high setting."""

    paths: int
    seed: int
    metric: str
    party: str | None
    label: str
    base: float | None
    bars: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        import pandas as pd  # only for a table: the studies load without it

        frame = pd.DataFrame(self.bars).set_index("name")
        frame["swing"] = (frame["high"] - frame["low"]).abs()
        return frame


def metric_value(figures: dict[str, Any], metric: str, party: str | None) -> float | None:
    """``metric`` (one of :data:`METRICS`) read from a run's ``parties``/``fund`` figures."""
    if metric == "p_default":
        return float(figures["fund"]["p_default"])
    if party is None:
        raise ArgumentError("party", "nothing", f"an LP, whose {metric} to measure")
    entry = figures["parties"][party]
    if metric == "p_loss":
        value = entry["p_loss"]
    else:
        name, _, stat = metric.partition("_")
        value = entry[name][stat]
    return None if value is None else float(value)


def default_party(terms: Terms) -> str:
    """The party a tornado looks at by default: the one the verdict speaks for (the
    largest sovereign LP, else the largest LP)."""
    return focus_party(terms) or terms.lps[0].id


@check_arguments
def sensitivity(
    terms: Terms,
    *,
    paths: int,
    seed: int,
    metric: str = "tvpi_mean",
    party: str | None = None,
    assumptions: Sequence[Assumption] = ASSUMPTIONS,
    on_progress: Progress = None,
    **options: Any,
) -> Sensitivity:
    """The tornado of ``metric`` for ``party`` (by default the party the verdict speaks for)."""
    if metric not in METRICS:
        raise ArgumentError("metric", repr(metric), f"one of {', '.join(METRICS)}")
    if metric != "p_default":
        party = party or default_party(terms)
        ids = [p.id for p in terms.lps]
        if party not in ids:
            raise ArgumentError("party", repr(party), f"an LP: {', '.join(ids)}")
    else:
        party = None
    runs = _Runs(paths, seed, on_progress, **options)
    base = metric_value(simulation_summary(runs.run(terms)), metric, party)
    bars: list[dict[str, Any]] = []
    for assumption in assumptions:
        values = []
        for high in (False, True):
            moved, stress = assumption.apply(terms, high)
            figures = simulation_summary(runs.run(moved, stress=stress))
            values.append(metric_value(figures, metric, party))
        bars.append(
            {
                "name": assumption.name,
                "label": assumption.label,
                "low_setting": assumption.low_setting,
                "high_setting": assumption.high_setting,
                "low": values[0],
                "high": values[1],
            }
        )
    bars.sort(key=lambda bar: -_swing(bar["low"], bar["high"]))
    who = (
        "The fund" if party is None else next(p for p in terms.parties if p.id == party).short_name
    )
    label = f"{who}: {METRIC_LABELS[metric]}"
    return Sensitivity(paths, seed, metric, party, label, base, bars)


def _swing(low: float | None, high: float | None) -> float:
    return 0.0 if low is None or high is None else abs(high - low)


# -- comparing structures --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison(_Study):
    """Two structures run on the same market paths and seed."""

    paths: int
    seed: int
    structures: list[dict[str, Any]]

    def table(self) -> pd.DataFrame:
        """One row per structure and country: what that country's parties put in and got
        back (means over paths), its median IRR where it invested, and the fund's risk."""
        import pandas as pd  # only for a table: the studies load without it

        return pd.DataFrame([row for s in self.structures for row in s["countries"]])


@check_arguments
def compare(
    a: tuple[str, Terms],
    b: tuple[str, Terms],
    *,
    paths: int,
    seed: int,
    on_progress: Progress = None,
    **options: Any,
) -> Comparison:
    """``a`` and ``b`` ((name, terms) pairs) on the same seed and the same market paths:
    those of the longer-lived structure's generator, cut to each one's term.

    Raises :class:`~sovfund.errors.TermsError` where a party has no ``country``: the
    comparison adds up what each country puts in and gets back, and a party without
    one would drop out of it unseen.
    """
    for parameter, pair in (("a", a), ("b", b)):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ArgumentError(parameter, repr(pair), "a (name, Terms) pair")
        require_terms(pair[1], parameter)
    missing = [
        Problem(terms.source, f"party[{i}].country", "nothing", _COUNTRY)
        for _, terms in (a, b)
        for i, party in enumerate(terms.parties)
        if party.country is None
    ]
    if missing:
        raise TermsError(missing)
    markets = max(a[1], b[1], key=lambda t: t.fund.quarters)
    runs = _Runs(paths, seed, on_progress, **options)
    structures = []
    for name, terms in (a, b):
        sim = runs.run(terms, macro=markets)
        figures = simulation_summary(sim)
        structures.append(
            {
                "scenario": name,
                "markets_from": markets.fund.name,
                "countries": _by_country(name, terms, sim),
                **figures,
            }
        )
    return Comparison(paths, seed, structures)


_COUNTRY = (
    "a two-letter country code (like 'US' or 'JP'): compare adds up what each country"
    " puts in and gets back"
)


def _by_country(name: str, terms: Terms, sim: Simulation) -> list[dict[str, Any]]:
    summary, rows = sim.summary, []
    for country in sorted({p.country for p in terms.parties if p.country}):
        picks = [i for i, p in enumerate(terms.parties) if p.country == country]
        paid = summary.contributed[:, picks].sum(axis=1)
        got = (summary.received[:, picks] + summary.residual[:, picks]).sum(axis=1)
        rows.append(
            {
                "scenario": name,
                "country": country,
                "contributed_mean": float(paid.mean()),
                "received_mean": float(got.mean()),
                "net_mean": float((got - paid).mean()),
                "p_net_loss": float((got < paid).mean()) if paid.any() else None,
                "p_default": float(summary.defaulted.mean()),
            }
        )
    return rows
