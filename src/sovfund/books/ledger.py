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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, Engine, func, insert, select

from sovfund.books import schema
from sovfund.books.accounts import FX_TRADING
from sovfund.books.money import IntArray
from sovfund.books.store import bulk_insert, writing
from sovfund.errors import BooksError, KeyReusedError

__all__ = ["Postings", "book", "fund_start", "last_date", "next_entry_id", "run_command"]

R = TypeVar("R")


@dataclass
class Postings:
    """The postings of one entry, column by column (no object per posting)."""

    account: list[str] = field(default_factory=list)
    partner: list[str | None] = field(default_factory=list)
    project: list[str | None] = field(default_factory=list)
    ref: list[int | None] = field(default_factory=list)
    currency: list[str] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    value: list[int] = field(default_factory=list)

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
        partners: Iterable[str],
        currencies: Iterable[str],
        units: IntArray,
        values: IntArray,
        *,
        trade: bool,
        project: str | None = None,
        ref: int | None = None,
    ) -> None:
        """One posting per partner in its own currency (``units``; ``values`` in the
        fund's currency). With ``trade``, a yen partner's posting is met in the FX
        trading account in yen, and the trading account takes the dollars, so the
        fund's side of the entry is all in dollars."""
        keep = (np.asarray(units) != 0) | (np.asarray(values) != 0)
        rows = [
            (p, c, int(u), int(v))
            for p, c, u, v, k in zip(partners, currencies, units, values, keep, strict=True)
            if k
        ]
        n = len(rows)
        if not n:
            return
        ids, currency, amount, value = (list(column) for column in zip(*rows, strict=True))
        self.account += [account] * n
        self.partner += ids
        self.project += [project] * n
        self.ref += [ref] * n
        self.currency += currency
        self.amount += amount
        self.value += value
        if trade:
            for p, c, u, v in rows:
                if c != "USD":
                    self.add(FX_TRADING, -u, currency=c, value=-v, partner=p)
                    self.add(FX_TRADING, v, currency="USD", value=v, partner=p)

    def __len__(self) -> int:
        return len(self.amount)

    def check_balanced(self) -> None:
        """Raise unless the postings sum to zero per currency and in value (a bug
        if it ever fires: the database would refuse them too)."""
        totals: dict[str, int] = {}
        for currency, amount in zip(self.currency, self.amount, strict=True):
            totals[currency] = totals.get(currency, 0) + amount
        if any(totals.values()) or sum(self.value) != 0 or len(self) < 2:
            raise AssertionError(f"unbalanced postings: {totals}, value {sum(self.value)}")


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
    bulk_insert(
        connection,
        "posting",
        ("entry_id", "account", "partner_id", "project_id", "ref", "currency", "amount", "value"),
        list(
            zip(
                [entry_id] * len(postings),
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
                result: dict[str, Any] = json.loads(stored.result)
                return result
        result, entries = work(connection)
        if key is not None:
            connection.execute(
                insert(schema.request).values(
                    key=key,
                    command=command,
                    fingerprint=print_,
                    result=json.dumps(result, sort_keys=True),
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
