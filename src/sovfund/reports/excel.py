"""The Excel workbook: the inputs, the base case flow by flow, the party metrics with
live formulas an analyst can audit, and the Monte Carlo, stress and leverage figures.

Render only: the numbers come from the summary dict (``summary.json``), the base case
and the simulation. Every formula carries its result as computed by the model, so a
reader that does not recalculate (or a test) sees the model's numbers, and Excel's
recalculation shows the formula agrees.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter
from pydantic import BaseModel
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

import sovfund
from sovfund.analytics.base_case import BaseCase
from sovfund.reports.files import write_bytes
from sovfund.run.simulate import Simulation
from sovfund.terms.models import Terms

__all__ = ["SHEETS", "render_workbook", "write_workbook"]

SHEETS = (
    "About",
    "Inputs",
    "Projects",
    "Fund quarterly",
    "Base case flows",
    "Net cash",
    "Party metrics",
    "Simulation",
    "Percentiles",
)
"""Sheets every workbook has; "Stress", "Frontier" and "Sensitivity" follow when the
summary has those sections, then "Bargain" and "Opt-out" (Japan's side of the bargain)."""

FLOWS = "Base case flows"
NET = "Net cash"
QUARTERLY = "Fund quarterly"
PERCENTILES = tuple(range(1, 100))


def write_workbook(path: Path, summary: Mapping[str, Any], base: BaseCase, sim: Simulation) -> Path:
    """Build the workbook and write it to ``path`` atomically.

    Raises
    ------
    InputError
        The folder cannot be made or written to.
    """
    return write_bytes(path, render_workbook(summary, base, sim))


def render_workbook(summary: Mapping[str, Any], base: BaseCase, sim: Simulation) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": f"{base.terms.fund.name}: sovfund results"})
    styles = Styles.of(book)
    _about(book.add_worksheet("About"), styles, summary, base)
    _inputs(book.add_worksheet("Inputs"), styles, base.terms)
    _projects(book.add_worksheet("Projects"), styles, base.terms)
    _quarterly(book.add_worksheet(QUARTERLY), styles, base)
    _flows(book.add_worksheet(FLOWS), styles, base)
    _net_cash(book.add_worksheet(NET), styles, base)
    _party_metrics(book.add_worksheet("Party metrics"), styles, summary, base)
    _simulation(book.add_worksheet("Simulation"), styles, summary, base.terms)
    _percentiles(book.add_worksheet("Percentiles"), styles, sim)
    if summary.get("stress"):
        _stress(book.add_worksheet("Stress"), styles, summary["stress"], base.terms)
    if summary.get("frontier"):
        _frontier(book.add_worksheet("Frontier"), styles, summary["frontier"], base.terms)
    if summary.get("sensitivity"):
        _sensitivity(book.add_worksheet("Sensitivity"), styles, summary["sensitivity"])
    if summary.get("bargain"):
        _bargain(book.add_worksheet("Bargain"), styles, summary["bargain"])
        if summary["bargain"].get("opt_out"):
            _opt_out(book.add_worksheet("Opt-out"), styles, summary["bargain"]["opt_out"], base)
    book.close()
    return buffer.getvalue()


# ---- formats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """The workbook's cell formats."""

    title: Format
    header: Format
    label: Format
    text: Format
    wrap: Format
    billions: Format
    millions: Format
    percent: Format
    rate: Format
    multiple: Format
    date: Format
    integer: Format
    number: Format
    total_label: Format
    total_billions: Format
    total_millions: Format

    @classmethod
    def of(cls, book: Workbook) -> Styles:
        def fmt(**properties: Any) -> Format:
            return book.add_format({"font_name": "Calibri", "font_size": 11, **properties})

        header = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1D3F7A", "text_wrap": True}
        total = {"bold": True, "top": 1}
        return cls(
            title=fmt(bold=True, font_size=16),
            header=fmt(**header, valign="top"),
            label=fmt(bold=True),
            text=fmt(),
            wrap=fmt(text_wrap=True, valign="top"),
            billions=fmt(num_format='$#,##0.00,,,"B"'),
            millions=fmt(num_format='$#,##0.0,,"M"'),
            percent=fmt(num_format="0.0%"),
            rate=fmt(num_format="0.00%"),
            multiple=fmt(num_format='0.00"x"'),
            date=fmt(num_format="yyyy-mm-dd"),
            integer=fmt(num_format="#,##0"),
            number=fmt(num_format="General"),
            total_label=fmt(**total),
            total_billions=fmt(**total, num_format='$#,##0.00,,,"B"'),
            total_millions=fmt(**total, num_format='$#,##0.0,,"M"'),
        )


def _plain(value: Any) -> float | None:
    """A finite float, or None for missing values (written as empty cells)."""
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _write(sheet: Worksheet, row: int, col: int, value: Any, style: Format | None) -> None:
    """One cell: numbers with a format, text as text, nothing for missing values."""
    if isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value), style)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, style)
    elif isinstance(value, int | float | np.integer | np.floating):
        number = _plain(value)
        if number is not None:
            sheet.write_number(row, col, number, style)
    elif value is not None:
        sheet.write_string(row, col, str(value), style)


