"""A summary like `sovfund run` writes, with its optional sections (verdict, stress,
frontier, sensitivity, bargain, run) built from real runs of the model on changed terms:
small runs, real numbers."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

import sovfund
from sovfund.analytics.base_case import BaseCase, run_base_case
from sovfund.analytics.distribution import summary_dict
from sovfund.run.bargain import bargain_study
from sovfund.run.simulate import Simulation, simulate
from sovfund.terms.models import Terms


@dataclass(frozen=True)
class Run:
    """What a report is rendered from."""

    summary: dict[str, Any]
    base: BaseCase
    sim: Simulation


def _figures(terms: Terms, paths: int, seed: int) -> dict[str, Any]:
    sim = simulate(terms, paths=paths, seed=seed)
    parties = tuple(p.id for p in terms.parties)
    japanese = tuple(p.country == "JP" for p in terms.parties)
    return summary_dict(sim.summary, parties, japanese)


def _risk(terms: Terms, **update: float) -> Terms:
    return terms.model_copy(update={"risk": terms.risk.model_copy(update=update)})


def _leverage(terms: Terms, debt_to_equity: float) -> Terms:
    leverage = terms.leverage.model_copy(update={"debt_to_equity": debt_to_equity})
    policy = terms.policy.model_copy(update={"max_debt_to_equity": None})
    return terms.model_copy(update={"leverage": leverage, "policy": policy})


def _rates(terms: Terms, shift: float) -> Terms:
    macro = terms.macro.model_copy(
        update={
            "short_rate": terms.macro.short_rate + shift,
            "yield_10y": terms.macro.yield_10y + shift,
        }
    )
    return terms.model_copy(update={"macro": macro})


def _spread(terms: Terms, shift: float) -> Terms:
    leverage = terms.leverage.model_copy(update={"spread": terms.leverage.spread + shift})
    return terms.model_copy(update={"leverage": leverage})


def build_run(
    scenario: str, *, paths: int, seed: int = 0, extra_paths: int = 256, sections: bool = True
) -> Run:
    """Base case, Monte Carlo and (with ``sections``) every optional section."""
    terms = sovfund.load_terms(scenario)
    started = time.perf_counter()
    base = run_base_case(terms)
    sim = simulate(terms, paths=paths, seed=seed)
    seconds = time.perf_counter() - started
    parties = tuple(p.id for p in terms.parties)
    japanese = tuple(p.country == "JP" for p in terms.parties)
    summary: dict[str, Any] = {
        "scenario": scenario,
        "base_case": base.to_dict(),
        "simulation": {
            "scenario": scenario,
            "paths": sim.paths,
            "seed": seed,
            "engine": sim.engine,
            **summary_dict(sim.summary, parties, japanese),
        },
    }
    if not sections:
        return Run(summary, base, sim)
    largest = max(terms.lps, key=lambda p: p.commitment or 0.0).id
    simulation = summary["simulation"]
    summary["run"] = {
        "version": sovfund.__version__,
        "seed": seed,
        "paths": paths,
        "seconds": seconds,
        "engine": "fast",
        "backend": "serial",
    }
    p_default = simulation["fund"]["p_default"]
    p_loss = simulation["parties"][largest]["p_loss"]
    summary["verdict"] = {
        "headline": f"Real risk: the fund defaults on its debt in {p_default:.0%} of paths.",
        "sentences": [
            {
                "text": f"The largest LP loses money in {p_loss:.0%} of paths.",
                "metric": f"parties.{largest}.p_loss",
                "value": p_loss,
                "rule": "More than 1 path in 4 losing money reads as a high chance of loss.",
            },
            {
                "text": "If every project goes to plan, LPs do well.",
                "metric": f"base_case.parties.{largest}.irr",
                "value": summary["base_case"]["parties"][largest]["irr"],
                "rule": "The base case: markets stay put, projects on budget and on time.",
            },
        ],
    }
    stresses = [
        ("base", "Base", "The terms as written.", terms),
        ("rates_up", "Rates up 2 points", "Short rate and 10-year yield +2%.", _rates(terms, 0.02)),
        ("volatile", "More volatile", "Every volatility x1.5.", _risk(terms, volatility=1.5)),
        (
            "calm",
            "Calmer",
            "Volatility and default rates halved.",
            _risk(terms, volatility=0.5, defaults=0.5),
        ),
    ]
    summary["stress"] = {
        "paths": extra_paths,
        "seed": seed,
        "scenarios": [
            {"name": name, "title": title, "description": text, **_figures(t, extra_paths, seed)}
            for name, title, text, t in stresses
        ],
    }
    points = []
    for leverage in (0.0, 3.0, 6.0, 9.0):
        figures = _figures(_leverage(terms, leverage), extra_paths, seed)
        points.append(
            {
                "leverage": leverage,
                "parties": {
                    pid: {
                        "irr_mean": entry["irr"]["mean"],
                        "irr_p05": entry["irr"]["p05"],
                        "p_loss": entry["p_loss"],
                    }
                    for pid, entry in figures["parties"].items()
                },
                "fund": {
                    "p_default": figures["fund"]["p_default"],
                    "p_covenant_breach": figures["fund"]["p_covenant_breach"],
                },
            }
        )
    summary["frontier"] = {"paths": extra_paths, "seed": seed, "points": points}
    mean = _figures(terms, extra_paths, seed)["parties"][largest]["irr"]["mean"]
    bars = []
    for name, label, low_setting, high_setting, low, high in (
        (
            "volatility",
            "Market and project volatility",
            "x0.5",
            "x1.5",
            _risk(terms, volatility=0.5),
            _risk(terms, volatility=1.5),
        ),
        (
            "defaults",
            "Project default rates",
            "x0.5",
            "x1.5",
            _risk(terms, defaults=0.5),
            _risk(terms, defaults=1.5),
        ),
        (
            "spread",
            "Interest spread on fund debt",
            "-1%",
            "+1%",
            _spread(terms, -0.01),
            _spread(terms, 0.01),
        ),
    ):
        bars.append(
            {
                "name": name,
                "label": label,
                "low_setting": low_setting,
                "high_setting": high_setting,
                "low": _figures(low, extra_paths, seed)["parties"][largest]["irr"]["mean"],
                "high": _figures(high, extra_paths, seed)["parties"][largest]["irr"]["mean"],
            }
        )
    summary["sensitivity"] = {
        "paths": extra_paths,
        "seed": seed,
        "metric": "irr_mean",
        "party": largest,
        "label": "Largest LP: mean IRR",
        "base": mean,
        "bars": bars,
    }
    summary["bargain"] = bargain_study(
        terms, paths=paths, seed=seed, base=sim, opt_out_paths=extra_paths
    ).to_dict()
    return Run(summary, base, sim)


@pytest.fixture(scope="session")
def son_run() -> Run:
    """son-2025 with every optional section."""
    return build_run("son-2025", paths=512, seed=3)


@pytest.fixture(scope="session")
def mou_run() -> Run:
    """mou-550b with none of the optional sections."""
    return build_run("mou-550b", paths=256, seed=1, sections=False)


@pytest.fixture(scope="session")
def mou_bargain_run(mou_run: Run) -> Run:
    """mou-550b with Japan's side of the bargain, its opt-out included."""
    terms = mou_run.base.terms
    bargain = bargain_study(terms, paths=256, seed=1, base=mou_run.sim, opt_out_paths=256)
    return Run({**mou_run.summary, "bargain": bargain.to_dict()}, mou_run.base, mou_run.sim)
