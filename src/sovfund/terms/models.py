"""Typed, immutable term-sheet models (the TOML contract in DESIGN.md).

The models check each value on its own (types, ranges, allowed words); checks that
relate several values (ids that must exist, shares that must sum to 1, projects that
must satisfy the policy) live in :mod:`sovfund.terms.checks`. Terms hold no market
data and no random draws: the base-case macro levels in ``[macro]`` are inputs the
scenario generator starts from, not state.

Units: money in the fund's currency (USD), rates as decimals per year (0.05 = 5%),
time in quarters counted from the fund's start (quarter 0 ends three months after
``fund.start``) unless a name says years.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

__all__ = [
    "FIRST_DATE",
    "GROUPS",
    "LAST_DATE",
    "MAX_AMOUNT",
    "MAX_RATE_VOL",
    "SECTORS",
    "Bargain",
    "Contract",
    "Covenants",
    "ExportSector",
    "Fee",
    "FloatingRate",
    "Fund",
    "Leverage",
    "Macro",
    "Party",
    "Policy",
    "Project",
    "Redemptions",
    "Risk",
    "Sector",
    "SectorRisk",
    "StepDown",
    "Stress",
    "Tariff",
    "Terminal",
    "Terms",
    "Tier",
    "Until",
    "Valuation",
    "Waterfall",
]

Sector = Literal[
    "shipbuilding",
    "nuclear",
    "gas_power",
    "grid",
    "power_equipment",
    "semiconductors",
    "critical_minerals",
    "metals",
    "lng_ports",
    "pipelines",
    "pharmaceuticals",
    "ai_computing",
]
SECTORS: tuple[str, ...] = Sector.__args__  # type: ignore[attr-defined]

GROUPS = ("lps", "gps")
"""Group names usable wherever a party id is: all LPs, all GPs."""

# Bounds: every number and date is bounded to what the engine computes in float64 and
# Python dates, and every error says the bound (terms/load.py words it from these).
MAX_AMOUNT = 1e15
"""The largest amount of money (a thousand trillion: 30x US GDP); sums of many such
amounts, levered and compounded, stay far from float64's limits."""
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
"""Dates a term sheet may give: a fund of up to 60 years from them, and its projects'
lives, stay inside the calendars of Python, NumPy, pandas and Excel."""
MAX_RATE_VOL = 0.1
"""The largest yearly volatility of the short rate, the term spread, inflation and the
credit spread: 10 points a year, ten times the calibrated ones. With
``risk.volatility`` and the mean reversion, terms/checks.py bounds where they can take
the rates over the fund's term."""

