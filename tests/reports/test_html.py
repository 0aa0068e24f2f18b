"""The HTML report: it opens offline in a real browser with no JavaScript errors and
every chart drawn; its sections follow the summary; its numbers read like a person
writes them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sovfund.errors import InputError
from sovfund.reports.charts import money, multiple, percent, probability
from sovfund.reports.html import parse_notes, render_report, write_report

from .conftest import Run

CHARTS = {"structure", "lp-outcomes", "gp-receipts", "fan", "j-curve", "attribution"}
OPTIONAL_CHARTS = {"frontier", "tornado", "bargain"}


def chromium() -> str:
    """The headless browser; `make test` installs it, so its absence is a failure."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("no chromium on PATH: `make test` installs it (apt-get install chromium)")


def browser_check(page: Path, profile: Path) -> dict[str, Any]:
    """Open ``page`` in headless Chromium with no network and return what the report's
    render check wrote into #render-check."""
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r'<pre id="render-check"[^>]*>(.*?)</pre>', result.stdout, re.DOTALL)
    assert match, f"no render check (chromium exit {result.returncode}): {result.stderr[-2000:]}"
    text = match.group(1).replace("&quot;", '"').replace("&amp;", "&")
    assert text, "the render check never ran"
    return dict(json.loads(text))


def test_report_opens_offline_with_every_chart_drawn(son_run: Run, tmp_path: Path) -> None:
    page = write_report(tmp_path / "report.html", son_run.summary, son_run.base, son_run.sim)
    check = browser_check(page, tmp_path / "profile")
    assert check["errors"] == []
    assert check["complete"] is True
    drawn = {c["id"].removeprefix("chart-"): c for c in check["charts"]}
    assert set(drawn) == CHARTS | OPTIONAL_CHARTS
    for name, chart in drawn.items():
        assert chart["drawn"], f"{name} did not draw"
        assert chart["traces"] > 0, f"{name} has no data"


def test_render_check_reports_errors_and_undrawn_charts(son_run: Run, tmp_path: Path) -> None:
    html = render_report(son_run.summary, son_run.base, son_run.sim)
    broken = html.replace(
        '<pre id="render-check"',
        '<div id="chart-empty" class="plotly-graph-div"></div>'
        '<script>throw new Error("deliberate");</script><pre id="render-check"',
    )
    page = tmp_path / "broken.html"
    page.write_text(broken, encoding="utf-8")
    check = browser_check(page, tmp_path / "profile")
    assert any("deliberate" in error for error in check["errors"])
    assert check["complete"] is False
    empty = next(c for c in check["charts"] if c["id"] == "chart-empty")
    assert empty == {"id": "chart-empty", "traces": 0, "drawn": False}


def test_report_is_one_self_contained_file(son_run: Run) -> None:
    html = render_report(son_run.summary, son_run.base, son_run.sim)
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"""<img[^>]+src=["']?https?:""", html)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html.split("</style>")[0])
    assert html.count("plotly.js v") == 1  # the library's banner: inlined exactly once
    assert html.count('class="plotly-graph-div"') == len(CHARTS | OPTIONAL_CHARTS)


def test_sections_follow_the_summary(son_run: Run, mou_run: Run) -> None:
    full = render_report(son_run.summary, son_run.base, son_run.sim)
    verdict = son_run.summary["verdict"]
    assert full.index(verdict["headline"]) < full.index('id="key-figures"')
    for sentence in verdict["sentences"]:
        assert sentence["text"] in full
        assert sentence["rule"] in full
    for section in ("verdict", "stress", "frontier", "sensitivity", "bargain"):
        assert f'id="{section}"' in full
    for scenario in son_run.summary["stress"]["scenarios"]:
        assert scenario["title"] in full
    assert "backend serial" in full
    assert "sovfund run son-2025 --paths 512 --seed 3" in full

    bare = render_report(mou_run.summary, mou_run.base, mou_run.sim)
    for section in ("verdict", "stress", "frontier", "sensitivity", "bargain"):
        assert f'id="{section}"' not in bare
    assert "sovfund run mou-550b --paths 256 --seed 1" in bare
    assert "chart-fan" in bare
    assert "chart-frontier" not in bare


