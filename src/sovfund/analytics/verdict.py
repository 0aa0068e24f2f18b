"""The verdict: a few plain sentences generated from the numbers of a run.

Every sentence comes from one figure of the summary and says where it comes from
(``metric``) and which rule chose its words (``rule``); docs/verdict.md lists the
rules. The headline answers "fantasy finance or real risk?":

- **real risk** when the fund defaults on its debt in at least half the paths, or
  the money of the party the verdict speaks for loses in at least half of them
  (``RISK``);
- **fantasy finance on paper** when, besides, the base case (everything on plan)
  pays the LPs at least the hurdle: the plan looks good and the distribution does not;
- **sound on these assumptions** when default and that party's chance of a loss are
  both below ``SOUND`` (20%);
- otherwise **mixed**.

The verdict speaks for the parties the term sheet has (:func:`focus_party`): its
largest sovereign LP, else its largest LP. Japan's FX reserves and yen funding come
into it only where that party is Japan's.

Where the term sheet has a ``[bargain]``, a sentence sets the fund against the tariff
relief it buys (docs/bargain.md): worth it to Japan or not by the median and the 5th
percentile of the net, and the relief it would need to break even; and, where Japan
may decline projects, one on what following the opt-out rule changes.
"""

from __future__ import annotations

from typing import Any

from sovfund.analytics.context import JAPAN_FX_RESERVES
from sovfund.terms.models import Party, Terms

__all__ = ["RISK", "SOUND", "focus_party", "japan_sovereign", "verdict"]

RISK = 0.5
"""A chance of default or of loss at or above this is "real risk"."""
SOUND = 0.2
"""Chances of default and of loss both below this are "sound"."""


