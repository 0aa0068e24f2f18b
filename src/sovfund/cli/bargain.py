"""``sovfund bargain``: Japan's side of the bargain, the tariff relief a structure buys
against what the fund costs Japan (docs/bargain.md). Importing this module registers the
command on the app (cli.main does); the simulation modules load when it runs, so that
``--help`` stays fast."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from sovfund.cli.common import (
    JsonOpt,
    PathsOpt,
    QuietOpt,
    ScenarioArg,
    SeedOpt,
    app,
    err,
    out,
    print_json,
    user_errors,
)
from sovfund.cli.progress import progress_bar
from sovfund.presets import DEFAULT_PRESET

__all__ = ["bargain_view"]

OPT_OUT_PATHS = 2_000
"""Paths of each opt-out run by default: as many as each run of `sovfund run`'s studies."""


@app.command("bargain")
@user_errors
def bargain_command(
    scenario: ScenarioArg = DEFAULT_PRESET,
    paths: PathsOpt = 10_000,
    seed: SeedOpt = 0,
    opt_out_paths: Annotated[
        int,
        typer.Option(
            "--opt-out-paths",
            min=0,
            help="Paths of each run of the opt-out, project by project (0: skip it).",
        ),
    ] = OPT_OUT_PATHS,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Japan's side of the bargain: the tariff relief against the fund's outcome for
    Japan on every path, the relief it would need to break even, and (where Japan may
    decline projects) each project funded against declined."""
    from sovfund.run.bargain import bargain_runs, bargain_study
    from sovfund.terms.load import load_terms

    terms = load_terms(scenario)
    opt_out = min(opt_out_paths, paths)
    total = paths + bargain_runs(terms) * opt_out
    with progress_bar(err, quiet) as progress:
        task = progress.add_task("Bargain", total=total)
        study = bargain_study(
            terms,
            paths=paths,
            seed=seed,
            opt_out_paths=opt_out,
            on_progress=lambda done: progress.update(task, completed=done),
        )
    data = {"scenario": scenario, **study.to_dict()}
    if as_json:
        print_json(data)
    else:
        out.print(bargain_view(data, terms.fund.name))


def bargain_view(data: dict[str, Any], fund_name: str) -> Group:
    """The bargain as tables: the relief by sector, the distributions, the break-even
    and the opt-out (rendering only)."""
    from sovfund.cli.render import money, percent

    title = (
        f"{fund_name} — Japan's side of the bargain ({data['scenario']}, {data['paths']:,}"
        f" paths, seed {data['seed']})"
    )
    sectors = Table(title=Text(title), title_justify="left")
    for column in (
        "sector",
        "exports a year",
        "tariff without → with",
        "exporters bear",
        "relief a year",
        "lasts",
    ):
        sectors.add_column(column, justify="left" if column == "sector" else "right")
    for s in data["sectors"]:
        years = s["years"]
        sectors.add_row(
            s["name"],
            money(s["exports"]),
            f"{s['tariff_without']:.1%} → {s['tariff_with']:.1%}",
            f"{s['exporter_share']:.0%}",
            money(s["yearly_relief"]),
            "the term" if years is None else f"{years:g} years",
        )
    values = Table(
        title=Text(
            f"Value to Japan at the start, discounted at its yen funding rate (USD at"
            f" {data['usd_jpy']:g} yen)"
        ),
        title_justify="left",
    )
    for column in ("", "mean", "5th pct", "median", "95th pct"):
        values.add_column(column, justify="left" if not column else "right")
    for label, key in (
        ("tariff relief", "relief"),
        ("the fund (Japan's net cash)", "fund"),
        ("net", "net"),
    ):
        usd = data[key]["usd"]
        values.add_row(label, *(money(usd[k]) for k in ("mean", "p05", "p50", "p95")))
    lines = Table(show_header=False, box=None, padding=(0, 2))
    lines.add_column()
    lines.add_column(justify="right")
    lines.add_row("relief in force at the start, a year", money(data["yearly_relief"]))
    lines.add_row("chance Japan comes out ahead", percent(data["net"]["p_ahead"]))
    lines.add_row("median net, in yen", _yen(data["net"]["jpy"]["p50"]))
    for name, label in (("p50", "on the median path"), ("p05", "at the 5th percentile")):
        entry = data["break_even"][name]
        needed = entry["yearly_usd"]
        shown = "none suffices" if needed is None else money(needed) + " a year"
        if entry["multiple_of_relief"] is not None:
            shown += f" ({entry['multiple_of_relief']:.1f}x the relief)"
        lines.add_row(f"relief needed to break even {label}", shown)
    parts: list[Any] = [sectors, values, lines]
    if data["opt_out"] is not None:
        parts.extend(_opt_out_view(data["opt_out"]))
    return Group(*parts)


def _opt_out_view(opt_out: dict[str, Any]) -> list[Any]:
    from sovfund.cli.render import money, percent

    table = Table(
        title=Text(
            f"The opt-out, project by project ({opt_out['paths']:,} paths; a decline brings"
            f" a snap-back with chance {opt_out['decline_snapback']:.0%})"
        ),
        title_justify="left",
    )
    for column in (
        "project",
        "capex",
        "starts",
        "expected loss",
        "snap-back cost",
        "gain from funding",
        "decision",
    ):
        table.add_column(column, justify="left" if column in ("project", "decision") else "right")
    for row in opt_out["projects"]:
        table.add_row(
            row["id"],
            money(row["capex"]),
            f"Q{row['start_quarter']}",
            money(row["expected_loss_usd"]),
            money(row["snapback_cost_usd"]),
            f"{money(row['gain_usd'])} ± {money(row['gain_se_usd'])}",
            row["decision"] + (" (close)" if row["close"] else ""),
        )
    portfolio = opt_out["portfolio"]
    declined = ", ".join(portfolio["declined"]) or "none"
    every, kept = opt_out["all_funded"]["net"], portfolio["net"]
    summary = Table(show_header=False, box=None, padding=(0, 2))
    summary.add_column()
    summary.add_column(justify="right")
    summary.add_row("declined by the rule", declined)
    summary.add_row("chance of a snap-back", percent(portfolio["snapback_chance"]))
    summary.add_row(
        "median net, every project funded",
        f"{money(every['usd']['p50'])} (ahead in {percent(every['p_ahead'])} of paths)",
    )
    summary.add_row(
        "median net, following the rule",
        f"{money(kept['usd']['p50'])} (ahead in {percent(kept['p_ahead'])} of paths)",
    )
    rule = f"Rule: {opt_out['rule']}. (close): within two standard errors of the other way."
    return [table, Text(rule, style="dim"), summary]


def _yen(value: float | None) -> str:
    if value is None:
        return "—"
    sign, size = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B")):
        if size >= limit:
            return f"{sign}¥{size / limit:,.2f}{suffix}"
    return f"{sign}¥{size:,.0f}"
