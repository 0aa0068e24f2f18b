"""The Monte Carlo generator: reproducible, batch-invariant, the base case at zero risk,
and calibrated to CALIBRATION.md within sampling error.

Statistical tests allow 4 standard errors, computed in the test from the sample (a
false alarm about once in 16,000 runs per check, but draws are seeded, so a test
either always passes or always fails on one machine).
"""

from __future__ import annotations

import math
import re
from dataclasses import fields
from importlib import resources
from typing import Any

import numba
import numpy as np
import pytest
from numpy.typing import NDArray
from pydantic import ValidationError
from scipy import stats

from sovfund import InputError, load_terms
from sovfund.scenarios import Draws, base_case
from sovfund.scenarios.monte_carlo import (
    BLOCK,
    DT,
    MERCHANT_REVENUE_UPLIFT,
    _default_at,
    _plan,
    monte_carlo,
)
from sovfund.scenarios.sectors import sector_parameters, shipped_sector_risk, tariff_exposure
from sovfund.terms.models import SECTORS, Macro, SectorRisk, Terms

SON = load_terms("son-2025")
MOU = load_terms("mou-550b")
PATHS = 20_000
FIELDS = [field.name for field in fields(Draws) if field.name != "redemption"]  # a stress's
Array = NDArray[np.float64]


def with_risk(terms: Terms, **changes: Any) -> Terms:
    return terms.model_copy(update={"risk": terms.risk.model_copy(update=changes)})


def sector_terms(*, term_years: int = 12, copies: int = 1, start_quarter: int = 0) -> Terms:
    """son-2025 with its pipeline replaced by, for each sector in SECTORS order, ``copies``
    contracted projects then ``copies`` merchant ones (12-quarter builds)."""
    template = SON.projects[0]
    projects = [
        template.model_copy(
            update={
                "id": f"{sector}_{model}_{i}",
                "sector": sector,
                "revenue_model": model,
                "start_quarter": start_quarter,
                "construction_quarters": 12,
            }
        )
        for sector in SECTORS
        for model in ("contracted", "merchant")
        for i in range(copies)
    ]
    fund = SON.fund.model_copy(update={"term_years": term_years})
    return SON.model_copy(update={"projects": tuple(projects), "fund": fund})


@pytest.fixture(scope="module")
def sector_draws() -> Draws:
    return monte_carlo(sector_terms(), 11, 0, PATHS)


def column(sector: str, model: str = "contracted") -> int:
    return 2 * SECTORS.index(sector) + (model == "merchant")


# -- reproducibility (DESIGN.md principle 4) ---------------------------------------------


def test_same_seed_same_draws_and_another_seed_other_draws() -> None:
    first, again, other = (monte_carlo(SON, seed, 0, 300) for seed in (7, 7, 8))
    for name in FIELDS:
        assert np.array_equal(getattr(first, name), getattr(again, name)), name
    for name in ("short_rate", "usd_jpy", "capex_factor", "revenue_factor"):
        assert not np.array_equal(getattr(first, name), getattr(other, name)), name


def test_shapes_and_types() -> None:
    draws = monte_carlo(MOU, 3, 5, 10)
    quarters, projects = MOU.fund.quarters, len(MOU.projects)
    for name in FIELDS:
        array = getattr(draws, name)
        integer = name in ("delay", "default_quarter")
        assert array.dtype == (np.int64 if integer else np.float64), name
        macro = name in (
            "short_rate",
            "yield_10y",
            "inflation",
            "usd_jpy",
            "jpy_short_rate",
            "credit_spread",
        )
        assert array.shape == (10, quarters if macro or name == "tariff" else projects), name
    assert monte_carlo(MOU, 3, 0, 0).capex_factor.shape == (0, projects)