def _table(
    sheet: Worksheet,
    styles: Styles,
    row: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[Format | None],
) -> int:
    """A header row and data rows from ``row``; returns the next free row."""
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, styles.header)
    for r, values in enumerate(rows, start=row + 1):
        for col, value in enumerate(values):
            _write(sheet, r, col, value, formats[col])
    return row + 1 + len(rows)


def _widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    """Column widths, and a print layout: landscape, one page wide, header row repeated."""
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _range(sheet: str, col: int, first: int, last: int, *, absolute: bool = True) -> str:
    """An A1 range on another sheet, e.g. ``'Net cash'!$C$2:$C$49``."""
    letter = xl_col_to_name(col, absolute)
    dollar = "$" if absolute else ""
    return f"'{sheet}'!{letter}{dollar}{first + 1}:{letter}{dollar}{last + 1}"


# ---- sheets ----------------------------------------------------------------------------------


def _about(sheet: Worksheet, styles: Styles, summary: Mapping[str, Any], base: BaseCase) -> None:
    """What the workbook is, how to reproduce it, the verdict, and a guide to the sheets."""
    simulation, run = summary["simulation"], summary.get("run") or {}
    paths = int(run.get("paths", simulation["paths"]))
    seed = int(run.get("seed", simulation["seed"]))
    scenario = str(summary["scenario"])
    sheet.write_string(0, 0, base.terms.fund.name, styles.title)
    rows: list[tuple[str, Any]] = [
        ("Scenario", scenario),
        ("sovfund version", run.get("version", sovfund.__version__)),
        ("Monte Carlo paths", paths),
        ("Seed", seed),
        ("Engine", run.get("engine", simulation.get("engine"))),
        ("Backend", run.get("backend")),
        ("Run time (seconds)", _plain(run.get("seconds"))),
        ("Reproduce", f"sovfund run {scenario} --paths {paths} --seed {seed}"),
    ]
    verdict = summary.get("verdict")
    if verdict:
        rows.append(("Verdict", verdict.get("headline", "")))
        rows += [("", s.get("text", "")) for s in verdict.get("sentences", [])]
    row = 2
    for label, value in rows:
        if value is None:
            continue
        sheet.write_string(row, 0, label, styles.label)
        _write(sheet, row, 1, value, styles.integer if isinstance(value, int) else styles.wrap)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Sheets", styles.label)
    guide = {
        "Inputs": "the term sheet: fund, parties, fees, waterfall tiers, leverage, policy, markets",
        "Projects": "the pipeline, one project a row",
        QUARTERLY: "the base case quarter by quarter: investment, cash, debt, NAV, LTV",
        FLOWS: "the base case: each party's contributions, distributions, fees and NAV",
        NET: "each party's net cash by quarter (the IRR formulas read it)",
        "Party metrics": "contributed, received, TVPI, DPI and IRR, as formulas over the flows",
        "Simulation": "the Monte Carlo: each party's IRR and TVPI distribution, fund risk",
        "Percentiles": "the 1st to 99th percentiles of each party's IRR and TVPI",
        "Stress": "named shocks: the fund and every party",
        "Frontier": "the same fund at other leverage",
        "Sensitivity": "one input at a time set low and high",
        "Bargain": "Japan's side of the bargain: the tariff relief against the fund (bargain.md)",
        "Opt-out": "each project funded against declined at the risk of a tariff snap-back",
    }
    present = {
        "Stress": summary.get("stress"),
        "Frontier": summary.get("frontier"),
        "Sensitivity": summary.get("sensitivity"),
        "Bargain": summary.get("bargain"),
        "Opt-out": (summary.get("bargain") or {}).get("opt_out"),
    }
    for name, text in guide.items():
        if name in present and not present[name]:
            continue
        row += 1
        sheet.write_string(row, 0, name, styles.text)
        sheet.write_string(row, 1, text, styles.wrap)
    row += 2
    sheet.write_string(
        row,
        0,
        "Money in US dollars ($M = millions, $B = billions); cells hold full amounts.",
        styles.text,
    )
    _widths(sheet, (22, 110))


