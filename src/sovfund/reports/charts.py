"""Plotly figures for the HTML report, and the number formats they share with it.

Render only: every figure shows numbers the model produced (the base case, the
simulation's per-path summaries and sampled paths, the summary dict); the most a
figure does is bin them, take percentiles across paths or add them up over time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray
from plotly.subplots import make_subplots

from sovfund.analytics.base_case import BaseCase
from sovfund.run.simulate import Simulation
from sovfund.terms.models import Party, Terms

__all__ = [
    "FONT",
    "PartyStyle",
    "attribution",
    "bargain",
    "fan_charts",
    "frontier",
    "gp_receipts",
    "group_title",
    "j_curve",
    "lp_outcomes",
    "metric_format",
    "money",
    "multiple",
    "party_rows",
    "percent",
    "probability",
    "structure",
    "tier_rows",
    "tornado",
]

Array = NDArray[np.float64]

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
MINUS = "\u2212"
# Country tones: the US in blues, Japan in reds, anyone else in greens; GPs in golds.
TONES = {
    "US": ("#1d3f7a", "#3867b5", "#6f98d8", "#9fbbe6", "#274f8f", "#527fc4"),
    "JP": ("#a11d21", "#d2453d", "#ec8378", "#f3b0a8", "#b8322f", "#e06a5f"),
    None: ("#1f7a5a", "#4fa383", "#84c4aa", "#2f8f6d", "#66b395", "#a3d4bf"),
}
GP_TONES = ("#b8860b", "#7a5a0d", "#d9b44a", "#94701a")
LENDER = "#6b6b6b"
BAND_OUTER, BAND_INNER, MEDIAN, BASE = "#c9d7ee", "#8fb0de", "#1d3f7a", "#b8322f"
TIER_TONES = ("#9aa9bd", "#4f7cba", "#d9b44a", "#2a9d8f", "#e76f51", "#8c6bb1")


# ---- numbers as a reader wants them ----------------------------------------------------------


def money(value: float | None) -> str:
    """Dollars to three significant figures with a scale: $2.35T, $300B, $22.2B, $7.60B
    (whole numbers without decimals: $50B)."""
    if value is None or not math.isfinite(value):
        return "—"
    sign, size = (MINUS if value < 0 else ""), abs(value)
    limit, suffix = next(
        (
            unit
            for unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
            if size >= unit[0] * 0.9995
        ),
        (1.0, ""),
    )
    scaled = size / limit
    digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
    text = f"{scaled:,.{digits}f}"
    if "." in text and not text.split(".")[1].strip("0"):
        text = text.split(".")[0]  # $50B rather than $50.0B; $7.60B keeps its digits
    return f"{sign}${text}{suffix}"


def percent(value: float | None, digits: int = 1) -> str:
    """A rate as a percentage: 13.3%, −100.0%."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}%}".replace("-", MINUS)


def probability(value: float | None) -> str:
    """A probability as a percentage, saying "<0.1%" rather than "0.0%" for rare events."""
    if value is None or not math.isfinite(value):
        return "—"
    if 0.0 < value < 0.0005:
        return "<0.1%"
    if 0.9995 < value < 1.0:
        return ">99.9%"
    return f"{value:.1%}"


def multiple(value: float | None) -> str:
    """A multiple of money in: 3.59x."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.2f}x".replace("-", MINUS)


def _scale(values: Sequence[float] | Array) -> tuple[float, str]:
    """Divisor and label for a money axis: trillions, billions or millions of dollars."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    peak = float(np.abs(finite).max()) if finite.size else 0.0
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if peak >= limit:
            return limit, suffix
    return 1.0, ""


