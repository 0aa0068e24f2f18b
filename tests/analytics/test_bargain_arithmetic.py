"""The bargain's arithmetic (sovfund.analytics.bargain), worked out by hand on small arrays."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import sovfund
from sovfund.analytics.bargain import (
    break_even,
    japan_parties,
    relief_schedule,
    relief_value,
    snapback_weights,
    survival,
)
from sovfund.errors import InputError
from sovfund.scenarios.draws import base_case
from sovfund.terms.models import Bargain, ExportSector


def sector(**changes: object) -> ExportSector:
    values: dict[str, object] = {
        "name": "cars",
        "exports": 100.0,
        "tariff_without": 0.275,
        "tariff_with": 0.15,
        "exporter_share": 0.75,
        "elasticity": 1.5,
        "margin": 0.08,
    }
    return ExportSector.model_validate(values | changes)


def test_yearly_relief_is_the_tariff_absorbed_plus_the_margin_on_lost_sales() -> None:
    # 100 x 0.125 x (0.75 + 0.25 x 1.5 x 0.08) = 12.5 x 0.78
    assert sector().yearly_relief == pytest.approx(9.75, rel=1e-12)
    # all passed on: only the margin on the sales lost, 100 x 0.125 x 1.5 x 0.08
    assert sector(exporter_share=0.0).yearly_relief == pytest.approx(1.5, rel=1e-12)
    assert sector(tariff_with=0.275).yearly_relief == 0.0


def test_a_deal_cannot_raise_the_tariff() -> None:
    with pytest.raises(ValueError, match="at most tariff_without"):
        sector(tariff_with=0.3)


def test_schedule_pays_a_quarter_of_each_sector_while_it_lasts() -> None:
    bargain = Bargain(sector=(sector(), sector(name="parts", years=0.5), sector(years=0.0)))
    schedule = relief_schedule(bargain, 4)
    np.testing.assert_allclose(schedule, [9.75 / 2, 9.75 / 2, 9.75 / 4, 9.75 / 4])
    np.testing.assert_allclose(relief_schedule(bargain, 4, scale=2.0), 2 * schedule)


def test_relief_value_by_hand() -> None:
    """4 a quarter at 150 yen a dollar, the yen bills at 4% (1% a quarter): a quarter's
    relief at the end of quarter t is worth 4 x 150 / 1.01 ** (t + 1) yen; none in a
    snap-back quarter; x 0.8 ** ((t + 1) / 4) at a 20% yearly hazard."""
    terms = sovfund.parse_terms(
        (
            "[fund]\nname = 'x'\nstart = 2026-01-01\nterm_years = 1\n"
            "investment_period_years = 1\n"
            "[[party]]\nid = 'lp'\nrole = 'lp'\ncommitment = 1.0\n"
            "[[waterfall.tier]]\nname = 'all'\npay = { lps = 1.0 }\n"
            "[macro]\nshort_rate = 0.04\nyield_10y = 0.04\ninflation = 0.0\n"
            "usd_jpy = 150.0\njpy_short_rate = 0.04\n"
        ),
        name="x.toml",
    )
    draws = base_case(terms, paths=2)
    tariff = draws.tariff.copy()
    tariff[1, 2] = 1.0  # path 1 snaps back in quarter 2
    draws = replace(draws, tariff=tariff)
    schedule = np.full(4, 4.0)
    quarter = [4.0 * 150.0 / 1.01 ** (t + 1) for t in range(4)]
    got = relief_value(schedule, draws, 0.0)
    assert got[0] == pytest.approx(sum(quarter), rel=1e-12)
    assert got[1] == pytest.approx(sum(quarter) - quarter[2], rel=1e-12)
    hazard = relief_value(schedule, draws, 0.2)
    assert hazard[0] == pytest.approx(
        sum(q * 0.8 ** ((t + 1) / 4) for t, q in enumerate(quarter)), rel=1e-12
    )
    after_decline = relief_value(schedule, draws, 0.0, snapped_from=1)
    np.testing.assert_allclose(after_decline, quarter[0], rtol=1e-12)
    np.testing.assert_allclose(survival(0.2, 4), [0.8**0.25, 0.8**0.5, 0.8**0.75, 0.8])


def test_break_even_by_hand() -> None:
    unit = np.ones(5)
    fund = np.array([-5.0, -4.0, -3.0, -2.0, -1.0])
    assert break_even(unit, fund, 50.0) == pytest.approx(3.0, rel=1e-8)
    # NumPy's linear 5th percentile of the fund: -5 + 0.2 x 1 = -4.8
    assert break_even(unit, fund, 5.0) == pytest.approx(4.8, rel=1e-8)
    # worth it without relief: Japan could give up 3 units on the median path
    assert break_even(unit, -fund, 50.0) == pytest.approx(-3.0, rel=1e-8)
    # two paths in three the relief is worth nothing and the fund loses: nothing helps
    assert break_even(np.array([0.0, 0.0, 1.0]), np.array([-1.0, -1.0, -1.0]), 50.0) is None
    # twice the relief a unit: half the units
    assert break_even(2 * unit, fund, 50.0) == pytest.approx(1.5, rel=1e-8)


def test_snapback_weights_by_hand() -> None:
    assert snapback_weights([0], 0.5) == (0.5, {0: 0.5})
    none, first = snapback_weights([5, 2, 2], 0.5)
    # two declines in quarter 2: a snap-back then with 1 - 0.5 ** 2 = 0.75; else 0.5 at 5
    assert none == pytest.approx(0.125)
    assert first == pytest.approx({2: 0.75, 5: 0.125})
    assert none + sum(first.values()) == pytest.approx(1.0)
    assert snapback_weights([], 0.5) == (1.0, {})


def test_japan_is_the_japanese_sovereign_lps_unless_named() -> None:
    mou = sovfund.load_terms("mou-550b")
    assert japan_parties(mou) == ("japan",)
    son = sovfund.load_terms("son-2025")
    assert japan_parties(son) == ("japan_reserves", "japan_mof")  # named in the preset
    assert son.bargain is not None
    unnamed = son.model_copy(update={"bargain": son.bargain.model_copy(update={"parties": None})})
    assert japan_parties(unnamed) == ("japan_reserves",)
    tiny = sovfund.load_terms(Path(__file__).parents[2] / "examples" / "tiny.toml")
    with pytest.raises(InputError, match="no party for Japan"):
        japan_parties(tiny)