def test_bargain_section_shows_the_net_and_each_projects_decision(
    son_run: Run, mou_bargain_run: Run
) -> None:
    son = render_report(son_run.summary, son_run.base, son_run.sim)
    bargain = son_run.summary["bargain"]
    section = son[son.index('id="bargain"') : son.index('id="assumptions"')]
    assert "chart-bargain" in section
    assert money(bargain["net"]["usd"]["p50"]) in section
    assert money(bargain["break_even"]["p50"]["yearly_usd"]) in section
    assert "The opt-out, project by project" not in section  # no right to decline
    mou = render_report(mou_bargain_run.summary, mou_bargain_run.base, mou_bargain_run.sim)
    section = mou[mou.index('id="bargain"') : mou.index('id="assumptions"')]
    assert "The opt-out, project by project" in section
    names = {p.id: p.name.split(" (")[0] for p in mou_bargain_run.base.terms.projects}
    for row in mou_bargain_run.summary["bargain"]["opt_out"]["projects"]:
        assert names[row["id"]] in section
        assert money(row["expected_loss_usd"]) in section
    assert section.count(">decline") == len(
        mou_bargain_run.summary["bargain"]["opt_out"]["portfolio"]["declined"]
    )


def test_key_figures_are_the_models(son_run: Run) -> None:
    html = render_report(son_run.summary, son_run.base, son_run.sim)
    base = son_run.summary["base_case"]
    reserves = base["parties"]["japan_reserves"]
    simulation = son_run.summary["simulation"]
    for figure in (
        money(base["fund"]["peak_debt"]),
        money(base["fund"]["invested"]),
        percent(reserves["irr"]),
        multiple(reserves["tvpi"]),
        probability(simulation["fund"]["p_default"]),
        probability(simulation["parties"]["japan_reserves"]["p_loss"]),
    ):
        assert figure in html, figure


def test_assumptions_come_with_their_sources(son_run: Run) -> None:
    html = render_report(son_run.summary, son_run.base, son_run.sim)
    assert 'id="assumptions"' in html
    assert html.count('class="tag source"') >= 10
    assert html.count('class="tag assumption"') >= 10
    assert "Preqin 2026" in html  # a source named in the preset


def test_notes_attach_to_the_key_they_document() -> None:
    text = """
# ==== Fund ====
# source: a report,
#   page 2.
fund.term_years = 12
# ASSUMPTION: a guess.
party = [
  # ASSUMPTION: the biggest slice.
  { id = "reserves", role = "lp" },
]
# ---- Ports (2 projects) ----
# source: the port authority.
project = [
  { id = "port_a", name = "A" },
]
# source: a stress study.
[stress.rates_up]
"""
    notes = [(n.section, n.subject, n.kind, n.text) for n in parse_notes(text)]
    assert notes == [
        ("Fund", "fund.term_years", "source", "a report, page 2."),
        ("Fund", "party", "assumption", "a guess."),
        ("Fund", "reserves", "assumption", "the biggest slice."),
        ("Fund", "Ports (2 projects)", "source", "the port authority."),
        ("Fund", "stress.rates_up", "source", "a stress study."),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.3458e12, "$2.35T"),
        (300e9, "$300B"),
        (50e9, "$50B"),
        (22.24e9, "$22.2B"),
        (7.6e9, "$7.60B"),
        (999.96e9, "$1T"),
        (-1.5e9, "\u2212$1.50B"),
        (0.0, "$0"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_money(value: float | None, expected: str) -> None:
    assert money(value) == expected


def test_rates_multiples_and_probabilities() -> None:
    assert percent(0.13331) == "13.3%"
    assert percent(-1.0) == "\u2212100.0%"
    assert multiple(3.5871) == "3.59x"
    assert probability(0.0001) == "<0.1%"
    assert probability(0.8735) == "87.4%"
    assert probability(None) == "—"


def test_unwritable_folder_is_an_input_error(son_run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write"):
        write_report(blocker / "report.html", son_run.summary, son_run.base, son_run.sim)
    assert list(tmp_path.iterdir()) == [blocker]  # nothing half-written left behind