def _inputs(sheet: Worksheet, styles: Styles, terms: Terms) -> None:
    """The term sheet as tables and key/value blocks."""
    sheet.write_string(0, 0, "Inputs: the term sheet", styles.title)
    row = _key_values(sheet, styles, 2, "Fund", terms.fund)
    row = _table(
        sheet,
        styles,
        row + 1,
        ["Party", "Name", "Role", "Class", "Country", "Commitment", "Carry share"],
        [
            [p.id, p.name, p.role, p.investor_class, p.country, p.commitment, p.carry_share]
            for p in terms.parties
        ],
        [styles.text] * 5 + [styles.billions, styles.percent],
    )
    if terms.fees:
        row = _table(
            sheet,
            styles,
            row + 1,
            ["Fee", "Kind", "Rate", "Basis", "Step-down rate", "Step-down basis", "Paid by", "To"],
            [
                [
                    f.id,
                    f.kind,
                    f.rate,
                    f.basis,
                    f.step_down.rate if f.step_down else None,
                    (f.step_down.basis or f.basis) if f.step_down else None,
                    ", ".join(f.paid_by),
                    ", ".join(f"{k} {v:.0%}" for k, v in f.to.items()),
                ]
                for f in terms.fees
            ],
            [styles.text, styles.text, styles.rate, styles.text, styles.rate] + [styles.text] * 3,
        )
    waterfall = terms.waterfall
    row = _table(
        sheet,
        styles,
        row + 1,
        ["Waterfall tier", "Name", "Pays", "Until", "Style"],
        [
            [
                i + 1,
                tier.name,
                ", ".join(f"{k} {v:.1%}" for k, v in tier.pay.items()),
                _until(tier.until),
                waterfall.style + (" with clawback" if waterfall.clawback else ""),
            ]
            for i, tier in enumerate(waterfall.tier)
        ],
        [styles.integer] + [styles.text] * 4,
    )
    for title, model in (
        ("Leverage", terms.leverage),
        ("Policy", terms.policy),
        ("Markets", terms.market),
        ("Valuation", terms.valuation),
        ("Risk", terms.risk),
    ):
        row = _key_values(sheet, styles, row + 1, title, model)
    sheet.freeze_panes(1, 0)
    _widths(sheet, (26, 44, 22, 46, 16, 16, 40, 30))


def _until(until: Any) -> str:
    if until is None:
        return "everything left"
    parts = {k: v for k, v in until.model_dump().items() if v is not None}
    return ", ".join(f"{k} = {v}" for k, v in parts.items())


RATE_KEYS = ("rate", "spread", "yield_10y", "inflation", "share", "discount", "max_ltv", "vol")


def _key_values(sheet: Worksheet, styles: Styles, row: int, title: str, model: BaseModel) -> int:
    """A titled block of ``key | value`` rows from a model's fields (nested ones dotted)."""
    sheet.write_string(row, 0, title, styles.header)
    sheet.write_string(row, 1, "", styles.header)
    for key, value in _flatten(model.model_dump(by_alias=True)):
        row += 1
        sheet.write_string(row, 0, key, styles.text)
        if isinstance(value, bool):
            sheet.write_boolean(row, 1, value, styles.text)
        elif isinstance(value, int | float):
            style = styles.rate if key.endswith(RATE_KEYS) else styles.number
            if key.endswith("debt_to_equity"):
                style = styles.multiple
            _write(sheet, row, 1, value, style)
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, 1, value, styles.date)
        else:
            sheet.write_string(row, 1, "" if value is None else str(value), styles.text)
    return row + 1


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key != "sector":
            out += _flatten(value, f"{name}.")
        elif isinstance(value, list | tuple):
            out.append((name, ", ".join(map(str, value))))
        elif isinstance(value, Mapping):
            out.append((name, "; ".join(f"{k}: {v}" for k, v in value.items()) or None))
        else:
            out.append((name, value))
    return out


def _projects(sheet: Worksheet, styles: Styles, terms: Terms) -> None:
    """The pipeline, one project a row, with total capex as a formula."""
    m, pct, txt, num = styles.millions, styles.percent, styles.text, styles.integer
    columns: list[tuple[str, str, Format]] = [
        ("Project", "id", txt),
        ("Name", "name", txt),
        ("Sector", "sector", txt),
        ("State", "state", txt),
        ("Contractor", "contractor", txt),
        ("Contractor country", "contractor_country", txt),
        ("Capex", "capex", m),
        ("Start quarter", "start_quarter", num),
        ("Construction quarters", "construction_quarters", num),
        ("Revenue model", "revenue_model", txt),
        ("Annual revenue (start-year money)", "annual_revenue", m),
        ("Indexation to inflation", "indexation", pct),
        ("Opex share of revenue", "opex_share", pct),
        ("Operating years", "operating_years", num),
        ("Debt share of capex", "debt_share", pct),
        ("Debt rate", "debt_rate", styles.rate),
    ]
    rows = [[getattr(p, key) for _, key, _ in columns] for p in terms.projects]
    last = _table(sheet, styles, 0, [c[0] for c in columns], rows, [c[2] for c in columns])
    sheet.write_string(last, 0, "Total", styles.total_label)
    capex = sum(p.capex for p in terms.projects)
    sheet.write_formula(last, 6, f"=SUM(G2:G{last})", styles.total_millions, capex)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last - 1, len(columns) - 1)
    _widths(sheet, (24, 52, 18, 7, 30, 11, 12, 10, 13, 13, 16, 12, 12, 10, 11, 10))


