"""The HTML report: one self-contained page (Plotly's JavaScript inlined once, no
network requests) that an analyst can open offline, print or mail.

Render only: the numbers come from the summary dict (``summary.json``), the base case
and the simulation. Sections the summary lacks (verdict, stress, frontier,
sensitivity, bargain, run) are left out.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

import sovfund
from sovfund.analytics.base_case import BaseCase
from sovfund.presets import preset_ids, preset_text
from sovfund.reports import charts
from sovfund.reports.charts import (
    PartyStyle,
    group_title,
    metric_format,
    money,
    multiple,
    party_rows,
    percent,
    probability,
    tier_rows,
)
from sovfund.reports.files import write_bytes
from sovfund.run.simulate import SAMPLE, Simulation
from sovfund.terms.models import FloatingRate, Terms, Tier

__all__ = ["Note", "render_report", "scenario_notes", "write_report"]

CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}


def write_report(path: Path, summary: Mapping[str, Any], base: BaseCase, sim: Simulation) -> Path:
    """Render the report and write it to ``path`` atomically.

    Raises
    ------
    InputError
        The folder cannot be made or written to.
    """
    return write_bytes(path, render_report(summary, base, sim).encode("utf-8"))


def render_report(summary: Mapping[str, Any], base: BaseCase, sim: Simulation) -> str:
    """The report as one HTML string."""
    environment = Environment(
        loader=PackageLoader("sovfund.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        money=money, percent=percent, probability=probability, multiple=multiple
    )
    template = environment.get_template("report.html.j2")
    return template.render(**_context(summary, base, sim))


# ---- the page's content ----------------------------------------------------------------------


def _context(summary: Mapping[str, Any], base: BaseCase, sim: Simulation) -> dict[str, Any]:
    terms = base.terms
    style = PartyStyle.of(terms)
    headline = _headline_lp(terms)
    figures = _figures(summary, base, sim, style, headline)
    simulation = summary["simulation"]
    scenario = str(summary["scenario"])
    return {
        "title": terms.fund.name,
        "scenario": scenario,
        "plotly_js": Markup(get_plotlyjs()),
        "verdict": _verdict(summary.get("verdict")),
        "key_figures": _key_figures(summary, base, style, headline),
        "parties": _party_rows(base, style),
        "outcomes": _outcome_rows(simulation, terms, style),
        "fund_risk": _fund_risk_rows(simulation["fund"], levered=_levered(base)),
        "levered": _levered(base),
        "figures": figures,
        "paths": int(simulation["paths"]),
        "sampled": min(SAMPLE, int(simulation["paths"])),
        "tiers": _tier_rows(base, style),
        "stress": _stress(summary.get("stress"), terms, style, headline),
        "frontier": summary.get("frontier"),
        "frontier_party": style.label.get(headline, headline),
        "sensitivity": summary.get("sensitivity"),
        "bargain": _bargain(summary.get("bargain"), terms, style),
        "key_terms": key_terms(terms),
        "notes": _group_notes(scenario_notes(scenario)),
        "footer": _footer(summary),
    }


def _headline_lp(terms: Terms) -> str:
    """The LP whose returns the key figures quote: the largest commitment."""
    lps = sorted(terms.lps, key=lambda p: -(p.commitment or 0.0))
    return lps[0].id if lps else terms.parties[0].id


def _figures(
    summary: Mapping[str, Any],
    base: BaseCase,
    sim: Simulation,
    style: PartyStyle,
    headline: str,
) -> dict[str, Markup]:
    figures: dict[str, go.Figure | None] = {
        "structure": charts.structure(base, style),
        "lp_outcomes": charts.lp_outcomes(sim, base, style),
        "gp_receipts": charts.gp_receipts(sim, base, style),
        "fan": charts.fan_charts(sim, base),
        "j_curve": charts.j_curve(base, style),
        "attribution": charts.attribution(base, style),
    }
    if "frontier" in summary:
        label = style.label.get(headline, headline)
        figures["frontier"] = charts.frontier(summary["frontier"], base.terms, headline, label)
    if "sensitivity" in summary:
        figures["tornado"] = charts.tornado(summary["sensitivity"])
    if summary.get("bargain"):
        figures["bargain"] = charts.bargain(summary["bargain"])
    return {
        name: Markup(
            figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                config=CONFIG,
                div_id=f"chart-{name.replace('_', '-')}",
                default_width="100%",
            )
        )
        for name, figure in figures.items()
        if figure is not None
    }


@dataclass(frozen=True)
class Figure:
    """One key figure: what it is, its value, and where it comes from."""

    label: str
    value: str
    note: str


def _key_figures(
    summary: Mapping[str, Any], base: BaseCase, style: PartyStyle, headline: str
) -> list[Figure]:
    terms, fund = base.terms, base.fund
    sim = summary["simulation"]
    lp = party_rows(base)[headline]
    name = style.label[headline]
    mc = sim["parties"][headline]
    out = []
    if fund["funding_shortfall"]:
        out.append(
            Figure(
                "Runs out of money on plan",
                str(fund["shortfall_date"]),
                "commitments and debt cannot pay for the pipeline: the base case sells up",
            )
        )
    out += [
        Figure(
            "Equity committed",
            money(terms.total_commitment),
            f"by {len(terms.lps)} LP{'s' if len(terms.lps) != 1 else ''}",
        ),
        Figure(
            "Invested in projects",
            money(fund["invested"]),
            f"{len(terms.projects)} projects, base case",
        ),
    ]
    if fund["peak_debt"] > 0:
        out.append(
            Figure(
                "Peak fund debt",
                money(fund["peak_debt"]),
                f"{multiple(fund['peak_debt_to_equity'])} called equity;"
                f" loan-to-value up to {percent(fund['peak_ltv'], 0)}",
            )
        )
    out.append(
        Figure(
            f"{name}: if all goes to plan",
            f"{percent(lp['irr'])} IRR",
            f"{multiple(lp['tvpi'])} its money back (base case)",
        )
    )
    out.append(
        Figure(
            f"{name}: median outcome",
            f"{percent(mc['irr']['p50'])} IRR",
            f"the middle of {sim['paths']:,} simulated paths;"
            f" 5th percentile {percent(mc['irr']['p05'])}",
        )
    )
    out.append(
        Figure(
            f"{name}: chance of losing money",
            probability(mc["p_loss"]),
            f"of total loss: {probability(mc['p_total_loss'])}",
        )
    )
    if fund["peak_debt"] > 0 or sim["fund"]["p_default"] > 0:
        out.append(
            Figure(
                "Chance the fund defaults on its debt",
                probability(sim["fund"]["p_default"]),
                f"covenant breached on {probability(sim['fund']['p_covenant_breach'])} of paths",
            )
        )
    gps: dict[tuple[float, float], list[str]] = {}
    for gp in terms.gps:
        row = party_rows(base)[gp.id]
        key = (round(float(row["fees_received"]), 2), round(float(row["distributed"]), 2))
        gps.setdefault(key, []).append(style.label[gp.id])
    for (fees, carry), names in gps.items():
        who = group_title(names, total=len(terms.gps), noun="GPs")
        out.append(
            Figure(
                f"{who}: each receives" if len(names) > 1 else f"{who} receives",
                money(fees + carry),
                _receipts(fees, carry) + " for no capital (base case)",
            )
        )
    return out


def _receipts(fees: float, carry: float) -> str:
    parts = [
        f"{name} {money(value)}" for name, value in (("fees", fees), ("carry", carry)) if value
    ]
    return " + ".join(parts) or "nothing"


def _bargain(
    section: Mapping[str, Any] | None, terms: Terms, style: PartyStyle
) -> dict[str, Any] | None:
    """Japan's side of the bargain as the page shows it: the relief by sector, the value
    to Japan across paths, the break-even relief and the opt-out table."""
    if not section:
        return None
    values = [
        {
            "label": label,
            "cells": [money(section[key]["usd"][k]) for k in ("mean", "p05", "p50", "p95")],
        }
        for label, key in (
            ("Tariff relief", "relief"),
            ("The fund: what Japan receives less what it pays in", "fund"),
            ("Net", "net"),
        )
    ]
    needed = []
    for name, label in (("p50", "on the median path"), ("p05", "in the worst 5%")):
        entry = section["break_even"][name]
        text = (
            "no relief is enough"
            if entry["yearly_usd"] is None
            else (f"{money(entry['yearly_usd'])} a year")
        )
        if entry["multiple_of_relief"] is not None:
            text += f" ({multiple(entry['multiple_of_relief'])} the relief)"
        needed.append((f"Relief needed to break even {label}", text))
    sectors = [
        {
            "name": s["name"],
            "exports": money(s["exports"]),
            "tariffs": f"{percent(s['tariff_without'])} → {percent(s['tariff_with'])}",
            "share": percent(s["exporter_share"], 0),
            "relief": money(s["yearly_relief"]),
            "lasts": "the term" if s["years"] is None else f"{s['years']:g} years",
        }
        for s in section["sectors"]
    ]
    opt_out = section.get("opt_out")
    projects = None
    if opt_out is not None:
        names = {p.id: p.name for p in terms.projects}
        projects = {
            "paths": opt_out["paths"],
            "chance": percent(opt_out["decline_snapback"], 0),
            "rule": opt_out["rule"],
            "rows": [
                {
                    "name": names.get(row["id"], row["id"]).split(" (")[0],
                    "capex": money(row["capex"]),
                    "start": f"Q{row['start_quarter']}",
                    "loss": money(row["expected_loss_usd"]),
                    "cost": money(row["snapback_cost_usd"]),
                    "gain": f"{money(row['gain_usd'])} ± {money(row['gain_se_usd'])}",
                    "decision": row["decision"] + (" (close)" if row["close"] else ""),
                    "tone": "worse" if row["decision"] == "decline" else "",
                }
                for row in opt_out["projects"]
            ],
            "summary": [
                ("Declined by the rule", str(len(opt_out["portfolio"]["declined"]))),
                ("Chance of a snap-back", probability(opt_out["portfolio"]["snapback_chance"])),
                (
                    "Median net, every project funded",
                    f"{money(opt_out['all_funded']['net']['usd']['p50'])}; ahead in"
                    f" {probability(opt_out['all_funded']['net']['p_ahead'])} of paths",
                ),
                (
                    "Median net, following the rule",
                    f"{money(opt_out['portfolio']['net']['usd']['p50'])}; ahead in"
                    f" {probability(opt_out['portfolio']['net']['p_ahead'])} of paths",
                ),
            ],
        }
    return {
        "paths": section["paths"],
        "seed": section["seed"],
        "parties": ", ".join(style.label.get(p, p) for p in section["parties"]),
        "yearly_relief": money(section["yearly_relief"]),
        "hazard": percent(section["hazard"], 0),
        "usd_jpy": f"{section['usd_jpy']:g}",
        "sectors": sectors,
        "values": values,
        "lines": [
            ("Chance Japan comes out ahead", probability(section["net"]["p_ahead"])),
            *needed,
        ],
        "opt_out": projects,
    }


def _verdict(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not verdict:
        return None
    sentences = [
        {
            "text": s["text"],
            "value": _metric_value(str(s.get("metric", "")), s.get("value")),
            "rule": s.get("rule"),
        }
        for s in verdict.get("sentences", [])
    ]
    return {"headline": verdict.get("headline", ""), "sentences": sentences}


def _metric_value(metric: str, value: Any) -> str:
    """A verdict value written the way its metric is measured."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    write, _ = metric_format(metric)
    return write(float(value))