def _money_axis(suffix: str, values: Sequence[float] | Array) -> dict[str, Any]:
    """Ticks like $0, $1.5T and −$50B on an axis whose values (given, already divided by
    the scale) run over ``values``: about five round steps covering them and zero."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    low = min(float(finite.min()), 0.0) if finite.size else 0.0
    high = max(float(finite.max()), 0.0) if finite.size else 1.0
    raw = (high - low) / 5 or 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    ticks = np.arange(math.floor(low / step) * step, high + step * 0.5, step)
    ticks = np.round(ticks / step) * step
    return {"tickvals": list(ticks), "ticktext": [_tick(float(t), suffix) for t in ticks]}


def _tick(value: float, suffix: str) -> str:
    if abs(value) < 1e-12:
        return "$0"
    sign = MINUS if value < 0 else ""
    return f"{sign}${abs(value):,.4g}{suffix}"


# ---- parties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyStyle:
    """A reader's label and a colour for each party (names over ids where the terms have
    them; the part of a name before a parenthesis, which the tables give in full)."""

    label: dict[str, str]
    color: dict[str, str]

    @classmethod
    def of(cls, terms: Terms) -> PartyStyle:
        label, color, used = {}, {}, dict.fromkeys((*TONES, "gp"), 0)
        for party in terms.parties:
            label[party.id] = party.short_name
            if party.role == "gp":
                color[party.id] = GP_TONES[used["gp"] % len(GP_TONES)]
                used["gp"] += 1
                continue
            key = party.country if party.country in TONES else None
            tones = TONES[key]
            color[party.id] = tones[used[key] % len(tones)]
            used[key] += 1
        return cls(label, color)


def party_rows(base: BaseCase) -> dict[str, dict[str, Any]]:
    """The base case's party table as plain dicts: party id -> column -> value."""
    return {str(pid): {str(k): v for k, v in row.items()} for pid, row in base.parties.iterrows()}


def tier_rows(base: BaseCase) -> dict[str, dict[str, float]]:
    """What each waterfall tier paid each party: tier name -> party id -> amount."""
    return {
        str(tier): {str(pid): float(v) for pid, v in row.items()}
        for tier, row in base.tiers.iterrows()
    }


def _total(rows: Mapping[str, Mapping[str, Any]], ids: Sequence[str], key: str) -> float:
    return float(sum(float(rows[i][key]) for i in ids))


def _layout(
    figure: go.Figure, *, height: int, margin: Mapping[str, int] | None = None, **extra: Any
) -> go.Figure:
    """The house style: white, system fonts, legend on top, margins for the axis labels."""
    figure.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#222"},
        height=height,
        margin={"l": 70, "r": 30, "t": 90, "b": 60, **(margin or {})},
        hoverlabel={"font": {"family": FONT}},
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "top",
            "y": 0.995,
            "x": 0,
            "traceorder": "normal",
        },
        **extra,
    )
    return figure


# ---- the structure ---------------------------------------------------------------------------


def structure(base: BaseCase, style: PartyStyle) -> go.Figure:
    """Where the money comes from and where it goes over the fund's life (base case):
    LPs' capital, the lenders' debt and the projects' income in; project spending,
    the lenders' interest and principal, the GPs' fees and carry and the LPs'
    distributions out."""
    terms, q, parties = base.terms, base.quarterly, party_rows(base)
    nodes: list[str] = []
    colors: list[str] = []
    links: tuple[list[int], list[int], list[float], list[str]] = ([], [], [], [])

    def node(label: str, color: str) -> int:
        nodes.append(label)
        colors.append(color)
        return len(nodes) - 1

    def link(source: int, target: int, amount: float, color: str) -> None:
        if amount > 0:
            links[0].append(source)
            links[1].append(target)
            links[2].append(amount)
            links[3].append(_fade(color))

    debt_drawn = float(q["debt_drawn"].sum())
    income = float(q["operating_cash"].sum() + q["sale_proceeds"].sum())
    ins: list[tuple[str, float, str]] = []
    for investor_class, members in _lp_classes(terms, style).items():
        ids = [p.id for p in members]
        committed = sum(p.commitment or 0.0 for p in members)
        ins.append(
            (
                f"{investor_class}: paid in {money(_total(parties, ids, 'contributed'))}"
                f" (committed {money(committed)})",
                _total(parties, ids, "contributed"),
                style.color[ids[0]],
            )
        )
    ins.append(
        (
            f"Lenders: lent {money(debt_drawn)}"
            f" (peak {multiple(base.fund['peak_debt_to_equity'])} called equity)",
            debt_drawn,
            LENDER,
        )
    )
    ins.append((f"Projects: income and sale {money(income)}", income, TIER_TONES[3]))
    fund = node(f"The fund: {money(float(q['investment'].sum()))} invested", "#333333")
    for label, amount, color in ins:
        if amount > 0:
            link(node(label, color), fund, amount, color)

    outs: list[tuple[str, float, str]] = [
        (
            f"Projects built: {money(float(q['investment'].sum()))}",
            q["investment"].sum(),
            "#2a9d8f",
        ),
        (
            f"Lenders: principal back {money(float(q['debt_repaid'].sum()))}",
            q["debt_repaid"].sum(),
            LENDER,
        ),
        (f"Lenders: interest {money(float(q['interest'].sum()))}", q["interest"].sum(), LENDER),
    ]
    for gp in terms.gps:
        fees = float(parties[gp.id]["fees_received"])
        carry = float(parties[gp.id]["distributed"])
        outs.append(
            (
                f"{style.label[gp.id]}: fees {money(fees)} + carry {money(carry)}",
                fees + carry,
                style.color[gp.id],
            )
        )
    for investor_class, members in _lp_classes(terms, style).items():
        paid = _total(parties, [p.id for p in members], "distributed")
        outs.append(
            (
                f"{investor_class}: distributions {money(paid)}",
                paid,
                style.color[members[0].id],
            )
        )
    for label, amount, color in outs:
        if amount > 0:
            link(fund, node(label, color), float(amount), color)

    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat="$,.4~s",
            node={
                "label": nodes,
                "color": colors,
                "pad": 22,
                "thickness": 16,
                "line": {"width": 0},
            },
            link={
                "source": links[0],
                "target": links[1],
                "value": links[2],
                "color": links[3],
                "hovertemplate": "%{source.label} → %{target.label}<extra></extra>",
            },
        )
    )
    return _layout(figure, height=620, margin={"l": 10, "r": 10, "t": 20, "b": 20})