def test_batch_invariance_bit_for_bit() -> None:
    whole = monte_carlo(SON, 7, 0, 1000)
    parts = [monte_carlo(SON, 7, 0, 300), monte_carlo(SON, 7, 300, 700)]
    inside = monte_carlo(SON, 7, 260, 20)  # starts and ends inside block 1
    for name in FIELDS:
        joined = np.concatenate([getattr(part, name) for part in parts])
        assert np.array_equal(getattr(whole, name), joined), name
        assert np.array_equal(getattr(whole, name)[260:280], getattr(inside, name)), name
    assert 300 % BLOCK  # the batches really cut through blocks
    assert 1000 % BLOCK


def test_threads_do_not_change_the_draws() -> None:
    """Blocks are generated on as many threads as Numba may use; one thread or several
    give the same numbers."""
    threads = numba.get_num_threads()
    if threads < 2:
        pytest.skip("one thread only on this machine")
    several = monte_carlo(SON, 4, 100, 1500)
    numba.set_num_threads(1)
    try:
        one = monte_carlo(SON, 4, 100, 1500)
    finally:
        numba.set_num_threads(threads)
    for name in FIELDS:
        assert np.array_equal(getattr(several, name), getattr(one, name)), name


@pytest.mark.parametrize("terms", [SON, MOU], ids=["son-2025", "mou-550b"])
def test_zero_volatility_and_defaults_is_the_base_case(terms: Terms) -> None:
    quiet = with_risk(terms, volatility=0.0, defaults=0.0)
    draws, base = monte_carlo(quiet, 5, 100, 300), base_case(quiet, 300)
    for name in FIELDS:
        got, expected = getattr(draws, name), getattr(base, name)
        assert got.dtype == expected.dtype, name
        assert np.array_equal(got, expected), name


def test_no_defaults_when_defaults_is_zero() -> None:
    draws = monte_carlo(with_risk(SON, defaults=0.0), 5, 0, 300)
    assert (draws.default_quarter == -1).all()
    assert (draws.recovery == 1.0).all()


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(InputError, match="seed"):
        monte_carlo(SON, -1, 0, 10)
    with pytest.raises(InputError, match="paths"):
        monte_carlo(SON, 1, 0, -10)


BAD_CORRELATION = (
    (1.0, 0.9, 0.9, 0.0),
    (0.9, 1.0, -0.9, 0.0),
    (0.9, -0.9, 1.0, 0.0),
    (0.0, 0.0, 0.0, 1.0),
)


def test_a_correlation_that_is_not_positive_definite_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="positive definite"):
        Macro.model_validate({**SON.macro.model_dump(), "correlation": BAD_CORRELATION})


def test_the_generator_refuses_it_too() -> None:
    # Terms built without validation (model_construct) still get a clear error.
    macro = Macro.model_construct(**{**dict(SON.macro), "correlation": BAD_CORRELATION})
    terms = SON.model_copy(update={"macro": macro})
    with pytest.raises(InputError, match=r"macro\.correlation is not positive definite"):
        monte_carlo(terms, 1, 0, 10)


# -- the sector table --------------------------------------------------------------------


def test_shipped_table_has_every_sector_and_key_each_with_a_source_or_assumption() -> None:
    table = shipped_sector_risk()
    assert list(table) == list(SECTORS)
    for sector, risk in table.items():
        assert all(getattr(risk, key) is not None for key in SectorRisk.model_fields), sector
    text = resources.files("sovfund.scenarios").joinpath("sectors.toml").read_text("utf-8")
    comment: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif re.match(r"^[a-z_]+ = ", line):
            said = " ".join(comment)
            assert "source:" in said or "ASSUMPTION:" in said, line
            comment = []
        else:
            comment = []