def _party_rows(base: BaseCase, style: PartyStyle) -> list[dict[str, Any]]:
    terms, parties = base.terms, party_rows(base)
    total = terms.total_commitment
    rows = []
    for party in terms.parties:
        row = parties[party.id]
        received = float(row["distributed"] + row["fees_received"])
        rows.append(
            {
                "label": style.label[party.id],
                "name": party.name or party.id,
                "color": style.color[party.id],
                "role": "LP (investor)" if party.role == "lp" else "GP (runs the fund)",
                "class": party.investor_class or "",
                "country": party.country or "",
                "commitment": money(party.commitment) if party.role == "lp" else "—",
                "share": percent((party.commitment or 0.0) / total, 1)
                if party.role == "lp" and total > 0
                else "—",
                "received": money(received),
                "irr": percent(row["irr"]),
                "tvpi": multiple(row["tvpi"]),
            }
        )
    return rows


def _outcome_rows(
    simulation: Mapping[str, Any], terms: Terms, style: PartyStyle
) -> list[dict[str, Any]]:
    """Each party's Monte Carlo figures; parties with the same figures on one row."""
    cells: dict[str, list[str]] = {}
    for party in terms.parties:
        entry = simulation["parties"][party.id]
        irr, tvpi = entry["irr"], entry["tvpi"]
        received = money(entry["received"]["p50"]) if party.role == "gp" else "—"
        cells[party.id] = [
            percent(irr["p05"]),
            percent(irr["p50"]),
            percent(irr["mean"]),
            percent(irr["p95"]),
            multiple(tvpi["p50"]),
            received,
            probability(entry["p_loss"]),
            probability(entry["p_total_loss"]),
        ]
    return _merge_alike(cells, terms, style)


