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
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Integer, case, cast, func, literal_column, select

from sovfund.books import schema
from sovfund.books.money import CURRENCIES, IntArray, parse_amount
from sovfund.books.store import bulk_insert, keep_statistics, read_columns, read_ints
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
    numbers: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """``partner.number`` of each (order of admission); empty: 1, 2, 3..."""
    _lookup: dict[str, int] | None = field(default=None, repr=False)

    def index(self) -> dict[str, int]:
        """Each partner's position (built once, on first use)."""
        if self._lookup is None:
            object.__setattr__(self, "_lookup", {p: i for i, p in enumerate(self.ids)})
        assert self._lookup is not None
        return self._lookup

    def admitted(self, date: dt.date) -> NDArray[np.bool_]:
        return self.closing <= np.datetime64(date)

    def position(self, partner: str) -> int:
        found = self.index().get(partner)
        if found is None:
            raise BooksError(f"no partner {partner!r} in these books")
        return found

    def positions(self, numbers: IntArray) -> IntArray:
        """The positions of the partners with these ``partner.number``s."""
        known = self.numbers if len(self.numbers) else np.arange(1, len(self.ids) + 1)
        return np.searchsorted(known, np.asarray(numbers, dtype=np.int64)).astype(np.int64)

    def of_class(self, investor_class: str) -> NDArray[np.bool_]:
        """The LPs of an investor class."""
        classes = np.array(self.investor_class, dtype=object)
        return self.is_lp & (classes == investor_class)


CODES = {"role": ("lp", "gp"), "currency": tuple(CURRENCIES), "source": ("terms", "csv")}


def _coded(column: Any, values: tuple[str, ...]) -> Any:
    """A text column as the index of its value in ``values`` (-1 for any other)."""
    return case(*((column == v, k) for k, v in enumerate(values)), else_=-1)


def load_partners(connection: Connection) -> PartnerTable:
    """The partner table, read column by column (:func:`store.read_columns`): numbers,
    commitments, dates and the few-valued columns as integers, ids and names as text."""
    table = schema.partner
    classes = (*CLASSES, None)
    start = dt.date(1970, 1, 1)
    days = (
        table.c.closing - literal_column("DATE '1970-01-01'")
        if connection.dialect.name == "postgresql"
        else cast(func.julianday(table.c.closing) - 2440587.5, Integer)
    )
    (numbers, commitment, closing, role, currency, source, klass, carry, ids, names, countries) = (
        read_columns(
            connection,
            select(
                table.c.number,
                table.c.commitment,
                days,
                _coded(table.c.role, CODES["role"]),
                _coded(table.c.currency, CODES["currency"]),
                _coded(table.c.source, CODES["source"]),
                _coded(table.c.investor_class, CLASSES),
                table.c.carry_share,
                table.c.id,
                table.c.name,
                table.c.country,
            ),
        )
    )
    number = np.array(numbers, dtype=np.int64)
    order = np.argsort(number, kind="stable")
    ordered = order.tolist()

    def pick(values: list[Any]) -> list[Any]:
        return [values[k] for k in ordered]

    def decode(codes: list[Any], values: tuple[Any, ...]) -> NDArray[Any]:
        return np.array(values, dtype=object)[np.array(codes, dtype=np.int64)[order]]

    roles = decode(role, CODES["role"]).astype("<U2")
    return PartnerTable(
        ids=tuple(pick(ids)),
        role=roles,
        is_lp=roles == "lp",
        investor_class=tuple(decode(klass, classes).tolist()),
        currency=decode(currency, CODES["currency"]).astype("<U3"),
        commitment=np.array(commitment, dtype=np.int64)[order],
        carry_share=np.array([np.nan if c is None else c for c in carry], dtype=np.float64)[order],
        closing=np.datetime64(start)
        + np.array(closing, dtype=np.int64)[order].astype("timedelta64[D]"),
        source=tuple(decode(source, CODES["source"]).tolist()),
        names=tuple(pick(names)),
        countries=tuple(pick(countries)),
        numbers=number[order],
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
    kinds: Sequence[str] | None = None,
) -> tuple[IntArray, IntArray]:
    """Sum of postings per partner (in its currency, and in the fund's), shape (partners,).

    Summed in the database, read back as integer columns (:func:`store.read_ints`)."""
    posting, entries = schema.posting, schema.entry
    sums = (
        select(
            posting.c.partner_id,
            func.sum(posting.c.amount).label("amount"),
            func.sum(posting.c.value).label("value"),
        )
        .where(posting.c.account.in_(accounts), posting.c.partner_id.is_not(None))
        .group_by(posting.c.partner_id)
    )
    if as_of is not None or kinds is not None:
        sums = sums.join(entries, entries.c.id == posting.c.entry_id)
    if as_of is not None:
        sums = sums.where(entries.c.date <= as_of)
    if kinds is not None:
        sums = sums.where(entries.c.kind.in_(kinds))
    if entry is not None:
        sums = sums.where(posting.c.entry_id == entry)
    if ref is not None:
        sums = sums.where(posting.c.ref == ref)
    if project is not None:
        sums = sums.where(posting.c.project_id == project)
    part = sums.subquery()
    query = (
        select(schema.partner.c.number, part.c.amount, part.c.value)
        .join(part, part.c.partner_id == schema.partner.c.id)
        .order_by(schema.partner.c.number)
    )
    numbers, amount, value = read_ints(connection, query, 3)
    units = np.zeros(len(partners.ids), dtype=np.int64)
    values = np.zeros(len(partners.ids), dtype=np.int64)
    at = partners.positions(numbers)
    units[at] = amount
    values[at] = value
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
    keep_statistics(connection, "partner", len(rows))