def test_overrides_replace_only_their_keys_and_leave_other_draws_alone() -> None:
    override = SectorRisk(overrun_mean=0.0, overrun_sd=0.0, delay_years=0.0)
    risk = SON.risk.model_copy(update={"sector": {"nuclear": override}})
    terms = SON.model_copy(update={"risk": risk})
    merged = sector_parameters(terms)["nuclear"]
    shipped = shipped_sector_risk()["nuclear"]
    assert (merged.overrun_mean, merged.delay_years) == (0.0, 0.0)
    assert merged.default_construction == shipped.default_construction
    nuclear = np.array([p.sector == "nuclear" for p in SON.projects])
    plain, changed = monte_carlo(SON, 2, 0, 300), monte_carlo(terms, 2, 0, 300)
    assert (changed.capex_factor[:, nuclear] == 1.0).all()
    assert (changed.delay[:, nuclear] == 0).all()
    assert np.array_equal(changed.capex_factor[:, ~nuclear], plain.capex_factor[:, ~nuclear])
    assert np.array_equal(changed.revenue_factor, plain.revenue_factor)


def test_tariff_exposure_follows_the_table() -> None:
    exposure = tariff_exposure(SON)
    table = shipped_sector_risk()
    assert exposure.tolist() == [float(bool(table[p.sector].tariff_exposed)) for p in SON.projects]


# -- calibration: project risk (CALIBRATION.md, "Project risk") --------------------------


def mean_and_se(sample: Array) -> tuple[float, float]:
    return float(sample.mean()), float(sample.std(ddof=1) / math.sqrt(sample.size))


def sd_and_se(sample: Array) -> tuple[float, float]:
    """Sample sd and its standard error from the sample's fourth central moment."""
    centred = sample - sample.mean()
    variance = float(np.mean(centred**2))
    variance_se = math.sqrt(max(float(np.mean(centred**4)) - variance**2, 0.0) / sample.size)
    return math.sqrt(variance), variance_se / (2.0 * math.sqrt(variance))


@pytest.mark.parametrize("sector", SECTORS)
def test_overrun_mean_and_sd_match_the_sector_table(sector: str, sector_draws: Draws) -> None:
    """Flyvbjerg, Holm & Buhl 2002 (rail, bridges & tunnels, roads); Sovacool et al. 2025
    (energy by type); GAO / CBO (naval shipbuilding, Polar Security Cutter): the mean and
    sd of capex_factor - 1 are the table's."""
    risk = sector_parameters(SON)[sector]
    overrun = sector_draws.capex_factor[:, column(sector)] - 1.0
    mean, mean_se = mean_and_se(overrun)
    sd, sd_se = sd_and_se(overrun)
    assert abs(mean - risk.overrun_mean) < 4 * mean_se, (mean, risk.overrun_mean)
    assert abs(sd - risk.overrun_sd) < 4 * sd_se, (sd, risk.overrun_sd)


def test_known_overruns_and_delays_in_the_table() -> None:
    """The figures CALIBRATION.md states outright: nuclear +102.5%, transmission -3.6%,
    Polar Security Cutter +60% (Sovacool et al. 2025; CBO 2024)."""
    table = sector_parameters(SON)
    assert table["nuclear"].overrun_mean == pytest.approx(1.025)
    assert table["grid"].overrun_mean == pytest.approx(-0.036)
    assert table["shipbuilding"].overrun_mean == pytest.approx(0.60)
    assert table["shipbuilding"].delay_years == pytest.approx(3.0)


def delay_distribution(sector: str) -> Array:
    """P(delay = k quarters), k = 0..199, at volatility 1: round(Y), Y lognormal with mean
    4 x delay_years and the overrun's log-sd."""
    risk = sector_parameters(SON)[sector]
    log_sd = math.sqrt(math.log1p((risk.overrun_sd / (1.0 + risk.overrun_mean)) ** 2))
    scale = 4.0 * risk.delay_years * math.exp(-0.5 * log_sd**2)
    below = stats.lognorm(s=log_sd, scale=scale).cdf(np.arange(200) + 0.5)
    return np.diff(below, prepend=0.0)


