"""The verdict: a few plain sentences generated from the numbers of a run.

Every sentence comes from one figure of the summary and says where it comes from
(``metric``) and which rule chose its words (``rule``); docs/verdict.md lists the
rules. The headline answers "fantasy finance or real risk?":

- **real risk** when the fund defaults on its debt in at least half the paths, or
  Japan's sovereign money loses in at least half of them (``RISK``);
- **fantasy finance on paper** when, besides, the base case (everything on plan)
  pays the LPs at least the hurdle: the plan looks good and the distribution does not;
- **sound on these assumptions** when default and Japan's chance of a loss are both
  below ``SOUND`` (20%);
- otherwise **mixed**.
"""

from __future__ import annotations

from typing import Any

from sovfund.analytics.context import JAPAN_FX_RESERVES
from sovfund.terms.models import Terms

__all__ = ["RISK", "SOUND", "japan_sovereign", "short_name", "verdict"]

RISK = 0.5
"""A chance of default or of loss at or above this is "real risk"."""
SOUND = 0.2
"""Chances of default and of loss both below this are "sound"."""


def verdict(
    terms: Terms,
    base_case: dict[str, Any],
    simulation: dict[str, Any],
    stress: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"headline": str, "sentences": [{"text", "metric", "value", "rule"}]}`` from the
    base case (``BaseCase.to_dict()``), the simulation figures (the simulate JSON) and,
    if given, the stress test (``StressTest.to_dict()``)."""
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
    japan = japan_sovereign(terms)
    p_japan = None
    if japan is not None and parties[japan]["p_loss"] is not None:
        entry = parties[japan]
        p_japan = float(entry["p_loss"])
        worst = entry.get("loss_usd", {}).get("es99")
        who = short_name(terms, japan)
        named = "" if who.lower() == "japan" else f" ({who})"
        text = f"Japan's sovereign stake{named} loses money in {_pct(p_japan)} of paths"
        if worst is not None and worst > 0:
            text += (
                f"; in the worst 1% it loses {_money(worst)} on average, as much as "
                f"{_pct(worst / JAPAN_FX_RESERVES)} of Japan's {_money(JAPAN_FX_RESERVES)}"
                " of FX reserves"
            )
        sentences.append(
            _say(
                text + ".",
                f"parties.{japan}.p_loss",
                p_japan,
                "stated for Japan's sovereign LP; the worst-1% figure is the 99% expected"
                " shortfall of the money lost (contributed less what came back)",
            )
        )
        net = entry.get("irr_jpy_net_of_funding", {}).get("p50")
        if net is not None and net > -1.0 + 1e-9:  # a median total loss is said above
            sentences.append(
                _say(
                    f"Measured in yen and net of the cost of the yen bills that fund the"
                    f" reserves, its median return is {_pct(net, 1)} a year.",
                    f"parties.{japan}.irr_jpy_net_of_funding.p50",
                    net,
                    "stated for Japan's sovereign LP when its yen IRR exists",
                )
            )
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
        sentences.extend(_worst_stress(terms, stress, leverage > 0, japan))
    return {
        "headline": _headline(p_default, p_japan, base_irr, hurdle, leverage > 0),
        "sentences": sentences,
    }


def _headline(
    p_default: float,
    p_japan: float | None,
    base_irr: float | None,
    hurdle: float | None,
    borrows: bool,
) -> str:
    risk = []
    if borrows and p_default >= RISK:
        risk.append(f"the fund defaults on its debt in {_pct(p_default)} of paths")
    if p_japan is not None and p_japan >= RISK:
        of = "of them" if risk else "of paths"
        risk.append(f"Japan's money loses in {_pct(p_japan)} {of}")
    if risk:
        on_paper = base_irr is not None and base_irr >= (hurdle if hurdle is not None else 0.08)
        lead = "Fantasy finance on paper, real risk in the numbers" if on_paper else "Real risk"
        return f"{lead}: {' and '.join(risk)}."
    calm = (not borrows or p_default < SOUND) and (p_japan is None or p_japan < SOUND)
    if calm:
        return (
            "Sound on these assumptions: default and Japan's chance of a loss are both"
            f" below {_pct(SOUND)}."
        )
    return "Mixed: neither safe nor likely to fail; read the risks below."


def _gps(terms: Terms, parties: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for gp in terms.gps:
        entry = parties[gp.id]
        fees, carry = entry.get("fees", {}), entry.get("carry", {})
        received = entry["received"]
        if fees.get("p50"):
            text = (
                f"{short_name(terms, gp.id)} earns {_money(fees['p50'])} in fees (median;"
                f" {_money(fees['p05'])} even in the worst 5% of paths) and"
                f" {_money(carry.get('p50') or 0.0)} of carry."
            )
            metric, value = f"parties.{gp.id}.fees.p50", fees["p50"]
        else:
            text = (
                f"{short_name(terms, gp.id)} receives {_money(received['p50'] or 0.0)} (median)"
                " without putting in capital."
            )
            metric, value = f"parties.{gp.id}.received.p50", received["p50"]
        out.append(_say(text, metric, value, "stated for every GP"))
    return out


def _worst_stress(
    terms: Terms, stress: dict[str, Any], borrows: bool, japan: str | None
) -> list[dict[str, Any]]:
    named = [s for s in stress["scenarios"] if s["name"] != "base"]
    if not named:
        return []
    if borrows:
        worst = max(named, key=lambda s: s["fund"]["p_default"])
        value = float(worst["fund"]["p_default"])
        text = f"The worst named stress, {worst['title']}, takes default to {_pct(value)}."
        metric = f"stress.{worst['name']}.fund.p_default"
    elif japan is not None:
        worst = max(named, key=lambda s: s["parties"][japan]["p_loss"] or 0.0)
        value = float(worst["parties"][japan]["p_loss"] or 0.0)
        text = (
            f"The worst named stress for Japan, {worst['title']}, takes its chance of a"
            f" loss to {_pct(value)}."
        )
        metric = f"stress.{worst['name']}.parties.{japan}.p_loss"
    else:
        return []
    return [_say(text, metric, value, "the named stress with the highest such figure")]


def japan_sovereign(terms: Terms) -> str | None:
    """Japan's sovereign LP (the money the verdict weighs against the FX reserves)."""
    for party in terms.lps:
        if party.country == "JP" and party.investor_class == "sovereign":
            return party.id
    return None


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


def short_name(terms: Terms, party: str) -> str:
    """The party's name without its parenthesis (a sentence, not a register)."""
    found = next(p for p in terms.parties if p.id == party)
    return (found.name or found.id).split(" (")[0]


def _say(text: str, metric: str, value: float | None, rule: str) -> dict[str, Any]:
    return {"text": text, "metric": metric, "value": value, "rule": rule}


def _pct(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


def _money(value: float) -> str:
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= size:
            return f"${value / size:.{2 if size == 1e12 else 1}f}{unit}"
    return f"${value:,.0f}"
