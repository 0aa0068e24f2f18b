"""The waterfall calculator's JSON (money to the cent, no IRR without money in) and its
memory on many distinct dates."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import sovfund
from sovfund.analytics.calculator import WaterfallResult, cents, run_waterfall
from sovfund.terms.flows import Flow, parse_flows

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


def test_cents_round_half_even_on_the_decimal_a_person_reads() -> None:
    assert cents(1359999.999999985) == 136000000
    assert cents(0.125) == 12  # half to even
    assert cents(0.135) == 14
    assert cents(2.675) == 268  # the decimal 2.675, not the binary 2.67499999...
    assert cents(-0.005) == 0


def test_json_money_sums_as_printed_and_no_irr_without_contributions() -> None:
    terms = sovfund.load_terms(TINY)
    flows = parse_flows(
        "date,party,kind,amount\n"
        "2026-01-01,lp,contribution,100\n"
        "2026-07-01,,proceeds,33.333333333\n"
        "2027-01-01,,proceeds,100.1\n"
        "2027-06-30,,proceeds,45.678901\n",
        terms,
    )
    data = run_waterfall(terms, flows).to_dict()
    parties, tiers = data["parties"], data["tiers"]
    for party, figures in parties.items():
        paid = sum(round(tier["paid"].get(party, 0.0) * 100) for tier in tiers)
        assert round(figures["distributed"] * 100) == paid  # to the cent, as printed
        for value in (figures["contributed"], figures["distributed"]):
            assert value == round(value, 2)
    assert parties["gp"]["contributed"] == 0.0
    assert parties["gp"]["irr"] is None  # the GP put nothing in: no IRR, not -3.9e-18
    assert parties["lp"]["irr"] > 0


def test_a_gp_paying_back_a_clawback_still_has_no_irr() -> None:
    # The GP's only negative flow is the clawback it returns: still no money in.
    result = WaterfallResult(
        parties=("lp", "gp"),
        tiers=("all",),
        contributed=np.array([100.0, 0.0]),
        distributed=np.array([110.0, 0.0]),
        paid=np.array([[100.0, 10.0]]),
        clawback=np.array([0.0, 10.0]),
        irr=(0.1, -3.9e-18),
    )
    data = result.to_dict()
    assert data["parties"]["gp"]["irr"] is None
    assert data["parties"]["gp"]["distributed"] == 0.0
    assert data["parties"]["lp"]["distributed"] == 110.0
    assert data["clawback"] == {"gp": 10.0}


def test_memory_stays_bounded_on_many_distinct_dates() -> None:
    """50,000 distinct dates: the IRR used to take 2,401 floats a date (960 MB here)."""
    terms = sovfund.load_terms(TINY)
    start = dt.date(2026, 1, 1)
    flows = [
        Flow(start + dt.timedelta(days=i), "contribution", 10.0, "lp")
        if i < 10_000
        else Flow(start + dt.timedelta(days=i), "proceeds", 3.0 + i % 5)
        for i in range(50_000)
    ]
    tracemalloc.start()
    try:
        result = run_waterfall(terms, flows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(result.irr[0])
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("size", [1e-3, 1.0, 1e12])
def test_irr_of_the_calculator_is_unit_free(size: float) -> None:
    terms = sovfund.load_terms(TINY)
    flows = [
        Flow(dt.date(2026, 1, 1), "contribution", 100.0 * size, "lp"),
        Flow(dt.date(2027, 1, 1), "proceeds", 104.0 * size),  # under the hurdle: all the LP's
    ]
    assert run_waterfall(terms, flows).irr[0] == pytest.approx(0.04, rel=1e-9)
