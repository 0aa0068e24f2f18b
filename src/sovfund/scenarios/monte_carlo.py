"""The Monte Carlo scenario generator: (terms, seed, paths) -> :class:`Draws`.

Random streams are tied to paths, not to batches (DESIGN.md, principle 4): paths are
grouped in blocks of :data:`BLOCK`, block ``b`` (paths ``b * BLOCK`` to
``(b + 1) * BLOCK - 1``) draws from its own stream,
``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,)))`` (the ``b``-th
child of ``SeedSequence(seed).spawn``), and a block is always generated whole, with
arrays of the same shape, then sliced. Path ``i`` therefore gets the same numbers, bit
for bit, whatever batch it is generated in, and blocks can be generated on as many
threads as Numba may use (each writes its own rows).

Within a block the numbers are drawn in this fixed order:

1. macro shocks: ``standard_normal((4, BLOCK, quarters))`` (short rate, term spread,
   inflation, log USD/JPY), correlated by the Cholesky factor of ``macro.correlation``;
2. tariff regime: ``random((quarters, BLOCK))``;
3. project factors: ``standard_normal((3, BLOCK, 1 + len(SECTORS)))``: for each latent
   set (overrun and delay, default timing, revenue) and path, one macro factor, then one
   factor per sector in the order of :data:`~sovfund.terms.models.SECTORS`;
4. project own shocks: ``standard_normal((3, BLOCK, projects))``, same sets, then the
   market credit spread's shocks: ``standard_normal((BLOCK, quarters))``;
5. recoveries: ``beta`` draws for the (path, project) pairs that default, in row-major
   order. This comes last because the number of uniforms a Beta draw uses varies.

The model, its formulas and the sector table are in docs/risk.md.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import special

from sovfund.errors import InputError
from sovfund.scenarios.draws import Draws
from sovfund.scenarios.sectors import sector_parameters
from sovfund.scenarios.streams import BLOCK
from sovfund.terms.models import SECTORS, Terms

__all__ = ["BLOCK", "DT", "MERCHANT_REVENUE_UPLIFT", "RECOVERY_SD_CAP", "monte_carlo"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


DT = 0.25
"""The time step, in years (one quarter)."""

MERCHANT_REVENUE_UPLIFT = 1.5
"""Merchant projects' revenue volatility over their sector's (an assumption, docs/risk.md)."""

RECOVERY_SD_CAP = 0.95
"""A recovery sd is clipped to this share of sqrt(mean x (1 - mean)), the bound a Beta
distribution's sd must stay under."""

_THRESHOLD_MARGIN = 1e-6
"""Slack on the latent a default needs, so that rounding never drops a candidate."""

_FIELDS = tuple(field.name for field in fields(Draws) if field.name != "redemption")
"""The drawn fields; redemption requests are a stress's, left at None here."""


