"""What the studies of :mod:`sovfund.run.studies` find, as typed, frozen objects.

Each study's ``to_dict()`` is the JSON its command prints (``sovfund stress --json``
and the others, less the ``scenario`` the CLI adds) and its section of summary.json;
``table()`` is a pandas DataFrame. As in :mod:`sovfund.analytics.figures`, attribute
names are the JSON's keys; money is in US dollars, rates and chances are fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovfund.analytics.figures import SimulationFigures
from sovfund.documents import Document, JsonValue

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ComparedStructure",
    "Comparison",
    "CountryRow",
    "Frontier",
    "FrontierFund",
    "FrontierParty",
    "FrontierPoint",
    "Sensitivity",
    "StressScenario",
    "StressTest",
    "TornadoBar",
]


# -- stress test ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StressScenario(SimulationFigures):
    """The figures of one run of the stress test: the base (``name`` "base") or one of
    the term sheet's ``[stress.NAME]`` scenarios."""

    name: str
    title: str
    description: str

    def to_dict(self) -> Document:
        head: Document = {"name": self.name, "title": self.title, "description": self.description}
        return {**head, **SimulationFigures.to_dict(self)}


@dataclass(frozen=True, slots=True)
class StressTest:
    """The base run and each stress, on the same seed (common random numbers)."""

    paths: int
    """Paths of each run."""
    seed: int
    scenarios: tuple[StressScenario, ...]
    """The base first, then each stress."""

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "scenarios": [scenario.to_dict() for scenario in self.scenarios],
        }

    def table(self) -> pd.DataFrame:
        """One row per scenario: fund default and breach, and each party's median IRR,
        mean TVPI and chance of a loss."""
        import pandas as pd  # only for a table: the studies load without it

        return pd.DataFrame([_stress_row(s) for s in self.scenarios]).set_index("name")


def _stress_row(scenario: StressScenario) -> dict[str, str | float | None]:
    fund = scenario.fund
    row: dict[str, str | float | None] = {
        "name": scenario.name,
        "title": scenario.title,
        "p_default": fund.p_default,
        "p_covenant_breach": fund.p_covenant_breach,
        "lenders_loss_mean": fund.lenders_loss.mean,
    }
    for party, figures in scenario.parties.items():
        if figures.p_loss is None:
            row[f"{party} received mean"] = figures.received.mean
            continue
        row[f"{party} irr p50"] = figures.irr.p50
        row[f"{party} tvpi mean"] = figures.tvpi.mean
        row[f"{party} p_loss"] = figures.p_loss
    return row


# -- leverage frontier ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrontierParty:
    """An LP's returns at one leverage."""

    irr_mean: float | None
    """Mean IRR a year."""
    irr_p05: float | None
    """5th-percentile IRR."""
    irr_p50: float | None
    """Median IRR."""
    p_loss: float
    """The chance of losing money."""

    def to_dict(self) -> Document:
        return {
            "irr_mean": self.irr_mean,
            "irr_p05": self.irr_p05,
            "irr_p50": self.irr_p50,
            "p_loss": self.p_loss,
        }


