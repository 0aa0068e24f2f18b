"""Rich renderings of results for the terminal (no computation here)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from sovfund.cli.common import printable

if TYPE_CHECKING:
    from sovfund.analytics.base_case import BaseCase
    from sovfund.analytics.calculator import WaterfallResult

__all__ = [
    "base_case_view",
    "comparison_view",
    "frontier_view",
    "money",
    "percent",
    "sensitivity_view",
    "simulation_view",
    "stress_view",
    "verdict_view",
    "waterfall_view",
]


def money(value: float | None) -> str:
    """$1.23T / $4.5B / $6.7M / $890 — the scale a reader takes in at a glance."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    sign, size = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if size >= limit:
            return f"{sign}${size / limit:,.2f}{suffix}"
    return f"{sign}${size:,.2f}"


def percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.2%}"


def multiple(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.2f}x"


def base_case_view(result: BaseCase, scenario: str) -> Group:
    """The base case as two tables: parties, then the fund."""
    parties = Table(
        title=Text(printable(f"{result.terms.fund.name} — base case ({scenario})")),
        title_justify="left",
    )
    for column in (
        "party",
        "role",
        "committed",
        "contributed",
        "received",
        "IRR",
        "TVPI",
        "DPI",
        "MOIC",
    ):
        parties.add_column(column, justify="left" if column in {"party", "role"} else "right")
    for pid, row in result.parties.iterrows():
        investor_class = row["class"]
        role = (
            f"{row['role']} ({investor_class})" if isinstance(investor_class, str) else row["role"]
        )
        parties.add_row(
            str(pid),
            role,
            money(row["commitment"]) if row["role"] == "lp" else "—",
            money(row["contributed"]),
            money(row["distributed"] + row["fees_received"]),
            percent(row["irr"]),
            multiple(row["tvpi"]),
            multiple(row["dpi"]),
            multiple(row["moic"]),
        )

    fund = result.fund
    figures = Table(show_header=False, box=None, padding=(0, 2))
    figures.add_column(style="bold")
    figures.add_column(justify="right")
    rows: list[tuple[str, str]] = [
        ("Commitments", money(fund["commitments"])),
        ("Invested in projects (equity)", money(fund["invested"])),
        ("Gross project multiple", multiple(fund["gross_moic"])),
        ("Peak fund debt", money(fund["peak_debt"])),
        ("Peak debt / called equity", multiple(fund["peak_debt_to_equity"])),
        ("Peak loan-to-value", percent(fund["peak_ltv"])),
        ("Interest paid or capitalised", money(fund["interest_paid"])),
        ("Management fees", money(fund["fees_paid"])),
    ]
    for gp, fees in fund["gp_fees"].items():
        rows.append((f"  {gp}: fees / carry", f"{money(fees)} / {money(fund['gp_carry'][gp])}"))
    rows.append(("Covenant breach", _when(fund["covenant_breach"], fund["first_breach"])))
    rows.append(("Fund-debt default", _when(fund["defaulted"], fund["default_date"])))
    if fund["funding_shortfall"]:
        rows.append(
            (
                "[red]Funding shortfall[/]",
                f"[red]yes, on {fund['shortfall_date']}: commitments and debt cannot pay"
                " for the pipeline, so the fund sold up[/]",
            )
        )
    if fund["lenders_loss"] > 0:
        rows.append(("Lenders' loss", money(fund["lenders_loss"])))
    for label, value in rows:
        figures.add_row(label, value)
    return Group(parties, Text(""), figures)


def _when(happened: bool, date: Any) -> str:
    return f"yes, first on {date}" if happened else "no"


def waterfall_view(result: WaterfallResult, fund_name: str) -> Group:
    """Per-party totals, then what each tier paid each party."""
    parties = Table(title=Text(printable(f"{fund_name} — waterfall")), title_justify="left")
    for column in ("party", "contributed", "distributed", "IRR"):
        parties.add_column(column, justify="left" if column == "party" else "right", no_wrap=True)
    if result.clawback.any():
        parties.add_column("clawback", justify="right", no_wrap=True)
    for i, party in enumerate(result.parties):
        cells = [party, money(result.contributed[i]), money(result.distributed[i])]
        cells.append(percent(result.irr[i]))
        if result.clawback.any():
            cells.append(money(result.clawback[i]) if result.clawback[i] else "—")
        parties.add_row(*cells)
    tiers = Table(title="Paid by tier", title_justify="left")
    tiers.add_column("tier")
    for party in result.parties:
        tiers.add_column(party, justify="right", no_wrap=True)
    for name, row in zip(result.tiers, result.paid, strict=True):
        tiers.add_row(Text(printable(name)), *(money(v) if v else "—" for v in row))
    return Group(parties, Text(""), tiers)