def monte_carlo(terms: Terms, seed: int, first_path: int, paths: int) -> Draws:
    """Draws for paths ``first_path`` .. ``first_path + paths - 1``.

    Path ``i`` gets the same numbers whatever the batch it is generated in: one random
    stream per block of :data:`BLOCK` paths,
    ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))``; a batch
    that starts or ends inside a block generates the whole block and slices it.

    Parameters
    ----------
    terms
        The term sheet: ``macro`` (levels and dynamics), ``macro.tariff``, ``risk``
        (scales, loadings, sector overrides) and ``projects``.
    seed
        The root seed, a non-negative integer.
    first_path, paths
        The first path's index and how many paths to draw.

    Returns
    -------
    Draws
        Macro arrays of shape ``(paths, terms.fund.quarters)``, project arrays of shape
        ``(paths, len(terms.projects))``.

    Raises
    ------
    InputError
        A negative seed, path index or count; ``macro.correlation`` not positive
        definite; a ``risk.volatility`` that takes a sector's mean capex factor to zero.
    """
    for name, value in (("seed", seed), ("first_path", first_path), ("paths", paths)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise InputError(f"{name}: found {value!r}; expected a whole number >= 0")
    plan = _plan(terms)
    out = _empty(plan, paths)
    end = first_path + paths

    def fill(block: int) -> None:
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(block,)))
        low, high = max(first_path, block * BLOCK), min(end, (block + 1) * BLOCK)
        target = slice(low - first_path, high - first_path)
        if high - low == BLOCK:  # a whole block: straight into the batch's arrays
            _block(plan, rng, {name: values[target] for name, values in out.items()})
            return
        whole = _empty(plan, BLOCK)
        _block(plan, rng, whole)
        source = slice(low - block * BLOCK, high - block * BLOCK)
        for name, values in out.items():
            values[target] = whole[name][source]

    blocks = range(first_path // BLOCK, (end - 1) // BLOCK + 1 if paths else 0)
    threads = min(numba.get_num_threads(), len(blocks))
    if threads > 1:  # NumPy's generators and ufuncs release the GIL on whole arrays
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(fill, blocks):
                pass
    else:
        for block in blocks:
            fill(block)
    return Draws(**out)  # type: ignore[arg-type]


def _empty(plan: _Plan, paths: int) -> dict[str, Array | IntArray]:
    """Uninitialised arrays for every drawn field, ``paths`` rows each."""
    quarters, projects = plan.quarters, plan.start.size
    out: dict[str, Array | IntArray] = {}
    for name in _FIELDS:
        if name in ("delay", "default_quarter"):
            out[name] = np.empty((paths, projects), dtype=np.int64)
        elif name in ("capex_factor", "recovery", "revenue_factor"):
            out[name] = np.empty((paths, projects), dtype=np.float64)
        else:
            out[name] = np.empty((paths, quarters), dtype=np.float64)
    return out


# -- parameters, computed once per call --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything a block needs, per process (macro) or per project, as arrays."""

    quarters: int
    cholesky: Array  # (4, 4) lower-triangular factor of macro.correlation
    macro_target: Array  # (4,) long-run means of the deviations from the base levels
    macro_decay: Array  # (4,) exp(-speed * DT)
    macro_step_sd: Array  # (4,) sd of one quarter's shock
    short_rate: float
    yield_10y: float
    inflation: float
    usd_jpy: float
    jpy_short_rate: float
    p_snapback: float
    p_restore: float
    sector_index: NDArray[np.intp]  # (projects,) column of the project's sector factor
    loadings: tuple[float, float, float]  # weights on the macro, sector and own shocks
    capex_mean: Array  # (projects,) mean capex factor, 1 + volatility * overrun_mean
    capex_log_sd: Array  # (projects,)
    delay_scale: Array  # (projects,) mean delay in quarters
    start: IntArray  # (projects,) start quarter
    build: IntArray  # (projects,) planned construction quarters
    operating: IntArray  # (projects,) operating quarters
    hazard_construction: Array  # (projects,) quarterly cumulative hazard while built
    hazard_operation: Array  # (projects,) quarterly cumulative hazard once operating
    default_threshold: Array  # (projects,) latents at or above it cannot default
    recovery_mean: Array  # (projects,)
    recovery_alpha: Array  # (projects,) Beta parameters (1.0 where not random)
    recovery_beta: Array  # (projects,)
    recovery_random: NDArray[np.bool_]  # (projects,)
    revenue_log_sd: Array  # (projects,)
    spread_decay: float  # the credit spread's exp(-speed * DT)
    spread_step_sd: float  # sd of one quarter's credit-spread shock


def _plan(terms: Terms) -> _Plan:
    macro, risk = terms.market, terms.risk
    volatility, defaults = risk.volatility, risk.defaults
    quarters = terms.fund.quarters

    # macro: deviations from the base levels, so that zero volatility is the base exactly
    spread = macro.yield_10y - macro.short_rate
    target = np.array(
        [
            0.0 if macro.short_rate_mean is None else macro.short_rate_mean - macro.short_rate,
            0.0 if macro.term_spread_mean is None else macro.term_spread_mean - spread,
            0.0 if macro.inflation_mean is None else macro.inflation_mean - macro.inflation,
            0.0 if macro.usd_jpy_mean is None else math.log(macro.usd_jpy_mean / macro.usd_jpy),
        ]
    )
    speed = np.array(
        [
            macro.short_rate_speed,
            macro.term_spread_speed,
            macro.inflation_speed,
            macro.usd_jpy_speed,
        ]
    )
    vol = volatility * np.array(
        [macro.short_rate_vol, macro.term_spread_vol, macro.inflation_vol, macro.usd_jpy_vol]
    )
    positive = speed > 0
    safe_speed = np.where(positive, speed, 1.0)
    # variance of one quarter's shock per unit of vol^2: (1 - exp(-2 k dt)) / (2 k), or dt
    variance = np.where(positive, -np.expm1(-2.0 * safe_speed * DT) / (2.0 * safe_speed), DT)

    # projects
    sectors = sector_parameters(terms)
    columns = {sector: index for index, sector in enumerate(SECTORS)}
    rows = [sectors[project.sector] for project in terms.projects]
    overrun_mean = volatility * np.array([row.overrun_mean for row in rows])
    capex_mean = 1.0 + overrun_mean
    for project, mean in zip(terms.projects, capex_mean, strict=True):
        if mean <= 0.0:
            raise InputError(
                f"risk.volatility = {volatility} times the overrun_mean of sector"
                f" '{project.sector}' makes its mean capex factor {mean:.3f}; expected a"
                " positive capex factor (a smaller volatility or overrun_mean)"
            )
    overrun_sd = volatility * np.array([row.overrun_sd for row in rows])
    start = np.array([project.start_quarter for project in terms.projects], dtype=np.int64)
    hazards = [
        _quarterly_hazard(defaults * np.array([getattr(row, key) for row in rows]))
        for key in ("default_construction", "default_operation")
    ]
    horizon = np.maximum(quarters - start, 0)
    worst = np.maximum(hazards[0], hazards[1])
    bound = np.where(horizon > 0, worst * np.where(horizon > 0, horizon, 1), 0.0)
    recovery_mean = np.array([row.recovery_mean for row in rows])
    recovery_cap = RECOVERY_SD_CAP * np.sqrt(recovery_mean * (1.0 - recovery_mean))
    recovery_sd = np.minimum(volatility * np.array([row.recovery_sd for row in rows]), recovery_cap)
    recovery_random = recovery_sd > 0.0
    concentration = np.where(
        recovery_random,
        recovery_mean * (1.0 - recovery_mean) / np.where(recovery_random, recovery_sd, 1.0) ** 2
        - 1.0,
        1.0,
    )
    merchant = np.array([project.revenue_model == "merchant" for project in terms.projects])
    revenue_sd = (
        volatility
        * np.array([row.revenue_vol for row in rows])
        * np.where(merchant, MERCHANT_REVENUE_UPLIFT, 1.0)
    )
    macro_weight, sector_weight = risk.macro_loading, risk.sector_loading
    return _Plan(
        quarters=quarters,
        cholesky=_cholesky(macro.correlation),
        macro_target=target,
        macro_decay=np.exp(-speed * DT),
        macro_step_sd=vol * np.sqrt(variance),
        short_rate=macro.short_rate,
        yield_10y=macro.yield_10y,
        inflation=macro.inflation,
        usd_jpy=macro.usd_jpy,
        jpy_short_rate=macro.jpy_short_rate,
        p_snapback=min(1.0, volatility * macro.tariff.p_snapback),
        p_restore=macro.tariff.p_restore,
        sector_index=np.array(
            [1 + columns[project.sector] for project in terms.projects], dtype=np.intp
        ),
        loadings=(
            math.sqrt(macro_weight),
            math.sqrt(sector_weight),
            math.sqrt(max(0.0, 1.0 - macro_weight - sector_weight)),
        ),
        capex_mean=capex_mean,
        capex_log_sd=np.sqrt(np.log1p((overrun_sd / capex_mean) ** 2)),
        delay_scale=4.0 * volatility * np.array([row.delay_years for row in rows]),
        start=start,
        build=np.array([p.construction_quarters for p in terms.projects], dtype=np.int64),
        operating=np.array([4 * p.operating_years for p in terms.projects], dtype=np.int64),
        hazard_construction=hazards[0],
        hazard_operation=hazards[1],
        default_threshold=special.ndtri(-np.expm1(-bound)) + _THRESHOLD_MARGIN,
        recovery_mean=recovery_mean,
        recovery_alpha=np.where(recovery_random, recovery_mean * concentration, 1.0),
        recovery_beta=np.where(recovery_random, (1.0 - recovery_mean) * concentration, 1.0),
        recovery_random=recovery_random,
        revenue_log_sd=np.sqrt(np.log1p(revenue_sd**2)),
        spread_decay=math.exp(-macro.credit_spread_speed * DT),
        spread_step_sd=volatility
        * macro.credit_spread_vol
        * math.sqrt(
            -math.expm1(-2.0 * macro.credit_spread_speed * DT) / (2.0 * macro.credit_spread_speed)
            if macro.credit_spread_speed > 0
            else DT
        ),
    )


def _quarterly_hazard(annual: Array) -> Array:
    """Cumulative hazard per quarter of an annual default probability (capped at 1).

    A quarter survives with probability ``(1 - annual) ** (1 / 4)``, i.e. hazard
    ``-log(1 - annual) / 4``; an annual probability of 1 is an infinite hazard (default
    in the first quarter of the phase).
    """
    capped = np.minimum(annual, 1.0)
    with np.errstate(divide="ignore"):
        hazard: Array = -np.log1p(-capped) / 4.0
    return hazard


def _cholesky(correlation: tuple[tuple[float, ...], ...]) -> Array:
    matrix = np.array(correlation, dtype=np.float64)
    try:
        factor: Array = np.linalg.cholesky(matrix).astype(np.float64)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(matrix).min())
        raise InputError(
            "macro.correlation is not positive definite (its smallest eigenvalue is"
            f" {smallest:.4g}), so no four shocks can have these correlations; expected a"
            " positive definite correlation matrix of the quarterly shocks to the short"
            " rate, the term spread, inflation and log USD/JPY, in that order"
        ) from None
    return factor


