"""Every figure of the presets' [bargain] tables traces to a cited source or an
ASSUMPTION (the preset's comments), and the yearly relief they give is the one worked out
by hand in the preset and in docs/bargain.md."""

from __future__ import annotations

import re
import tomllib

import pytest

import sovfund
from sovfund.presets import preset_text

PRESETS = ["son-2025", "mou-550b"]


def bargain_notes(text: str) -> dict[str, list[str]]:
    """The comment paragraphs (a "# source:" or "# ASSUMPTION:" line and its "#   "
    continuations) above each ``bargain.KEY =`` line, from the one above it."""
    notes: dict[str, list[str]] = {}
    paragraphs: list[str] = []
    for line in text.splitlines():
        if line.startswith(("# source:", "# ASSUMPTION:")):
            paragraphs.append(line[2:])
        elif line.startswith("#   ") and paragraphs:
            paragraphs[-1] += " " + line[4:].strip()
        elif line.startswith("# "):
            paragraphs.append("")  # a plain comment ends the paragraph before it
        elif match := re.match(r"bargain\.(\w+) =", line):
            notes[match.group(1)] = [p for p in paragraphs if p]
            paragraphs = []
        elif line and not line.startswith("#"):
            paragraphs = []
    return notes


@pytest.mark.parametrize("preset", PRESETS)
def test_every_bargain_figure_has_a_source_or_an_assumption(preset: str) -> None:
    text = preset_text(preset)
    table = tomllib.loads(text)["bargain"]
    notes = bargain_notes(text)
    assert set(notes) == set(table), "each [bargain] key written once, as bargain.KEY ="
    for key in table:
        if key == "sector":
            continue
        assert any(key in p for p in notes[key]), f"bargain.{key}: no source or ASSUMPTION"
    sectors = table["sector"]
    paragraphs = notes["sector"]
    for key in {k for sector in sectors for k in sector} - {"name"}:
        naming = [p for p in paragraphs if key in p]
        assert naming, f"bargain.sector: no source or ASSUMPTION names {key}"
        values = {repr(sector.get(key)) for sector in sectors}
        if len(values) == 1 and all(key in sector for sector in sectors):
            continue  # one value for every sector: a paragraph naming the key is enough
        for sector in sectors:
            assert any(sector["name"] in p for p in naming), (
                f"bargain.sector '{sector['name']}': {key} differs between sectors and no"
                f" source or ASSUMPTION naming {key} names '{sector['name']}'"
            )


@pytest.mark.parametrize("preset", PRESETS)
def test_the_presets_yearly_relief_by_hand(preset: str) -> None:
    """The preset's worked figures (MoF 2024 exports at 151.5 yen a dollar; EO 14345's
    15% against 27.5% on cars and 25% on parts): cars 39.8 x 0.125 x (0.75 + 0.25 x 1.5
    x 0.08) = $3.88B, car parts 7.7 x 0.10 x (0.5 + 0.5 x 1.5 x 0.08) = $0.43B; other
    goods nothing after the February 2026 ruling."""
    bargain = sovfund.load_terms(preset).bargain
    assert bargain is not None
    relief = {s.name: s.yearly_relief for s in bargain.sector}
    assert relief["cars"] == pytest.approx(39.8e9 * 0.125 * 0.78, rel=1e-12)
    assert relief["car parts"] == pytest.approx(7.7e9 * 0.10 * 0.56, rel=1e-12)
    in_force = sum(s.yearly_relief for s in bargain.sector if s.years is None or s.years > 0)
    assert in_force == pytest.approx(4.3117e9, rel=1e-4)
    # the three sectors are Japan's 2024 exports to the US: ¥21.3T at 151.5 yen a dollar
    assert sum(s.exports for s in bargain.sector) == pytest.approx(21.3e12 / 151.5, rel=2e-3)