def _lp_classes(terms: Terms, style: PartyStyle) -> dict[str, list[Party]]:
    """LPs by investor class ("Sovereign LPs"), or by name where a class has one LP."""
    groups: dict[str, list[Party]] = {}
    for party in terms.lps:
        name = f"{party.investor_class.capitalize()} LPs" if party.investor_class else "LPs"
        groups.setdefault(name, []).append(party)
    return {
        (style.label[members[0].id] if len(members) == 1 else name): members
        for name, members in groups.items()
    }


def _fade(color: str, alpha: float = 0.35) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


# ---- outcomes across paths -------------------------------------------------------------------


def _groups(values: Array) -> list[list[int]]:
    """Parties (axis 1 of ``values``, shape (paths, parties, ...)) whose numbers are the
    same on every path, grouped."""
    groups: list[list[int]] = []
    for i in range(values.shape[1]):
        for group in groups:
            if np.allclose(values[:, i], values[:, group[0]], rtol=1e-9, equal_nan=True):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def group_title(members: Sequence[str], *, total: int, noun: str = "LPs") -> str:
    """A short name for parties that fare alike: "US Treasury and Japan MoF", "all 6
    LPs" or "Japan FX reserves and 2 others"."""
    if len(members) <= 2:
        return " and ".join(members)
    if len(members) == total:
        return f"all {total} {noun}"
    return f"{members[0]} and {len(members) - 1} others"


@dataclass(frozen=True)
class _Panel:
    """One histogram: values across paths, the range shown, how to write a value."""

    values: Array
    low: float
    high: float
    write: Callable[[float], str]
    color: str
    base: float
    divisor: float = 1.0


def _histogram(panel: _Panel, bins: int) -> tuple[Array, Array, float]:
    """Bin centres, the share of paths in each bin and the bin width; values outside
    [low, high] are counted in the end bins."""
    finite = np.clip(panel.values[np.isfinite(panel.values)], panel.low, panel.high)
    counts, edges = np.histogram(finite, bins=bins, range=(panel.low, panel.high))
    share = counts / max(finite.size, 1)
    return (edges[:-1] + edges[1:]) / 2, share.astype(np.float64), float(edges[1] - edges[0])


