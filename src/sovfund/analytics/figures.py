"""The figures of a Monte Carlo run as typed, frozen objects (what
:mod:`sovfund.analytics.distribution` computes and the reports render).

Each has a ``to_dict()`` that is its part of the JSON of ``sovfund simulate --json``
and summary.json (DESIGN.md): the attribute names are the JSON's keys, so a key path
in the JSON (``parties.japan.irr.p50``, which the verdict quotes as its ``metric``) is
the attribute path in Python (``figures.parties["japan"].irr.p50``). A figure that
does not exist on any path is None (null in the JSON); optional parts of the JSON
(``fees`` for a party that pays nothing in, ``irr_jpy`` for a Japanese one) are None
where the JSON leaves them out.

Money is in US dollars unless a name says yen (``jpy``); rates, returns and
probabilities are fractions (0.08 is 8%); multiples (TVPI...) are per dollar paid in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sovfund.documents import Document

__all__ = [
    "BooksSource",
    "Distribution",
    "FundRisk",
    "PartyFigures",
    "SimulationFigures",
    "SimulationResult",
    "TailRisk",
]


@dataclass(frozen=True, slots=True)
class Distribution:
    """A figure across the paths on which it has a value (NaN left out), in the
    figure's own units. All None (and ``n`` 0) where no path has one."""

    mean: float | None
    se: float | None
    """The Monte Carlo standard error of the mean: sd / sqrt(n)."""
    sd: float | None
    """The standard deviation across paths (ddof 1; 0 on a single path)."""
    p05: float | None
    """5th percentile (NumPy's linear interpolation, as p50 and p95)."""
    p50: float | None
    """The median."""
    p95: float | None
    """95th percentile."""
    n: int
    """Paths with a value."""

    def to_dict(self) -> Document:
        return {
            "mean": self.mean,
            "se": self.se,
            "sd": self.sd,
            "p05": self.p05,
            "p50": self.p50,
            "p95": self.p95,
            "n": self.n,
        }


@dataclass(frozen=True, slots=True)
class TailRisk:
    """Value at risk and expected shortfall of the money lost on a path (contributed
    less what came back: positive is a loss), in USD or yen as its name says
    (:mod:`sovfund.analytics.risk`). None where no path has a value."""

    var95: float | None
    """The loss exceeded on only 5% of paths."""
    es95: float | None
    """The mean loss in the worst 5% of paths."""
    var99: float | None
    """The loss exceeded on only 1% of paths."""
    es99: float | None
    """The mean loss in the worst 1% of paths."""

    def to_dict(self) -> Document:
        return {"var95": self.var95, "es95": self.es95, "var99": self.var99, "es99": self.es99}