Id = Annotated[str, Field(strict=True, pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, Field(strict=True, min_length=1, max_length=2000)]
Money = Annotated[float, Field(strict=True, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
PositiveMoney = Annotated[float, Field(strict=True, gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Ratio = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]
"""A multiplier or a ratio (scales, covenant cover, multiples): at most 100."""
DebtRatio = Annotated[float, Field(strict=True, ge=0, le=50, allow_inf_nan=False)]
"""A debt-to-equity ratio: at most 50x (the frontier's range)."""
Speed = Annotated[float, Field(strict=True, ge=0, le=50, allow_inf_nan=False)]
"""A mean-reversion speed per year."""
Volatility = Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)]
RateVolatility = Annotated[float, Field(strict=True, ge=0, le=MAX_RATE_VOL, allow_inf_nan=False)]
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Rate = Annotated[float, Field(strict=True, ge=-0.05, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0, le=1000)]
"""A count of quarters (a fund lasts at most 240)."""
Date = Annotated[dt.date, Field(strict=True, ge=FIRST_DATE, le=LAST_DATE)]
Flag = Annotated[bool, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Redemptions(_Model):
    """``[fund.redemptions]``: LPs of some investor classes may redeem each quarter, gated.

    How much of their NAV they ask to redeem is a draw (a stress's), not a term; the
    fund pays each of them at most ``gate`` of its NAV a quarter, from spare cash first,
    then by selling a slice of every project at the fire-sale discount, LTV unchanged
    (docs/model.md). Without this table nobody redeems.
    """

    classes: tuple[Literal["sovereign", "institutional", "retail"], ...] = ("retail",)
    """The investor classes (``party.class``) whose LPs may redeem."""
    gate: Share = 0.05
    """The most paid out in a quarter, as a share of each redeeming LP's NAV (in the
    books: of the class's NAV, the cap of a repurchase offer)."""
    early_repurchase_deduction: Annotated[
        float, Field(strict=True, ge=0, lt=1, allow_inf_nan=False)
    ] = 0.02
    """The books: the share of a repurchase kept by the fund (for the remaining LPs) for
    units held less than ``holding_period_days``: tender-offer funds' "Early Repurchase
    Deduction" of 2% under a year (BOOKS-REFERENCE.md section 5, [ERD]). Not simulated."""
    holding_period_days: Annotated[int, Field(strict=True, ge=0, le=3650)] = 365
    """The books: how long units must be held to be repurchased without the deduction."""


class Fund(_Model):
    """``[fund]``: name, currency, dates and life of the fund."""

    name: Text
    currency: Literal["USD"] = "USD"
    start: Date
    term_years: Annotated[int, Field(strict=True, ge=1, le=60)]
    investment_period_years: Annotated[int, Field(strict=True, ge=0, le=60)]
    recycling: Flag = True
    """Whether project income may pay for investment and expenses before anything is
    distributed (true), or is distributed as it comes while LPs fund every call (false)."""
    calls_beyond_commitment: Flag = False
    """Whether LPs pay what commitments and debt cannot (overruns), pro rata to their
    commitments (true), or the fund runs short and sells up (false)."""
    redemptions: Redemptions | None = None
    """Quarterly redemptions (retail wrappers); None: LPs cannot redeem."""

    @property
    def quarters(self) -> int:
        return 4 * self.term_years

    @property
    def investment_quarters(self) -> int:
        return 4 * self.investment_period_years


class Party(_Model):
    """``[[party]]``: a limited or general partner."""

    id: Id
    name: Text | None = None
    role: Literal["lp", "gp"]
    investor_class: Literal["sovereign", "institutional", "retail"] | None = Field(
        default=None, alias="class"
    )
    country: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$")] | None = None
    commitment: Money | None = None
    carry_share: Share | None = None
    currency: Literal["USD", "JPY"] = "USD"
    """The currency of the party's commitment in the books (yen for JPY); simulations
    and the calculator work in the fund's currency."""

    @property
    def short_name(self) -> str:
        """``US institutional LPs`` for "US institutional LPs (pensions, ...)"; the id,
        in words, if there is no name: how sentences and charts call the party."""
        if self.name:
            return self.name.split(" (")[0].strip()
        return self.id.replace("_", " ")


class StepDown(_Model):
    """A fee's change after the investment period ends."""

    after: Literal["investment_period"] = "investment_period"
    rate: Rate
    basis: Literal["committed", "invested", "nav"] | None = None


class Fee(_Model):
    """``[[fee]]``: a management fee paid by the fund to GPs.

    The fee is ``rate`` a year on ``basis`` measured over the paying parties
    (``paid_by``), charged quarterly as a fund expense, and split among GPs by ``to``.
    """

    id: Id
    kind: Literal["management"] = "management"
    rate: Rate
    basis: Literal["committed", "invested", "nav"]
    step_down: StepDown | None = None
    paid_by: tuple[Id, ...] = Field(default=("lps",), min_length=1)
    to: dict[Id, Share] = Field(default_factory=lambda: {"gps": 1.0})


class FloatingRate(_Model):
    """A floating rate: a market index plus a fixed spread."""

    index: Literal["sofr"]
    spread: Rate


class Until(_Model):
    """When a waterfall tier is full: exactly one of three conditions.

    - ``capital_returned = X``: X's distributions reach X's contributions;
    - ``hurdle = X`` with ``rate``: X's flows reach an IRR of ``rate``;
    - ``profit_share = X`` with ``share``: X's distributions reach ``share`` of the
      fund's distributed profit.
    """

    capital_returned: Id | None = None
    hurdle: Id | None = None
    rate: Rate | FloatingRate | None = None
    profit_share: Id | None = None
    share: Share | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Until:
        given = [k for k in ("capital_returned", "hurdle", "profit_share") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "exactly one of capital_returned, hurdle or profit_share"
                f" (found {', '.join(given) if given else 'none'})"
            )
        if self.hurdle is not None and self.rate is None:
            raise ValueError("a rate with hurdle")
        if self.profit_share is not None and self.share is None:
            raise ValueError("a share with profit_share")
        if self.rate is not None and self.hurdle is None:
            raise ValueError("rate only with hurdle")
        if self.share is not None and self.profit_share is None:
            raise ValueError("share only with profit_share")
        return self

    @property
    def kind(self) -> Literal["capital_returned", "hurdle", "profit_share"]:
        if self.capital_returned is not None:
            return "capital_returned"
        return "hurdle" if self.hurdle is not None else "profit_share"

    @property
    def target(self) -> str:
        target = self.capital_returned or self.hurdle or self.profit_share
        assert target is not None  # guaranteed by _one_condition
        return target


class Tier(_Model):
    """``[[waterfall.tier]]``: who is paid, in what shares, until when."""

    name: Text
    pay: dict[Id, Share]
    until: Until | None = None


class Waterfall(_Model):
    """``[waterfall]``: the tiers every distribution runs through, in order.

    Either list the tiers (``[[waterfall.tier]]``) or start from a named ``preset``:

    - ``european``: return of capital, a ``hurdle`` preferred return (0.08), a GP
      ``catch_up`` (1.0 = full; 0 = none) to ``carry`` (0.20) of the profit, then
      ``carry`` to the GPs; whole fund;
    - ``american``: the same tiers run deal by deal, with clawback;
    - ``mou-2025``: the September 2025 memorandum: ``split_before`` (0.5) to the GPs
      (the US) until the LPs (Japan) reach ``rate`` (deemed interest; a number or
      ``{ index = "sofr", spread = ... }``), then ``split_after`` (0.9) to the GPs.
    """

    preset: Literal["european", "american", "mou-2025"] | None = None
    hurdle: Rate | None = None
    carry: Share | None = None
    catch_up: Share | None = None
    rate: Rate | FloatingRate | None = None
    split_before: Share | None = None
    split_after: Share | None = None
    style: Literal["whole_fund", "deal_by_deal"] = "whole_fund"
    clawback: Flag = False
    tier: tuple[Tier, ...] = ()

    @model_validator(mode="after")
    def _expand_preset(self) -> Waterfall:
        options = {
            "european": {"hurdle", "carry", "catch_up"},
            "american": {"hurdle", "carry", "catch_up"},
            "mou-2025": {"rate", "split_before", "split_after"},
        }
        given = {
            k
            for k in ("hurdle", "carry", "catch_up", "rate", "split_before", "split_after")
            if getattr(self, k) is not None
        }
        if self.preset is None:
            if given:
                raise ValueError(f"{', '.join(sorted(given))} only with a preset")
            if not self.tier:
                raise ValueError("at least one [[waterfall.tier]], or a preset")
            return self
        if self.tier:
            raise ValueError("either a preset or [[waterfall.tier]] tables, not both")
        if given - options[self.preset]:
            raise ValueError(
                f"for preset '{self.preset}' only {', '.join(sorted(options[self.preset]))}"
                f" (found {', '.join(sorted(given - options[self.preset]))})"
            )
        if self.preset == "mou-2025":
            return self.model_copy(update={"tier": _mou_tiers(self)})
        style = "deal_by_deal" if self.preset == "american" else self.style
        clawback = True if self.preset == "american" else self.clawback
        return self.model_copy(
            update={"tier": _european_tiers(self), "style": style, "clawback": clawback}
        )


def _european_tiers(w: Waterfall) -> tuple[Tier, ...]:
    hurdle = 0.08 if w.hurdle is None else w.hurdle
    carry = 0.20 if w.carry is None else w.carry
    catch_up = 1.0 if w.catch_up is None else w.catch_up
    tiers = [
        Tier(name="return of capital", pay={"lps": 1.0}, until=Until(capital_returned="lps")),
        Tier(name="preferred return", pay={"lps": 1.0}, until=Until(hurdle="lps", rate=hurdle)),
    ]
    if catch_up > carry:
        pay = {"gps": catch_up} if catch_up == 1.0 else {"gps": catch_up, "lps": 1.0 - catch_up}
        tiers.append(Tier(name="catch-up", pay=pay, until=Until(profit_share="gps", share=carry)))
    residual = {"lps": 1.0 - carry, "gps": carry} if carry < 1.0 else {"gps": 1.0}
    tiers.append(Tier(name="carried interest", pay=residual))
    return tuple(tiers)


def _mou_tiers(w: Waterfall) -> tuple[Tier, ...]:
    rate = w.rate if w.rate is not None else FloatingRate(index="sofr", spread=0.0)
    before = 0.5 if w.split_before is None else w.split_before
    after = 0.9 if w.split_after is None else w.split_after
    return (
        Tier(
            name="shared until the LPs recover principal and deemed interest",
            pay={"lps": 1.0 - before, "gps": before} if before < 1.0 else {"gps": 1.0},
            until=Until(hurdle="lps", rate=rate),
        ),
        Tier(
            name="after recovery",
            pay={"lps": 1.0 - after, "gps": after} if after < 1.0 else {"gps": 1.0},
        ),
    )


class Covenants(_Model):
    """Fund-debt covenants, tested every quarter."""

    max_ltv: Annotated[float, Field(strict=True, gt=0, le=1)] | None = None
    min_interest_cover: Ratio | None = None
    on_breach: Literal["sweep", "sell", "default"] = "sweep"


class Leverage(_Model):
    """``[leverage]``: fund-level debt.

    ``debt_to_equity`` is the target ratio of fund debt to called equity (9 means
    assets of 10x equity). Debt pays ``spread`` over the short rate (SOFR); with
    ``refinance_years`` it is refinanced that often at the then-current market spread
    (``spread`` plus the path's credit-spread move), else it keeps ``spread`` for life.
    """

    debt_to_equity: DebtRatio = 0.0
    max_debt_to_equity: DebtRatio | None = None
    spread: Rate = 0.0
    draw: Literal["pro_rata", "equity_first"] = "pro_rata"
    interest: Literal["paid", "capitalised"] = "paid"
    repayment: Literal["bullet", "sweep"] = "bullet"
    refinance_years: Annotated[int, Field(strict=True, ge=1, le=60)] | None = None
    fire_sale_discount: Share = 0.2
    covenants: Covenants = Field(default_factory=Covenants)


class Policy(_Model):
    """``[policy]``: what the fund may invest in, and how much leverage it may use."""

    sectors: tuple[Sector, ...] = SECTORS  # type: ignore[assignment]
    us_only: Flag = True
    japanese_contractor: Flag = False
    max_project_share: Annotated[float, Field(strict=True, gt=0, le=1)] = 1.0
    max_sector_share: Annotated[float, Field(strict=True, gt=0, le=1)] = 1.0
    max_debt_to_equity: DebtRatio | None = None


class Terminal(_Model):
    """How a project is valued when the fund sells it at the end of its term."""

    method: Literal["dcf", "multiple"] = "dcf"
    multiple: Annotated[float, Field(strict=True, gt=0, le=1000)] | None = None

    @model_validator(mode="after")
    def _multiple_given(self) -> Terminal:
        if (self.method == "multiple") != (self.multiple is not None):
            raise ValueError("multiple if and only if method = 'multiple'")
        return self


class Project(_Model):
    """``[[project]]``: one investment in the pipeline.

    Capex is spent evenly over ``construction_quarters`` from ``start_quarter``;
    revenue (``annual_revenue`` in today's money, ``indexation`` of it indexed to
    inflation) runs for ``operating_years`` from the quarter after completion, less
    ``opex_share`` of it. ``debt_share`` of capex is project-level debt repaid as an
    annuity at ``debt_rate`` over the operating life; the fund funds the rest.
    """

    id: Id
    name: Text
    sector: Sector
    location: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$")] = "US"
    state: Text | None = None
    contractor: Text
    contractor_country: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$")]
    capex: PositiveMoney
    construction_quarters: Annotated[int, Field(strict=True, ge=1, le=120)]
    start_quarter: Count
    revenue_model: Literal["availability", "contracted", "merchant"]
    annual_revenue: Money
    indexation: Share = 0.0
    opex_share: Annotated[float, Field(strict=True, ge=0, lt=1)] = 0.0
    operating_years: Annotated[int, Field(strict=True, ge=1, le=100)]
    terminal: Terminal = Field(default_factory=Terminal)
    debt_share: Annotated[float, Field(strict=True, ge=0, lt=1)] = 0.0
    debt_rate: Rate = 0.055


class Tariff(_Model):
    """``[macro.tariff]``: the US tariff on Japanese goods as a two-state Markov chain.

    Each quarter the regime moves from the agreed ``deal`` rate to ``snapback`` with
    probability ``p_snapback`` and back with ``p_restore``. In snap-back, projects in
    tariff-exposed sectors with Japanese contractors pay ``import_share`` of their
    capex that quarter at the higher rate.
    """

    deal: Rate = 0.15
    snapback: Rate = 0.25
    p_snapback: Share = 0.02
    p_restore: Share = 0.10
    import_share: Share = 0.3


class Macro(_Model):
    """``[macro]``: base-case market levels and, for Monte Carlo, how they move.

    Levels start at the base case. The short rate follows a Vasicek process, the term
    spread (10-year yield less short rate), inflation and log USD/JPY Ornstein-Uhlenbeck
    processes, with quarterly shocks correlated by ``correlation`` (in that order:
    short rate, term spread, inflation, log USD/JPY). Long-run means left out default
    to the base levels (no drift). The JPY short rate is held at its base level. The
    market credit spread (what fund debt refinances at, over ``leverage.spread``) is an
    independent OU deviation from zero with ``credit_spread_speed`` and ``_vol``.
    """

    short_rate: Rate
    yield_10y: Rate
    inflation: Rate
    usd_jpy: Annotated[float, Field(strict=True, gt=0, le=1e5)]
    jpy_short_rate: Rate = 0.0
    short_rate_mean: Rate | None = None
    short_rate_speed: Speed = 0.2
    short_rate_vol: RateVolatility = 0.009
    term_spread_mean: Rate | None = None
    term_spread_speed: Speed = 0.3
    term_spread_vol: RateVolatility = 0.006
    inflation_mean: Rate | None = None
    inflation_speed: Speed = 0.4
    inflation_vol: RateVolatility = 0.0125
    usd_jpy_mean: Annotated[float, Field(strict=True, gt=0, le=1e5)] | None = None
    usd_jpy_speed: Speed = 0.18
    usd_jpy_vol: Annotated[float, Field(strict=True, ge=0, le=2)] = 0.103
    credit_spread_speed: Speed = 0.5
    credit_spread_vol: RateVolatility = 0.006
    correlation: tuple[tuple[Annotated[float, Field(strict=True)], ...], ...] = (
        (1.0, -0.3, 0.3, 0.3),
        (-0.3, 1.0, 0.0, 0.1),
        (0.3, 0.0, 1.0, 0.0),
        (0.3, 0.1, 0.0, 1.0),
    )
    tariff: Tariff = Field(default_factory=Tariff)

    @field_validator("correlation")
    @classmethod
    def _correlation_matrix(
        cls, matrix: tuple[tuple[float, ...], ...]
    ) -> tuple[tuple[float, ...], ...]:
        if len(matrix) != 4 or any(len(row) != 4 for row in matrix):
            raise ValueError("correlation as 4 rows of 4 numbers")
        for i in range(4):
            if matrix[i][i] != 1.0:
                raise ValueError("correlation with 1.0 on the diagonal")
            for j in range(4):
                if matrix[i][j] != matrix[j][i] or not -1.0 <= matrix[i][j] <= 1.0:
                    raise ValueError("a symmetric correlation matrix with entries in [-1, 1]")
        if not _positive_definite(matrix):
            raise ValueError("a positive definite correlation matrix (no such joint moves exist)")
        return matrix


def _positive_definite(matrix: tuple[tuple[float, ...], ...]) -> bool:
    """Whether a symmetric matrix is positive definite: its Cholesky factor exists
    (every pivot positive). Plain Python, so that reading a term sheet needs no NumPy."""
    size = len(matrix)
    factor = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            total = matrix[i][j] - sum(factor[i][k] * factor[j][k] for k in range(j))
            if i == j:
                if total <= 1e-12:
                    return False
                factor[i][i] = math.sqrt(total)
            else:
                factor[i][j] = total / factor[j][j]
    return True


class SectorRisk(_Model):
    """Project risk of one sector (``[risk.sector.NAME]`` overrides the shipped table).

    Every key is optional in an override; the shipped table
    (sovfund/scenarios/sectors.toml, see docs/risk.md) fills the rest and gives each
    figure's source.
    """

    overrun_mean: Annotated[float, Field(strict=True, ge=-0.5, le=5.0)] | None = None
    overrun_sd: Volatility | None = None
    delay_years: Annotated[float, Field(strict=True, ge=0, le=20)] | None = None
    default_construction: Share | None = None
    default_operation: Share | None = None
    recovery_mean: Share | None = None
    recovery_sd: Share | None = None
    revenue_vol: Volatility | None = None
    tariff_exposed: Flag | None = None


class Risk(_Model):
    """``[risk]``: project risk in the Monte Carlo.

    ``volatility`` scales every macro volatility, every project spread, the mean
    overrun, the delays and the chance of a tariff snap-back; ``defaults`` scales every
    default hazard (0 and 0 turn the Monte Carlo into the base case). Project shocks
    share a macro factor (``macro_loading`` of their variance) and a sector factor
    (``sector_loading``); the rest is their own.
    """

    volatility: Volatility = 1.0
    defaults: Ratio = 1.0
    macro_loading: Share = 0.2
    sector_loading: Share = 0.3
    sector: dict[Sector, SectorRisk] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _loadings(self) -> Risk:
        if self.macro_loading + self.sector_loading > 1.0:
            raise ValueError("macro_loading + sector_loading at most 1")
        return self


class Valuation(_Model):
    """``[valuation]``: how NAV is marked.

    Operating projects are worth the remaining cash flows to equity discounted at the
    10-year yield plus ``risk_premium``; projects under construction at cost.
    """

    risk_premium: Rate = 0.03


class Stress(_Model):
    """``[stress.NAME]``: a named stress scenario, applied on top of the Monte Carlo.

    A stress changes the draws (market moves, project shocks) and some terms (default
    hazards, recoveries, leverage) but keeps the random numbers, so a stress and the
    base run on the same seed differ only by the stress (see docs/stress.md).

    Market moves (added to every path) reach their full size linearly over
    ``ramp_quarters`` from ``start_quarter`` and stay at full size ``hold_quarters``
    (to the end of the term if not given). ``usd_jpy`` is a relative move of the
    USD/JPY rate (-0.25: the yen 25% stronger). Project shocks hit the projects named
    in ``projects``, in ``sectors`` or with a ``revenue_models`` entry (every project
    when all three are empty): ``overrun_scale`` multiplies the overrun
    (capex factor - 1), ``overrun_add`` adds to the capex factor, ``delay_quarters``
    lengthens construction, ``revenue_scale`` scales revenue, ``recovery`` replaces the
    recovery on default. ``default_scale`` multiplies every default hazard;
    ``largest_project_default`` makes the largest project default halfway through its
    construction on every path; projects starting after ``cancel_after`` are never
    built. ``debt_to_equity`` replaces the leverage target (raising the caps with it),
    ``spread`` is added to the debt margin. ``redemption_request``: the share of their
    NAV the LPs of ``[fund.redemptions]`` ask to redeem each quarter while the market
    moves apply (the gate decides what they get).
    """

    title: Text
    description: Text
    start_quarter: Count = 0
    ramp_quarters: Annotated[int, Field(strict=True, ge=1, le=400)] = 1
    hold_quarters: Annotated[int, Field(strict=True, ge=1, le=400)] | None = None
    short_rate: Annotated[float, Field(strict=True, ge=-0.2, le=0.2)] = 0.0
    yield_10y: Annotated[float, Field(strict=True, ge=-0.2, le=0.2)] = 0.0
    inflation: Annotated[float, Field(strict=True, ge=-0.2, le=0.5)] = 0.0
    jpy_short_rate: Annotated[float, Field(strict=True, ge=-0.2, le=0.2)] = 0.0
    credit_spread: Annotated[float, Field(strict=True, ge=-0.1, le=0.5)] = 0.0
    usd_jpy: Annotated[float, Field(strict=True, gt=-1, le=5)] = 0.0
    tariff_snapback: Flag = False
    projects: tuple[Id, ...] = ()
    sectors: tuple[Sector, ...] = ()
    revenue_models: tuple[Literal["availability", "contracted", "merchant"], ...] = ()
    overrun_scale: Ratio = 1.0
    overrun_add: Annotated[float, Field(strict=True, ge=-0.5, le=10)] = 0.0
    delay_quarters: Annotated[int, Field(strict=True, ge=0, le=120)] = 0
    revenue_scale: Ratio = 1.0
    recovery: Share | None = None
    default_scale: Ratio = 1.0
    largest_project_default: Flag = False
    cancel_after: Date | None = None
    debt_to_equity: DebtRatio | None = None
    spread: Annotated[float, Field(strict=True, ge=-0.05, le=0.5)] = 0.0
    redemption_request: Share = 0.0


class ExportSector(_Model):
    """``[[bargain.sector]]``: one sector of Japan's exports to the US and what the deal
    saves its exporters.

    Its yearly relief is ``exports x (tariff_without - tariff_with) x [exporter_share +
    (1 - exporter_share) x elasticity x margin]``: the share of the tariff the exporters
    absorb in their prices, plus the margin lost on the sales that the rest, passed on
    to US buyers, costs them (docs/bargain.md).
    """

    name: Text
    exports: Money
    """Japan's exports of the sector to the US, USD a year."""
    tariff_without: Rate
    """The US tariff on them without the deal."""
    tariff_with: Rate
    """The US tariff on them under the deal."""
    exporter_share: Share
    """The share of a tariff the Japanese exporters bear (1 - pass-through to US prices)."""
    elasticity: Ratio = 0.0
    """The volume of US sales lost per unit of price rise passed on."""
    margin: Share = 0.0
    """The exporters' margin on the sales lost."""
    years: Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)] | None = None
    """How long the relief lasts from the fund's start, in years; None: the whole term."""

    @model_validator(mode="after")
    def _tariffs(self) -> ExportSector:
        if self.tariff_with > self.tariff_without:
            raise ValueError(
                f"tariff_with ({self.tariff_with:g}) at most tariff_without"
                f" ({self.tariff_without:g}): the relief is the tariff the deal removes"
            )
        return self

    @property
    def yearly_relief(self) -> float:
        """What the deal saves the sector's exporters a year while it holds, USD."""
        passed_on = (1.0 - self.exporter_share) * self.elasticity * self.margin
        return (
            self.exports
            * (self.tariff_without - self.tariff_with)
            * (self.exporter_share + passed_on)
        )


class Bargain(_Model):
    """``[bargain]``: Japan's side of the bargain, the tariff relief the fund buys.

    The relief (the sectors' yearly relief, a quarter of it each quarter) is lost in the
    quarters the Monte Carlo's tariff regime (``[macro.tariff]``) has snapped back, is
    weighted by the chance ``hazard`` a year that the US raises tariffs anyway and ends
    it for good, and is discounted, with Japan's fund cash flows, at Japan's yen funding
    rate (the path's JPY short rate). With ``decline_snapback``, Japan may decline a
    project, and the US then snaps tariffs back with that chance (the September 2025
    memorandum); sovfund weighs each project's funding against declining it
    (docs/bargain.md).
    """

    parties: tuple[Id, ...] | None = None
    """The parties whose fund outcome is Japan's; None: the Japanese sovereign LPs
    (``country = "JP"``, ``class = "sovereign"``)."""
    hazard: Share = 0.0
    """The yearly chance that the US raises tariffs anyway, ending the relief for good."""
    decline_snapback: Share | None = None
    """The chance the US snaps tariffs back when Japan declines a project, to the end of
    the term; None: Japan cannot decline projects."""
    sector: tuple[ExportSector, ...] = Field(min_length=1)


class Contract(_Model):
    """The fund as its documents set it: ``[fund]``, ``[[party]]``, ``[[fee]]``,
    ``[waterfall]``, ``[leverage]``, ``[policy]`` and ``[[project]]``. No market levels,
    no risk model, no draws: what the calculator, ``validate`` and the books read, and
    what the engine runs on the markets it is given."""

    fund: Fund
    parties: tuple[Party, ...] = Field(alias="party", min_length=1, max_length=1000)
    fees: tuple[Fee, ...] = Field(default=(), alias="fee")
    waterfall: Waterfall
    leverage: Leverage = Field(default_factory=Leverage)
    policy: Policy = Field(default_factory=Policy)
    projects: tuple[Project, ...] = Field(default=(), alias="project", max_length=1000)
    _source: str = PrivateAttr(default="the term sheet")

    @property
    def source(self) -> str:
        """Where the term sheet was read from (a file or ``preset ID``), for messages."""
        return self._source

    def __eq__(self, other: object) -> bool:
        """Equal when the contents are, wherever each was read from."""
        if not isinstance(other, Contract):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = _Model.__hash__

    @property
    def lps(self) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.role == "lp")

    @property
    def gps(self) -> tuple[Party, ...]:
        return tuple(p for p in self.parties if p.role == "gp")

    @property
    def total_commitment(self) -> float:
        return sum(p.commitment or 0.0 for p in self.lps)

    @property
    def capacity(self) -> float:
        """What the fund can invest: commitments plus target debt on them."""
        return self.total_commitment * (1.0 + self.leverage.debt_to_equity)