def _merge_alike(
    cells: Mapping[str, list[Any]], terms: Terms, style: PartyStyle
) -> list[dict[str, Any]]:
    """Table rows, one per group of parties of one role whose cells are the same (the
    waterfall pays LPs pro rata, so their returns often are)."""
    groups: dict[str, list[str]] = {}
    for party in terms.parties:
        key = repr((party.role, cells[party.id]))
        groups.setdefault(key, []).append(party.id)
    lps = len(terms.lps)
    rows = []
    for members in groups.values():
        is_lp = members[0] in {p.id for p in terms.lps}
        name = group_title(
            [style.label[m] for m in members],
            total=lps if is_lp else len(terms.gps),
            noun="LPs" if is_lp else "GPs",
        )
        rows.append(
            {
                "label": name[0].upper() + name[1:],
                "color": style.color[members[0]],
                "cells": cells[members[0]],
            }
        )
    return rows


def _levered(base: BaseCase) -> bool:
    return base.terms.leverage.debt_to_equity > 0 or bool((base.quarterly["debt"] > 0).any())


def _fund_risk_rows(fund: Mapping[str, Any], *, levered: bool) -> list[tuple[str, str]]:
    """The fund's risk figures; those about debt only where the fund borrows."""

    def described(key: str, fmt: Callable[[float | None], str]) -> str:
        d = fund.get(key) or {}
        return f"{fmt(d.get('p50'))} (5–95%: {fmt(d.get('p05'))} to {fmt(d.get('p95'))})"

    shortfall = ("Runs out of money and sells up", _with_se(fund, "p_funding_shortfall"))
    if not levered:
        return [shortfall]
    return [
        ("Fund defaults on its debt", _with_se(fund, "p_default")),
        ("Covenant breached at least once", _with_se(fund, "p_covenant_breach")),
        shortfall,
        ("Peak fund debt, median", described("peak_debt", money)),
        ("Peak loan-to-value, median", described("peak_ltv", lambda v: percent(v, 0))),
        ("Lenders' loss, mean", money((fund.get("lenders_loss") or {}).get("mean"))),
    ]