# -- one block of paths ------------------------------------------------------------------


def _block(plan: _Plan, rng: np.random.Generator, out: dict[str, Array | IntArray]) -> None:
    """BLOCK paths from one stream into ``out`` (an array of BLOCK rows per drawn field),
    drawn in the order the module docstring lists; the arithmetic on the numbers runs
    compiled (:func:`_macro_levels`, :func:`_tariff_regime`, :func:`_project_draws`),
    without the GIL."""
    quarters, projects = plan.quarters, plan.start.size

    # 1. macro: correlated shocks, each driving an OU deviation from its base level
    normals = rng.standard_normal((4, BLOCK, quarters))
    levels = np.empty_like(normals)
    _macro_levels(
        normals, plan.cholesky, plan.macro_target, plan.macro_decay, plan.macro_step_sd, levels
    )
    np.add(plan.short_rate, levels[0], out=out["short_rate"])
    np.add(levels[0], levels[1], out=out["yield_10y"])
    np.add(out["yield_10y"], plan.yield_10y, out=out["yield_10y"])
    np.add(plan.inflation, levels[2], out=out["inflation"])
    np.exp(levels[3], out=out["usd_jpy"])
    np.multiply(out["usd_jpy"], plan.usd_jpy, out=out["usd_jpy"])
    out["jpy_short_rate"][:] = plan.jpy_short_rate

    # 2. tariff regime: a two-state Markov chain starting under the deal
    _tariff_regime(rng.random((quarters, BLOCK)), plan.p_snapback, plan.p_restore, out["tariff"])

    # 3-4. project latents, one (BLOCK, projects) array per set:
    #      0 overrun and delay, 1 default timing, 2 revenue
    factors = rng.standard_normal((3, BLOCK, 1 + len(SECTORS)))
    latent = rng.standard_normal((3, BLOCK, projects))
    _project_draws(
        latent,
        factors,
        plan.sector_index,
        np.array(plan.loadings),
        plan.capex_mean,
        plan.capex_log_sd,
        plan.delay_scale,
        plan.revenue_log_sd,
        plan.default_threshold,
        plan.hazard_construction,
        plan.hazard_operation,
        plan.start,
        plan.build,
        plan.operating,
        quarters,
        out["capex_factor"],
        out["delay"],
        out["default_quarter"],
        out["revenue_factor"],
    )

    # 4b. the market credit spread (what fund debt refinances at): an OU deviation from 0
    shocks = plan.spread_step_sd * rng.standard_normal((BLOCK, quarters))
    _ou(shocks, plan.spread_decay, out["credit_spread"])

    # 5. recoveries, for the defaults only (1.0 where nothing is lost)
    recovery = out["recovery"]
    recovery[:] = 1.0
    rows, cols = np.nonzero(out["default_quarter"] >= 0)
    if rows.size:
        drawn = rng.beta(plan.recovery_alpha[cols], plan.recovery_beta[cols])
        recovery[rows, cols] = np.where(plan.recovery_random[cols], drawn, plan.recovery_mean[cols])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _macro_levels(normals, cholesky, target, decay, step_sd, levels):  # type: ignore[no-untyped-def]
    """Correlate the shocks with the Cholesky factor (explicit sums, so that nothing
    depends on how a library blocks a product), then run each OU recursion
    x[t] = decay x[t - 1] + target (1 - decay) + step_sd shock[t], from x[-1] = 0."""
    processes, paths, quarters = normals.shape
    for k in range(processes):
        drift = target[k] * (1.0 - decay[k])
        for i in range(paths):
            level = 0.0
            for t in range(quarters):
                shock = cholesky[k, 0] * normals[0, i, t]
                for j in range(1, k + 1):
                    shock += cholesky[k, j] * normals[j, i, t]
                level = decay[k] * level + (drift + step_sd[k] * shock)
                levels[k, i, t] = level


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _ou(shocks, decay, out):  # type: ignore[no-untyped-def]
    """x[t] = decay x[t - 1] + shocks[t], from x[-1] = 0, along each row."""
    paths, quarters = shocks.shape
    for i in range(paths):
        level = 0.0
        for t in range(quarters):
            level = decay * level + shocks[i, t]
            out[i, t] = level


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _tariff_regime(uniforms, p_snapback, p_restore, out):  # type: ignore[no-untyped-def]
    """1.0 in snap-back quarters: from the deal, snap back when the quarter's uniform is
    below ``p_snapback``; once snapped back, stay unless it is below ``p_restore``.
    ``uniforms`` is (quarters, paths), ``out`` (paths, quarters)."""
    quarters, paths = uniforms.shape
    for i in range(paths):
        snapped = False
        for t in range(quarters):
            draw = uniforms[t, i]
            snapped = draw >= p_restore if snapped else draw < p_snapback
            out[i, t] = 1.0 if snapped else 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _project_draws(  # type: ignore[no-untyped-def]
    latent,
    factors,
    sector_index,
    loadings,
    capex_mean,
    capex_log_sd,
    delay_scale,
    revenue_log_sd,
    threshold,
    hazard_construction,
    hazard_operation,
    start,
    build,
    operating,
    quarters,
    capex_factor,
    delay,
    default_quarter,
    revenue_factor,
):
    """Each project's latents (own shock, its sector's factor and the macro factor,
    weighted by ``loadings``), turned into its capex factor and delay (a lognormal of
    mean 1 shared by both), its default quarter and its revenue factor."""
    _, paths, projects = latent.shape
    for i in range(paths):
        for j in range(projects):
            column = sector_index[j]
            overrun = _latent(latent[0, i, j], factors[0, i], column, loadings)
            timing = _latent(latent[1, i, j], factors[1, i], column, loadings)
            revenue = _latent(latent[2, i, j], factors[2, i], column, loadings)
            log_sd = capex_log_sd[j]
            shape = np.exp(log_sd * overrun - 0.5 * log_sd * log_sd)
            capex_factor[i, j] = capex_mean[j] * shape
            delay[i, j] = int(np.rint(delay_scale[j] * shape))
            default_quarter[i, j] = _default_at(
                timing,
                threshold[j],
                hazard_construction[j],
                hazard_operation[j],
                start[j],
                build[j] + delay[i, j],
                operating[j],
                quarters,
            )
            log_sd = revenue_log_sd[j]
            revenue_factor[i, j] = np.exp(log_sd * revenue - 0.5 * log_sd * log_sd)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _latent(own, factors, column, loadings):  # type: ignore[no-untyped-def]
    """A project's latent: its own shock, its sector's factor (``factors[column]``) and
    the macro factor (``factors[0]``), weighted by the square roots of the loadings."""
    return own * loadings[2] + loadings[1] * factors[column] + loadings[0] * factors[0]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _default_at(z, threshold, construction, operation, start, length, operating, quarters):  # type: ignore[no-untyped-def]
    """The quarter a project with default latent ``z`` defaults in, -1 if not within
    the term.

    ``U = Phi(z)`` is inverted against the project's cumulative default curve
    ``F(t) = 1 - exp(-H(t))``: the project defaults in the first quarter ``t`` with
    ``F(t) > U``, i.e. where its cumulative hazard ``H(t)`` first exceeds
    ``E = -log(1 - U) = -log Phi(-z)`` (an exponential variable). The hazard is 0
    before ``start``, ``construction`` a quarter during the ``length`` construction
    quarters, ``operation`` a quarter in operation, and nothing after the operating
    life. Latents at or above ``threshold`` cannot default within the term.
    """
    if not z < threshold:
        return -1
    # E = -log(1 - Phi(z)), with Phi from erfc: accurate where it matters, for small E
    exposure = -np.log1p(-0.5 * math.erfc(-z * math.sqrt(0.5)))
    completion = start + length
    horizon = min(quarters, completion + operating)
    in_build = np.floor(exposure / construction)
    if in_build < length:
        quarter = start + in_build
    else:
        left = max(exposure - construction * length, 0.0)
        quarter = completion + np.floor(left / operation)
    return int(quarter) if quarter < horizon else -1