@pytest.mark.parametrize("sector", ["nuclear", "grid", "shipbuilding", "semiconductors"])
def test_delay_mean_matches_the_table(sector: str, sector_draws: Draws) -> None:
    """Sovacool et al. 2025: all energy ~2 years late; GAO: frigate 36 months late. The
    delay is round(4 x delay_years x D), D lognormal with mean 1 and the overrun's log-sd."""
    scale = 4.0 * sector_parameters(SON)[sector].delay_years
    probabilities = delay_distribution(sector)
    expected = float(np.sum(np.arange(probabilities.size) * probabilities))
    mean, se = mean_and_se(sector_draws.delay[:, column(sector)].astype(np.float64))
    assert abs(mean - expected) < 4 * se, (mean, expected)
    assert abs(expected - scale) < 0.05 * scale  # rounding barely moves the mean
    shares = np.bincount(sector_draws.delay[:, column(sector)], minlength=200)[:200] / PATHS
    assert np.abs(shares - probabilities).max() < 4 * math.sqrt(0.25 / PATHS)


def test_infrastructure_ten_year_cumulative_default_rate() -> None:
    """Moody's (CALIBRATION.md "project-finance default"): 10-year cumulative default 6.7%
    for project finance, 6.6% for infrastructure. A pipeline planned to build in 3 years,
    with its sector's delays (1 year on average), then operating, defaults within 10
    years with the table's hazards about 6.6% of the time."""
    risk = sector_parameters(SON)["pipelines"]
    build = 12 + np.arange(200)  # construction quarters, delay included
    operating = np.maximum(40 - build, 0)
    survive = (1 - risk.default_construction) ** (np.minimum(build, 40) / 4) * (
        1 - risk.default_operation
    ) ** (operating / 4)
    expected = float(np.sum(delay_distribution("pipelines") * (1 - survive)))
    assert 0.064 <= expected <= 0.068
    # independent projects (no common factors) so that every entry is its own sample
    terms = with_risk(sector_terms(term_years=10, copies=4), macro_loading=0.0, sector_loading=0.0)
    pipelines = [i for i, p in enumerate(terms.projects) if p.sector == "pipelines"]
    quarters = monte_carlo(terms, 3, 0, 12 * BLOCK).default_quarter[:, pipelines]
    assert quarters.max() < 40
    rate, se = mean_and_se((quarters >= 0).astype(np.float64).ravel())
    assert abs(rate - expected) < 4 * se, (rate, expected)
    # construction is riskier: the first 3 years hold more defaults than the next 7
    years = quarters[quarters >= 0] // 4
    assert (years < 3).sum() > (years >= 3).sum()


def test_default_multiplier_scales_the_hazards() -> None:
    """risk.defaults multiplies every annual hazard: twice the pipeline hazards."""
    risk = sector_parameters(SON)["pipelines"]
    survive = (1 - 2 * risk.default_construction) ** 3 * (1 - 2 * risk.default_operation) ** 7
    terms = with_risk(
        sector_terms(term_years=10, copies=4),
        volatility=0.0,
        defaults=2.0,
        macro_loading=0.0,
        sector_loading=0.0,
    )
    pipelines = [i for i, p in enumerate(terms.projects) if p.sector == "pipelines"]
    quarters = monte_carlo(terms, 4, 0, 8 * BLOCK).default_quarter[:, pipelines]
    rate, se = mean_and_se((quarters >= 0).astype(np.float64).ravel())
    assert abs(rate - (1 - survive)) < 4 * se, (rate, 1 - survive)