def _with_se(fund: Mapping[str, Any], key: str) -> str:
    value, se = fund.get(key), fund.get(f"{key}_se")
    if value is None:
        return "—"
    return f"{probability(value)} ± {percent(se, 1)}" if se else probability(value)


def _tier_rows(base: BaseCase, style: PartyStyle) -> dict[str, Any]:
    """What each party received, by waterfall tier, plus fees (base case)."""
    tiers, parties = tier_rows(base), party_rows(base)
    columns = [*tiers, "management fees", "total"]
    rows = []
    for party in base.terms.parties:
        paid = [tiers[name][party.id] for name in tiers]
        paid.append(float(parties[party.id]["fees_received"]))
        if any(paid):
            cells = [money(v) if v else "—" for v in paid] + [money(sum(paid))]
            rows.append(
                {"label": style.label[party.id], "color": style.color[party.id], "paid": cells}
            )
    return {"columns": columns, "rows": rows}


# ---- stress ----------------------------------------------------------------------------------


def _tone(
    value: float | None, reference: float | None, *, worse_if_higher: bool, tolerance: float
) -> str:
    """ "worse", "better" or "" against the reference scenario."""
    if value is None or reference is None or abs(value - reference) <= tolerance:
        return ""
    return "worse" if (value > reference) == worse_if_higher else "better"