def _draw_panel(figure: go.Figure, panel: _Panel, *, row: int, col: int, legend: bool) -> None:
    """A histogram in share of paths, the median and base case as dashed lines, and the
    share in the tallest bar written above it where paths pile up there."""
    centres, share, width = _histogram(panel, bins=50)
    figure.add_bar(
        x=centres / panel.divisor,
        y=share,
        width=width / panel.divisor * 0.92,
        marker_color=panel.color,
        showlegend=False,
        customdata=[panel.write(c) for c in centres],
        hovertemplate="%{customdata}: %{y:.1%} of paths<extra></extra>",
        row=row,
        col=col,
    )
    top = int(share.argmax())
    if share[top] >= 0.25:  # a pile-up (all lost, say) worth saying in words
        figure.add_annotation(
            x=centres[top] / panel.divisor,
            y=share[top],
            text=f"{share[top]:.0%} of paths",
            showarrow=False,
            yshift=10,
            xanchor="left" if top < len(share) / 2 else "right",
            font={"size": 12},
            row=row,
            col=col,
        )
    finite = panel.values[np.isfinite(panel.values)]
    median = float(np.median(finite)) if finite.size else math.nan
    for name, value, color in (
        ("median path", median, MEDIAN),
        ("base case (all on plan)", panel.base, BASE),
    ):
        if not math.isfinite(value):
            continue
        figure.add_scatter(
            x=[min(max(value, panel.low), panel.high) / panel.divisor] * 2,
            y=[0.0, float(share.max()) * 1.12],
            mode="lines",
            line={"color": color, "dash": "dash", "width": 2},
            name=name,
            legendgroup=name,
            showlegend=legend,
            hovertemplate=f"{name}: {panel.write(value)}<extra></extra>",
            row=row,
            col=col,
        )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", row=row, col=col)


