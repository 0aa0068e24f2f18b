"""What the service reads from the books, fast enough for a fund of a million partners.

Reads share a pool of connections (``read_engine``); writes open their own, as the
books always do. Every book command loads the fund's context (its term sheet and every
partner: about 2 s for 100,000 partners). A read does not need to: :class:`Reader`
keeps the context and reloads it only when partners were added (partners are never
removed, so the highest admission number says whether the table changed; one indexed
lookup). Reads by partner go entry by entry through the postings' ``posting_by_entry``
index (entry, partner).
Writes go through :class:`~sovfund.books.Books`, with the user's name for the audit
log.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from typing import Any

import anyio
from sqlalchemy import Connection, Engine, func, select

from sovfund.books import Books, schema
from sovfund.books import open as open_books
from sovfund.books.accounts import (
    CAPITAL,
    CARRY,
    CONTRIBUTIONS,
    DISTRIBUTIONS,
    RECEIVABLE,
)
from sovfund.books.context import Context, load_context
from sovfund.books.ledger import last_date
from sovfund.books.money import from_minor
from sovfund.books.statements import journal_page, of_partners, statement, statements_of
from sovfund.books.store import reading

__all__ = ["NOTICE_KINDS", "Reader", "prepare_books"]

READ_THREADS = 4
NOTICE_KINDS = ("call", "equalization", "distribution")
"""Entries an LP gets a notice of: capital calls (a later closing's catch-up call
too) and distributions."""


def prepare_books(books: str) -> None:
    """Check that ``books`` hold books and bring their schema to the newest revision
    (books made before the service get its tables): as :func:`sovfund.books.open` does."""
    open_books(books).close()


class Reader:
    """Reads of the books for the service, sharing one cached context."""

    def __init__(self, engine: Engine, read_engine: Engine | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self._context: tuple[int, Context, dict[str, int]] | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    def limiter(self) -> anyio.CapacityLimiter:
        """Threads the hot reads may use at once: a few, not the server's forty (more
        threads queue on the GIL and each read takes longer)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(READ_THREADS)
        return self._limiter

    def books(self, user: str) -> Books:
        """The books, writing as ``user`` (its name goes into the audit log)."""
        return Books(self.engine, user=user)

    # ---- the context ----------------------------------------------------------------

    def _cached(self, connection: Connection) -> tuple[Context, dict[str, int]]:
        version = int(connection.execute(select(func.max(schema.partner.c.number))).scalar() or 0)
        with self._lock:
            cached = self._context
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        with self._loading:  # one thread loads it; the others wait for it
            with self._lock:
                cached = self._context
            if cached is not None and cached[0] == version:
                return cached[1], cached[2]
            return self._load(connection, version)

    def _load(self, connection: Connection, version: int) -> tuple[Context, dict[str, int]]:
        context = load_context(connection)
        index = context.partners.index()  # built once, kept by the table
        with self._lock:
            self._context = (version, context, index)
        return context, index

    def context(self) -> Context:
        with reading(self.read_engine) as connection:
            return self._cached(connection)[0]

    def has_partner(self, partner: str) -> bool:
        with reading(self.read_engine) as connection:
            return partner in self._cached(connection)[1]

    # ---- one partner ---------------------------------------------------------------------

    def statement(self, partner: str, as_of: dt.date | None) -> dict[str, Any] | None:
        """The partner's statement (None if there is no such partner)."""
        with reading(self.read_engine) as connection:
            context, index = self._cached(connection)
            if partner not in index:
                return None
            return statement(connection, context, partner, as_of)

    def partner(self, partner: str) -> dict[str, Any] | None:
        with reading(self.read_engine) as connection:
            context, index = self._cached(connection)
            if partner not in index:
                return None
            return _partner_row(context, index[partner])

    def statement_dates(self, partner: str) -> list[str]:
        """The quarter ends a statement can be drawn up at: from the partner's first
        posting to the latest entry, and the latest entry's date itself."""
        posting, entry = schema.posting, schema.entry
        with reading(self.read_engine) as connection:
            first = connection.execute(
                select(func.min(entry.c.date))
                .join(posting, posting.c.entry_id == entry.c.id)
                .where(of_partners([partner]))
            ).scalar()
            last = last_date(connection)
        if first is None or last is None:
            return []
        dates = [d.isoformat() for d in _quarter_ends(first, last)]
        if last.isoformat() not in dates:
            dates.append(last.isoformat())
        return sorted(dates, reverse=True)

    def notices(self, partner: str, entry_id: int | None = None) -> list[dict[str, Any]]:
        """The partner's notices (calls and distributions), newest first; one if
        ``entry_id`` is given (none if that entry is not a notice of the partner's)."""
        posting, entry = schema.posting, schema.entry
        query = (
            select(
                entry.c.id,
                entry.c.kind,
                entry.c.date,
                entry.c.memo,
                entry.c.details,
                posting.c.account,
                posting.c.currency,
                func.sum(posting.c.amount),
            )
            .join(entry, entry.c.id == posting.c.entry_id)
            .where(of_partners([partner], entry.c.kind.in_(NOTICE_KINDS)))
            .where(entry.c.kind.in_(NOTICE_KINDS))
            .where(posting.c.account.in_((RECEIVABLE, CONTRIBUTIONS, DISTRIBUTIONS, CARRY)))
            .group_by(
                entry.c.id,
                entry.c.kind,
                entry.c.date,
                entry.c.memo,
                entry.c.details,
                posting.c.account,
                posting.c.currency,
            )
            .order_by(entry.c.id.desc())
        )
        if entry_id is not None:
            query = query.where(entry.c.id == entry_id)
        with reading(self.read_engine) as connection:
            rows = connection.execute(query).all()
        return _notices(partner, rows)

    # ---- the fund -----------------------------------------------------------------------

    def register(self, *, offset: int, limit: int) -> dict[str, Any]:
        """A page of the partners' register, in order of admission, with what each
        has been called and distributed (the figures of its statement)."""
        with reading(self.read_engine) as connection:
            context, _ = self._cached(connection)
            total = len(context.partners.ids)
            rows = [_partner_row(context, i) for i in range(offset, min(offset + limit, total))]
            figures = statements_of(connection, context, [r["partner"] for r in rows], None)
        for row, figure in zip(rows, figures, strict=True):
            row |= {k: figure[k] for k in ("called", "unfunded", "distributed")}
        return {"total": total, "offset": offset, "limit": limit, "partners": rows}

    def fund(self) -> dict[str, Any]:
        """Fund-level figures (no partner's data): commitments, cash, investments,
        debt and net assets, in the fund's currency."""
        posting = schema.posting
        with reading(self.read_engine) as connection:
            context, _ = self._cached(connection)
            values = dict(
                connection.execute(
                    select(posting.c.account, func.sum(posting.c.value)).group_by(posting.c.account)
                ).all()
            )
            entries = int(connection.execute(select(func.count(schema.entry.c.id))).scalar() or 0)
            as_of = last_date(connection)
        partners = context.partners
        committed: dict[str, int] = {}
        for currency, commitment, is_lp in zip(
            partners.currency, partners.commitment, partners.is_lp, strict=True
        ):
            if is_lp:
                committed[str(currency)] = committed.get(str(currency), 0) + int(commitment)

        def usd(account: str, sign: int = 1) -> str:
            return str(from_minor(sign * int(values.get(account, 0) or 0), "USD"))

        capital = sum(int(values.get(a, 0) or 0) for a in values if a in CAPITAL)
        return {
            "name": context.terms.fund.name,
            "currency": context.terms.fund.currency,
            "start": context.start.isoformat(),
            "as_of": as_of.isoformat() if as_of else None,
            "entries": entries,
            "partners": {"lps": int(partners.is_lp.sum()), "gps": int((~partners.is_lp).sum())},
            "committed": {c: str(from_minor(v, c)) for c, v in sorted(committed.items())},
            "cash": usd("cash"),
            "calls_receivable": usd("calls_receivable"),
            "investments_at_cost": usd("investments"),
            "valuation_above_cost": usd("valuation"),
            "debt": usd("debt", -1),
            "fees_payable": usd("fees_payable", -1),
            "net_assets": str(from_minor(-capital, "USD")),
        }

    def journal(
        self, *, since: dt.date | None, after: int, limit: int, postings: bool
    ) -> dict[str, Any]:
        """Entries after entry ``after`` (and dated from ``since``), ``limit`` at most,
        with their postings unless ``postings`` is False; ``next`` is where the next
        page starts (None on the last)."""
        with reading(self.read_engine) as connection:
            rows, more = journal_page(
                connection, since, after=after, limit=limit, postings=postings
            )
        return {"entries": rows, "next": rows[-1]["entry"] if more and rows else None}

    def audit(self, *, after: int, limit: int) -> dict[str, Any]:
        """The service's audit log: every write asked of it, with its user."""
        table = schema.service_audit
        with reading(self.read_engine) as connection:
            rows = connection.execute(
                select(table).where(table.c.id > after).order_by(table.c.id).limit(limit + 1)
            ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "records": [
                {
                    "id": r.id,
                    "at": r.at,
                    "user": r.user,
                    "role": r.role,
                    "method": r.method,
                    "path": r.path,
                    "key": r.key,
                    "status": r.status,
                }
                for r in rows
            ],
            "next": rows[-1].id if more and rows else None,
        }