def _stress(
    section: Mapping[str, Any] | None, terms: Terms, style: PartyStyle, headline: str
) -> dict[str, Any] | None:
    """The stress table (fund and the headline LP by scenario) and every party's median
    outcome by scenario, parties that fare alike in every scenario on one row."""
    if not section or not section.get("scenarios"):
        return None
    scenarios = section["scenarios"]
    reference = next((s for s in scenarios if s["name"] == "base"), scenarios[0])
    ref_fund, ref_lp = reference["fund"], reference["parties"].get(headline, {})
    rows = []
    for scenario in scenarios:
        fund, lp = scenario["fund"], scenario["parties"].get(headline, {})
        figures = [
            (fund.get("p_default"), ref_fund.get("p_default"), probability, True),
            (fund.get("p_covenant_breach"), ref_fund.get("p_covenant_breach"), probability, True),
            (_get(lp, "irr", "p50"), _get(ref_lp, "irr", "p50"), percent, False),
            (_get(lp, "tvpi", "mean"), _get(ref_lp, "tvpi", "mean"), multiple, False),
            (lp.get("p_loss"), ref_lp.get("p_loss"), probability, True),
        ]
        rows.append(
            {
                "title": scenario.get("title") or scenario["name"],
                "description": scenario.get("description", ""),
                "cells": [
                    {
                        "text": write(value),
                        "tone": _tone(value, ref, worse_if_higher=higher, tolerance=0.005),
                    }
                    for value, ref, write, higher in figures
                ],
            }
        )
    return {
        "paths": section.get("paths"),
        "seed": section.get("seed"),
        "headline": style.label.get(headline, headline),
        "titles": [s.get("title") or s["name"] for s in scenarios],
        "rows": rows,
        "parties": _stress_parties(scenarios, reference, terms, style),
    }


def _stress_parties(
    scenarios: list[Mapping[str, Any]],
    reference: Mapping[str, Any],
    terms: Terms,
    style: PartyStyle,
) -> dict[str, Any]:
    """Median IRR (or median receipts for parties with no IRR) by scenario (rows) and
    party (columns; parties that fare alike in every scenario share one)."""
    cells = {
        party.id: [
            _party_cell(s["parties"].get(party.id, {}), reference["parties"].get(party.id, {}))
            for s in scenarios
        ]
        for party in terms.parties
    }
    groups = _merge_alike(cells, terms, style)
    return {
        "columns": [{"label": g["label"], "color": g["color"]} for g in groups],
        "rows": [
            {
                "title": s.get("title") or s["name"],
                "cells": [g["cells"][i] for g in groups],
            }
            for i, s in enumerate(scenarios)
        ],
    }


def _party_cell(entry: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, str]:
    """Median IRR where the party has one, else median receipts."""
    irr, ref = _get(entry, "irr", "p50"), _get(reference, "irr", "p50")
    if irr is not None:
        tone = _tone(irr, ref, worse_if_higher=False, tolerance=0.005)
        return {"text": percent(irr), "tone": tone}
    got, ref = _get(entry, "received", "p50"), _get(reference, "received", "p50")
    tolerance = 0.01 * abs(ref) if ref else 0.0
    return {
        "text": money(got),
        "tone": _tone(got, ref, worse_if_higher=False, tolerance=tolerance),
    }


def _get(entry: Mapping[str, Any], key: str, stat: str) -> float | None:
    value = (entry.get(key) or {}).get(stat)
    return None if value is None or not math.isfinite(value) else float(value)


# ---- assumptions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """One sourced figure or stated assumption from a term sheet's comments."""

    section: str
    subject: str
    kind: Literal["source", "assumption"]
    text: str