def test_recovery_matches_moodys() -> None:
    """Moody's 2016 (CALIBRATION.md "recovery"): ~80% average ultimate recovery, ~2/3 of
    defaults recover 100% (here: above 99%). Recovery is 1.0 where nothing defaults."""
    terms = with_risk(sector_terms(copies=1), defaults=20.0, macro_loading=0.0, sector_loading=0.0)
    draws = monte_carlo(terms, 9, 0, 8 * BLOCK)
    defaulted = draws.default_quarter >= 0
    assert (draws.recovery[~defaulted] == 1.0).all()
    recoveries = draws.recovery[defaulted]
    assert recoveries.size > 10_000
    risk = sector_parameters(SON)["grid"]  # the same in every sector
    mean, se = mean_and_se(recoveries)
    assert abs(mean - risk.recovery_mean) < 4 * se
    assert risk.recovery_mean == pytest.approx(0.80)
    concentration = risk.recovery_mean * (1 - risk.recovery_mean) / risk.recovery_sd**2 - 1
    beta = stats.beta(risk.recovery_mean * concentration, (1 - risk.recovery_mean) * concentration)
    full = float(beta.sf(0.99))
    assert abs(full - 2 / 3) < 0.05
    share, share_se = mean_and_se((recoveries > 0.99).astype(np.float64))
    assert abs(share - full) < 4 * share_se, (share, full)


@pytest.mark.parametrize("sector", ["grid", "critical_minerals", "semiconductors"])
def test_revenue_factor_has_mean_one_and_the_sector_vol(sector: str, sector_draws: Draws) -> None:
    """EDHECinfra (CALIBRATION.md "unlisted infrastructure volatility") via the table's
    revenue_vol; merchant projects 1.5x (S&P 2014: market risk drives defaults)."""
    vol = sector_parameters(SON)[sector].revenue_vol
    for model, scale in (("contracted", 1.0), ("merchant", MERCHANT_REVENUE_UPLIFT)):
        revenue = sector_draws.revenue_factor[:, column(sector, model)]
        mean, mean_se = mean_and_se(revenue)
        sd, sd_se = sd_and_se(revenue)
        assert abs(mean - 1.0) < 4 * mean_se, (model, mean)
        assert abs(sd - scale * vol) < 4 * sd_se, (model, sd, scale * vol)


def test_project_latents_share_the_macro_and_sector_factors(sector_draws: Draws) -> None:
    """corr(log capex factors) = macro_loading + sector_loading within a sector and
    macro_loading across sectors (the factor structure of docs/risk.md)."""
    logs = np.log(sector_draws.capex_factor)
    same = np.corrcoef(logs[:, column("nuclear")], logs[:, column("nuclear", "merchant")])[0, 1]
    other = np.corrcoef(logs[:, column("nuclear")], logs[:, column("grid")])[0, 1]
    macro, sector = SON.risk.macro_loading, SON.risk.sector_loading
    for got, expected in ((same, macro + sector), (other, macro)):
        assert abs(got - expected) < 4 * (1 - expected**2) / math.sqrt(PATHS), (got, expected)


# -- calibration: macro (CALIBRATION.md, "Macro") ----------------------------------------


@pytest.fixture(scope="module")
def macro_draws() -> Draws:
    one = SON.model_copy(update={"projects": SON.projects[:1]})
    return monte_carlo(one, 13, 0, PATHS)


def deviations(draws: Draws, macro: Macro) -> list[Array]:
    """The four processes as deviations from their base levels."""
    spread = macro.yield_10y - macro.short_rate
    return [
        draws.short_rate - macro.short_rate,
        draws.yield_10y - draws.short_rate - spread,
        draws.inflation - macro.inflation,
        np.log(draws.usd_jpy / macro.usd_jpy),
    ]


def step(speed: float, vol: float) -> tuple[float, float]:
    """Exact OU discretisation: the quarterly decay and the sd of one quarter's shock."""
    decay = math.exp(-speed * DT)
    return decay, vol * math.sqrt(-math.expm1(-2 * speed * DT) / (2 * speed))