@dataclass(frozen=True, slots=True)
class PartyFigures:
    """One party's outcome across the paths.

    The chances and tails of a loss are over the paths on which the party paid money
    in (None where it never did, as for the GPs); ``fees`` and ``carry`` are given
    instead for a party that never paid in.
    """

    irr: Distribution
    """IRR a year (Actual/365, annual compounding), where the party paid in."""
    tvpi: Distribution
    """Distributions, fees and the NAV left over what was paid in."""
    dpi: Distribution
    """Distributions and fees over what was paid in."""
    rvpi: Distribution
    """The NAV left over what was paid in."""
    pme_ks: Distribution
    """Kaplan-Schoar public market equivalent against Treasury bills (a multiple)."""
    direct_alpha: Distribution
    """Direct Alpha against Treasury bills (a year)."""
    received: Distribution
    """Distributions plus fees received, USD."""
    p_loss: float | None
    """The chance that what comes back (distributions, fees, NAV left) is less than
    what was paid in."""
    p_total_loss: float | None
    """The chance that nothing comes back."""
    p_loss_se: float | None = None
    """The binomial standard error of ``p_loss``."""
    loss_usd: TailRisk | None = None
    """The money lost, USD."""
    loss_jpy: TailRisk | None = None
    """The money lost in yen (each flow at its quarter's USD/JPY); Japanese parties."""
    reserves: bool = False
    """Whether this party's money is Japan's FX reserves (the verdict's party for Japan):
    then ``reserves_at_risk_var99`` is reported."""
    reserves_at_risk_var99: float | None = None
    """The 99% value at risk of the money lost, as a share of Japan's FX reserves."""
    fees: Distribution | None = None
    """Management fees received, USD (a party that never paid in)."""
    carry: Distribution | None = None
    """What else it received (waterfall distributions: for a GP its carry), USD."""
    irr_jpy: Distribution | None = None
    """IRR a year of the flows in yen (Japanese parties)."""
    irr_jpy_net_of_funding: Distribution | None = None
    """The yen IRR over the cost of the yen bills that fund it (Japanese parties)."""

    @property
    def paid_in(self) -> bool:
        """Whether the party paid money in on some path (an investor's figures)."""
        return self.p_loss is not None

    def to_dict(self) -> Document:
        out: Document = {
            "irr": self.irr.to_dict(),
            "tvpi": self.tvpi.to_dict(),
            "dpi": self.dpi.to_dict(),
            "rvpi": self.rvpi.to_dict(),
            "pme_ks": self.pme_ks.to_dict(),
            "direct_alpha": self.direct_alpha.to_dict(),
            "received": self.received.to_dict(),
            "p_loss": self.p_loss,
            "p_total_loss": self.p_total_loss,
        }
        if self.paid_in:
            out["p_loss_se"] = self.p_loss_se
            out["loss_usd"] = None if self.loss_usd is None else self.loss_usd.to_dict()
            if self.loss_jpy is not None:
                out["loss_jpy"] = self.loss_jpy.to_dict()
            if self.reserves:
                out["reserves_at_risk_var99"] = self.reserves_at_risk_var99
        for name, value in (
            ("fees", self.fees),
            ("carry", self.carry),
            ("irr_jpy", self.irr_jpy),
            ("irr_jpy_net_of_funding", self.irr_jpy_net_of_funding),
        ):
            if value is not None:
                out[name] = value.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class FundRisk:
    """The fund's own risk across the paths: each chance with its binomial standard
    error, and the distributions of its debt, losses and size."""

    p_default: float
    """The chance that the fund defaults on its debt."""
    p_default_se: float
    p_funding_shortfall: float
    """The chance that commitments and debt cannot pay for the pipeline (it sells up)."""
    p_funding_shortfall_se: float
    p_covenant_breach: float
    """The chance of at least one covenant breach."""
    p_covenant_breach_se: float
    lenders_loss: Distribution
    """What the lenders lose, USD."""
    peak_debt: Distribution
    """The most debt outstanding at once, USD."""
    peak_ltv: Distribution
    """The highest loan-to-value (debt over the assets' marked value)."""
    peak_leverage: Distribution
    """The highest debt over the equity called so far (a multiple)."""
    years_to_first_breach: Distribution
    """Years from the start to the end of the quarter of the first covenant breach, on
    the paths with one."""
    lenders_loss_if_default: Distribution
    """What the lenders lose on the paths where the fund defaults, USD."""
    fees: Distribution
    """Management fees paid, USD."""
    peak_assets_to_us_gdp: Distribution
    """The fund's peak marked assets over US GDP."""
    redeemed: Distribution | None = None
    """Paid out to redeeming LPs, USD; with the gate's figures below, only where some
    path redeems or shuts the gate (``[fund.redemptions]``)."""
    p_gate_shut: float | None = None
    """The chance that the gate is shut with requests pending in some quarter."""
    gate_shut_quarters: Distribution | None = None
    """Quarters in which requests were pending and the gate paid nothing."""

    def to_dict(self) -> Document:
        out: Document = {
            "p_default": self.p_default,
            "p_default_se": self.p_default_se,
            "p_funding_shortfall": self.p_funding_shortfall,
            "p_funding_shortfall_se": self.p_funding_shortfall_se,
            "p_covenant_breach": self.p_covenant_breach,
            "p_covenant_breach_se": self.p_covenant_breach_se,
            "lenders_loss": self.lenders_loss.to_dict(),
            "peak_debt": self.peak_debt.to_dict(),
            "peak_ltv": self.peak_ltv.to_dict(),
            "peak_leverage": self.peak_leverage.to_dict(),
            "years_to_first_breach": self.years_to_first_breach.to_dict(),
            "lenders_loss_if_default": self.lenders_loss_if_default.to_dict(),
            "fees": self.fees.to_dict(),
            "peak_assets_to_us_gdp": self.peak_assets_to_us_gdp.to_dict(),
        }
        if self.redeemed is not None and self.gate_shut_quarters is not None:
            out["redeemed"] = self.redeemed.to_dict()
            out["p_gate_shut"] = self.p_gate_shut
            out["gate_shut_quarters"] = self.gate_shut_quarters.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class SimulationFigures:
    """Every party's figures (by party id, in the term sheet's order) and the fund's:
    the ``parties`` and ``fund`` of the simulate JSON. The results that hold a run's
    figures (:class:`SimulationResult`, a stress test's scenario, a compared structure)
    are these figures with what ran beside them."""

    parties: Mapping[str, PartyFigures]
    fund: FundRisk

    def to_dict(self) -> Document:
        return {
            "parties": {party: figures.to_dict() for party, figures in self.parties.items()},
            "fund": self.fund.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class BooksSource:
    """The books a run started from (``sovfund simulate --from-books``): what they
    held is fixed on every path, the rest is simulated."""

    books: str
    """The SQLite file or database URL, as given."""
    as_of: dt.date
    """The books as of this date."""
    booked_quarters: int
    """Quarters taken from the books, from the fund's start."""

    def to_dict(self) -> Document:
        return {
            "books": self.books,
            "as_of": self.as_of.isoformat(),
            "booked_quarters": self.booked_quarters,
        }


@dataclass(frozen=True, slots=True)
class SimulationResult(SimulationFigures):
    """A Monte Carlo run's figures and what ran: ``to_dict()`` is the JSON of
    ``sovfund simulate --json`` and summary.json's ``simulation``."""

    scenario: str
    """The preset id or term-sheet file, as given."""
    paths: int
    seed: int
    engine: str
    """``fast`` or ``reference``."""
    stress: str | None
    """The stress applied (a term sheet's stress name or a stress's title), if any."""
    books: BooksSource | None = None
    """The books the run started from, if it did."""

    def to_dict(self) -> Document:
        head: Document = {
            "scenario": self.scenario,
            "paths": self.paths,
            "seed": self.seed,
            "engine": self.engine,
        }
        if self.stress is not None:
            head["stress"] = self.stress
        out = {**head, **SimulationFigures.to_dict(self)}
        if self.books is not None:
            out["books"] = self.books.to_dict()
        return out