_SECTION = re.compile(r"^#\s*=+\s*(.+?)\s*=+\s*$")
_GROUP = re.compile(r"^#\s*-{3,}\s*(.+?)\s*-{3,}\s*$")
_NOTE = re.compile(r"^#\s*(source|ASSUMPTION):\s*(.*)$")
_CONTINUED = re.compile(r"^#\s{2,}(\S.*)$")
_HEADER = re.compile(r"^\[\[?\s*([\w.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^([A-Za-z_][\w.\-]*)\s*=")
_ID = re.compile(r'\bid\s*=\s*"([^"]+)"')


def scenario_notes(scenario: str) -> list[Note]:
    """The ``# source:`` and ``# ASSUMPTION:`` comments of a preset or a term-sheet file,
    each with the section and the key (or group of projects) it documents."""
    if scenario in preset_ids():
        text = preset_text(scenario)
    else:
        try:
            text = Path(scenario).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
    return parse_notes(text)


def parse_notes(text: str) -> list[Note]:
    """Notes from TOML text: a note runs from its ``# source:`` or ``# ASSUMPTION:`` line
    over the indented comment lines after it, and documents the next key, table or list
    item (or, under a ``# ---- group ----`` heading, the group)."""
    notes: list[Note] = []
    section, group = "About the scenario", ""
    pending: list[tuple[str, list[str]]] = []
    open_note = False

    def flush(subject: str) -> None:
        for kind, lines in pending:
            text = " ".join(lines)
            notes.append(
                Note(section, subject, "source" if kind == "source" else "assumption", text)
            )
        pending.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if match := _SECTION.match(line):
            flush("")
            section, group, open_note = match.group(1), "", False
        elif match := _GROUP.match(line):
            flush("")
            group, open_note = match.group(1), False
        elif match := _NOTE.match(line):
            pending.append((match.group(1), [match.group(2)]))
            open_note = True
        elif line.startswith("#"):
            match = _CONTINUED.match(line)
            if open_note and match:
                pending[-1][1].append(match.group(1))
            else:
                open_note = False
        elif line:
            open_note = False
            if line.startswith(("]", "[")):
                group = ""  # a list or table ends: a group heading no longer applies
            if pending:
                flush(group or _subject(line))
    flush("")
    return notes


def _subject(line: str) -> str:
    for pattern in (_ID, _HEADER, _KEY):
        if match := pattern.search(line):
            return match.group(1).replace('"', "")
    return ""


def _group_notes(notes: list[Note]) -> list[dict[str, Any]]:
    sections: dict[str, list[Note]] = {}
    for note in notes:
        sections.setdefault(note.section, []).append(note)
    return [{"title": title, "notes": items} for title, items in sections.items()]


BASIS = {"committed": "committed capital", "invested": "invested capital", "nav": "NAV"}


def key_terms(terms: Terms) -> list[tuple[str, str]]:
    """The terms a reader needs first, in words."""
    fund = terms.fund
    names = {p.id: p.short_name for p in terms.parties}
    rows = [
        (
            "Fund",
            f"{fund.name}; starts {fund.start:%d %b %Y}; {fund.term_years} years"
            f" ({fund.investment_period_years} to invest)",
        ),
        (
            "Equity",
            f"{money(terms.total_commitment)} committed by {len(terms.lps)}"
            f" LP{'' if len(terms.lps) == 1 else 's'}",
        ),
        ("General partners", ", ".join(names[p.id] for p in terms.gps) or "none"),
    ]
    for fee in terms.fees:
        payers = ", ".join(names.get(p, _who(p)) for p in fee.paid_by)
        text = f"{_rate(fee.rate)} a year on {BASIS[fee.basis]}, paid by {payers}"
        if fee.step_down is not None:
            basis = BASIS[fee.step_down.basis or fee.basis]
            text += f"; {_rate(fee.step_down.rate)} on {basis} after the investment period"
        rows.append((f"Fee: {fee.id.replace('_', ' ')}", text))
    style = "whole fund" if terms.waterfall.style == "whole_fund" else "deal by deal"
    clawback = ", with clawback" if terms.waterfall.clawback else ""
    rows.append(("Waterfall", style + clawback))
    rows += [
        (f"Tier {i + 1}: {tier.name}", _tier_text(tier, names))
        for i, tier in enumerate(terms.waterfall.tier)
    ]
    rows += _leverage_terms(terms)
    capex = sum(p.capex for p in terms.projects)
    sectors = ", ".join(sorted({p.sector.replace("_", " ") for p in terms.projects}))
    rows.append(("Projects", f"{len(terms.projects)} projects, {money(capex)} of capex; {sectors}"))
    macro = terms.market
    rows.append(
        (
            "Markets at the start",
            f"short rate {_rate(macro.short_rate)}, 10-year yield"
            f" {_rate(macro.yield_10y)}, inflation {_rate(macro.inflation)},"
            f" {macro.usd_jpy:g} yen per dollar",
        )
    )
    rows.append(
        (
            "Risk settings",
            f"volatility x{terms.risk.volatility:g}, default rates x{terms.risk.defaults:g}"
            " (x1 = the shipped sector table)",
        )
    )
    return rows