def test_usd_jpy_volatility(macro_draws: Draws) -> None:
    """CALIBRATION.md "log USD/JPY as OU": vol ~10.3% with speed ~0.18 (realised 10.4%)."""
    macro = SON.macro
    decay, sd = step(macro.usd_jpy_speed, macro.usd_jpy_vol)
    quarters = SON.fund.quarters
    var_level = sd**2 * (1 - decay ** (2 * np.arange(1, quarters))) / (1 - decay**2)
    expected = math.sqrt(float(np.mean((1 - decay) ** 2 * var_level + sd**2)) / DT)
    changes = np.diff(np.log(macro_draws.usd_jpy), axis=1)
    got = math.sqrt(float(np.mean(changes**2)) / DT)
    assert abs(got - expected) < 4 * expected / math.sqrt(2 * changes.size), (got, expected)
    # for a small speed: vol x sqrt((1 - exp(-2 k dt)) / (2 k dt)) = sd / sqrt(dt)
    assert abs(expected / (sd / math.sqrt(DT)) - 1) < 0.015
    assert 0.100 <= got <= 0.106  # ~10.3-10.4%


def test_short_rate_mean_reversion_speed(macro_draws: Draws) -> None:
    """CALIBRATION.md "short rate, Vasicek": speed 0.1-0.3; regressing the quarterly change
    on the level across paths recovers the speed."""
    rates = macro_draws.short_rate
    level, change = rates[:, :-1].ravel(), np.diff(rates, axis=1).ravel()
    result = stats.linregress(level, change)
    speed = -math.log(1 + result.slope) / DT
    speed_se = result.stderr / (DT * (1 + result.slope))
    assert abs(speed - SON.macro.short_rate_speed) < 4 * speed_se, (speed, speed_se)
    assert 0.1 <= SON.macro.short_rate_speed <= 0.3


def test_shock_correlation_matches_macro_correlation(macro_draws: Draws) -> None:
    """CALIBRATION.md "corr(ΔlogUSDJPY, Δ10y)": the shocks are correlated as
    macro.correlation says (and that implies a 10y-FX correlation of ~0.34-0.36)."""
    macro = SON.macro
    shocks = []
    for x, (speed, vol) in zip(
        deviations(macro_draws, macro),
        [
            (macro.short_rate_speed, macro.short_rate_vol),
            (macro.term_spread_speed, macro.term_spread_vol),
            (macro.inflation_speed, macro.inflation_vol),
            (macro.usd_jpy_speed, macro.usd_jpy_vol),
        ],
        strict=True,
    ):
        decay, sd = step(speed, vol)
        previous = np.concatenate([np.zeros((x.shape[0], 1)), x[:, :-1]], axis=1)
        shocks.append(((x - decay * previous) / sd).ravel())
    got = np.corrcoef(np.array(shocks))
    expected = np.array(macro.correlation)
    tolerance = 4 * (1 - expected**2) / math.sqrt(shocks[0].size) + 1e-9
    assert (np.abs(got - expected) <= tolerance).all(), got


def test_ten_year_yield_volatility(macro_draws: Draws) -> None:
    """CALIBRATION.md "US 10y yield": normal vol ~92bp a year, from the short-rate and
    term-spread vols and their correlation."""
    macro = SON.macro
    _, sd_short = step(macro.short_rate_speed, macro.short_rate_vol)
    _, sd_spread = step(macro.term_spread_speed, macro.term_spread_vol)
    rho = macro.correlation[0][1]
    short, spread = macro.short_rate_vol, macro.term_spread_vol
    instantaneous = math.sqrt(short**2 + spread**2 + 2 * rho * short * spread)
    assert abs(instantaneous - 0.0092) < 0.0002
    # a quarter's change is a little smaller: both parts mean-revert within the quarter
    expected = math.sqrt((sd_short**2 + sd_spread**2 + 2 * rho * sd_short * sd_spread) / DT)
    assert 0.95 < expected / instantaneous < 1.0
    first = macro_draws.yield_10y[:, 0] - macro.yield_10y
    got = math.sqrt(float(np.mean(first**2)) / DT)
    assert abs(got - expected) < 4 * expected / math.sqrt(2 * first.size), (got, expected)


