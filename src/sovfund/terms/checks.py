"""Checks that relate several values of a term sheet (run after each value is valid).

Each check yields :class:`~sovfund.errors.Problem` records; :func:`check_terms` runs
them all so that a user sees every problem at once. They run on a :class:`Sheet`:
whatever passed of the file, section by section and item by item, so that a section
with a problem of its own does not hide the problems of the others. A check that
needs a section which failed is skipped (that section's problems are already listed).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sovfund.errors import Problem
from sovfund.terms.models import (
    GROUPS,
    Fee,
    Fund,
    Leverage,
    Macro,
    Party,
    Policy,
    Project,
    Risk,
    Stress,
    Terms,
    Tier,
    Waterfall,
)

__all__ = [
    "MAX_FX_SPREAD",
    "MAX_RATE_SPREAD",
    "Sheet",
    "check_terms",
    "horizon_spread",
    "terms_warnings",
]

_TOLERANCE = 1e-9


@dataclass
class Sheet:
    """What passed of a term sheet, for the cross-field checks.

    ``sections`` holds each validated table by its TOML key (None: it failed);
    ``items`` each list (``party``, ``fee``, ``project``, ``waterfall.tier``) item by
    item, None where an item failed, so positions stay those of the file; ``stresses``
    each ``[stress.NAME]`` the same way; ``loose_ids`` the ids that failed items name
    (other sections may refer to them); ``failed`` the required sections missing or
    invalid.
    """

    sections: dict[str, Any] = field(default_factory=dict)
    items: dict[str, list[Any]] = field(default_factory=dict)
    stresses: dict[str, Stress | None] = field(default_factory=dict)
    loose_ids: dict[str, set[str]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, terms: Terms) -> Sheet:
        """The sheet of a whole, valid term sheet."""
        return cls(
            sections={
                "fund": terms.fund,
                "waterfall": terms.waterfall,
                "leverage": terms.leverage,
                "policy": terms.policy,
                "bargain": terms.bargain,
                "macro": terms.macro,
                "risk": terms.risk,
            },
            items={
                "party": list(terms.parties),
                "fee": list(terms.fees),
                "project": list(terms.projects),
                "waterfall.tier": list(terms.waterfall.tier),
            },
            stresses=dict(terms.stress),
        )

    def ok(self, *keys: str) -> bool:
        """Whether every one of these sections or lists passed as a whole."""
        return all(
            key not in self.failed and self.sections.get(key, True) is not None for key in keys
        )

    def listed(self, key: str) -> Iterator[tuple[int, Any]]:
        """(position in the file, item) for each item of a list that passed."""
        return ((i, item) for i, item in enumerate(self.items.get(key, ())) if item is not None)

    def complete(self, key: str) -> bool:
        """Whether every item of a list passed (aggregates over it are meaningful)."""
        return self.ok(key) and all(item is not None for item in self.items.get(key, ()))

    @property
    def fund(self) -> Fund | None:
        return self.sections.get("fund")

    @property
    def waterfall(self) -> Waterfall | None:
        return self.sections.get("waterfall")

    @property
    def leverage(self) -> Leverage | None:
        return self.sections.get("leverage", Leverage()) if self.ok("leverage") else None

    @property
    def policy(self) -> Policy | None:
        return self.sections.get("policy", Policy()) if self.ok("policy") else None

    @property
    def macro(self) -> Macro | None:
        return self.sections.get("macro")

    @property
    def risk(self) -> Risk | None:
        return self.sections.get("risk", Risk()) if self.ok("risk") else None

    @property
    def parties(self) -> list[Party]:
        return [p for _, p in self.listed("party")]

    @property
    def lps(self) -> list[Party]:
        return [p for p in self.parties if p.role == "lp"]

    @property
    def gps(self) -> list[Party]:
        return [p for p in self.parties if p.role == "gp"]

    def ids(self, role: str | None = None) -> set[str]:
        """Party ids (of one role), counting those named by parties that failed."""
        named = {p.id for p in self.parties if role is None or p.role == role}
        return named | self.loose_ids.get("party", set())


def check_terms(terms: Terms | Sheet, file: str) -> list[Problem]:
    """Every cross-field problem in ``terms``; empty when the term sheet is consistent."""
    sheet = terms if isinstance(terms, Sheet) else Sheet.of(terms)
    checks = (
        _parties,
        _fund,
        _fees,
        _waterfall,
        _leverage,
        _projects,
        _stresses,
        _redemptions,
        _bargain,
        _risk,
    )
    return [
        Problem(file, path, found, expected)
        for check in checks
        for path, found, expected in check(sheet)
    ]


Found = Iterator[tuple[str, str, str]]  # (key path, found, expected)


def _parties(sheet: Sheet) -> Found:
    if not sheet.ok("party"):
        return
    counts = Counter(p.id for p in sheet.parties)
    for i, party in sheet.listed("party"):
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
    if not sheet.complete("party"):
        return  # who else is an LP or a GP is not known
    if not sheet.lps:
        yield "party", "no party with role = 'lp'", "at least one LP"
    shares = [p.carry_share for p in sheet.gps]
    given = [s for s in shares if s is not None]
    if given and len(given) != len(shares):
        yield "party", "carry_share on some GPs only", "carry_share on every GP or on none"
    elif given and abs(sum(given) - 1.0) > _TOLERANCE:
        yield "party", f"GP carry_share summing to {sum(given):g}", "carry shares summing to 1"


def _fund(sheet: Sheet) -> Found:
    fund = sheet.fund
    if fund is not None and fund.investment_period_years > fund.term_years:
        yield (
            "fund.investment_period_years",
            f"{fund.investment_period_years}",
            f"at most term_years ({fund.term_years})",
        )


def _fees(sheet: Sheet) -> Found:
    if not sheet.ok("party", "fee"):
        return
    lps = sheet.ids("lp") | {"lps"}
    gps = sheet.ids("gp") | {"gps"}
    loose = sheet.loose_ids.get("party", set())
    fees: list[tuple[int, Fee]] = list(sheet.listed("fee"))
    counts = Counter(f.id for _, f in fees)
    for i, fee in fees:
        if counts[fee.id] > 1:
            yield f"fee[{i}].id", f"'{fee.id}' used {counts[fee.id]} times", "unique fee ids"
        for payer in fee.paid_by:
            if payer not in lps and payer not in loose:
                yield f"fee[{i}].paid_by", f"'{payer}'", f"an LP id or 'lps' ({_words(lps)})"
        for receiver in fee.to:
            if receiver not in gps and receiver not in loose:
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
        if "gps" in fee.to and sheet.complete("party") and not sheet.gps:
            yield (
                f"fee[{i}].to.gps",
                "'gps' in a fund with no GP",
                "a fund with a [[party]] of role 'gp'",
            )


def _waterfall(sheet: Sheet) -> Found:
    waterfall = sheet.waterfall
    if waterfall is None or not sheet.ok("party"):
        return
    names = sheet.ids() | set(GROUPS)
    if waterfall.clawback and waterfall.style != "deal_by_deal":
        yield "waterfall.clawback", "true", "clawback only with style = 'deal_by_deal'"
    tiers: list[Tier | None] = sheet.items.get("waterfall.tier") or list(waterfall.tier)
    last = len(tiers) - 1
    known = sheet.complete("party")
    for i, tier in enumerate(tiers):
        if tier is None:
            continue
        where = f"waterfall.tier[{i}]"
        for who in tier.pay:
            if who not in names:
                yield f"{where}.pay.{who}", f"'{who}'", f"a party id or group ({_words(names)})"
            elif known and who in GROUPS and not (sheet.lps if who == "lps" else sheet.gps):
                role = who[:-1].upper()
                yield (
                    f"{where}.pay.{who}",
                    f"'{who}' in a fund with no {role}",
                    f"a fund with a [[party]] of role '{who[:-1]}', or no share for '{who}'",
                )
        total = sum(tier.pay.values())
        if abs(total - 1.0) > _TOLERANCE:
            yield f"{where}.pay", f"shares summing to {total:g}", "shares summing to 1"
        if "lps" in tier.pay and any(p.id in tier.pay for p in sheet.lps):
            yield f"{where}.pay", "'lps' beside single LPs", "either 'lps' or LP ids, not both"
        if "gps" in tier.pay and any(p.id in tier.pay for p in sheet.gps):
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
        if not known:
            continue
        share = _share_in_tier(sheet, tier.pay, until.target)
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


def _share_in_tier(sheet: Sheet, pay: dict[str, float], target: str) -> float:
    """The share of a tier that reaches ``target``; for one party paid through its
    group, an upper bound (the group's share)."""
    groups = {"lps": {p.id for p in sheet.lps}, "gps": {p.id for p in sheet.gps}}
    if target in groups:
        return sum(v for k, v in pay.items() if k == target or k in groups[target])
    group = next((name for name, ids in groups.items() if target in ids), "")
    return pay.get(target, 0.0) + pay.get(group, 0.0)


def _leverage(sheet: Sheet) -> Found:
    leverage, policy = sheet.leverage, sheet.policy
    if leverage is None or policy is None:
        return
    for limit, where in (
        (leverage.max_debt_to_equity, "leverage.max_debt_to_equity"),
        (policy.max_debt_to_equity, "policy.max_debt_to_equity"),
    ):
        if limit is not None and leverage.debt_to_equity > limit + _TOLERANCE:
            yield (
                "leverage.debt_to_equity",
                f"{leverage.debt_to_equity:g}",
                f"at most {limit:g} ({where})",
            )


def _projects(sheet: Sheet) -> Found:
    policy, fund, leverage = sheet.policy, sheet.fund, sheet.leverage
    if not sheet.ok("project"):
        return
    projects: list[tuple[int, Project]] = list(sheet.listed("project"))
    counts = Counter(p.id for _, p in projects)
    capacity = 0.0
    if sheet.complete("party") and leverage is not None:
        commitment = sum(p.commitment or 0.0 for p in sheet.lps)
        capacity = commitment * (1.0 + leverage.debt_to_equity)
    by_sector: defaultdict[str, float] = defaultdict(float)
    for i, project in projects:
        where = f"project[{i}]"
        by_sector[project.sector] += project.capex
        if counts[project.id] > 1:
            yield (
                f"{where}.id",
                f"'{project.id}' used {counts[project.id]} times",
                "unique project ids",
            )
        if policy is not None:
            yield from _policy_of(policy, project, where)
        if fund is not None:
            yield from _timing(fund, project, where)
        if policy is not None and capacity > 0:
            share = policy.max_project_share
            if project.capex > share * capacity * (1 + _TOLERANCE):
                yield (
                    f"{where}.capex",
                    f"{project.capex:,.0f} ({project.capex / capacity:.1%} of capacity)",
                    f"at most policy.max_project_share = {share:.1%} of capacity",
                )
    if policy is None or capacity <= 0 or not sheet.complete("project"):
        return
    for sector, capex in by_sector.items():
        if capex > policy.max_sector_share * capacity * (1 + _TOLERANCE):
            yield (
                "project",
                f"{capex:,.0f} in sector '{sector}' ({capex / capacity:.1%} of capacity)",
                f"at most policy.max_sector_share = {policy.max_sector_share:.1%} of capacity",
            )


def _policy_of(policy: Policy, project: Project, where: str) -> Found:
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


def _timing(fund: Fund, project: Project, where: str) -> Found:
    last_start = max(fund.investment_quarters, 1) - 1
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


def _stresses(sheet: Sheet) -> Found:
    ids = {p.id for _, p in sheet.listed("project")} | sheet.loose_ids.get("project", set())
    fund = sheet.fund
    for name, stress in sheet.stresses.items():
        if stress is None:
            continue
        if sheet.ok("project"):
            for i, project in enumerate(stress.projects):
                if project not in ids:
                    yield f"stress.{name}.projects[{i}]", f"'{project}'", "the id of a [[project]]"
        if fund is None:
            continue
        if stress.redemption_request and fund.redemptions is None:
            yield (
                f"stress.{name}.redemption_request",
                f"{stress.redemption_request:g} with no [fund.redemptions] table",
                "a [fund.redemptions] table saying who may redeem and the gate",
            )
        if stress.start_quarter >= fund.quarters:
            yield (
                f"stress.{name}.start_quarter",
                f"{stress.start_quarter}",
                f"a quarter of the term (0 to {fund.quarters - 1})",
            )


def _redemptions(sheet: Sheet) -> Found:
    fund, waterfall = sheet.fund, sheet.waterfall
    if fund is None or waterfall is None:
        return
    if fund.redemptions is not None and waterfall.style == "deal_by_deal":
        yield (
            "fund.redemptions",
            "redemptions with a deal-by-deal waterfall",
            "a whole-fund waterfall (redemptions are modelled for whole-fund terms only)",
        )


def _bargain(sheet: Sheet) -> Found:
    bargain = sheet.sections.get("bargain")
    if bargain is None or bargain.parties is None or not sheet.ok("party"):
        return
    ids = sheet.ids()
    for i, party in enumerate(bargain.parties):
        if party not in ids:
            yield f"bargain.parties[{i}]", f"'{party}'", "the id of a [[party]]"


MAX_RATE_SPREAD = 1 / 6
"""The largest standard deviation of the short rate, the term spread, inflation and the
credit spread over the fund's term: six of them stay short of -100%, below which
discounting and compounding have no meaning (and the engine's numbers turn to NaN)."""
MAX_FX_SPREAD = 10.0
"""The largest standard deviation of log USD/JPY over the term: exp of six of them stays
a finite exchange rate."""
_RATES = "beyond it simulated rates pass -100% and the numbers lose meaning"
_PROCESSES = (
    ("short_rate", MAX_RATE_SPREAD, _RATES),
    ("term_spread", MAX_RATE_SPREAD, _RATES),
    ("inflation", MAX_RATE_SPREAD, _RATES),
    ("credit_spread", MAX_RATE_SPREAD, _RATES),
    ("usd_jpy", MAX_FX_SPREAD, "beyond it the simulated exchange rate overflows"),
)


def horizon_spread(volatility: float, speed: float, years: float) -> float:
    """The standard deviation after ``years`` of an Ornstein-Uhlenbeck process with this
    yearly volatility and mean-reversion speed (a random walk at speed 0)."""
    if speed <= 0:
        return volatility * math.sqrt(years)
    return volatility * math.sqrt(-math.expm1(-2.0 * speed * years) / (2.0 * speed))


def _risk(sheet: Sheet) -> Found:
    """Volatilities the scenario generator can carry once ``risk.volatility`` scales
    them: rates and the yen that stay meaningful over the fund's term (their standard
    deviation at the end, :func:`horizon_spread`, at most :data:`MAX_RATE_SPREAD` and
    :data:`MAX_FX_SPREAD`), and capex factors that stay positive (1 + volatility x
    overrun_mean, for the sectors the term sheet overrides; the shipped table's means
    keep it positive up to the largest volatility)."""
    risk, macro, fund = sheet.risk, sheet.macro, sheet.fund
    if risk is None:
        return
    if macro is not None and fund is not None:
        for process, limit, reason in _PROCESSES:
            vol, speed = getattr(macro, f"{process}_vol"), getattr(macro, f"{process}_speed")
            spread = horizon_spread(risk.volatility * vol, speed, fund.term_years)
            if spread > limit * (1 + _TOLERANCE):
                scaled = f" x risk.volatility {risk.volatility:g}" if risk.volatility != 1 else ""
                yield (
                    f"macro.{process}_vol",
                    f"{vol:g}{scaled} at speed {speed:g}: a standard deviation of"
                    f" {spread:.3g} after the fund's {fund.term_years} years",
                    f"at most {limit:.3g} (a smaller volatility or a faster mean"
                    f" reversion; {reason})",
                )
    for sector, override in risk.sector.items():
        if override.overrun_mean is not None and 1 + risk.volatility * override.overrun_mean <= 0:
            yield (
                f"risk.sector.{sector}.overrun_mean",
                f"{override.overrun_mean:g} with risk.volatility {risk.volatility:g}"
                f" (a mean capex factor of {1 + risk.volatility * override.overrun_mean:.3g})",
                "a positive mean capex factor, 1 + volatility x overrun_mean > 0",
            )


def terms_warnings(terms: Terms) -> list[Problem]:
    """What in a valid term sheet will likely not run as its author expects: located
    records like problems, for ``validate`` to show without failing.

    - The projects need more equity (capex less project debt) than the LP commitments
      and the fund debt on them provide, and LPs do not pay beyond their commitments
      (``fund.calls_beyond_commitment = false``): the fund runs short and sells up.
    """
    found: list[Problem] = []
    equity = sum(p.capex * (1.0 - p.debt_share) for p in terms.projects)
    commitments = terms.total_commitment
    debt = commitments * terms.leverage.debt_to_equity
    if (
        terms.projects
        and not terms.fund.calls_beyond_commitment
        and equity > (commitments + debt) * (1 + _TOLERANCE)
    ):
        capex = sum(p.capex for p in terms.projects)
        owed = capex - equity
        need = f"{equity:,.0f} of project equity (capex {capex:,.0f}"
        need += f" less {owed:,.0f} of project debt)" if owed > 0 else ")"
        means = f"{commitments:,.0f} of LP commitments"
        means += f" plus {debt:,.0f} of fund debt" if debt > 0 else " and no fund debt"
        found.append(
            Problem(
                terms.source,
                "project",
                f"{need}, more than the fund can fund: {means}",
                "commitments and fund debt that cover the projects' equity (before fees), or"
                " fund.calls_beyond_commitment = true; else the fund runs short and sells up",
            )
        )
    return found


def _missing_or(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"


def _words(names: object) -> str:
    return ", ".join(sorted(map(str, names)))  # type: ignore[call-overload]