def _leverage_terms(terms: Terms) -> list[tuple[str, str]]:
    leverage = terms.leverage
    if leverage.debt_to_equity <= 0:
        return [("Fund-level leverage", "none")]
    text = (
        f"debt up to {leverage.debt_to_equity:g}x called equity at SOFR +"
        f" {_rate(leverage.spread)}; {leverage.repayment} repayment"
    )
    if leverage.refinance_years:
        text += f", refinanced every {leverage.refinance_years} years"
    rows = [("Fund-level leverage", text)]
    covenants = leverage.covenants
    tests = []
    if covenants.max_ltv is not None:
        tests.append(f"loan-to-value at most {_rate(covenants.max_ltv)}")
    if covenants.min_interest_cover is not None:
        tests.append(f"interest cover at least {covenants.min_interest_cover:g}x")
    if tests:
        rows.append(("Covenants", "; ".join(tests) + f"; on a breach: {covenants.on_breach}"))
    return rows


def _tier_text(tier: Tier, names: Mapping[str, str]) -> str:
    pay = ", ".join(f"{names.get(k, _who(k))} {_rate(v)}" for k, v in tier.pay.items())
    until = tier.until
    if until is None:
        return f"{pay}: everything left"
    who = names.get(until.target, _who(until.target))
    group = until.target in ("lps", "gps")
    if until.kind == "capital_returned":
        return f"{pay} until {who} {'have their' if group else 'has its'} capital back"
    if until.kind == "hurdle":
        rate = until.rate
        target = f"SOFR + {_rate(rate.spread)}" if isinstance(rate, FloatingRate) else _rate(rate)
        return f"{pay} until {who} {'reach' if group else 'reaches'} an IRR of {target}"
    return f"{pay} until {who} {'have' if group else 'has'} {_rate(until.share)} of the profit"


def _rate(value: float | None) -> str:
    """A rate in the terms as written: 1.25%, 0.5%, 100%."""
    if value is None:
        return "—"
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%".replace("-", "\u2212")


def _who(party: str) -> str:
    return {"lps": "LPs", "gps": "GPs"}.get(party, party)


# ---- footer ----------------------------------------------------------------------------------


def _footer(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What anyone needs to reproduce the numbers."""
    simulation, run = summary["simulation"], summary.get("run") or {}
    paths = int(run.get("paths", simulation["paths"]))
    seed = int(run.get("seed", simulation["seed"]))
    seconds = run.get("seconds")
    scenario = str(summary["scenario"])
    command = f"sovfund run {shlex.quote(scenario)} --paths {paths} --seed {seed}"
    return {
        "version": run.get("version", sovfund.__version__),
        "scenario": scenario,
        "paths": paths,
        "seed": seed,
        "engine": run.get("engine", simulation.get("engine", "fast")),
        "backend": run.get("backend"),
        "seconds": f"{seconds:,.1f} s" if isinstance(seconds, int | float) else None,
        "command": str(run.get("command") or command),
    }
