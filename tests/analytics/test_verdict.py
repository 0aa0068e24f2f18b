"""The verdict speaks of the parties the term sheet has: its largest sovereign LP, else
its largest LP; Japan's reserves only where that party is Japan's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sovfund
from sovfund.analytics.verdict import Verdict, focus_party, japan_sovereign, verdict
from sovfund.run.studies import simulation_result

TINY = Path(__file__).parents[2] / "examples" / "tiny.toml"


def tiny(edit: str = "", extra: str = "") -> sovfund.Terms:
    text = TINY.read_text(encoding="utf-8")
    text = text.replace(
        'role = "lp"\nclass = "institutional"', edit or 'role = "lp"\nclass = "institutional"'
    )
    return sovfund.parse_terms(text + extra, name="tiny.toml")


def said(terms: sovfund.Terms, *, paths: int = 256) -> Verdict:
    base = sovfund.run_base_case(terms)
    sim = sovfund.simulate(terms, paths=paths, seed=1)
    return verdict(terms, base, simulation_result("tiny", sim))


US_SOVEREIGN = (
    'role = "lp"\nclass = "sovereign"\ncountry = "US"\nname = "US Treasury fund (a test)"'
)


def test_a_fund_without_a_japanese_party_never_mentions_japan() -> None:
    for terms in (tiny(), tiny(US_SOVEREIGN)):
        text = json.dumps(said(terms).to_dict())
        assert "Japan" not in text
        assert "yen" not in text


def test_it_speaks_for_the_largest_sovereign_lp() -> None:
    terms = tiny(US_SOVEREIGN)
    assert focus_party(terms) == "lp"
    sentences = [s.text for s in said(terms).sentences]
    assert any(
        s.startswith("US Treasury fund (the largest sovereign LP) loses money in")
        for s in sentences
    )


def test_without_a_sovereign_lp_it_speaks_for_the_largest_lp() -> None:
    extra = '\n[[party]]\nid = "big"\nrole = "lp"\ncommitment = 300.0\n'
    terms = tiny(extra=extra.replace("300.0", '300.0\nclass = "retail"'))
    assert focus_party(terms) == "big"  # 300 against the first LP's 100
    assert japan_sovereign(terms) is None


@pytest.mark.parametrize("preset", ["son-2025", "mou-550b"])
def test_the_presets_speak_for_japans_reserves(preset: str) -> None:
    terms = sovfund.load_terms(preset)
    assert focus_party(terms) == japan_sovereign(terms)
    assert focus_party(terms) is not None


def test_a_calm_fund_is_sound_in_the_words_of_its_own_parties() -> None:
    calm = tiny(US_SOVEREIGN)
    calm = calm.model_copy(
        update={"risk": calm.risk.model_copy(update={"volatility": 0.0, "defaults": 0.0})}
    )
    headline = said(calm).headline
    # no debt: only the LP's chance of a loss is weighed, and it is zero on plan
    assert (
        headline == "Sound on these assumptions: US Treasury fund's chance of a loss is below 20%."
    )
