"""Checks that relate several values of a term sheet (run after each value is valid).

Each check yields :class:`~sovfund.errors.Problem` records; :func:`check_terms` runs
them all so that a user sees every problem at once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from sovfund.errors import Problem
from sovfund.terms.models import GROUPS, Terms

__all__ = ["check_terms"]

_TOLERANCE = 1e-9


def check_terms(terms: Terms, file: str) -> list[Problem]:
    """Every cross-field problem in ``terms``; empty when the term sheet is consistent."""
    checks = (_parties, _fund, _fees, _waterfall, _leverage, _projects, _stresses, _redemptions)
    return [
        Problem(file, path, found, expected)
        for check in checks
        for path, found, expected in check(terms)
    ]


Found = Iterator[tuple[str, str, str]]  # (key path, found, expected)


def _parties(terms: Terms) -> Found:
    counts = Counter(p.id for p in terms.parties)
    for i, party in enumerate(terms.parties):
        if party.id in GROUPS:
            yield f"party[{i}].id", f"'{party.id}'", "an id other than the group names lps and gps"
        elif counts[party.id] > 1:
            yield (
                f"party[{i}].id",
                f"'{party.id}' used {counts[party.id]} times",
                "unique party ids",
            )
        if party.role == "lp" and not party.commitment:
            yield (
                f"party[{i}].commitment",
                _missing_or(party.commitment),
                "a positive commitment for an LP",
            )
        if party.role == "gp" and party.commitment is not None:
            yield (
                f"party[{i}].commitment",
                f"{party.commitment:g}",
                "no commitment on a GP (LPs only)",
            )
        if party.role == "lp" and party.carry_share is not None:
            yield (
                f"party[{i}].carry_share",
                f"{party.carry_share:g}",
                "no carry_share on an LP (GPs only)",
            )
    if not terms.lps:
        yield "party", "no party with role = 'lp'", "at least one LP"
    shares = [p.carry_share for p in terms.gps]
    given = [s for s in shares if s is not None]
    if given and len(given) != len(shares):
        yield "party", "carry_share on some GPs only", "carry_share on every GP or on none"
    elif given and abs(sum(given) - 1.0) > _TOLERANCE:
        yield "party", f"GP carry_share summing to {sum(given):g}", "carry shares summing to 1"


def _fund(terms: Terms) -> Found:
    fund = terms.fund
    if fund.investment_period_years > fund.term_years:
        yield (
            "fund.investment_period_years",
            f"{fund.investment_period_years}",
            f"at most term_years ({fund.term_years})",
        )


def _fees(terms: Terms) -> Found:
    lps = {p.id for p in terms.lps} | {"lps"}
    gps = {p.id for p in terms.gps} | {"gps"}
    counts = Counter(f.id for f in terms.fees)
    for i, fee in enumerate(terms.fees):
        if counts[fee.id] > 1:
            yield f"fee[{i}].id", f"'{fee.id}' used {counts[fee.id]} times", "unique fee ids"
        for payer in fee.paid_by:
            if payer not in lps:
                yield f"fee[{i}].paid_by", f"'{payer}'", f"an LP id or 'lps' ({_words(lps)})"
        for receiver in fee.to:
            if receiver not in gps:
                yield (
                    f"fee[{i}].to.{receiver}",
                    f"'{receiver}'",
                    f"a GP id or 'gps' ({_words(gps)})",
                )
        if abs(sum(fee.to.values()) - 1.0) > _TOLERANCE:
            yield (
                f"fee[{i}].to",
                f"shares summing to {sum(fee.to.values()):g}",
                "shares summing to 1",
            )
        if {"gps"} & set(fee.to) and len(fee.to) > 1:
            yield f"fee[{i}].to", "'gps' beside single GPs", "either 'gps' or GP ids, not both"


def _waterfall(terms: Terms) -> Found:
    waterfall = terms.waterfall
    names = {p.id for p in terms.parties} | set(GROUPS)
    if waterfall.clawback and waterfall.style != "deal_by_deal":
        yield "waterfall.clawback", "true", "clawback only with style = 'deal_by_deal'"
    last = len(waterfall.tier) - 1
    for i, tier in enumerate(waterfall.tier):
        where = f"waterfall.tier[{i}]"
        for who in tier.pay:
            if who not in names:
                yield f"{where}.pay.{who}", f"'{who}'", f"a party id or group ({_words(names)})"
        total = sum(tier.pay.values())
        if abs(total - 1.0) > _TOLERANCE:
            yield f"{where}.pay", f"shares summing to {total:g}", "shares summing to 1"
        if "lps" in tier.pay and any(p.id in tier.pay for p in terms.lps):
            yield f"{where}.pay", "'lps' beside single LPs", "either 'lps' or LP ids, not both"
        if "gps" in tier.pay and any(p.id in tier.pay for p in terms.gps):
            yield f"{where}.pay", "'gps' beside single GPs", "either 'gps' or GP ids, not both"
        until = tier.until
        if i == last and until is not None:
            yield (
                f"{where}.until",
                "an until on the last tier",
                "a final tier with no until that takes the rest",
            )
        if i < last and until is None:
            yield (
                f"{where}",
                "a tier with no until before the last",
                "until on every tier but the last",
            )
        if until is None:
            continue
        if until.target not in names:
            yield (
                f"{where}.until.{until.kind}",
                f"'{until.target}'",
                f"a party id or group ({_words(names)})",
            )
            continue
        share = _share_in_tier(terms, tier.pay, until.target)
        if share <= 0:
            yield (
                f"{where}.pay",
                f"nothing paid to '{until.target}'",
                f"a share for '{until.target}', whom the until measures",
            )
        elif until.kind == "profit_share" and until.share is not None and share <= until.share:
            yield (
                f"{where}.until.share",
                f"{until.share:g} with '{until.target}' paid {share:g} of the tier",
                "a target share below the tier's pay share, or the tier never fills",
            )


def _share_in_tier(terms: Terms, pay: dict[str, float], target: str) -> float:
    """The share of a tier that reaches ``target``; for one party paid through its
    group, an upper bound (the group's share)."""
    groups = {"lps": {p.id for p in terms.lps}, "gps": {p.id for p in terms.gps}}
    if target in groups:
        return sum(v for k, v in pay.items() if k == target or k in groups[target])
    group = next((name for name, ids in groups.items() if target in ids), "")
    return pay.get(target, 0.0) + pay.get(group, 0.0)


def _leverage(terms: Terms) -> Found:
    leverage = terms.leverage
    for limit, where in (
        (leverage.max_debt_to_equity, "leverage.max_debt_to_equity"),
        (terms.policy.max_debt_to_equity, "policy.max_debt_to_equity"),
    ):
        if limit is not None and leverage.debt_to_equity > limit + _TOLERANCE:
            yield (
                "leverage.debt_to_equity",
                f"{leverage.debt_to_equity:g}",
                f"at most {limit:g} ({where})",
            )


def _projects(terms: Terms) -> Found:
    policy, fund = terms.policy, terms.fund
    counts = Counter(p.id for p in terms.projects)
    capacity = terms.capacity
    by_sector: defaultdict[str, float] = defaultdict(float)
    last_start = max(fund.investment_quarters, 1) - 1
    for i, project in enumerate(terms.projects):
        where = f"project[{i}]"
        by_sector[project.sector] += project.capex
        if counts[project.id] > 1:
            yield (
                f"{where}.id",
                f"'{project.id}' used {counts[project.id]} times",
                "unique project ids",
            )
        if project.sector not in policy.sectors:
            yield (
                f"{where}.sector",
                f"'{project.sector}'",
                f"a sector the policy allows ({_words(policy.sectors)})",
            )
        if policy.us_only and project.location != "US":
            yield f"{where}.location", f"'{project.location}'", "'US' (policy.us_only)"
        if policy.japanese_contractor and project.contractor_country != "JP":
            yield (
                f"{where}.contractor_country",
                f"'{project.contractor_country}'",
                "'JP' (policy.japanese_contractor)",
            )
        if project.start_quarter > last_start:
            yield (
                f"{where}.start_quarter",
                f"{project.start_quarter}",
                f"a start inside the investment period (quarters 0 to {last_start})",
            )
        finish = project.start_quarter + project.construction_quarters
        if finish > fund.quarters:
            yield (
                f"{where}.construction_quarters",
                f"construction ending in quarter {finish}",
                f"completion within the fund's {fund.quarters} quarters",
            )
        if capacity > 0 and project.capex > policy.max_project_share * capacity * (1 + _TOLERANCE):
            yield (
                f"{where}.capex",
                f"{project.capex:,.0f} ({project.capex / capacity:.1%} of capacity)",
                f"at most policy.max_project_share = {policy.max_project_share:.1%} of capacity",
            )
    for sector, capex in by_sector.items():
        if capacity > 0 and capex > policy.max_sector_share * capacity * (1 + _TOLERANCE):
            yield (
                "project",
                f"{capex:,.0f} in sector '{sector}' ({capex / capacity:.1%} of capacity)",
                f"at most policy.max_sector_share = {policy.max_sector_share:.1%} of capacity",
            )


def _stresses(terms: Terms) -> Found:
    ids = {p.id for p in terms.projects}
    for name, stress in terms.stress.items():
        for i, project in enumerate(stress.projects):
            if project not in ids:
                yield f"stress.{name}.projects[{i}]", f"'{project}'", "the id of a [[project]]"
        if stress.redemption_request and terms.fund.redemptions is None:
            yield (
                f"stress.{name}.redemption_request",
                f"{stress.redemption_request:g} with no [fund.redemptions] table",
                "a [fund.redemptions] table saying who may redeem and the gate",
            )
        if stress.start_quarter >= terms.fund.quarters:
            yield (
                f"stress.{name}.start_quarter",
                f"{stress.start_quarter}",
                f"a quarter of the term (0 to {terms.fund.quarters - 1})",
            )


def _redemptions(terms: Terms) -> Found:
    if terms.fund.redemptions is not None and terms.waterfall.style == "deal_by_deal":
        yield (
            "fund.redemptions",
            "redemptions with a deal-by-deal waterfall",
            "a whole-fund waterfall (redemptions are modelled for whole-fund terms only)",
        )


def _missing_or(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"


def _words(names: object) -> str:
    return ", ".join(sorted(map(str, names)))  # type: ignore[call-overload]
