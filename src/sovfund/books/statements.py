"""Capital account statements, the trial balance and the journal, read from the postings.

A partner's statement is in the partner's currency (yen for JPY partners):

- ``commitment``; ``called`` (contributions called); ``contributed`` (paid in);
  ``receivable`` (called, not yet paid); ``unfunded`` (commitment less called);
- ``distributed`` (net of any clawback); ``fees`` (management fees billed to an LP,
  earned by a GP); ``carry`` (credited to a GP, charged to an LP: negative);
- ``gains``: realized (project proceeds), unrealized (marks), fund expenses (interest,
  negative), equalization interest (received by earlier partners, paid by later ones);
- ``capital_account``: the balance of the partner's capital accounts, i.e.
  called - distributed - fees + carry + gains (a GP's fees are owed to it by the fund,
  outside its capital account).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

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
    REALIZED,
    RECEIVABLE,
    UNREALIZED,
)
from sovfund.books.context import Context
from sovfund.books.ledger import last_date
from sovfund.books.money import from_minor

__all__ = [
    "journal",
    "render_statement_html",
    "statement",
    "statement_html",
    "trial_balance",
]


def _sums(connection: Connection, partner: str, as_of: dt.date) -> dict[str, tuple[int, int]]:
    posting, entry = schema.posting, schema.entry
    query = (
        select(posting.c.account, func.sum(posting.c.amount), func.sum(posting.c.value))
        .join(entry, entry.c.id == posting.c.entry_id)
        .where(posting.c.partner_id == partner, entry.c.date <= as_of)
        .where(posting.c.account != "fx_trading")
        .group_by(posting.c.account)
    )
    return {a: (int(m), int(v)) for a, m, v in connection.execute(query)}


def statement(
    connection: Connection, ctx: Context, partner: str, as_of: dt.date | None
) -> dict[str, Any]:
    partners = ctx.partners
    i = partners.position(partner)
    as_of = as_of or last_date(connection) or ctx.start
    currency = str(partners.currency[i])
    sums = _sums(connection, partner, as_of)

    def units(account: str) -> int:
        return sums.get(account, (0, 0))[0]

    called = -units(CONTRIBUTIONS)
    receivable = units(RECEIVABLE)
    is_lp = partners.role[i] == "lp"
    fees = units(FEES) if is_lp else -units(FEES_PAYABLE)
    capital = -sum(units(a) for a in CAPITAL)
    capital_value = -sum(sums.get(a, (0, 0))[1] for a in CAPITAL)
    commitment = int(partners.commitment[i])

    def money(amount: int) -> str:
        return str(from_minor(amount, currency))

    return {
        "partner": partner,
        "name": partners.names[i],
        "role": str(partners.role[i]),
        "as_of": as_of.isoformat(),
        "currency": currency,
        "commitment": money(commitment),
        "called": money(called),
        "contributed": money(called - receivable),
        "receivable": money(receivable),
        "equalization_receivable": money(units(EQUALIZATION_RECEIVABLE)),
        "unfunded": money(max(commitment - called, 0) if is_lp else 0),
        "distributed": money(units(DISTRIBUTIONS)),
        "fees": money(fees),
        "carry": money(-units(CARRY)),
        "gains": {
            "realized": money(-units(REALIZED)),
            "unrealized": money(-units(UNREALIZED)),
            "fund_expenses": money(-units(EXPENSES)),
            "equalization_interest": money(-units(EQUALIZATION)),
        },
        "capital_account": money(capital),
        "capital_account_usd": str(from_minor(capital_value, "USD")),
    }


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
<tr><td>Distributions</td><td class="n">-{{ s.distributed }}</td></tr>
<tr><td>Management fees{% if s.role == 'gp' %} (earned, owed by the fund){% endif %}</td>
<td class="n">{% if s.role == 'lp' %}-{% endif %}{{ s.fees }}</td></tr>
<tr><td>Carried interest</td><td class="n">{{ s.carry }}</td></tr>
<tr><td>Realized gains (project proceeds)</td><td class="n">{{ s.gains.realized }}</td></tr>
<tr><td>Unrealized gains (marks)</td><td class="n">{{ s.gains.unrealized }}</td></tr>
<tr><td>Fund expenses (interest on fund debt)</td>
<td class="n">{{ s.gains.fund_expenses }}</td></tr>
<tr><td>Equalization interest</td><td class="n">{{ s.gains.equalization_interest }}</td></tr>
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
    entry, posting = schema.entry, schema.posting
    query = select(entry).order_by(entry.c.id)
    if since is not None:
        query = query.where(entry.c.date >= since)
    entries = list(connection.execute(query))
    lines: dict[int, list[dict[str, Any]]] = {e.id: [] for e in entries}
    if entries:
        postings = connection.execute(
            select(posting)
            .where(posting.c.entry_id >= entries[0].id)
            .order_by(posting.c.entry_id, posting.c.id)
        )
        for p in postings:
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
    return {
        "entries": [
            {
                "entry": e.id,
                "kind": e.kind,
                "date": e.date.isoformat(),
                "memo": e.memo,
                "key": e.key,
                "reverses": e.reverses,
                "details": json.loads(e.details),
                "postings": lines[e.id],
            }
            for e in entries
        ]
    }


def nav_by_partner(connection: Connection, ctx: Context, as_of: dt.date | None) -> dict[str, str]:
    """Each partner's capital account in the fund's currency (its share of NAV)."""
    from sovfund.books.partners import balances

    _, values = balances(connection, ctx.partners, CAPITAL, as_of=as_of)
    return {
        ctx.partners.ids[i]: str(from_minor(int(-values[i]), "USD")) for i in np.flatnonzero(values)
    }