def _partner_row(context: Context, i: int) -> dict[str, Any]:
    partners = context.partners
    currency = str(partners.currency[i])
    commitment = int(partners.commitment[i])
    return {
        "partner": partners.ids[i],
        "name": partners.names[i],
        "role": str(partners.role[i]),
        "class": partners.investor_class[i],
        "country": partners.countries[i],
        "currency": currency,
        "commitment": str(from_minor(commitment, currency)),
        "closing": str(partners.closing[i]),
    }


def _quarter_ends(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    year, quarter = first.year, (first.month - 1) // 3 + 1
    while True:
        month = quarter * 3
        end = dt.date(year, month, 30 if month in (6, 9) else 31)
        if end > last:
            return
        yield end
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def _notices(partner: str, rows: Iterable[Any]) -> list[dict[str, Any]]:
    notices: dict[int, dict[str, Any]] = {}
    for entry_id, kind, date, memo, details, account, currency, amount in rows:
        notice = notices.get(entry_id)
        if notice is None:
            data = json.loads(details)
            notice = notices[entry_id] = {
                "entry": entry_id,
                "kind": "distribution" if kind == "distribution" else "call",
                "date": date.isoformat(),
                "partner": partner,
                "currency": currency,
                "fund_amount": data.get("amount"),
                "due": data.get("due"),
                "purpose": data.get("purpose") or memo,
                "_units": {},
            }
        if account != "fx_trading":
            notice["currency"] = currency
        notice["_units"][account] = notice["_units"].get(account, 0) + int(amount)
    out = []
    for notice in notices.values():
        units, currency = notice.pop("_units"), notice["currency"]
        if notice["kind"] == "call":
            called = units.get(RECEIVABLE, 0) or -units.get(CONTRIBUTIONS, 0)
            notice["amount"] = str(from_minor(called, currency))
            notice["carry"] = None
        else:
            notice["amount"] = str(from_minor(units.get(DISTRIBUTIONS, 0), currency))
            notice["carry"] = str(from_minor(-units.get(CARRY, 0), currency))
        out.append(notice)
    return out
