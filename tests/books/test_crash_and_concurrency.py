"""Crashes and concurrent writers, the way TigerBeetle and Jepsen test ledgers.

- ``kill -9`` in the middle of a call to 100,000 partners: afterwards the call is
  either all there or absent, ``books check`` passes, and the same command with the
  same key then books it once.
- Two processes sending the same key at once book one entry; two different calls at
  once never take a partner past its commitment.

Writers are forked processes (``fork`` keeps the test's imports, so they start at
once) that wait at a barrier and then run the command together.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pgserver import partners_csv

import sovfund.books
from sovfund.errors import BooksError

FORK = multiprocessing.get_context("fork")
PARTNERS = 100_000
CALL = "50000000000"  # half of 100,000 x $1M


def _entries(url: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in sovfund.books.open(url).journal()["entries"] if e["kind"] == kind]


def _in_transaction(url: str, backend: str) -> bool:
    """Whether a writer holds the books' write lock right now."""
    if backend == "sqlite":
        probe = sqlite3.connect(url, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    dsn = f"host={parsed.query['host']} user=books dbname={parsed.database}"
    with psycopg.connect(dsn) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        ).fetchone()
        return bool(row and row[0])


def _call(url: str, amount: str, key: str) -> None:
    sovfund.books.open(url).call(amount, date="2026-02-01", key=key)


def test_kill_9_in_the_middle_of_a_call(books_url: str, backend: str, tmp_path: Path) -> None:
    books = sovfund.books.init(books_url, terms="examples/design.toml")
    books.partners(partners_csv(tmp_path / "partners.csv", PARTNERS))
    writer = FORK.Process(target=_call, args=(books_url, CALL, "crash"))
    writer.start()
    deadline = time.monotonic() + 120
    while not _in_transaction(books_url, backend):
        assert writer.is_alive(), "the call ended before it was seen"
        assert time.monotonic() < deadline, "the call never started"
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the call: it takes seconds at this size
    os.kill(writer.pid or 0, signal.SIGKILL)
    writer.join()
    assert writer.exitcode == -signal.SIGKILL

    calls = _entries(books_url, "call")
    assert len(calls) in (0, 1)
    if calls:  # all there: every partner's part
        assert len(calls[0]["postings"]) == 2 * (PARTNERS + 1)
    result = books.check()
    assert result.ok, result.breaches

    again = books.call(CALL, date="2026-02-01", key="crash")
    assert sum(again.allocations.values()) == again.amount
    assert len(_entries(books_url, "call")) == 1
    assert books.call(CALL, date="2026-02-01", key="crash") == again
    assert len(_entries(books_url, "call")[0]["postings"]) == 2 * (PARTNERS + 1)
    books.close()


def _together(url: str, work: Callable[..., None], *args: tuple[str, str]) -> list[int | None]:
    """Run ``work(url, amount, key)`` for each (amount, key) in its own process, at once."""
    barrier = FORK.Barrier(len(args))

    def run(amount: str, key: str) -> None:
        barrier.wait()
        try:
            work(url, amount, key)
        except BooksError:
            os._exit(1)

    processes = [FORK.Process(target=run, args=a) for a in args]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    return [p.exitcode for p in processes]


def test_the_same_key_at_once_books_once(books_url: str) -> None:
    books = sovfund.books.init(books_url, terms="examples/design.toml")
    codes = _together(books_url, _call, ("1000", "same"), ("1000", "same"), ("1000", "same"))
    assert codes == [0, 0, 0]
    assert len(_entries(books_url, "call")) == 1
    assert books.check().ok
    books.close()


def test_two_calls_at_once_stay_within_commitment(books_url: str) -> None:
    """lp has $100M unfunded: of two $60M calls at once, one is booked, one refused."""
    books = sovfund.books.init(books_url, terms="examples/design.toml")
    codes = _together(books_url, _call, ("60000000", "a"), ("60000000", "b"))
    assert sorted(codes) == [0, 1]
    statement = books.statement("lp")
    assert statement.unfunded == 40_000_000
    assert books.check().ok
    books.close()