def _upper(values: Array, ceiling: float, *, floor: float) -> float:
    """Right edge of a histogram: the 99.5th percentile, between ``floor`` and ``ceiling``."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return floor
    return float(min(max(np.percentile(finite, 99.5), floor), ceiling))


def _lower(irr: Array) -> float:
    """Left edge of an IRR histogram: the 0.5th percentile rounded down to 5%, at least
    −100% (all lost) and at most −5%."""
    finite = irr[np.isfinite(irr)]
    if finite.size == 0:
        return -1.0
    low = math.floor(float(np.percentile(finite, 0.5)) * 20) / 20
    return min(max(low, -1.0), -0.05)


def lp_outcomes(sim: Simulation, base: BaseCase, style: PartyStyle) -> go.Figure | None:
    """Each LP's IRR and TVPI across every path (share of paths), with the median and the
    base case marked. LPs whose outcomes are the same on every path share one row."""
    ids = [p.id for p in sim.terms.parties]
    lps = [i for i, p in enumerate(sim.terms.parties) if p.role == "lp"]
    lps = [i for i in lps if np.isfinite(sim.summary.tvpi[:, i]).any()]
    if not lps:
        return None
    irr, tvpi = sim.summary.irr[:, lps], sim.summary.tvpi[:, lps]
    groups = _groups(np.stack([irr, tvpi], axis=2))
    names = [
        group_title([style.label[ids[lps[g]]] for g in group], total=len(lps)) for group in groups
    ]
    titles = []
    for name, group in zip(names, groups, strict=True):
        name = name[0].upper() + name[1:]
        for what, values, write in (("IRR", irr, percent), ("TVPI", tvpi, multiple)):
            finite = values[:, group[0]][np.isfinite(values[:, group[0]])]
            median = write(float(np.median(finite))) if finite.size else "—"
            titles.append(f"{name}: {what} (median {median})")
    rows = len(groups)
    figure = make_subplots(
        rows=rows,
        cols=2,
        subplot_titles=titles,
        vertical_spacing=0.3 / rows,
        horizontal_spacing=0.08,
    )
    irr_low, irr_high = _lower(irr), _upper(irr, 0.5, floor=0.05)
    tvpi_high = _upper(tvpi, 8.0, floor=1.5)
    for row, group in enumerate(groups, start=1):
        party = lps[group[0]]
        color, plan = style.color[ids[party]], party_rows(base)[ids[party]]
        panels = (
            _Panel(irr[:, group[0]], irr_low, irr_high, percent, color, float(plan["irr"])),
            _Panel(tvpi[:, group[0]], 0.0, tvpi_high, multiple, color, float(plan["tvpi"])),
        )
        for col, panel in enumerate(panels, start=1):
            _draw_panel(figure, panel, row=row, col=col, legend=row == 1 and col == 1)
        figure.update_xaxes(tickformat=".0%", row=row, col=1)
        figure.update_xaxes(ticksuffix="x", row=row, col=2)
    figure.update_yaxes(title_text="share of paths", col=1)
    figure.update_xaxes(title_text="IRR (a year; ends include anything beyond)", row=rows, col=1)
    figure.update_xaxes(title_text="TVPI (value back per $1 paid in)", row=rows, col=2)
    return _layout(figure, height=130 + 280 * rows, bargap=0)


def gp_receipts(sim: Simulation, base: BaseCase, style: PartyStyle) -> go.Figure | None:
    """What each party that pays nothing in (the GPs) receives across paths: fees plus
    carry, with the median and the base case marked."""
    ids = [p.id for p in sim.terms.parties]
    gps = [i for i, p in enumerate(sim.terms.parties) if p.role == "gp"]
    if not gps:
        return None
    received = sim.summary.received[:, gps]
    groups = _groups(received[:, :, None])
    divisor, suffix = _scale(received)
    high = max(float(np.percentile(received, 99.5)), 1.0)
    titles = [
        group_title([style.label[ids[gps[g]]] for g in group], total=len(gps), noun="GPs")
        for group in groups
    ]
    figure = make_subplots(
        rows=1,
        cols=len(groups),
        horizontal_spacing=0.08,
        subplot_titles=[
            f"{t[0].upper()}{t[1:]} (each)" if len(g) > 1 else t
            for t, g in zip(titles, groups, strict=True)
        ],
    )
    for col, group in enumerate(groups, start=1):
        party = gps[group[0]]
        plan = party_rows(base)[ids[party]]
        panel = _Panel(
            received[:, group[0]],
            0.0,
            high,
            money,
            style.color[ids[party]],
            float(plan["distributed"] + plan["fees_received"]),
            divisor,
        )
        _draw_panel(figure, panel, row=1, col=col, legend=col == 1)
        figure.update_xaxes(
            **_money_axis(suffix, [0.0, high / divisor]),
            title_text="fees + carry received",
            col=col,
        )
    figure.update_yaxes(title_text="share of paths", col=1)
    return _layout(figure, height=400, bargap=0)


# ---- over time -------------------------------------------------------------------------------


def _bands(values: Array) -> dict[int, Array]:
    """5th, 25th, 50th, 75th and 95th percentiles across paths, quarter by quarter (NaN
    where no path has a value)."""
    out = {q: np.full(values.shape[1], np.nan) for q in (5, 25, 50, 75, 95)}
    has = np.isfinite(values).any(axis=0)
    if has.any():
        levels = np.nanpercentile(values[:, has], list(out), axis=0)
        for level, row in zip(out, levels, strict=True):
            out[level][has] = row
    return out


def fan_charts(sim: Simulation, base: BaseCase) -> go.Figure:
    """Fund equity NAV, debt, loan-to-value and cumulative distributions over time: the
    middle 90% and 50% of the sampled paths, their median and the base case."""
    sample = sim.sample
    dates = [d.date().isoformat() for d in base.quarterly.index]
    with np.errstate(invalid="ignore", divide="ignore"):
        ltv = np.where(sample["asset_value"] > 0, sample["debt"] / sample["asset_value"], np.nan)
        base_ltv = base.quarterly["ltv"].to_numpy(dtype=np.float64)
    panels = [
        ("Equity value of the fund (NAV)", sample["nav"], base.quarterly["nav"].to_numpy()),
        ("Fund debt outstanding", sample["debt"], base.quarterly["debt"].to_numpy()),
        ("Loan-to-value (debt / asset value)", ltv, base_ltv),
        (
            "Cumulative distributions to partners",
            np.cumsum(sample["distributions"], axis=1),
            base.quarterly["distributions"].cumsum().to_numpy(),
        ),
    ]
    if not (sample["debt"] > 0).any() and not (base.quarterly["debt"] > 0).any():
        panels = [panels[0], panels[3]]  # no debt: nothing to show in the debt panels
    rows = len(panels) // 2
    figure = make_subplots(
        rows=rows,
        cols=2,
        subplot_titles=[p[0] for p in panels],
        vertical_spacing=0.16,
        horizontal_spacing=0.09,
    )
    for index, (title, values, base_values) in enumerate(panels):
        row, col = index // 2 + 1, index % 2 + 1
        is_ratio = title.startswith("Loan")
        divisor, suffix = (
            (1.0, "") if is_ratio else _scale(np.concatenate([values.ravel(), base_values]))
        )
        bands = {k: v / divisor for k, v in _bands(values).items()}
        first = index == 0
        for low, high, color, name in (
            (5, 95, BAND_OUTER, "middle 90% of paths"),
            (25, 75, BAND_INNER, "middle 50% of paths"),
        ):
            figure.add_scatter(
                x=dates,
                y=bands[low],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=name,
                row=row,
                col=col,
            )
            figure.add_scatter(
                x=dates,
                y=bands[high],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=color,
                name=name,
                legendgroup=name,
                showlegend=first,
                hoverinfo="skip",
                row=row,
                col=col,
            )
        hover = "%{x}: %{y:.1%}" if is_ratio else f"%{{x}}: $%{{y:,.3~f}}{suffix}"
        figure.add_scatter(
            x=dates,
            y=bands[50],
            mode="lines",
            line={"color": MEDIAN, "width": 2.5},
            name="median path",
            legendgroup="median",
            showlegend=first,
            row=row,
            col=col,
            hovertemplate=f"median {hover}<extra></extra>",
        )
        figure.add_scatter(
            x=dates,
            y=base_values / divisor,
            mode="lines",
            line={"color": BASE, "width": 2, "dash": "dash"},
            name="base case (all on plan)",
            legendgroup="base",
            showlegend=first,
            row=row,
            col=col,
            hovertemplate=f"base case {hover}<extra></extra>",
        )
        if is_ratio:
            figure.update_yaxes(tickformat=".0%", range=[0, 1.5], row=row, col=col)
            limit = sim.terms.leverage.covenants.max_ltv
            if limit is not None:
                figure.add_hline(
                    y=limit,
                    line={"color": "#444", "dash": "dot", "width": 1},
                    row=row,
                    col=col,
                    annotation_text=f"covenant: LTV at most {limit:.0%}",
                    annotation_position="top left",
                    annotation_font_size=11,
                )
        else:
            shown = [*bands[5], *bands[95], *(base_values / divisor)]
            figure.update_yaxes(**_money_axis(suffix, shown), row=row, col=col)
    return _layout(figure, height=120 + 300 * rows, hovermode="x")


def j_curve(base: BaseCase, style: PartyStyle) -> go.Figure:
    """Each party's cumulative net cash (received less paid in) over time, base case."""
    net = base.flows.pivot_table(index="date", columns="party", values="net", aggfunc="sum")
    cumulative = net.cumsum()
    divisor, suffix = _scale(cumulative.to_numpy().ravel())
    dates = [d.date().isoformat() for d in cumulative.index]
    figure = go.Figure()
    for party in base.terms.parties:
        values = cumulative[party.id].to_numpy() / divisor
        figure.add_scatter(
            x=dates,
            y=values,
            mode="lines",
            name=style.label[party.id],
            line={
                "color": style.color[party.id],
                "width": 2.5,
                "dash": "dot" if party.role == "gp" else "solid",
            },
            hovertemplate=f"{style.label[party.id]} %{{x}}: $%{{y:,.3~f}}{suffix}<extra></extra>",
        )
    figure.add_hline(y=0, line={"color": "#444", "width": 1})
    figure.update_yaxes(
        **_money_axis(suffix, cumulative.to_numpy().ravel() / divisor),
        title_text="cumulative net cash",
    )
    return _layout(figure, height=440, hovermode="x unified")