def simulation_view(data: dict[str, Any], fund_name: str) -> Group:
    """The Monte Carlo JSON as a table: each party's distribution, then the fund's."""
    title = Text(printable(f"{fund_name} — {data['paths']:,} paths, seed {data['seed']}"))
    parties = Table(title=title, title_justify="left")
    for column in (
        "party",
        "IRR p05",
        "IRR p50",
        "IRR p95",
        "mean TVPI",
        "P(loss)",
        "P(total loss)",
    ):
        parties.add_column(column, justify="left" if column == "party" else "right", no_wrap=True)
    for party, entry in data["parties"].items():
        irr, tvpi = entry["irr"], entry["tvpi"]
        parties.add_row(
            party,
            percent(irr["p05"]),
            percent(irr["p50"]),
            percent(irr["p95"]),
            multiple(tvpi["mean"]),
            percent(entry["p_loss"]),
            percent(entry["p_total_loss"]),
        )
    fund = data["fund"]
    figures = Table(show_header=False, box=None, padding=(0, 2))
    figures.add_column(style="bold")
    figures.add_column(justify="right")
    figures.add_row(
        "P(fund-debt default)", f"{percent(fund['p_default'])} ± {percent(fund['p_default_se'])}"
    )
    figures.add_row(
        "P(funding shortfall: sold up)",
        f"{percent(fund['p_funding_shortfall'])} ± {percent(fund['p_funding_shortfall_se'])}",
    )
    figures.add_row(
        "P(covenant breach)",
        f"{percent(fund['p_covenant_breach'])} ± {percent(fund['p_covenant_breach_se'])}",
    )
    figures.add_row("Mean lenders' loss", money(fund["lenders_loss"]["mean"]))
    figures.add_row("Peak LTV, median", percent(fund["peak_ltv"]["p50"]))
    figures.add_row("Fees to GPs, mean", money(fund["fees"]["mean"]))
    return Group(parties, Text(""), figures)


def verdict_view(verdict: dict[str, Any]) -> Group:
    """The verdict: the headline in bold, then one line per sentence."""
    lines = [Text(printable(verdict["headline"]), style="bold")]
    lines += [Text(printable(f"• {s['text']}")) for s in verdict["sentences"]]
    return Group(*lines)


def stress_view(data: dict[str, Any], fund_name: str, party: str) -> Table:
    """The stress table: one row per scenario, on the same seed: the fund's risk, one
    LP's outcome (in yen too if it is Japanese) and what the GPs receive."""
    table = Table(
        title=Text(
            printable(f"{fund_name} — stress tests, {data['paths']:,} paths, seed {data['seed']}")
        ),
        title_justify="left",
    )
    base = data["scenarios"][0]["parties"]
    gps = [p for p, entry in base.items() if entry["p_loss"] is None]
    yen = "irr_jpy_net_of_funding" in base[party]
    columns = ["scenario", "P(default)", "P(breach)", f"{party} mean TVPI", f"{party} P(loss)"]
    columns += [f"{party} yen IRR p50, net"] if yen else []
    columns += ["GPs receive (mean)"] if gps else []
    for column in columns:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for scenario in data["scenarios"]:
        fund, figures = scenario["fund"], scenario["parties"]
        cells: list[str | Text] = [
            Text(printable(scenario["title"])),
            percent(fund["p_default"]),
            percent(fund["p_covenant_breach"]),
            multiple(figures[party]["tvpi"]["mean"]),
            percent(figures[party]["p_loss"]),
        ]
        if yen:
            cells.append(percent(figures[party]["irr_jpy_net_of_funding"]["p50"]))
        if gps:
            cells.append(money(sum(figures[gp]["received"]["mean"] or 0.0 for gp in gps)))
        table.add_row(*cells)
    return table


def frontier_view(data: dict[str, Any], fund_name: str, party: str) -> Table:
    """The leverage frontier for one party, with the fund's default risk."""
    table = Table(
        title=Text(
            printable(f"{fund_name} — leverage frontier ({party}), {data['paths']:,} paths")
        ),
        title_justify="left",
    )
    for column in ("debt/equity", "mean IRR", "IRR p05", "P(loss)", "P(default)", "P(breach)"):
        table.add_column(column, justify="right")
    for point in data["points"]:
        figures, fund = point["parties"][party], point["fund"]
        table.add_row(
            f"{point['leverage']:g}x",
            percent(figures["irr_mean"]),
            percent(figures["irr_p05"]),
            percent(figures["p_loss"]),
            percent(fund["p_default"]),
            percent(fund["p_covenant_breach"]),
        )
    return table


def sensitivity_view(data: dict[str, Any]) -> Table:
    """The tornado as a table, widest swing first."""
    base = data["base"]
    show = percent if data["metric"].startswith(("irr", "p_")) else multiple
    table = Table(
        title=Text(
            printable(
                f"Sensitivity of {data['label']} (base {show(base)}), {data['paths']:,} paths"
            )
        ),
        title_justify="left",
    )
    for column in ("assumption", "low", "at low", "high", "at high"):
        table.add_column(column, justify="left" if column == "assumption" else "right")
    for bar in data["bars"]:
        table.add_row(
            bar["label"],
            bar["low_setting"],
            show(bar["low"]),
            bar["high_setting"],
            show(bar["high"]),
        )
    return table


def comparison_view(data: dict[str, Any]) -> Table:
    """Two structures on the same markets: what each country puts in and gets back."""
    table = Table(
        title=Text(f"Structures on the same markets, {data['paths']:,} paths, seed {data['seed']}"),
        title_justify="left",
    )
    for column in ("structure", "country", "puts in", "gets back", "net", "P(net loss)"):
        table.add_column(column, justify="left" if column in {"structure", "country"} else "right")
    for structure in data["structures"]:
        for row in structure["countries"]:
            table.add_row(
                Text(printable(structure["scenario"])),
                row["country"],
                money(row["contributed_mean"]),
                money(row["received_mean"]),
                money(row["net_mean"]),
                percent(row["p_net_loss"]),
            )
    return table