QUARTERLY_COLUMNS = (
    ("investment", "Investment in projects"),
    ("operating_cash", "Operating cash from projects"),
    ("fees", "Management fees"),
    ("interest", "Interest paid"),
    ("interest_capitalised", "Interest capitalised"),
    ("debt_drawn", "Debt drawn"),
    ("debt_repaid", "Debt repaid"),
    ("calls", "Capital called"),
    ("sale_proceeds", "Sale proceeds"),
    ("distributions", "Distributions"),
    ("asset_value", "Asset value"),
    ("debt", "Debt outstanding"),
    ("nav", "Equity NAV"),
    ("ltv", "Loan-to-value"),
    ("debt_to_equity", "Debt / called equity"),
    ("covenant_breach", "Covenant breach"),
)
FLOW_COLUMNS = (
    "investment",
    "operating_cash",
    "fees",
    "interest",
    "interest_capitalised",
    "debt_drawn",
    "debt_repaid",
    "calls",
    "sale_proceeds",
    "distributions",
)


def _quarterly(sheet: Worksheet, styles: Styles, base: BaseCase) -> None:
    """The base case quarter by quarter, with flow totals as SUM formulas."""
    table = base.quarterly
    formats = [styles.date]
    for key, _ in QUARTERLY_COLUMNS:
        if key == "ltv":
            formats.append(styles.percent)
        elif key == "debt_to_equity":
            formats.append(styles.multiple)
        elif key == "covenant_breach":
            formats.append(styles.text)
        else:
            formats.append(styles.millions)
    rows = [
        [date.date(), *(row[key] for key, _ in QUARTERLY_COLUMNS)]
        for date, row in zip(table.index, table.to_dict(orient="records"), strict=True)
    ]
    headers = ["Quarter end", *(label for _, label in QUARTERLY_COLUMNS)]
    last = _table(sheet, styles, 0, headers, rows, formats)
    sheet.write_string(last, 0, "Total", styles.total_label)
    for col, (key, _) in enumerate(QUARTERLY_COLUMNS, start=1):
        if key in FLOW_COLUMNS:
            letter = xl_col_to_name(col)
            total = float(table[key].sum())
            sheet.write_formula(
                last, col, f"=SUM({letter}2:{letter}{last})", styles.total_millions, total
            )
    sheet.freeze_panes(1, 1)
    _widths(sheet, [12] + [14] * len(QUARTERLY_COLUMNS))


def _flows(sheet: Worksheet, styles: Styles, base: BaseCase) -> None:
    """Each party's cash flows by quarter (long format, for filters and SUMIFS)."""
    flows = base.flows
    rows = [
        [
            r["date"].date(),
            r["party"],
            r["contribution"],
            r["distribution"],
            r["fees"],
            r["net"],
            r["nav"],
        ]
        for r in flows.to_dict(orient="records")
    ]
    headers = [
        "Quarter end",
        "Party",
        "Contribution",
        "Distribution",
        "Fees received",
        "Net cash (received - paid in)",
        "NAV share",
    ]
    m = styles.millions
    last = _table(sheet, styles, 0, headers, rows, [styles.date, styles.text, m, m, m, m, m])
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, last - 1, len(headers) - 1)
    _widths(sheet, (12, 20, 14, 14, 14, 16, 14))


def _net_cash(sheet: Worksheet, styles: Styles, base: BaseCase) -> None:
    """Each party's net cash by quarter, one column a party (what XIRR reads)."""
    net = base.flows.pivot_table(index="date", columns="party", values="net", aggfunc="sum")
    ids = [p.id for p in base.terms.parties]
    columns = {pid: net[pid].to_numpy(dtype=np.float64) for pid in ids}
    rows = [
        [date.date(), *(float(columns[pid][q]) for pid in ids)] for q, date in enumerate(net.index)
    ]
    _table(
        sheet, styles, 0, ["Quarter end", *ids], rows, [styles.date] + [styles.millions] * len(ids)
    )
    sheet.freeze_panes(1, 1)
    _widths(sheet, [12] + [18] * len(ids))


