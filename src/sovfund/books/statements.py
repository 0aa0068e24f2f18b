"""Capital account statements, the trial balance and the journal, read from the postings.

A partner's statement is in the partner's currency (yen for JPY partners):

- ``commitment``; ``called`` (contributions called); ``contributed`` (paid in);
  ``receivable`` (called, not yet paid); ``unfunded`` (commitment less called);
- ``distributed`` (net of any clawback; repurchases included, and ``repurchased``
  on their own); ``fees`` (management fees billed to an LP, earned by a GP);
  ``carry`` (credited to a GP, charged to an LP: negative);
- ``gains``: realized (project proceeds), unrealized (marks), fund expenses (interest,
  negative), equalization interest (received by earlier partners, paid by later ones),
  early repurchase deductions (paid by a requester, negative; kept for the others);
- ``capital_account``: the balance of the partner's capital accounts, i.e.
  called - distributed - fees + carry + gains (a GP's fees are owed to it by the fund,
  outside its capital account).

:func:`statements` gives every partner's statement for a quarter, with the quarter's
own figures (``quarter``: beginning and ending capital account, contributions,
distributions, fees, carry and gains in the quarter), from one query streamed in
chunks. Both sum the postings in the database, one row per partner.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Date,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    select,
)

from sovfund.books import schema
from sovfund.books.accounts import (
    ACCOUNTS,
    CAPITAL,
    CARRY,
    CONTRIBUTIONS,
    DISTRIBUTIONS,
    EQUALIZATION,
    EQUALIZATION_RECEIVABLE,
    EXPENSES,
    FEES,
    FEES_PAYABLE,
    FX_TRADING,
    REALIZED,
    RECEIVABLE,
    REPURCHASE_DEDUCTIONS,
    UNREALIZED,
)
from sovfund.books.columns import digits_of, format_minor
from sovfund.books.context import Context
from sovfund.books.ledger import last_date
from sovfund.books.money import IntArray, from_minor
from sovfund.books.store import stream

__all__ = [
    "journal",
    "journal_page",
    "of_partners",
    "render_statement_html",
    "statement",
    "statement_html",
    "statements",
    "statements_of",
    "trial_balance",
]


# The figures of a statement, each a sum over the partner's postings (``amount``, in
# its currency; ``value`` in the fund's) of some accounts, of some kinds of entry,
# up to the statement's date or within its quarter.
_FIGURES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, str]] = {
    "contributions": ((CONTRIBUTIONS,), None, "amount"),
    "receivable": ((RECEIVABLE,), None, "amount"),
    "equalization_receivable": ((EQUALIZATION_RECEIVABLE,), None, "amount"),
    "distributions": ((DISTRIBUTIONS,), None, "amount"),
    "repurchased": ((DISTRIBUTIONS,), ("repurchase",), "amount"),
    "fees": ((FEES,), None, "amount"),
    "fees_payable": ((FEES_PAYABLE,), None, "amount"),
    "carry": ((CARRY,), None, "amount"),
    "realized": ((REALIZED,), None, "amount"),
    "unrealized": ((UNREALIZED,), None, "amount"),
    "expenses": ((EXPENSES,), None, "amount"),
    "equalization": ((EQUALIZATION,), None, "amount"),
    "deductions": ((REPURCHASE_DEDUCTIONS,), None, "amount"),
    "capital": (CAPITAL, None, "amount"),
    "capital_value": (CAPITAL, None, "value"),
}
_GAINS = ("realized", "unrealized", "expenses", "equalization", "deductions")
_QUARTER = ("contributions", "distributions", "fees", "carry", *_GAINS, "capital")
_PARTNER = ("number", "id", "name", "role", "currency", "commitment")


_AS_OF = bindparam("as_of", type_=Date())
_PARTNERS = bindparam("partners", expanding=True, type_=String())


def _statement_query(first: dt.date | None, few: bool) -> Select[Any]:
    """One row per partner (or, ``few``, per one of the ``partners`` parameter): its
    details and every figure of its statement up to the ``as_of`` parameter, summed in
    the database; with ``first``, also each figure of the quarter from it."""
    posting, entry, table = schema.posting, schema.entry, schema.partner

    def total(name: str, since: dt.date | None) -> Any:
        accounts, kinds, column = _FIGURES[name]
        condition: ColumnElement[bool] = posting.c.account.in_(accounts)
        if kinds is not None:
            condition = and_(condition, entry.c.kind.in_(kinds))
        if since is not None:
            condition = and_(condition, entry.c.date >= since)
        return func.sum(case((condition, posting.c[column]), else_=0)).label(
            name if since is None else f"quarter_{name}"
        )

    figures = [total(name, None) for name in _FIGURES]
    if first is not None:
        figures += [total(name, first) for name in _QUARTER]
    sums = (
        select(posting.c.partner_id, *figures)
        .select_from(entry)
        .join(posting, posting.c.entry_id == entry.c.id)
        .where(entry.c.date <= _AS_OF, posting.c.account != FX_TRADING)
        .group_by(posting.c.partner_id)
    )
    if few:
        sums = sums.where(of_partners(_PARTNERS, entry.c.date <= _AS_OF))
    part = sums.subquery()
    query = (
        select(*(table.c[c] for c in _PARTNER), *(c for c in part.c if c.name != "partner_id"))
        .select_from(table)
        .join(part, part.c.partner_id == table.c.id, isouter=True)
        .order_by(table.c.number)
    )
    if few:
        query = query.where(table.c.id.in_(_PARTNERS))
    return query


@cache
def _few_query() -> Select[Any]:
    """The statements of a few partners: built once (building it costs several times
    what running it does, for the service's reads of one partner)."""
    return _statement_query(None, few=True)


def of_partners(
    partners: Sequence[str] | BindParameter[Any], entries: ColumnElement[bool] | None = None
) -> ColumnElement[bool]:
    """The postings of a few partners (of the entries where ``entries`` holds), found
    entry by entry through the postings' one index, (entry, partner): the entries'
    ids as an ``IN`` list, so that both databases probe it once per entry and partner
    whether or not they have statistics (joined to ``entry`` instead, SQLite without
    them scans every posting of the fund)."""
    ids = select(schema.entry.c.id)
    if entries is not None:
        ids = ids.where(entries)
    return and_(schema.posting.c.entry_id.in_(ids), schema.posting.c.partner_id.in_(partners))


# A statement's JSON, key by key: the figure each shows (nested: gains, the quarter).
_LAYOUT: list[tuple[str, Any]] = [
    ("partner", "id"),
    ("name", "name"),
    ("role", "role"),
    ("as_of", "as_of"),
    ("currency", "currency"),
    *((k, k) for k in ("commitment", "called", "contributed", "receivable")),
    *((k, k) for k in ("equalization_receivable", "unfunded", "distributed", "repurchased")),
    ("fees", "fees"),
    ("carry", "carry"),
    (
        "gains",
        [(k, k) for k in ("realized", "unrealized", "fund_expenses", "equalization_interest")]
        + [("early_repurchase_deductions", "early_repurchase_deductions")],
    ),
    ("capital_account", "capital_account"),
    ("capital_account_usd", "capital_account_usd"),
]
_QUARTER_LAYOUT: list[tuple[str, Any]] = [
    ("quarter", "q_name"),
    ("from", "q_from"),
    ("to", "q_to"),
    ("beginning_capital_account", "q_begin"),
    ("contributions", "q_contributions"),
    ("distributions", "q_distributions"),
    ("fees", "q_fees"),
    ("carry", "q_carry"),
    ("gains", "q_gains"),
    ("ending_capital_account", "capital_account"),
]


def _figures(
    rows: list[Any], as_of: dt.date, quarter: tuple[str, dt.date, dt.date] | None
) -> dict[str, Sequence[Any]]:
    """Every figure of the statements of ``rows`` (of :func:`_statement_query`), a list
    per figure, money formatted a column at a time (:func:`columns.format_minor`)."""
    count = len(rows)
    table = list(zip(*rows, strict=True))
    details = dict(zip(_PARTNER, table[: len(_PARTNER)], strict=True))
    names = list(_FIGURES) + ([f"quarter_{n}" for n in _QUARTER] if quarter else [])
    sums = {
        name: np.array([0 if v is None else v for v in column], dtype=np.int64)
        for name, column in zip(names, table[len(_PARTNER) :], strict=True)
    }
    currency = np.array(details["currency"], dtype="<U3")
    digits = digits_of(currency)
    is_lp = np.array(details["role"], dtype=object) == "lp"
    commitment = np.array(details["commitment"], dtype=np.int64)
    called = -sums["contributions"]

    def text(values: IntArray) -> list[str]:
        return format_minor(values, digits)

    figures: dict[str, Sequence[Any]] = {
        "id": details["id"],
        "name": details["name"],
        "role": details["role"],
        "as_of": [as_of.isoformat()] * count,
        "currency": details["currency"],
        "commitment": text(commitment),
        "called": text(called),
        "contributed": text(called - sums["receivable"]),
        "receivable": text(sums["receivable"]),
        "equalization_receivable": text(sums["equalization_receivable"]),
        "unfunded": text(np.where(is_lp, np.maximum(commitment - called, 0), 0)),
        "distributed": text(sums["distributions"]),
        "repurchased": text(sums["repurchased"]),
        "fees": text(np.where(is_lp, sums["fees"], -sums["fees_payable"])),
        "carry": text(-sums["carry"]),
        "realized": text(-sums["realized"]),
        "unrealized": text(-sums["unrealized"]),
        "fund_expenses": text(-sums["expenses"]),
        "equalization_interest": text(-sums["equalization"]),
        "early_repurchase_deductions": text(-sums["deductions"]),
        "capital_account": text(-sums["capital"]),
        "capital_account_usd": format_minor(-sums["capital_value"], 2),
    }
    if quarter is not None:
        name, first, last = quarter
        begin = sums["quarter_capital"] - sums["capital"]  # before the quarter (negated)
        gains = sum((sums[f"quarter_{n}"] for n in _GAINS), np.zeros(count, np.int64))
        figures |= {
            "q_name": [name] * count,
            "q_from": [first.isoformat()] * count,
            "q_to": [last.isoformat()] * count,
            "q_begin": text(begin),
            "q_contributions": text(-sums["quarter_contributions"]),
            "q_distributions": text(sums["quarter_distributions"]),
            "q_fees": text(sums["quarter_fees"]),
            "q_carry": text(-sums["quarter_carry"]),
            "q_gains": text(-gains),
        }
    return figures


def _layout(quarter: bool) -> list[tuple[str, Any]]:
    return [*_LAYOUT, ("quarter", _QUARTER_LAYOUT)] if quarter else _LAYOUT


def _dicts(figures: dict[str, Sequence[Any]], quarter: bool) -> list[dict[str, Any]]:
    """The statements as dicts (the JSON of ``books statement``)."""

    def one(layout: list[tuple[str, Any]], k: int) -> dict[str, Any]:
        return {
            key: one(source, k) if isinstance(source, list) else figures[source][k]
            for key, source in layout
        }

    layout = _layout(quarter)
    return [one(layout, k) for k in range(len(figures["id"]))]


def _template(layout: list[tuple[str, Any]], order: list[str]) -> str:
    """A %-template of the statement's JSON; ``order`` gets the figures it shows."""
    parts = []
    for key, source in layout:
        if isinstance(source, list):
            parts.append(f'"{key}":{_template(source, order)}')
            continue
        order.append(source)
        # the name is JSON-encoded beforehand; every other figure is a plain word
        parts.append(f'"{key}":%s' if source == "name" else f'"{key}":"%s"')
    return "{" + ",".join(parts) + "}"


def _lines(figures: dict[str, Sequence[Any]], quarter: bool) -> list[str]:
    """The statements as JSON lines, rendered from a template (no dict per partner)."""
    order: list[str] = []
    template = _template(_layout(quarter), order)
    columns = [
        [json.dumps(n) for n in figures["name"]] if name == "name" else figures[name]
        for name in order
    ]
    return [template % row for row in zip(*columns, strict=True)]


def statement(
    connection: Connection, ctx: Context, partner: str, as_of: dt.date | None
) -> dict[str, Any]:
    """A partner's capital account statement as of ``as_of`` (default: the latest entry)."""
    return statements_of(connection, ctx, [partner], as_of)[0]


def statements_of(
    connection: Connection, ctx: Context, partners: Sequence[str], as_of: dt.date | None
) -> list[dict[str, Any]]:
    """The statements of a few partners (a page of the register), in order of admission,
    as :func:`statement` gives each."""
    for partner in partners:
        ctx.partners.position(partner)  # a clear error for an unknown partner
    if not partners:
        return []
    as_of = as_of or last_date(connection) or ctx.start
    rows = connection.execute(_few_query(), {"as_of": as_of, "partners": list(partners)}).all()
    return _dicts(_figures(list(rows), as_of, None), quarter=False)


def statements(
    connection: Connection, quarter: str, as_of: dt.date | None = None, *, lines: bool = False
) -> Iterator[Any]:
    """Every partner's statement for a calendar quarter (``2026Q2``), as of its last day
    (or ``as_of``), with the quarter's own figures, in order of admission: as dicts, or
    with ``lines`` as JSON lines (the same JSON). Read from one query, streamed in
    chunks, so memory stays flat however many partners there are."""
    from sovfund.books.ilpa import parse_quarter

    first, last = parse_quarter(quarter)
    day = as_of or last
    period = (quarter.strip().upper(), first, last)
    render = _lines if lines else _dicts
    for batch in stream(connection, _statement_query(first, few=False).params(as_of=day)):
        yield from render(_figures(batch, day, period), True)


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Capital account statement: {{ s.name or s.partner }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; color: #1d2733; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } p.sub { color: #5b6775; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
td, th { padding: .35rem .5rem; border-bottom: 1px solid #dde3ea; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #1d2733; }
@media print { body { margin: 0; } }
</style></head><body>
<h1>Capital account statement</h1>
<p class="sub">{{ fund }} · {{ s.name or s.partner }} ({{ s.partner }}, {{ s.role|upper }})
 · as of {{ s.as_of }} · {{ s.currency }}</p>
<table>
<tr><th colspan="2">Commitment</th></tr>
<tr><td>Total commitment</td><td class="n">{{ s.commitment }}</td></tr>
<tr><td>Capital called</td><td class="n">{{ s.called }}</td></tr>
<tr><td>of which received</td><td class="n">{{ s.contributed }}</td></tr>
<tr><td>of which receivable</td><td class="n">{{ s.receivable }}</td></tr>
<tr class="total"><td>Unfunded commitment</td><td class="n">{{ s.unfunded }}</td></tr>
</table>
<table>
<tr><th colspan="2">Capital account</th></tr>
<tr><td>Contributions called</td><td class="n">{{ s.called }}</td></tr>
<tr><td>Distributions{% if s.repurchased != '0.00' and s.repurchased != '0' %}
 (of which repurchases {{ s.repurchased }}){% endif %}</td>
<td class="n">-{{ s.distributed }}</td></tr>
<tr><td>Management fees{% if s.role == 'gp' %} (earned, owed by the fund){% endif %}</td>
<td class="n">{% if s.role == 'lp' %}-{% endif %}{{ s.fees }}</td></tr>
<tr><td>Carried interest</td><td class="n">{{ s.carry }}</td></tr>
<tr><td>Realized gains (project proceeds)</td><td class="n">{{ s.gains.realized }}</td></tr>
<tr><td>Unrealized gains (marks)</td><td class="n">{{ s.gains.unrealized }}</td></tr>
<tr><td>Fund expenses (interest on fund debt)</td>
<td class="n">{{ s.gains.fund_expenses }}</td></tr>
<tr><td>Equalization interest</td><td class="n">{{ s.gains.equalization_interest }}</td></tr>
<tr><td>Early repurchase deductions</td>
<td class="n">{{ s.gains.early_repurchase_deductions }}</td></tr>
<tr class="total"><td>Ending capital account</td><td class="n">{{ s.capital_account }}</td></tr>
</table>
</body></html>
"""


def render_statement_html(data: dict[str, Any], fund: str) -> str:
    """A statement (as :func:`statement` returns it) as a printable HTML page."""
    from jinja2 import Environment

    return Environment(autoescape=True).from_string(_HTML).render(s=data, fund=fund)


def statement_html(data: dict[str, Any], fund: str, path: Path) -> Path:
    """Write a statement (as :func:`statement` returns it) as a printable HTML page."""
    from sovfund.reports.files import write_bytes

    return write_bytes(path, render_statement_html(data, fund).encode("utf-8"))


def trial_balance(connection: Connection, as_of: dt.date | None) -> dict[str, Any]:
    """Debits and credits per account and currency; each currency's columns agree."""
    posting, entry = schema.posting, schema.entry
    as_of = as_of or last_date(connection)
    query = (
        select(
            posting.c.account,
            posting.c.currency,
            func.sum(func.abs(posting.c.amount) + posting.c.amount) / 2,
            func.sum(func.abs(posting.c.amount) - posting.c.amount) / 2,
        )
        .join(entry, entry.c.id == posting.c.entry_id)
        .group_by(posting.c.account, posting.c.currency)
        .order_by(posting.c.account, posting.c.currency)
    )
    if as_of is not None:
        query = query.where(entry.c.date <= as_of)
    rows: list[dict[str, Any]] = []
    totals: dict[str, list[int]] = {}
    for account, currency, debit, credit in connection.execute(query):
        debit, credit = int(debit), int(credit)
        total = totals.setdefault(currency, [0, 0])
        total[0] += debit
        total[1] += credit
        rows.append(
            {
                "account": account,
                "kind": ACCOUNTS[account][0],
                "currency": currency,
                "debit": str(from_minor(debit, currency)),
                "credit": str(from_minor(credit, currency)),
                "balance": str(from_minor(debit - credit, currency)),
            }
        )
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "accounts": rows,
        "totals": {
            c: {"debit": str(from_minor(d, c)), "credit": str(from_minor(k, c))}
            for c, (d, k) in sorted(totals.items())
        },
    }


def journal(connection: Connection, since: dt.date | None) -> dict[str, Any]:
    """Every entry (from ``since``) with its postings, in the order booked."""
    return {"entries": journal_page(connection, since)[0]}


def journal_page(
    connection: Connection,
    since: dt.date | None,
    *,
    after: int = 0,
    limit: int | None = None,
    postings: bool = True,
) -> tuple[list[dict[str, Any]], bool]:
    """The entries after entry ``after`` (and dated from ``since``), ``limit`` at most,
    in the order booked, each with its postings (None unless ``postings``); and whether
    more follow (the service pages the journal with it)."""
    entry, posting = schema.entry, schema.posting
    query = select(entry).where(entry.c.id > after).order_by(entry.c.id)
    if since is not None:
        query = query.where(entry.c.date >= since)
    if limit is not None:
        query = query.limit(limit + 1)
    entries = list(connection.execute(query))
    more = limit is not None and len(entries) > limit
    entries = entries[:limit]
    lines: dict[int, list[dict[str, Any]]] = {e.id: [] for e in entries}
    if entries and postings:
        found = connection.execute(
            select(posting)
            .where(posting.c.entry_id.between(entries[0].id, entries[-1].id))
            .order_by(posting.c.entry_id, posting.c.id)
        )
        for p in found:
            if p.entry_id in lines:
                lines[p.entry_id].append(
                    {
                        "account": p.account,
                        "partner": p.partner_id,
                        "project": p.project_id,
                        "ref": p.ref,
                        "currency": p.currency,
                        "amount": str(from_minor(p.amount, p.currency)),
                        "value": str(from_minor(p.value, "USD")),
                    }
                )
    rows = [
        {
            "entry": e.id,
            "kind": e.kind,
            "date": e.date.isoformat(),
            "memo": e.memo,
            "key": e.key,
            "reverses": e.reverses,
            "details": json.loads(e.details),
            "postings": lines[e.id] if postings else None,
        }
        for e in entries
    ]
    return rows, more


def nav_by_partner(connection: Connection, ctx: Context, as_of: dt.date | None) -> dict[str, str]:
    """Each partner's capital account in the fund's currency (its share of NAV)."""
    from sovfund.books.partners import balances

    _, values = balances(connection, ctx.partners, CAPITAL, as_of=as_of)
    return {
        ctx.partners.ids[i]: str(from_minor(int(-values[i]), "USD")) for i in np.flatnonzero(values)
    }