def test_inflation_stationary_sd(macro_draws: Draws) -> None:
    """CALIBRATION.md "US CPI": 1991-2025 mean 2.6%, sd 1.4%; by year 12 inflation's
    spread across paths is its stationary sd."""
    macro = SON.macro
    decay, sd = step(macro.inflation_speed, macro.inflation_vol)
    quarters = SON.fund.quarters
    expected = sd * math.sqrt((1 - decay ** (2 * quarters)) / (1 - decay**2))
    assert abs(expected - 0.014) < 0.0005
    got, se = sd_and_se(macro_draws.inflation[:, -1])
    assert abs(got - expected) < 4 * se, (got, expected)
    assert (macro_draws.jpy_short_rate == macro.jpy_short_rate).all()  # held at its base


def test_tariff_chain_matches_its_transition_probabilities(macro_draws: Draws) -> None:
    """The two-state chain of macro.tariff, starting under the deal."""
    tariff = SON.macro.tariff
    snapped, expected = 0.0, []
    for _ in range(SON.fund.quarters):
        snapped = snapped * (1 - tariff.p_restore) + (1 - snapped) * tariff.p_snapback
        expected.append(snapped)
    assert set(np.unique(macro_draws.tariff)) <= {0.0, 1.0}
    for quarter in (0, 11, SON.fund.quarters - 1):
        got = float(macro_draws.tariff[:, quarter].mean())
        p = expected[quarter]
        assert abs(got - p) < 4 * math.sqrt(p * (1 - p) / PATHS), (quarter, got, p)


def test_default_quarter_inverts_the_cumulative_default_curve() -> None:
    """The closed-form inversion agrees with a quarter-by-quarter walk up the cumulative
    default curve F(t) = 1 - exp(-H(t)), including hazards of 0 and 1 and delays."""
    overrides = {
        "nuclear": SectorRisk(default_construction=1.0),
        "grid": SectorRisk(default_construction=0.3, default_operation=0.0),
        "metals": SectorRisk(default_construction=0.0, default_operation=0.2),
    }
    risk = MOU.risk.model_copy(update={"sector": overrides, "defaults": 5.0})
    plan = _plan(MOU.model_copy(update={"risk": risk}))
    rng = np.random.default_rng(5)
    latent = 1.5 * rng.standard_normal((64, plan.start.size))
    delay = rng.integers(0, 20, latent.shape)
    got = np.array(
        [
            [
                _default_at(
                    z,
                    plan.default_threshold[j],
                    plan.hazard_construction[j],
                    plan.hazard_operation[j],
                    plan.start[j],
                    plan.build[j] + delay[path, j],
                    plan.operating[j],
                    plan.quarters,
                )
                for j, z in enumerate(row)
            ]
            for path, row in enumerate(latent)
        ]
    )
    uniform = stats.norm.cdf(latent)
    for (path, j), quarter in np.ndenumerate(got):
        start, length = plan.start[j], plan.build[j] + delay[path, j]
        end, hazard, expected = start + length + plan.operating[j], 0.0, -1
        for t in range(start, min(plan.quarters, end)):
            building = t < start + length
            hazard += plan.hazard_construction[j] if building else plan.hazard_operation[j]
            if 1 - math.exp(-hazard) > uniform[path, j]:
                expected = t
                break
        assert quarter == expected, (path, j)
    assert 0 < (got >= 0).mean() < 1


def test_credit_spread_is_an_ou_with_the_set_volatility() -> None:
    # Stationary sd of an OU: vol / sqrt(2 speed); after 12 years (speed 0.5) the
    # process is close to stationary: sd = 0.006 / 1 = 0.6%.
    draws = monte_carlo(SON, 4, 0, 20_000)
    last = draws.credit_spread[:, -1]
    stationary = SON.macro.credit_spread_vol / np.sqrt(2 * SON.macro.credit_spread_speed)
    expected = stationary * np.sqrt(-np.expm1(-2 * SON.macro.credit_spread_speed * 12))
    assert abs(last.mean()) < 4 * expected / np.sqrt(last.size)
    assert last.std() == pytest.approx(expected, rel=4 / np.sqrt(2 * last.size))