def _party_metrics(
    sheet: Worksheet, styles: Styles, summary: Mapping[str, Any], base: BaseCase
) -> None:
    """Per party: money in and out as SUMIFS over the flows, TVPI, DPI and IRR as
    formulas, totals as SUMs; then the fund's base-case figures."""
    terms, parties = base.terms, summary["base_case"]["parties"]
    flows_last = len(base.flows)  # header in row 0, data rows 1..flows_last
    quarters = len(base.quarterly)
    party_col = _range(FLOWS, 1, 1, flows_last)
    date_col = _range(FLOWS, 0, 1, flows_last)
    headers = [
        "Party",
        "Name",
        "Role",
        "Class",
        "Commitment",
        "Contributed",
        "Distributions",
        "Fees received",
        "Residual NAV",
        "TVPI",
        "DPI",
        "IRR",
    ]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, styles.header)
    b = styles.billions
    for i, party in enumerate(terms.parties):
        row, data = i + 1, parties[party.id]
        r = row + 1  # the row's A1 number
        sheet.write_string(row, 0, party.id, styles.text)
        sheet.write_string(row, 1, party.short_name, styles.text)
        sheet.write_string(row, 2, party.role, styles.text)
        _write(sheet, row, 3, party.investor_class, styles.text)
        _write(sheet, row, 4, party.commitment, b)
        for col, source, key in (
            (5, 2, "contributed"),
            (6, 3, "distributed"),
            (7, 4, "fees_received"),
        ):
            values = _range(FLOWS, source, 1, flows_last)
            sheet.write_formula(row, col, f"=SUMIFS({values},{party_col},$A{r})", b, data[key])
        nav = _range(FLOWS, 6, 1, flows_last)
        sheet.write_formula(
            row,
            8,
            f"=SUMIFS({nav},{party_col},$A{r},{date_col},MAX({date_col}))",
            b,
            _residual(base, party.id),
        )
        cash = _range(NET, i + 1, 1, quarters)
        dates = _range(NET, 0, 1, quarters)
        for col, formula, key, style in (
            (9, f"(G{r}+H{r}+I{r})/F{r}", "tvpi", styles.multiple),
            (10, f"(G{r}+H{r})/F{r}", "dpi", styles.multiple),
            (11, f"XIRR({cash},{dates})", "irr", styles.rate),
        ):
            value = _plain(data[key])
            sheet.write_formula(
                row, col, f'=IF(F{r}>0,{formula},"")', style, "" if value is None else value
            )
    total = len(terms.parties) + 1
    sheet.write_string(total, 0, "Total", styles.total_label)
    residuals = {p.id: _residual(base, p.id) for p in terms.parties}
    for col, key in (
        (4, "commitment"),
        (5, "contributed"),
        (6, "distributed"),
        (7, "fees_received"),
        (8, "residual"),
    ):
        letter = xl_col_to_name(col)
        amount = sum(
            residuals[p.id] if key == "residual" else float(parties[p.id][key] or 0.0)
            for p in terms.parties
        )
        sheet.write_formula(
            total, col, f"=SUM({letter}2:{letter}{total})", styles.total_billions, amount
        )
    note = (
        "Contributed, distributions, fees and residual NAV add up the rows of"
        f" '{FLOWS}'; TVPI = (distributions + fees + residual NAV) / contributed;"
        " DPI = (distributions + fees) / contributed; IRR = XIRR of the party's column in"
        f" '{NET}' (Actual/365, annual compounding, as the model). GPs pay nothing in, so"
        " they have no ratios or IRR."
    )
    sheet.merge_range(total + 2, 0, total + 2, len(headers) - 1, note, styles.wrap)
    sheet.set_row(total + 2, 48)
    _fund_figures(sheet, styles, total + 4, summary["base_case"]["fund"], quarters)
    sheet.freeze_panes(1, 1)
    _widths(sheet, (20, 34, 8, 13, 14, 14, 14, 14, 14, 9, 9, 9))


def _residual(base: BaseCase, party: str) -> float:
    """The party's share of NAV at the last quarter end."""
    navs = base.flows["nav"].to_numpy(dtype=np.float64)[base.flows["party"].to_numpy() == party]
    return float(navs[-1])


def _fund_figures(
    sheet: Worksheet, styles: Styles, row: int, fund: Mapping[str, Any], quarters: int
) -> None:
    """The fund's base-case figures; fees, interest and peak LTV as formulas over the
    quarterly sheet."""
    sheet.write_string(row, 0, "Fund (base case)", styles.header)
    sheet.write_string(row, 1, "", styles.header)
    column = {key: i + 1 for i, (key, _) in enumerate(QUARTERLY_COLUMNS)}

    def over(function: str, key: str) -> str:
        return f"={function}({_range(QUARTERLY, column[key], 1, quarters)})"

    figures: list[tuple[str, Any, Format, str | None]] = [
        ("Commitments", fund["commitments"], styles.billions, None),
        ("Invested in projects", fund["invested"], styles.billions, over("SUM", "investment")),
        ("Gross project multiple", fund["gross_moic"], styles.multiple, None),
        ("Peak fund debt", fund["peak_debt"], styles.billions, None),
        ("Peak debt / called equity", fund["peak_debt_to_equity"], styles.multiple, None),
        ("Peak loan-to-value", fund["peak_ltv"], styles.percent, over("MAX", "ltv")),
        ("Management fees paid", fund["fees_paid"], styles.billions, over("SUM", "fees")),
        ("Interest paid", fund["interest_paid"], styles.billions, over("SUM", "interest")),
        ("Lenders' loss", fund["lenders_loss"], styles.billions, None),
        ("Covenant breach", fund["covenant_breach"], styles.text, None),
        ("Defaulted", fund["defaulted"], styles.text, None),
        ("Funding shortfall (sold up)", fund["funding_shortfall"], styles.text, None),
    ]
    for label, value, style, formula in figures:
        row += 1
        sheet.write_string(row, 0, label, styles.text)
        if formula is not None and _plain(value) is not None:
            sheet.write_formula(row, 1, formula, style, _plain(value))
        else:
            _write(sheet, row, 1, value, style)