@dataclass(frozen=True, slots=True)
class FrontierFund:
    """The fund's risk at one leverage: the chances of a default on its debt, a
    covenant breach and a funding shortfall."""

    p_default: float
    p_covenant_breach: float
    p_funding_shortfall: float

    def to_dict(self) -> Document:
        return {
            "p_default": self.p_default,
            "p_covenant_breach": self.p_covenant_breach,
            "p_funding_shortfall": self.p_funding_shortfall,
        }


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """The fund at one debt-to-equity target."""

    leverage: float
    """Debt over equity (the target, caps raised with it)."""
    parties: Mapping[str, FrontierParty]
    """Each party that paid in on some path (the LPs), by id."""
    fund: FrontierFund

    def to_dict(self) -> Document:
        return {
            "leverage": self.leverage,
            "parties": {party: figures.to_dict() for party, figures in self.parties.items()},
            "fund": self.fund.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Frontier:
    """Each party's returns and the fund's default risk against fund leverage."""

    paths: int
    seed: int
    points: tuple[FrontierPoint, ...]
    """In the order of the levels asked for."""

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "points": [point.to_dict() for point in self.points],
        }

    def table(self) -> pd.DataFrame:
        import pandas as pd  # only for a table: the studies load without it

        rows = []
        for point in self.points:
            row: dict[str, JsonValue] = {"leverage": point.leverage, **point.fund.to_dict()}
            for party, figures in point.parties.items():
                row.update({f"{party} {key}": value for key, value in figures.to_dict().items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("leverage")


# -- sensitivity ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TornadoBar:
    """One assumption of the tornado and the metric at its low and high setting."""

    name: str
    label: str
    low_setting: str
    """The low setting in words ("x0.5", "-100bp")."""
    high_setting: str
    low: float | None
    """The metric with the assumption low; None where it has no value."""
    high: float | None

    @property
    def swing(self) -> float:
        """How far the metric moves between the two settings (0 where one is missing)."""
        return 0.0 if self.low is None or self.high is None else abs(self.high - self.low)

    def to_dict(self) -> Document:
        return {
            "name": self.name,
            "label": self.label,
            "low_setting": self.low_setting,
            "high_setting": self.high_setting,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """A tornado: the metric at each assumption's low and high setting."""

    paths: int
    seed: int
    metric: str
    """One of :data:`sovfund.run.defaults.METRICS` (``tvpi_mean``, ``p_default``...)."""
    party: str | None
    """Whose metric (None for the fund's ``p_default``)."""
    label: str
    """The metric in words, for a chart's axis."""
    base: float | None
    """The metric with every assumption as the term sheet sets it."""
    bars: tuple[TornadoBar, ...]
    """Widest swing first."""

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "metric": self.metric,
            "party": self.party,
            "label": self.label,
            "base": self.base,
            "bars": [bar.to_dict() for bar in self.bars],
        }

    def table(self) -> pd.DataFrame:
        import pandas as pd  # only for a table: the studies load without it

        frame = pd.DataFrame([bar.to_dict() for bar in self.bars]).set_index("name")
        frame["swing"] = (frame["high"] - frame["low"]).abs()
        return frame


# -- comparing structures ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountryRow:
    """What one country's parties put in and get back in one structure (means over
    paths)."""

    scenario: str
    """The structure (its preset id or file)."""
    country: str
    """A two-letter code."""
    contributed_mean: float
    received_mean: float
    """Distributions, fees and the NAV left."""
    net_mean: float
    p_net_loss: float | None
    """The chance of getting back less than was put in; None where it puts nothing in."""
    p_default: float
    """The chance that the fund defaults on its debt."""

    def to_dict(self) -> Document:
        return {
            "scenario": self.scenario,
            "country": self.country,
            "contributed_mean": self.contributed_mean,
            "received_mean": self.received_mean,
            "net_mean": self.net_mean,
            "p_net_loss": self.p_net_loss,
            "p_default": self.p_default,
        }


@dataclass(frozen=True, slots=True)
class ComparedStructure(SimulationFigures):
    """One structure of a comparison: its figures, and by country."""

    scenario: str
    markets_from: str
    """The fund whose generator made the market paths (the longer-lived one)."""
    countries: tuple[CountryRow, ...]

    def to_dict(self) -> Document:
        head: Document = {
            "scenario": self.scenario,
            "markets_from": self.markets_from,
            "countries": [row.to_dict() for row in self.countries],
        }
        return {**head, **SimulationFigures.to_dict(self)}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two structures run on the same market paths and seed."""

    paths: int
    seed: int
    structures: tuple[ComparedStructure, ...]

    def to_dict(self) -> Document:
        return {
            "paths": self.paths,
            "seed": self.seed,
            "structures": [structure.to_dict() for structure in self.structures],
        }

    def table(self) -> pd.DataFrame:
        """One row per structure and country: what that country's parties put in and got
        back (means over paths), its median IRR where it invested, and the fund's risk."""
        import pandas as pd  # only for a table: the studies load without it

        return pd.DataFrame([row.to_dict() for s in self.structures for row in s.countries])
