"""The books at scale: every command across 10,000, 100,000 (and 1,000,000) partners.

For each size, on SQLite (a file in a temporary folder) and on PostgreSQL (a server
started for the run in a temporary folder, as the tests do, with ``fsync=off``;
skipped when its binaries are missing), a fresh son-2025 fund takes that many retail
LPs from a CSV and runs: the import (``books partners``), a capital call to all of
them, its payment, a fee run, a distribution through the waterfall, the quarter's
statements for all of them (one JSON Lines file) and ``books check``; then one
partner's statement, as the service reads an LP's account (the median of 21 partners
across the register, on a pooled connection). Each figure is the wall time of one
command through the Python API, its transaction, commit and idempotency key
included. Each size runs in a process of its own, so its peak RSS (the client's, not
the server's) is its own. The baseline is the time to write the same number of plain
rows into the same database, so the ratio says what the books' checks cost over raw
writes.

    python benchmarks/books.py [--sizes 10000,100000] [--million] [--sqlite-max 100000]

``--million`` adds 1,000,000 partners on PostgreSQL (several minutes). The targets
(on PostgreSQL, 1,000,000 partners: import under 60 s, a call and a distribution
under 30 s each) are reported when that size ran.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "books"))

import pgserver

STEPS = ("import", "call", "pay", "fees", "distribute", "statements", "check")
TARGETS = {"import": 60.0, "call": 30.0, "distribute": 30.0}


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
        yield socket
    finally:
        server.__exit__(None, None, None)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_size(url: str, partners: int, folder: Path) -> dict[str, Any]:
    """Run every command at one size (in this process); seconds per step, peak RSS."""
    import sovfund.books
    from sovfund.books.store import connect

    sheet = pgserver.partners_csv(folder / "partners.csv", partners)
    books = sovfund.books.init(url, terms="son-2025")
    seconds: dict[str, float] = {}

    def timed(step: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        seconds[step] = time.perf_counter() - start
        return result

    timed("import", lambda: books.partners(sheet, key="partners"))
    call = timed("call", lambda: books.call("40000000000", date="2026-02-01", key="call"))
    timed("pay", lambda: books.pay(call.entry or 0, key="pay"))
    books.invest("bridge", "40000000000", date="2026-02-01", key="invest")
    timed("fees", lambda: books.fees(through="2026-03-31", key="fees-2026Q1"))
    books.receive("bridge", "30000000000", date="2026-11-30", key="receive")
    timed(
        "distribute",
        lambda: books.distribute("30000000000", date="2026-12-01", key="distribution"),
    )
    out = folder / "statements.jsonl"
    written = timed("statements", lambda: books.statements(quarter="2026Q4", jsonl=out))
    assert written["partners"] == partners + 8, written
    check = timed("check", books.check)
    assert check.ok, check.breaches
    seconds["one_statement"] = one_statement(books, url)
    books.close()
    engine = connect(url)
    start = time.perf_counter()
    with engine.begin() as connection:  # the baseline: as many plain rows, one statement
        connection.exec_driver_sql("CREATE TABLE bench (a TEXT, b BIGINT)")
        connection.exec_driver_sql(
            "INSERT INTO bench (a, b) VALUES (?, ?)"
            if connection.dialect.name == "sqlite"
            else "INSERT INTO bench (a, b) VALUES (%s, %s)",
            [(f"lp{i:06d}", i) for i in range(partners)],
        )
    seconds["baseline"] = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "peak_mb": peak_mb()}


def one_statement(books: Any, url: str) -> float:
    """The median time of one partner's statement as the service reads an LP's account
    (the context loaded once, a pooled connection, one read transaction each), over 21
    partners across the register."""
    import statistics

    from sovfund.books.statements import statement
    from sovfund.books.store import connect, reading

    ctx = books.context()
    ids = ctx.partners.ids
    engine = connect(url, pooled=True)
    times = []
    for k in range(22):
        partner = ids[k * (len(ids) - 1) // 21]
        start = time.perf_counter()
        with reading(engine) as connection:
            statement(connection, ctx, partner, None)
        times.append(time.perf_counter() - start)
    engine.dispose()
    return statistics.median(times[1:])  # the first opens the pool's connection


def run_size(backend: str, partners: int, socket: str | None, folder: Path) -> dict[str, Any]:
    """One size in a child process of its own (its peak RSS is its own)."""
    url = (
        str(folder / f"books-{partners}.db")
        if backend == "sqlite"
        else pgserver.new_database(socket or "")
    )
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, str(partners), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{backend} at {partners:,} partners failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(results: dict[tuple[str, int], dict[str, Any]]) -> None:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    head = f"{'':<11}{'partners':>10}" + "".join(f"{s:>11}" for s in STEPS)
    print(head + f"{'peak RSS':>10}{'baseline':>10}{'statement':>11}")
    for (backend, partners), r in results.items():
        cells = "".join(f"{r['seconds'][s]:>9.2f} s" for s in STEPS)
        print(
            f"{names[backend]:<11}{partners:>10,}{cells}{r['peak_mb']:>7.0f} MB"
            f"{r['seconds']['baseline']:>8.2f} s{r['seconds']['one_statement'] * 1e3:>8.1f} ms"
        )
    print("(statement: one partner's, the median of 21 across the register)")
    print("\ngrowth per 10x partners (time at 10x / time), peak RSS likewise:")
    for (backend, partners), r in results.items():
        bigger = results.get((backend, partners * 10))
        if bigger is None:
            continue
        ratios = "".join(f"{bigger['seconds'][s] / r['seconds'][s]:>10.1f}x" for s in STEPS)
        print(
            f"  {names[backend]:<11}{partners:>9,} -> {partners * 10:<10,}{ratios}"
            f"{bigger['peak_mb'] / r['peak_mb']:>9.1f}x"
        )
    million = results.get(("postgresql", 1_000_000))
    if million is None:
        print("\ntargets (PostgreSQL, 1,000,000 partners): not run here (--million)")
        return
    print("\ntargets (PostgreSQL, 1,000,000 partners):")
    for step, limit in TARGETS.items():
        took = million["seconds"][step]
        verdict = "met" if took < limit else "NOT met"
        print(f"  {step:<11} {took:7.2f} s  (under {limit:.0f} s: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 (PostgreSQL)")
    parser.add_argument("--sqlite-max", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, partners, folder = args.child
        print(json.dumps(one_size(url, int(partners), Path(folder))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"books at scale: load average {load} at the start, {os.cpu_count()} cores")
    results: dict[tuple[str, int], dict[str, Any]] = {}
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as temporary, postgres() as socket:
        folder = Path(temporary)
        for backend in backends:
            if backend == "postgresql" and socket is None:
                continue
            chosen = [s for s in sizes if backend != "sqlite" or s <= args.sqlite_max]
            if backend == "postgresql" and args.million:
                chosen.append(1_000_000)
            for partners in chosen:
                results[(backend, partners)] = run_size(backend, partners, socket, folder)
                r = results[(backend, partners)]
                steps = ", ".join(f"{s} {r['seconds'][s]:.2f} s" for s in STEPS)
                print(f"  {backend} {partners:,}: {steps}; peak {r['peak_mb']:.0f} MB", flush=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average {load} at the end\n")
    report(results)


if __name__ == "__main__":
    main()