def attribution(base: BaseCase, style: PartyStyle) -> go.Figure:
    """Who gets what over the fund's life (base case): each LP class and GP by waterfall
    tier, the GPs' management fees and the lenders' interest; LPs' capital paid in
    marked."""
    terms, tiers, parties = base.terms, tier_rows(base), party_rows(base)
    rows: list[tuple[str, list[str]]] = [
        (name, [p.id for p in members]) for name, members in _lp_classes(terms, style).items()
    ]
    rows += [(style.label[p.id], [p.id]) for p in terms.gps]
    interest = float(base.quarterly["interest"].sum())
    lenders = [0.0] if interest > 0 else []
    labels = [name for name, _ in rows] + (["Lenders"] if interest > 0 else [])
    divisor, suffix = _scale(
        [
            interest,
            *(r["distributed"] for r in parties.values()),
            *(r["contributed"] for r in parties.values()),
        ]
    )
    figure = go.Figure()
    segments: list[tuple[str, list[float], str]] = []
    for index, tier in enumerate(tiers):
        paid = [sum(tiers[tier][m] for m in members) for _, members in rows] + lenders
        segments.append((f"tier {index + 1}: {tier}", paid, TIER_TONES[index % len(TIER_TONES)]))
    fees = [_total(parties, members, "fees_received") for _, members in rows] + lenders
    segments.append(("management fees", fees, GP_TONES[0]))
    if interest > 0:
        segments.append(("interest on fund debt", [0.0] * len(rows) + [interest], LENDER))
    for name, values, color in segments:
        if any(v > 0 for v in values):
            figure.add_bar(
                y=labels,
                x=[v / divisor for v in values],
                name=name,
                orientation="h",
                marker_color=color,
                customdata=[money(v) for v in values],
                hovertemplate=f"%{{y}}, {name}: %{{customdata}}<extra></extra>",
            )
    paid_in = [_total(parties, members, "contributed") for _, members in rows] + lenders
    figure.add_scatter(
        y=labels,
        x=[v / divisor if v > 0 else None for v in paid_in],
        mode="markers",
        marker={"symbol": "line-ns", "size": 26, "line": {"width": 3, "color": "#111"}},
        name="capital paid in",
        customdata=[money(v) for v in paid_in],
        hovertemplate="%{y} paid in %{customdata}<extra></extra>",
    )
    totals = np.sum([values for _, values, _ in segments], axis=0) / divisor
    figure.update_xaxes(
        **_money_axis(suffix, [*totals, *(np.array(paid_in) / divisor)]),
        title_text="received over the fund's life",
    )
    figure.update_yaxes(autorange="reversed")
    return _layout(figure, height=140 + 48 * len(labels), barmode="stack", margin={"l": 160})


