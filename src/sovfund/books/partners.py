"""Partners: the term sheet's parties, LPs added from CSV, and balances read per partner.

A partners CSV has the header ``id,name,class,country,currency,commitment[,closing]``.
Every row is checked before anything is added; one bad row and nobody is added, with
each problem listed (line, column, what was found, what was expected). A commitment
is in the partner's currency (yen for JPY partners); ``closing`` defaults to the
fund's start (the first closing).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select

from sovfund.books import schema
from sovfund.books.money import CURRENCIES, IntArray, parse_amount
from sovfund.books.store import bulk_insert
from sovfund.errors import BooksError, PartnersError, Problem
from sovfund.terms.models import Party, Terms

__all__ = [
    "PartnerRow",
    "PartnerTable",
    "balances",
    "load_partners",
    "parse_partners_csv",
    "party_rows",
]

ID = re.compile(r"^[a-z][a-z0-9_]*$")
CLASSES = ("sovereign", "institutional", "retail")
HEADER = ("id", "name", "class", "country", "currency", "commitment")


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """One partner as stored: commitment in minor units of its currency."""

    id: str
    name: str | None
    role: str
    investor_class: str | None
    country: str | None
    currency: str
    commitment: int
    carry_share: float | None
    closing: dt.date
    source: str


@dataclass(frozen=True, slots=True, eq=False)
class PartnerTable:
    """Every partner, in order of admission, column by column."""

    ids: tuple[str, ...]
    role: NDArray[np.str_]
    is_lp: NDArray[np.bool_]
    investor_class: tuple[str | None, ...]
    currency: NDArray[np.str_]
    commitment: IntArray
    carry_share: NDArray[np.float64]  # NaN where not given
    closing: NDArray[np.datetime64]
    source: tuple[str, ...]
    names: tuple[str | None, ...]
    countries: tuple[str | None, ...]

    def index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.ids)}

    def admitted(self, date: dt.date) -> NDArray[np.bool_]:
        return self.closing <= np.datetime64(date)

    def position(self, partner: str) -> int:
        try:
            return self.ids.index(partner)
        except ValueError:
            raise BooksError(f"no partner {partner!r} in these books") from None


def load_partners(connection: Connection) -> PartnerTable:
    rows = connection.execute(select(schema.partner).order_by(schema.partner.c.number)).all()
    return PartnerTable(
        ids=tuple(r.id for r in rows),
        role=np.array([r.role for r in rows], dtype="<U2"),
        is_lp=np.array([r.role == "lp" for r in rows], dtype=np.bool_),
        investor_class=tuple(r.investor_class for r in rows),
        currency=np.array([r.currency for r in rows], dtype="<U3"),
        commitment=np.array([r.commitment for r in rows], dtype=np.int64),
        carry_share=np.array(
            [np.nan if r.carry_share is None else r.carry_share for r in rows], dtype=np.float64
        ),
        closing=np.array([r.closing for r in rows], dtype="datetime64[D]"),
        source=tuple(r.source for r in rows),
        names=tuple(r.name for r in rows),
        countries=tuple(r.country for r in rows),
    )


def balances(
    connection: Connection,
    partners: PartnerTable,
    accounts: Sequence[str],
    *,
    as_of: dt.date | None = None,
    ref: int | None = None,
    project: str | None = None,
    entry: int | None = None,
) -> tuple[IntArray, IntArray]:
    """Sum of postings per partner (in its currency, and in the fund's), shape (partners,)."""
    posting, entries = schema.posting, schema.entry
    query = (
        select(posting.c.partner_id, func.sum(posting.c.amount), func.sum(posting.c.value))
        .where(posting.c.account.in_(accounts), posting.c.partner_id.is_not(None))
        .group_by(posting.c.partner_id)
    )
    if as_of is not None:
        query = query.join(entries, entries.c.id == posting.c.entry_id).where(
            entries.c.date <= as_of
        )
    if entry is not None:
        query = query.where(posting.c.entry_id == entry)
    if ref is not None:
        query = query.where(posting.c.ref == ref)
    if project is not None:
        query = query.where(posting.c.project_id == project)
    index = partners.index()
    units = np.zeros(len(partners.ids), dtype=np.int64)
    values = np.zeros(len(partners.ids), dtype=np.int64)
    for partner_id, amount, value in connection.execute(query):
        units[index[partner_id]] = amount
        values[index[partner_id]] = value
    return units, values


def party_rows(terms: Terms) -> list[PartnerRow]:
    """The term sheet's parties as partners (USD unless the party says otherwise)."""
    return [_party_row(p, terms.fund.start) for p in terms.parties]


def _party_row(party: Party, start: dt.date) -> PartnerRow:
    currency = party.currency
    commitment = Decimal(repr(party.commitment or 0.0))
    digits = CURRENCIES[currency]
    return PartnerRow(
        id=party.id,
        name=party.name,
        role=party.role,
        investor_class=party.investor_class,
        country=party.country,
        currency=currency,
        commitment=int(commitment.scaleb(digits).to_integral_value()),
        carry_share=party.carry_share,
        closing=start,
        source="terms",
    )


def parse_partners_csv(
    text: str, *, name: str, start: dt.date, existing: set[str]
) -> list[PartnerRow]:
    """Validate a partners CSV; every problem at once, as a :class:`PartnersError`."""
    reader = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(reader, [])]
    problems: list[Problem] = []
    missing = [c for c in HEADER if c not in header]
    unknown = [c for c in header if c not in (*HEADER, "closing")]
    if missing or unknown:
        found = ",".join(header) or "(empty)"
        raise PartnersError(
            [
                Problem(
                    name,
                    "line 1",
                    f"header {found}",
                    "id,name,class,country,currency,commitment[,closing]",
                )
            ]
        )
    rows: list[PartnerRow] = []
    seen: set[str] = set()
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(name, f"line {line}", f"{len(cells)} fields", f"{len(header)}"))
            continue
        row = {c: v.strip() for c, v in zip(header, cells, strict=True)}
        before = len(problems)

        def problem(column: str, found: str, expected: str, line: int = line) -> None:
            problems.append(Problem(name, f"line {line}, {column}", found, expected))

        partner_id = row["id"]
        if not ID.match(partner_id) or len(partner_id) > 40:
            problem("id", repr(partner_id), "a lowercase word (a-z, 0-9, _), at most 40 long")
        elif partner_id in existing:
            problem("id", repr(partner_id), "a new id: this partner is already in the books")
        elif partner_id in seen:
            problem("id", repr(partner_id), "an id used once in the file")
        seen.add(partner_id)
        if row["class"] not in CLASSES:
            problem("class", repr(row["class"]), "sovereign, institutional or retail")
        if not re.fullmatch(r"[A-Z]{2}", row["country"]):
            problem("country", repr(row["country"]), "a two-letter country code (US, JP)")
        currency = row["currency"].upper()
        if currency not in CURRENCIES:
            problem("currency", repr(row["currency"]), "USD or JPY")
        commitment = 0
        if currency in CURRENCIES:
            try:
                commitment = parse_amount(row["commitment"], currency, what="commitment")
            except BooksError as error:
                problem("commitment", repr(row["commitment"]), f"a positive amount ({error})")
        closing = start
        if row.get("closing"):
            try:
                closing = dt.date.fromisoformat(row["closing"])
                if closing < start:
                    problem(
                        "closing", row["closing"], f"a date on or after the fund's start {start}"
                    )
            except ValueError:
                problem("closing", repr(row["closing"]), "a date written YYYY-MM-DD")
        if len(problems) == before:
            rows.append(
                PartnerRow(
                    id=partner_id,
                    name=row["name"] or None,
                    role="lp",
                    investor_class=row["class"],
                    country=row["country"],
                    currency=currency,
                    commitment=commitment,
                    carry_share=None,
                    closing=closing,
                    source="csv",
                )
            )
    if not rows and not problems:
        problems.append(Problem(name, "line 2", "no rows", "at least one partner"))
    if problems:
        raise PartnersError(problems)
    return rows


def read_partners_csv(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BooksError(
            f"{path}: cannot read it ({error}); expected a readable CSV file"
        ) from None


def insert_partners(connection: Connection, rows: Sequence[PartnerRow]) -> None:
    latest = connection.execute(select(func.coalesce(func.max(schema.partner.c.number), 0)))
    first = int(latest.scalar_one()) + 1
    columns = (
        "id", "number", "name", "role", "investor_class", "country", "currency",
        "commitment", "carry_share", "closing", "source",
    )  # fmt: skip
    bulk_insert(
        connection,
        "partner",
        columns,
        [
            (
                r.id,
                first + i,
                r.name,
                r.role,
                r.investor_class,
                r.country,
                r.currency,
                r.commitment,
                r.carry_share,
                r.closing,
                r.source,
            )
            for i, r in enumerate(rows)
        ],
    )