def verdict(
    terms: Terms,
    base_case: dict[str, Any],
    simulation: dict[str, Any],
    stress: dict[str, Any] | None = None,
    bargain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"headline": str, "sentences": [{"text", "metric", "value", "rule"}]}`` from the
    base case (``BaseCase.to_dict()``), the simulation figures (the simulate JSON) and,
    if given, the stress test (``StressTest.to_dict()``) and Japan's side of the
    bargain (``BargainStudy.to_dict()``)."""
    parties, fund = simulation["parties"], simulation["fund"]
    sentences: list[dict[str, Any]] = []
    leverage = terms.leverage.debt_to_equity
    p_default = float(fund["p_default"])
    lps = [p for p in terms.lps if parties[p.id]["p_loss"] is not None]
    wiped = max((parties[p.id]["p_total_loss"] or 0.0) for p in lps) if lps else 0.0
    if leverage > 0:
        sentences.append(
            _say(
                f"At {leverage:g}x leverage the fund defaults on its debt in {_pct(p_default)}"
                f" of paths, and the LPs lose everything in {_pct(wiped)}.",
                "fund.p_default",
                p_default,
                "stated whenever the fund borrows (leverage.debt_to_equity > 0)",
            )
        )
    focus = focus_party(terms)
    p_focus = None
    if focus is not None and parties[focus]["p_loss"] is not None:
        entry = parties[focus]
        p_focus = float(entry["p_loss"])
        sentences.extend(_focus_sentences(terms, focus, entry))
    sentences.extend(_gps(terms, parties))
    hurdle = _hurdle(terms)
    base_irr = _base_lp_irr(terms, base_case)
    if base_irr is not None:
        sim_irr = parties[lps[0].id]["irr"]["p50"] if lps else None
        text = f"On plan (the base case) the LPs earn {_pct(base_irr, 1)} a year"
        if hurdle is not None:
            text += f" against a hurdle of {_pct(hurdle, 1)}"
        if sim_irr is not None:
            text += f"; across the simulated paths the median is {_pct(sim_irr, 1)}"
        sentences.append(
            _say(
                text + ".",
                "base_case.parties.<first lp>.irr",
                base_irr,
                "always stated: the plan against the distribution",
            )
        )
    if stress is not None:
        sentences.extend(_worst_stress(terms, stress, leverage > 0, focus))
    if bargain is not None:
        sentences.extend(_bargain(terms, bargain))
    who = _possessive(terms, focus) if focus is not None else ""
    return {
        "headline": _headline(p_default, p_focus, who, base_irr, hurdle, leverage > 0),
        "sentences": sentences,
    }


def _focus_sentences(terms: Terms, focus: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """How the focus party's money fares; for Japan's reserves, against their size and
    their yen funding cost."""
    p_loss = float(entry["p_loss"])
    worst = entry.get("loss_usd", {}).get("es99")
    party = _party(terms, focus)
    japanese = focus == japan_sovereign(terms)
    if japanese:
        named = "" if party.short_name.lower() == "japan" else f" ({party.short_name})"
        text = f"Japan's sovereign stake{named} loses money in {_pct(p_loss)} of paths"
        rule = "stated for Japan's sovereign LP"
    else:
        role = "the largest sovereign LP" if party.investor_class == "sovereign" else "the LPs"
        text = f"{party.short_name} ({role}) loses money in {_pct(p_loss)} of paths"
        rule = "stated for the largest sovereign LP, else the largest LP"
    if worst is not None and worst > 0:
        text += f"; in the worst 1% it loses {_money(worst)} on average"
        if japanese:
            text += (
                f", as much as {_pct(worst / JAPAN_FX_RESERVES)} of Japan's"
                f" {_money(JAPAN_FX_RESERVES)} of FX reserves"
            )
    sentences = [
        _say(
            text + ".",
            f"parties.{focus}.p_loss",
            p_loss,
            rule + "; the worst-1% figure is the 99% expected shortfall of the money lost"
            " (contributed less what came back)",
        )
    ]
    net = entry.get("irr_jpy_net_of_funding", {}).get("p50")
    if japanese and net is not None and net > -1.0 + 1e-9:  # a median total loss is said
        sentences.append(
            _say(
                f"Measured in yen and net of the cost of the yen bills that fund the"
                f" reserves, its median return is {_pct(net, 1)} a year.",
                f"parties.{focus}.irr_jpy_net_of_funding.p50",
                net,
                "stated for Japan's sovereign LP when its yen IRR exists",
            )
        )
    return sentences


def _possessive(terms: Terms, party_id: str) -> str:
    """Whose money the headline speaks of: "Japan's", else the party's name's."""
    if party_id == japan_sovereign(terms):
        return "Japan's"
    name = _party(terms, party_id).short_name
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _headline(
    p_default: float,
    p_focus: float | None,
    who: str,
    base_irr: float | None,
    hurdle: float | None,
    borrows: bool,
) -> str:
    risk = []
    if borrows and p_default >= RISK:
        risk.append(f"the fund defaults on its debt in {_pct(p_default)} of paths")
    if p_focus is not None and p_focus >= RISK:
        of = "of them" if risk else "of paths"
        risk.append(f"{who} money loses in {_pct(p_focus)} {of}")
    if risk:
        on_paper = base_irr is not None and base_irr >= (hurdle if hurdle is not None else 0.08)
        lead = "Fantasy finance on paper, real risk in the numbers" if on_paper else "Real risk"
        return f"{lead}: {' and '.join(risk)}."
    calm = (not borrows or p_default < SOUND) and (p_focus is None or p_focus < SOUND)
    if calm:
        subjects = ["default"] if borrows else []
        if p_focus is not None:
            subjects.append(f"{who} chance of a loss")
        if not subjects:
            return "Sound on these assumptions: no debt, and no LP's money at stake."
        verb = "are both" if len(subjects) == 2 else "is"
        return f"Sound on these assumptions: {' and '.join(subjects)} {verb} below {_pct(SOUND)}."
    return "Mixed: neither safe nor likely to fail; read the risks below."


def _gps(terms: Terms, parties: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for gp in terms.gps:
        entry = parties[gp.id]
        fees, carry = entry.get("fees", {}), entry.get("carry", {})
        received = entry["received"]
        if fees.get("p50"):
            text = (
                f"{gp.short_name} earns {_money(fees['p50'])} in fees (median;"
                f" {_money(fees['p05'])} even in the worst 5% of paths) and"
                f" {_money(carry.get('p50') or 0.0)} of carry."
            )
            metric, value = f"parties.{gp.id}.fees.p50", fees["p50"]
        else:
            text = (
                f"{gp.short_name} receives {_money(received['p50'] or 0.0)} (median)"
                " without putting in capital."
            )
            metric, value = f"parties.{gp.id}.received.p50", received["p50"]
        out.append(_say(text, metric, value, "stated for every GP"))
    return out


def _worst_stress(
    terms: Terms, stress: dict[str, Any], borrows: bool, focus: str | None
) -> list[dict[str, Any]]:
    named = [s for s in stress["scenarios"] if s["name"] != "base"]
    if not named:
        return []
    if borrows:
        worst = max(named, key=lambda s: s["fund"]["p_default"])
        value = float(worst["fund"]["p_default"])
        text = f"The worst named stress, {worst['title']}, takes default to {_pct(value)}."
        metric = f"stress.{worst['name']}.fund.p_default"
    elif focus is not None:
        worst = max(named, key=lambda s: s["parties"][focus]["p_loss"] or 0.0)
        value = float(worst["parties"][focus]["p_loss"] or 0.0)
        whom = "Japan" if focus == japan_sovereign(terms) else _party(terms, focus).short_name
        text = (
            f"The worst named stress for {whom}, {worst['title']}, takes its chance of a"
            f" loss to {_pct(value)}."
        )
        metric = f"stress.{worst['name']}.parties.{focus}.p_loss"
    else:
        return []
    return [_say(text, metric, value, "the named stress with the highest such figure")]


def _bargain(terms: Terms, bargain: dict[str, Any]) -> list[dict[str, Any]]:
    """The fund against the tariff relief it buys; what the opt-out rule changes."""
    net, needed = bargain["net"], bargain["break_even"]
    median, worst = net["usd"]["p50"], net["usd"]["p05"]
    relief = bargain["relief"]["usd"]["p50"]
    text = (
        f"Set against the tariff relief it buys ({_money(bargain['yearly_relief'])} a year"
        f" for Japan's exporters, worth {_money(relief)} on the median path), the fund"
    )
    if worst > 0:
        text += " is worth it to Japan even in the worst 5% of paths"
    elif median > 0:
        text += " is worth it to Japan on the median path but not in the worst 5%"
    else:
        text += f" is not worth it to Japan on the median path (net {_money(median)})"
    text += f": Japan comes out ahead in {_pct(net['p_ahead'])} of paths"
    at_median, at_tail = needed["p50"]["yearly_usd"], needed["p05"]["yearly_usd"]
    tail = (
        "no relief would be enough at the 5th percentile"
        if at_tail is None
        else f"{_money(at_tail)} a year at the 5th percentile"
    )
    if median <= 0 and at_median is not None:
        text += (
            f", and it would take {_money(at_median)} a year of relief to break even on the"
            f" median path ({tail})."
        )
    elif worst <= 0:
        text += (
            "; no relief would be enough to break even in the worst 5%."
            if at_tail is None
            else f"; to break even in the worst 5% it would take {_money(at_tail)} a year."
        )
    else:
        text += "."
    out = [
        _say(
            text,
            "bargain.net.usd.p50",
            median,
            "stated when the term sheet has a [bargain]: worth it when the net (relief plus"
            " Japan's fund cash, in yen at its funding rate) is positive at the 5th"
            " percentile, on the median path when its median is; with the flat yearly"
            " relief at which each would break even",
        )
    ]
    opt_out = bargain.get("opt_out")
    if opt_out is not None:
        out.append(_opt_out(terms, opt_out))
    return out


def _opt_out(terms: Terms, opt_out: dict[str, Any]) -> dict[str, Any]:
    portfolio = opt_out["portfolio"]
    declined = portfolio["declined"]
    rule = (
        "stated when Japan may decline projects (bargain.decline_snapback): the projects"
        " whose expected loss to Japan exceeds the expected cost of a snap-back, and the"
        " median net with them declined against every project funded"
    )
    metric = "bargain.opt_out.portfolio.net.usd.p50"
    if not declined:
        return _say(
            "No project's expected loss to Japan exceeds the expected cost of the tariff"
            " snap-back declining it may bring, so the opt-out changes nothing.",
            metric,
            portfolio["net"]["usd"]["p50"],
            rule,
        )
    projects = sorted(
        (p for p in terms.projects if p.id in declined), key=lambda p: (-p.capex, p.id)
    )
    names = [p.name.split(" (")[0] for p in projects]
    if len(names) > 3:
        names = [*names[:2], f"{len(names) - 2} more"]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    before, after = opt_out["all_funded"]["net"], portfolio["net"]
    text = (
        f"Declining the {len(projects)} of {len(terms.projects)} projects whose expected loss"
        f" to Japan exceeds the expected cost of a snap-back ({listed}) risks a snap-back"
        f" with a chance of {_pct(portfolio['snapback_chance'])}, yet moves Japan's median"
        f" net from {_money(before['usd']['p50'])} to {_money(after['usd']['p50'])} (on"
        f" {opt_out['paths']:,} paths); it comes out ahead in {_pct(after['p_ahead'])} of"
        f" paths instead of {_pct(before['p_ahead'])}."
    )
    return _say(text, metric, after["usd"]["p50"], rule)


def japan_sovereign(terms: Terms) -> str | None:
    """Japan's sovereign LP (the money the verdict weighs against the FX reserves): the
    largest, if there are several."""
    japanese = [p for p in terms.lps if p.country == "JP" and p.investor_class == "sovereign"]
    return _largest(japanese)


def focus_party(terms: Terms) -> str | None:
    """The party the verdict speaks for: the largest sovereign LP, else the largest LP
    (by commitment; the first of equals)."""
    sovereign = [p for p in terms.lps if p.investor_class == "sovereign"]
    return _largest(sovereign) or _largest(list(terms.lps))


def _largest(parties: list[Party]) -> str | None:
    if not parties:
        return None
    return max(parties, key=lambda p: p.commitment or 0.0).id  # max keeps the first


def _party(terms: Terms, party_id: str) -> Party:
    return next(p for p in terms.parties if p.id == party_id)


def _hurdle(terms: Terms) -> float | None:
    for tier in terms.waterfall.tier:
        if tier.until is not None and isinstance(tier.until.rate, float):
            return tier.until.rate
    return None


def _base_lp_irr(terms: Terms, base_case: dict[str, Any]) -> float | None:
    for party in terms.lps:
        value = base_case["parties"][party.id]["irr"]
        if value is not None:
            return float(value)
    return None


def _say(text: str, metric: str, value: float | None, rule: str) -> dict[str, Any]:
    return {"text": text, "metric": metric, "value": value, "rule": rule}


def _pct(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= size:
            return f"{sign}${abs(value) / size:.{2 if size == 1e12 else 1}f}{unit}"
    return f"{sign}${abs(value):,.0f}"