# ---- stress, leverage, sensitivity -----------------------------------------------------------


def frontier(section: Mapping[str, Any], terms: Terms, party: str, label: str) -> go.Figure:
    """P(default), P(covenant breach) and one party's mean and 5th-percentile IRR against
    fund leverage, from the frontier section of the summary."""
    points = sorted(section["points"], key=lambda p: p["leverage"])
    x = [p["leverage"] for p in points]
    figure = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=["Chance of trouble", f"{label}: return"],
    )
    for key, name, color in (
        ("p_default", "P(fund defaults on its debt)", "#b8322f"),
        ("p_covenant_breach", "P(a covenant is breached)", "#e76f51"),
    ):
        figure.add_scatter(
            x=x,
            y=[p["fund"].get(key) for p in points],
            mode="lines+markers",
            name=name,
            line={"color": color, "width": 2.5},
            row=1,
            col=1,
            hovertemplate="%{x:.1f}x: %{y:.1%}<extra>" + name + "</extra>",
        )
    for key, name, color, dash in (
        ("irr_mean", "mean IRR", MEDIAN, "solid"),
        ("irr_p05", "IRR in the worst 5% (5th percentile)", "#6f98d8", "dash"),
    ):
        figure.add_scatter(
            x=x,
            y=[p["parties"].get(party, {}).get(key) for p in points],
            mode="lines+markers",
            name=name,
            line={"color": color, "width": 2.5, "dash": dash},
            row=1,
            col=2,
            hovertemplate="%{x:.1f}x: %{y:.1%}<extra>" + name + "</extra>",
        )
    current = terms.leverage.debt_to_equity
    low, high = min([*x, current]), max([*x, current])
    pad = max(high - low, 1.0) * 0.05
    for col in (1, 2):
        figure.add_vline(
            x=current,
            line={"color": "#444", "dash": "dot", "width": 1},
            row=1,
            col=col,
            annotation_text=f"these terms: {current:g}x",
            annotation_position="bottom left" if col == 1 else "top left",
            annotation_font_size=11,
        )
        figure.update_xaxes(
            title_text="fund debt / equity",
            ticksuffix="x",
            range=[low - pad, high + pad],
            row=1,
            col=col,
        )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=1)
    figure.update_yaxes(tickformat=".0%", row=1, col=2)
    return _layout(figure, height=450)


