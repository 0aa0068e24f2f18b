"""Posting entries: balanced, dated in order, once per idempotency key, audited.

Every command that books goes through :func:`run_command`: one transaction holding
the write lock (:func:`sovfund.books.store.writing`); a key already used returns the
first result (the same request) or raises :class:`KeyReusedError` (another request);
the command's entries, its key and an audit record commit together or not at all.
:func:`book` writes one entry: its postings first, then the header that seals them
(the database refuses the header unless the postings balance in each currency).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, Engine, func, insert, select, text

from sovfund.books import columns, schema
from sovfund.books.accounts import FX_TRADING
from sovfund.books.money import IntArray
from sovfund.books.partners import PartnerTable
from sovfund.books.store import bulk_insert, keep_statistics, stage, unstage, writing
from sovfund.errors import BooksError, KeyReusedError

__all__ = [
    "Block",
    "Postings",
    "book",
    "fund_start",
    "insert_postings",
    "last_date",
    "next_entry_id",
    "run_command",
]

R = TypeVar("R")


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """One posting per partner to one account: the partners' positions in the
    partner table and their amounts (``units`` in the posting's currency, ``values``
    in the fund's), as arrays. ``currency`` None: each partner's own."""

    account: str
    table: PartnerTable
    positions: IntArray
    units: IntArray
    values: IntArray
    currency: str | None = None
    project: str | None = None
    ref: int | None = None

    def currencies(self) -> NDArray[np.str_]:
        if self.currency is not None:
            return np.full(len(self.positions), self.currency, dtype="<U3")
        return self.table.currency[self.positions]


@dataclass
class Postings:
    """The postings of one entry: a few of the fund's own, listed (``add``), and blocks
    of one posting per partner held as arrays (``partners``): no object per posting."""

    account: list[str] = field(default_factory=list)
    partner: list[str | None] = field(default_factory=list)
    project: list[str | None] = field(default_factory=list)
    ref: list[int | None] = field(default_factory=list)
    currency: list[str] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    value: list[int] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def add(
        self,
        account: str,
        amount: int,
        *,
        currency: str = "USD",
        value: int | None = None,
        partner: str | None = None,
        project: str | None = None,
        ref: int | None = None,
    ) -> None:
        """One posting (skipped when it moves nothing)."""
        value = amount if value is None else value
        if amount == 0 and value == 0:
            return
        self.account.append(account)
        self.partner.append(partner)
        self.project.append(project)
        self.ref.append(ref)
        self.currency.append(currency)
        self.amount.append(int(amount))
        self.value.append(int(value))

    def partners(
        self,
        account: str,
        table: PartnerTable,
        units: IntArray,
        values: IntArray,
        *,
        trade: bool,
        project: str | None = None,
        ref: int | None = None,
        currency: str | None = None,
    ) -> None:
        """One posting per partner of ``table`` that moves something, in its own
        currency (``units``; ``values`` in the fund's currency; ``currency`` to post
        all of them in one). With ``trade``, a yen partner's posting is met in the FX
        trading account in yen, and the trading account takes the dollars, so the
        fund's side of the entry is all in dollars."""
        units = np.asarray(units, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        keep = np.flatnonzero((units != 0) | (values != 0))
        if not len(keep):
            return
        self.blocks.append(
            Block(account, table, keep, units[keep], values[keep], currency, project, ref)
        )
        if trade and currency is None:
            yen = keep[table.currency[keep] != "USD"]
            if len(yen):
                self.blocks.append(Block(FX_TRADING, table, yen, -units[yen], -values[yen]))
                self.blocks.append(
                    Block(FX_TRADING, table, yen, values[yen], values[yen], currency="USD")
                )

    def __len__(self) -> int:
        return len(self.amount) + sum(len(b.positions) for b in self.blocks)

    def totals(self) -> tuple[dict[str, int], int]:
        """The sum of the postings per currency, and of their values."""
        totals: dict[str, int] = {}
        for currency, amount in zip(self.currency, self.amount, strict=True):
            totals[currency] = totals.get(currency, 0) + amount
        value = sum(self.value)
        for block in self.blocks:
            currencies = block.currencies()
            for currency in np.unique(currencies):
                part = block.units[currencies == currency]
                totals[str(currency)] = totals.get(str(currency), 0) + int(part.sum())
            value += int(block.values.sum())
        return totals, value

    def check_balanced(self) -> None:
        """Raise unless the postings sum to zero per currency and in value (a bug
        if it ever fires: the database would refuse them too)."""
        totals, value = self.totals()
        if any(totals.values()) or value != 0 or len(self) < 2:
            raise AssertionError(f"unbalanced postings: {totals}, value {value}")


_BLOCK_INSERT = text(
    "INSERT INTO posting (entry_id, account, partner_id, project_id, ref, currency, amount,"
    " value) SELECT :entry, :account, partner.id, CAST(:project AS VARCHAR(40)),"
    " CAST(:ref AS BIGINT), COALESCE(CAST(:currency AS VARCHAR(3)), partner.currency),"
    " posting_stage.amount, posting_stage.value"
    " FROM posting_stage JOIN partner ON partner.number = posting_stage.number"
    " ORDER BY partner.id"  # the index by (entry, partner) is then appended to in order
)


def insert_postings(connection: Connection, entry_id: int, postings: Postings) -> None:
    """Write an entry's postings: each block staged as integer columns and inserted by
    one ``INSERT ... SELECT`` (the partners' ids and currencies joined in the
    database), then the fund's own postings."""
    for block in postings.blocks:
        numbers = (
            block.table.numbers[block.positions]
            if len(block.table.numbers)
            else block.positions + 1
        )
        stage(
            connection,
            "posting_stage",
            {
                "number": ("INTEGER", numbers),
                "amount": ("BIGINT", block.units),
                "value": ("BIGINT", block.values),
            },
        )
        connection.execute(
            _BLOCK_INSERT,
            {
                "entry": entry_id,
                "account": block.account,
                "project": block.project,
                "ref": block.ref,
                "currency": block.currency,
            },
        )
        unstage(connection, "posting_stage")
    bulk_insert(
        connection,
        "posting",
        ("entry_id", "account", "partner_id", "project_id", "ref", "currency", "amount", "value"),
        list(
            zip(
                [entry_id] * len(postings.amount),
                postings.account,
                postings.partner,
                postings.project,
                postings.ref,
                postings.currency,
                postings.amount,
                postings.value,
                strict=True,
            )
        ),
    )
    keep_statistics(connection, "posting", len(postings))


def fund_start(connection: Connection) -> dt.date:
    start = connection.execute(select(schema.fund.c.start)).scalar_one()
    assert isinstance(start, dt.date)
    return start


def last_date(connection: Connection) -> dt.date | None:
    """The date of the latest entry: new entries may not be dated before it."""
    return connection.execute(select(func.max(schema.entry.c.date))).scalar()


def check_date(connection: Connection, date: dt.date, what: str) -> None:
    """Entries are dated in order, from the fund's start."""
    start = fund_start(connection)
    if date < start:
        raise BooksError(f"{what} is dated {date}, before the fund's start {start}")
    last = last_date(connection)
    if last is not None and date < last:
        raise BooksError(
            f"{what} is dated {date}, before the latest entry ({last}); expected entries"
            " in date order"
        )


def book(
    connection: Connection,
    *,
    kind: str,
    date: dt.date,
    postings: Postings,
    details: dict[str, Any],
    memo: str | None = None,
    key: str | None = None,
    reverses: int | None = None,
    entry_id: int | None = None,
) -> int:
    """Write one balanced entry and return its id (``entry_id`` if the postings had to
    know it first: see :func:`next_entry_id`)."""
    check_date(connection, date, f"the {kind}")
    postings.check_balanced()
    if entry_id is None:
        entry_id = next_entry_id(connection)
    insert_postings(connection, entry_id, postings)
    connection.execute(
        insert(schema.entry).values(
            id=entry_id,
            kind=kind,
            date=date,
            booked_at=_now(),
            memo=memo,
            key=key,
            reverses=reverses,
            details=json.dumps(details, sort_keys=True, default=str),
        )
    )
    return entry_id


def next_entry_id(connection: Connection) -> int:
    """The id the next entry gets (writers hold the write lock, so it stays free)."""
    latest = connection.execute(select(func.coalesce(func.max(schema.entry.c.id), 0)))
    return int(latest.scalar_one()) + 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def fingerprint(command: str, request: dict[str, Any]) -> str:
    text = json.dumps({"command": command, **request}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_command(
    engine: Engine,
    command: str,
    request: dict[str, Any],
    key: str | None,
    work: Callable[[Connection], tuple[dict[str, Any], list[int]]],
    *,
    user: str | None = None,
) -> dict[str, Any]:
    """Run ``work`` (which books and returns its JSON result and the entries it wrote)
    once per ``key``, in one transaction with its audit record.

    ``request`` is what was asked, normalized (amounts in minor units, dates ISO): the
    same key with the same request returns the stored result; with another, an error.
    """
    if key is not None and not key.strip():
        raise BooksError("an empty --key; expected a non-empty idempotency key")
    print_ = fingerprint(command, request)
    with writing(engine) as connection:
        if key is not None:
            stored = connection.execute(
                select(schema.request).where(schema.request.c.key == key)
            ).first()
            if stored is not None:
                if stored.fingerprint != print_:
                    raise KeyReusedError(
                        f"key {key!r} was used for another request ({stored.command},"
                        f" booked {stored.created_at}); expected a new key for a new request"
                    )
                result: dict[str, Any] = columns.loads(stored.result)
                return result
        result, entries = work(connection)
        if key is not None:
            connection.execute(
                insert(schema.request).values(
                    key=key,
                    command=command,
                    fingerprint=print_,
                    result=columns.dumps(result),
                    created_at=_now(),
                )
            )
        connection.execute(
            insert(schema.audit).values(
                at=_now(),
                user=user or _user(),
                command=command,
                request=json.dumps({"key": key, **request}, sort_keys=True, default=str),
                entries=json.dumps(entries),
            )
        )
        return result


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"