def _simulation(sheet: Worksheet, styles: Styles, summary: Mapping[str, Any], terms: Terms) -> None:
    """The Monte Carlo figures of every party and of the fund, from the summary."""
    simulation = summary["simulation"]
    headers = [
        "Party",
        "Name",
        "IRR mean",
        "IRR mean s.e.",
        "IRR 5th pct",
        "IRR median",
        "IRR 95th pct",
        "TVPI mean",
        "TVPI 5th pct",
        "TVPI median",
        "TVPI 95th pct",
        "P(loss)",
        "P(total loss)",
        "Received mean",
        "Received median",
    ]
    rows = []
    for party in terms.parties:
        entry = simulation["parties"][party.id]
        irr, tvpi, received = entry["irr"], entry["tvpi"], entry["received"]
        rows.append(
            [
                party.id,
                party.short_name,
                irr["mean"],
                irr["se"],
                irr["p05"],
                irr["p50"],
                irr["p95"],
                tvpi["mean"],
                tvpi["p05"],
                tvpi["p50"],
                tvpi["p95"],
                entry["p_loss"],
                entry["p_total_loss"],
                received["mean"],
                received["p50"],
            ]
        )
    r, x, p, b = styles.rate, styles.multiple, styles.percent, styles.billions
    formats = [styles.text, styles.text, r, r, r, r, r, x, x, x, x, p, p, b, b]
    row = _table(sheet, styles, 0, headers, rows, formats)
    fund = simulation["fund"]
    row += 1
    sheet.write_string(row, 0, f"Fund ({simulation['paths']:,} paths)", styles.header)
    sheet.write_string(row, 1, "", styles.header)
    sheet.write_string(row, 2, "s.e.", styles.header)
    for label, key, style in (
        ("P(fund defaults on its debt)", "p_default", p),
        ("P(covenant breach)", "p_covenant_breach", p),
        ("P(funding shortfall)", "p_funding_shortfall", p),
    ):
        row += 1
        sheet.write_string(row, 0, label, styles.text)
        _write(sheet, row, 1, fund.get(key), style)
        _write(sheet, row, 2, fund.get(f"{key}_se"), style)
    for label, key, stat, style in (
        ("Peak fund debt, median", "peak_debt", "p50", b),
        ("Peak loan-to-value, median", "peak_ltv", "p50", p),
        ("Lenders' loss, mean", "lenders_loss", "mean", b),
        ("Fees paid, mean", "fees", "mean", b),
    ):
        row += 1
        sheet.write_string(row, 0, label, styles.text)
        _write(sheet, row, 1, (fund.get(key) or {}).get(stat), style)
    sheet.freeze_panes(1, 2)
    _widths(sheet, (26, 30, 10, 10, 10, 10, 10, 10, 10, 10, 10, 9, 9, 13, 13))


def _percentiles(sheet: Worksheet, styles: Styles, sim: Simulation) -> None:
    """The 1st to 99th percentiles of each party's IRR and TVPI over every path (linear
    interpolation, as the summary's 5th, 50th and 95th)."""
    columns: list[tuple[str, np.ndarray, Format]] = []
    for i, party in enumerate(sim.terms.parties):
        for name, values, style in (
            ("IRR", sim.summary.irr[:, i], styles.rate),
            ("TVPI", sim.summary.tvpi[:, i], styles.multiple),
        ):
            finite = values[np.isfinite(values)]
            if finite.size:
                columns.append((f"{party.id} {name}", np.percentile(finite, PERCENTILES), style))
    rows = [
        [p / 100, *(float(values[k]) for _, values, _ in columns)]
        for k, p in enumerate(PERCENTILES)
    ]
    headers = ["Percentile", *(name for name, _, _ in columns)]
    _table(sheet, styles, 0, headers, rows, [styles.percent, *(s for _, _, s in columns)])
    sheet.freeze_panes(1, 1)
    _widths(sheet, [11] + [16] * len(columns))


def _stress(sheet: Worksheet, styles: Styles, section: Mapping[str, Any], terms: Terms) -> None:
    """One row a stress scenario: the fund, then every party."""
    headers = ["Scenario", "Title", "Description", "P(fund default)", "P(covenant breach)"]
    p, r, b = styles.percent, styles.rate, styles.billions
    formats: list[Format | None] = [styles.text, styles.text, styles.wrap, p, p]
    for party in terms.parties:
        if party.role == "lp":
            headers += [
                f"{party.id}: IRR median",
                f"{party.id}: IRR 5th pct",
                f"{party.id}: P(loss)",
            ]
            formats += [r, r, p]
        else:
            headers.append(f"{party.id}: received median")
            formats.append(b)
    rows = []
    for scenario in section["scenarios"]:
        values: list[Any] = [
            scenario["name"],
            scenario.get("title"),
            scenario.get("description"),
            scenario["fund"].get("p_default"),
            scenario["fund"].get("p_covenant_breach"),
        ]
        for party in terms.parties:
            entry = scenario["parties"].get(party.id, {})
            if party.role == "lp":
                irr = entry.get("irr") or {}
                values += [irr.get("p50"), irr.get("p05"), entry.get("p_loss")]
            else:
                values.append((entry.get("received") or {}).get("p50"))
        rows.append(values)
    _table(sheet, styles, 0, headers, rows, formats)
    sheet.freeze_panes(1, 2)
    _widths(sheet, [18, 26, 50] + [13] * (len(headers) - 3))