def _finite(value: Any) -> float | None:
    """A figure of the summary as a float, None where it is missing, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def tornado(section: Mapping[str, Any]) -> go.Figure | None:
    """How far one figure moves when each input is set low and high, largest swing on
    top, around its value with every input at its setting. None where the figure has
    no value as set (no LP paid anything in on any path, say): nothing to centre on."""
    write, axis = metric_format(str(section["metric"]))
    base = _finite(section.get("base"))
    if base is None:
        return None

    def swing(bar: Mapping[str, Any]) -> float:
        low, high = _finite(bar["low"]), _finite(bar["high"])
        return 0.0 if low is None or high is None else abs(high - low)

    bars = sorted(section["bars"], key=swing)
    labels = [f"{b['label']}  ({b['low_setting']} / {b['high_setting']})" for b in bars]
    figure = go.Figure()
    for key, setting, name, color in (
        ("low", "low_setting", "input set low", "#6f98d8"),
        ("high", "high_setting", "input set high", "#b8322f"),
    ):
        values = [_finite(b[key]) for b in bars]
        figure.add_bar(
            y=labels,
            x=[None if v is None else v - base for v in values],
            base=base,
            orientation="h",
            name=name,
            marker_color=color,
            customdata=[[b[setting], write(v)] for b, v in zip(bars, values, strict=True)],
            hovertemplate="%{y}: %{customdata[0]} → %{customdata[1]}<extra></extra>",
        )
    figure.add_vline(
        x=base,
        line={"color": "#222", "width": 1.5},
        annotation_text=f"as set: {write(base)}",
        annotation_position="top",
    )
    figure.update_xaxes(**axis, title_text=str(section["label"]))
    return _layout(
        figure, height=170 + 56 * len(bars), barmode="group", bargap=0.3, margin={"l": 300}
    )


def bargain(section: Mapping[str, Any]) -> go.Figure:
    """Japan's net value (the tariff relief plus its fund cash, USD at the start) across
    the paths, against the fund alone: each percentile of the two, from the summary's
    ``bargain`` section; zero marked, where Japan breaks even."""
    net = np.asarray(section["net"]["quantiles_usd"], dtype=np.float64)
    fund = np.asarray(section["net"]["fund_quantiles_usd"], dtype=np.float64)
    levels = np.arange(1, net.size + 1) / (net.size + 1)
    divisor, suffix = _scale(np.concatenate([net, fund]))
    figure = go.Figure()
    for values, name, color, dash in (
        (net, "net: tariff relief + the fund", BASE, "solid"),
        (fund, "the fund alone", MEDIAN, "dash"),
    ):
        figure.add_scatter(
            x=values / divisor,
            y=levels,
            mode="lines",
            name=name,
            line={"color": color, "width": 2.5, "dash": dash},
            customdata=[money(float(v)) for v in values],
            hovertemplate="%{y:.0%} of paths at or below %{customdata}<extra>" + name + "</extra>",
        )
    figure.add_vline(
        x=0.0,
        line={"color": "#222", "width": 1},
        annotation_text=f"break even: Japan ahead in {probability(section['net']['p_ahead'])}",
        annotation_position="top left",
        annotation_font_size=11,
    )
    figure.update_xaxes(
        **_money_axis(suffix, np.concatenate([net, fund]) / divisor),
        title_text="value to Japan, discounted at its yen funding rate (USD at the start)",
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1], title_text="share of paths at or below")
    return _layout(figure, height=430)


def metric_format(metric: str) -> tuple[Callable[[float | None], str], dict[str, Any]]:
    """How to write a figure named ``metric`` (``irr_p50``, ``fund.p_default``,
    ``tvpi_mean``, ``peak_debt``...), and the matching axis ticks."""
    name = metric.rsplit(".", 1)[-1]
    if name.startswith("p_"):
        return probability, {"tickformat": ".0%"}
    if "irr" in name or "ltv" in name:
        return percent, {"tickformat": ".1%"}
    if any(word in name for word in ("tvpi", "dpi", "rvpi", "moic", "to_equity", "leverage")):
        return multiple, {"ticksuffix": "x"}
    return money, {"tickformat": "$,.3~s"}