class Terms(Contract):
    """A whole term sheet, validated. Build it with :func:`sovfund.load_terms`.

    The contract (:class:`Contract`), the market model it is simulated in (``[macro]``
    levels and dynamics, ``[risk]``, ``[valuation]``) and the named stresses
    (``[stress.NAME]``), read from one TOML file. A term sheet needs only the sections
    of the command it is given to: ``[fund]``, ``[[party]]`` and ``[waterfall]`` make a
    complete one for the calculator, ``validate`` and the books; simulations also need
    ``[[project]]`` and ``[macro]`` (:func:`sovfund.terms.require_simulation`), and
    ``sovfund bargain`` a ``[bargain]`` (Japan's side of the bargain, docs/bargain.md).
    """

    macro: Macro | None = None
    valuation: Valuation = Field(default_factory=Valuation)
    risk: Risk = Field(default_factory=Risk)
    stress: dict[Id, Stress] = Field(default_factory=dict)
    bargain: Bargain | None = None

    @property
    def contract(self) -> Contract:
        """The contract alone, without the market model and the stresses."""
        fields = {name: getattr(self, name) for name in Contract.model_fields}
        contract = Contract.model_construct(**fields)
        contract._source = self._source
        return contract

    @property
    def market(self) -> Macro:
        """``[macro]``; only for code behind :func:`~sovfund.terms.require_simulation`."""
        if self.macro is None:
            raise ValueError("this term sheet has no [macro] table (see require_simulation)")
        return self.macro