def _frontier(sheet: Worksheet, styles: Styles, section: Mapping[str, Any], terms: Terms) -> None:
    """One row a leverage level: the fund, then every LP."""
    p, r = styles.percent, styles.rate
    headers = ["Debt / equity", "P(fund default)", "P(covenant breach)"]
    formats: list[Format | None] = [styles.multiple, p, p]
    lps = [party.id for party in terms.lps]
    for pid in lps:
        headers += [f"{pid}: IRR mean", f"{pid}: IRR 5th pct", f"{pid}: P(loss)"]
        formats += [r, r, p]
    rows = []
    for point in sorted(section["points"], key=lambda point: point["leverage"]):
        values: list[Any] = [
            point["leverage"],
            point["fund"].get("p_default"),
            point["fund"].get("p_covenant_breach"),
        ]
        for pid in lps:
            entry = point["parties"].get(pid, {})
            values += [entry.get("irr_mean"), entry.get("irr_p05"), entry.get("p_loss")]
        rows.append(values)
    _table(sheet, styles, 0, headers, rows, formats)
    sheet.freeze_panes(1, 1)
    _widths(sheet, [13] + [14] * (len(headers) - 1))


def _sensitivity(sheet: Worksheet, styles: Styles, section: Mapping[str, Any]) -> None:
    """One row an input: the figure with the input set low and high, and the swing."""
    metric = str(section["metric"])
    style = styles.multiple if metric.startswith(("tvpi", "dpi")) else styles.rate
    sheet.write_string(0, 0, str(section["label"]), styles.title)
    sheet.write_string(1, 0, "As set", styles.label)
    _write(sheet, 1, 1, section["base"], style)
    headers = ["Input", "Label", "Low setting", "High setting", "Low", "High", "Swing"]
    for col, header in enumerate(headers):
        sheet.write_string(3, col, header, styles.header)
    for i, bar in enumerate(section["bars"]):
        row = 4 + i
        for col, key in enumerate(("name", "label", "low_setting", "high_setting")):
            _write(sheet, row, col, bar.get(key), styles.text)
        _write(sheet, row, 4, bar["low"], style)
        _write(sheet, row, 5, bar["high"], style)
        if _plain(bar["low"]) is not None and _plain(bar["high"]) is not None:
            cell_low = xl_rowcol_to_cell(row, 4)
            cell_high = xl_rowcol_to_cell(row, 5)
            swing = abs(float(bar["high"]) - float(bar["low"]))
            sheet.write_formula(row, 6, f"=ABS({cell_high}-{cell_low})", style, swing)
    sheet.freeze_panes(4, 1)
    _widths(sheet, (20, 34, 12, 12, 11, 11, 11))


