"""The books at scale: one capital call and one distribution across 100,000 partners.

On SQLite (a file in a temporary folder) and on PostgreSQL (a server started for the
run in a temporary folder, as the tests do; skipped when its binaries are missing).
Each figure is the wall time of one command, its transaction and its commit
included; the partners' CSV load and the payment are timed too. The baseline is the
time to insert the same number of plain rows into the same database, so the ratio
says what the books' checks and waterfall cost over raw writes.

    python benchmarks/books.py [--partners 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "books"))

import pgserver

import sovfund.books
from sovfund.books.store import connect


@contextmanager
def postgres() -> Iterator[str | None]:
    try:
        server = pgserver.postgres_server()
        socket = server.__enter__()
    except pgserver.ServerError as error:
        print(f"PostgreSQL: not run ({error})")
        yield None
        return
    try:
        yield pgserver.new_database(socket)
    finally:
        server.__exit__(None, None, None)


def timed(label: str, work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.2f} s")
    return seconds, result


def raw_rows(url: str, rows: int) -> None:
    engine = connect(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench (a TEXT, b BIGINT)")
        connection.exec_driver_sql(
            "INSERT INTO bench (a, b) VALUES (?, ?)"
            if connection.dialect.name == "sqlite"
            else "INSERT INTO bench (a, b) VALUES (%s, %s)",
            [(f"lp{i:06d}", i) for i in range(rows)],
        )
    engine.dispose()


def run(name: str, url: str, partners: int, folder: Path) -> None:
    print(f"{name}: {partners:,} partners")
    sheet = pgserver.partners_csv(folder / f"{name}.csv", partners)
    books = sovfund.books.init(url, terms="examples/design.toml")
    timed("load the partners (books partners)", lambda: books.partners(sheet))
    call_s, call = timed("one capital call", lambda: books.call("50000000000", date="2026-02-01"))
    timed("its payment, every partner", lambda: books.pay(call.entry))
    books.invest("bridge", "50000000000", date="2026-02-01")
    books.receive("bridge", "80000000000", date="2028-02-01")
    timed(
        "preview a distribution",
        lambda: books.distribute("80000000000", date="2028-02-01", preview=True),
    )
    dist_s, _ = timed(
        "one distribution", lambda: books.distribute("80000000000", date="2028-02-01")
    )
    _check_s, result = timed("books check", books.check)
    assert result.ok, result.breaches
    base_s, _ = timed(
        f"baseline: insert {2 * partners:,} plain rows", lambda: raw_rows(url, 2 * partners)
    )
    print(
        f"  call / baseline {call_s / base_s:.1f}x; distribution / baseline {dist_s / base_s:.1f}x"
    )
    books.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", str(Path(folder) / "books.db"), args.partners, Path(folder))
        with postgres() as url:
            if url is not None:
                run("PostgreSQL", url, args.partners, Path(folder))


if __name__ == "__main__":
    main()