def _bargain(sheet: Worksheet, styles: Styles, section: Mapping[str, Any]) -> None:
    """The relief by sector (its yearly relief a live formula), the value to Japan across
    paths in USD and yen, and the relief it would need to break even."""
    b, r, p, m = styles.billions, styles.rate, styles.percent, styles.multiple
    sheet.write_string(0, 0, "Japan's side of the bargain", styles.title)
    sheet.write_string(
        1,
        0,
        f"{section['paths']:,} paths, seed {section['seed']}; Japan: "
        + ", ".join(section["parties"])
        + f"; USD at {section['usd_jpy']:g} yen; hazard {section['hazard']:.0%} a year",
        styles.text,
    )
    headers = [
        "Sector",
        "Exports a year",
        "Tariff without",
        "Tariff with",
        "Exporter share",
        "Elasticity",
        "Margin",
        "Years (blank: the term)",
        "Relief a year",
    ]
    first = 4
    for col, header in enumerate(headers):
        sheet.write_string(first - 1, col, header, styles.header)
    formats = [styles.text, b, r, r, p, styles.number, p, styles.number]
    for i, sector in enumerate(section["sectors"]):
        row = first + i
        keys = ("name", "exports", "tariff_without", "tariff_with", "exporter_share")
        for col, key in enumerate((*keys, "elasticity", "margin", "years")):
            _write(sheet, row, col, sector[key], formats[col])
        cell = [xl_rowcol_to_cell(row, col) for col in range(7)]
        formula = f"={cell[1]}*({cell[2]}-{cell[3]})*({cell[4]}+(1-{cell[4]})*{cell[5]}*{cell[6]})"
        sheet.write_formula(row, 8, formula, b, sector["yearly_relief"])
    row = first + len(section["sectors"]) + 1
    sheet.write_string(row, 0, "Relief in force at the start, a year", styles.label)
    _write(sheet, row, 1, section["yearly_relief"], b)
    row += 2
    headers = ["Value to Japan", "Mean", "5th pct", "Median", "95th pct", "Mean (yen)"]
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, styles.header)
    rows = {}
    for key, label in (("relief", "Tariff relief"), ("fund", "The fund"), ("net", "Net")):
        row += 1
        rows[key] = row
        sheet.write_string(row, 0, label, styles.text)
        usd = section[key]["usd"]
        for col, stat in enumerate(("mean", "p05", "p50", "p95"), start=1):
            _write(sheet, row, col, usd[stat], b)
        _write(sheet, row, 5, section[key]["jpy"]["mean"], styles.integer)
    relief, fund = xl_rowcol_to_cell(rows["relief"], 1), xl_rowcol_to_cell(rows["fund"], 1)
    sheet.write_formula(rows["net"], 1, f"={relief}+{fund}", b, section["net"]["usd"]["mean"])
    row += 2
    sheet.write_string(row, 0, "Chance Japan comes out ahead", styles.label)
    _write(sheet, row, 1, section["net"]["p_ahead"], p)
    for name, label in (("p50", "on the median path"), ("p05", "at the 5th percentile")):
        row += 1
        entry = section["break_even"][name]
        sheet.write_string(row, 0, f"Relief a year to break even {label}", styles.label)
        if entry["yearly_usd"] is None:
            sheet.write_string(row, 1, "none suffices", styles.text)
        else:
            _write(sheet, row, 1, entry["yearly_usd"], b)
            _write(sheet, row, 2, entry["multiple_of_relief"], m)
    _widths(sheet, (40, 15, 13, 13, 13, 16, 11, 13, 15))


def _opt_out(sheet: Worksheet, styles: Styles, section: Mapping[str, Any], base: BaseCase) -> None:
    """One row a project: its expected loss to Japan and the snap-back's expected cost,
    and as live formulas the gain from funding (cost - loss) and the rule's decision."""
    b = styles.billions
    names = {p.id: p.name for p in base.terms.projects}
    sheet.write_string(0, 0, f"Rule: {section['rule']}.", styles.text)
    sheet.write_string(
        1,
        0,
        f"{section['paths']:,} paths a run; a decline brings a snap-back with chance"
        f" {section['decline_snapback']:.0%}, from the project's start to the end of the term.",
        styles.text,
    )
    headers = [
        "Project",
        "Name",
        "Sector",
        "Capex",
        "Start quarter",
        "Expected loss to Japan",
        "Snap-back cost",
        "Gain from funding",
        "Gain: standard error",
        "Decision",
        "Net if funded: 5th pct",
        "Net if declined: 5th pct",
    ]
    top = 3
    for col, header in enumerate(headers):
        sheet.write_string(top, col, header, styles.header)
    for i, project in enumerate(section["projects"]):
        row = top + 1 + i
        values = [
            project["id"],
            names.get(project["id"], project["id"]),
            project["sector"],
            project["capex"],
            project["start_quarter"],
            project["expected_loss_usd"],
            project["snapback_cost_usd"],
        ]
        formats = [styles.text, styles.text, styles.text, b, styles.integer, b, b]
        for col, value in enumerate(values):
            _write(sheet, row, col, value, formats[col])
        loss, cost = xl_rowcol_to_cell(row, 5), xl_rowcol_to_cell(row, 6)
        sheet.write_formula(row, 7, f"={cost}-{loss}", b, project["gain_usd"])
        _write(sheet, row, 8, project["gain_se_usd"], b)
        sheet.write_formula(
            row, 9, f'=IF({loss}>{cost},"decline","fund")', styles.text, project["decision"]
        )
        _write(sheet, row, 10, project["net_if_funded_usd"]["p05"], b)
        _write(sheet, row, 11, project["net_if_declined_usd"]["p05"], b)
    row = top + 2 + len(section["projects"])
    portfolio = section["portfolio"]
    lines = [
        ("Declined by the rule", ", ".join(portfolio["declined"]) or "none", styles.text),
        ("Chance of a snap-back", portfolio["snapback_chance"], styles.percent),
        ("Median net, every project funded", section["all_funded"]["net"]["usd"]["p50"], b),
        ("Median net, following the rule", portfolio["net"]["usd"]["p50"], b),
        ("Ahead, every project funded", section["all_funded"]["net"]["p_ahead"], styles.percent),
        ("Ahead, following the rule", portfolio["net"]["p_ahead"], styles.percent),
    ]
    for label, value, style in lines:
        sheet.write_string(row, 0, label, styles.label)
        _write(sheet, row, 1, value, style)
        row += 1
    sheet.freeze_panes(top + 1, 1)
    _widths(sheet, (24, 44, 16, 12, 8, 15, 13, 14, 12, 10, 14, 14))
