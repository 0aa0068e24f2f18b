"""Load test of the service on loopback: concurrent LPs reading their own statements
from books of 100,000 partners.

Builds the books in a temporary folder (SQLite: the partners, a call and its payment,
an investment, its proceeds and a distribution, so every statement has something in
it), gives each of ``--lps`` partners an LP user, starts ``sovfund serve`` on a free
port, and lets that many clients (httpx, asyncio, one connection each) read
``GET /api/v1/partners/{id}/statement`` back to back. It stops by itself after
``--requests`` requests or ``--seconds`` seconds, whichever comes first (the first
``--warm-up`` requests are not counted). Prints the throughput and the latency
percentiles, against the baseline of the same statement read in-process (the
service's own reader, no HTTP), and the load average. Target: p99 under 100 ms.

    python benchmarks/service.py [--partners 100000] [--lps 50] [--requests 5000]
                                 [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "books"))

import pgserver

import sovfund.books
from sovfund.books.store import connect
from sovfund.service.reader import Reader, prepare_books
from sovfund.service.users import Users

TARGET_P99_MS = 100.0


def build(folder: Path, partners: int, lps: int) -> tuple[Path, dict[str, str]]:
    """The books and ``lps`` LP users (partner id -> API key)."""
    path = folder / "books.db"
    sheet = pgserver.partners_csv(folder / "partners.csv", partners)
    start = time.perf_counter()
    books = sovfund.books.init(str(path), terms="examples/design.toml")
    books.partners(sheet)
    call = books.call("50000000000", date="2026-02-01")
    books.pay(call.entry or 0)
    books.invest("bridge", "50000000000", date="2026-02-01")
    books.receive("bridge", "80000000000", date="2028-02-01")
    books.distribute("40000000000", date="2028-02-01")
    books.close()
    prepare_books(str(path))
    engine = connect(str(path))
    users = Users(engine)
    chosen = random.Random(7).sample(range(partners), lps)
    keys = {f"lp{i:06d}": users.add(f"reader{i}", "lp", f"lp{i:06d}")[1] for i in chosen}
    engine.dispose()
    print(
        f"  books of {partners:,} partners and {lps} LP users: {time.perf_counter() - start:.1f} s"
    )
    return path, keys


def baseline(path: Path, partners: list[str], count: int = 500) -> float:
    """Median seconds of one statement read in-process (the reader the service uses)."""
    reader = Reader(connect(str(path)), connect(str(path), pooled=True))
    reader.context()
    times = []
    for i in range(count):
        start = time.perf_counter()
        reader.statement(partners[i % len(partners)], None)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (Linux: /proc/PID/stat, user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def load(
    url: str, keys: dict[str, str], requests: int, seconds: float, warm_up: int, raw: bool
) -> dict:
    """Every LP reads its statement back to back until the budget is spent."""
    latencies: list[float] = []
    errors: dict[int | str, int] = {}
    issued = 0
    deadline = time.perf_counter() + seconds
    first = [0.0]

    async def one_lp(partner: str, key: str) -> None:
        if raw:
            await one_raw_lp(partner, key)
            return
        nonlocal issued
        headers = {"Authorization": f"Bearer {key}"}
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(
            base_url=url, headers=headers, limits=limits, timeout=30
        ) as client:
            while issued < requests + warm_up and time.perf_counter() < deadline:
                issued += 1
                counted = issued > warm_up
                start = time.perf_counter()
                try:
                    answer = await client.get(f"/api/v1/partners/{partner}/statement")
                except httpx.TransportError as error:
                    name = type(error).__name__
                    errors[name] = errors.get(name, 0) + 1
                    continue
                took = time.perf_counter() - start
                if answer.status_code != 200:
                    errors[answer.status_code] = errors.get(answer.status_code, 0) + 1
                elif counted:
                    if not first[0]:
                        first[0] = start
                    latencies.append(took)

    async def one_raw_lp(partner: str, key: str) -> None:
        """The same requests on one kept-alive connection, written and read by hand: a
        load generator that costs a tenth of httpx's CPU, to see the server's limit."""
        nonlocal issued
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        request = (
            f"GET /api/v1/partners/{partner}/statement HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {key}\r\n\r\n"
        ).encode()
        try:
            while issued < requests + warm_up and time.perf_counter() < deadline:
                issued += 1
                counted = issued > warm_up
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                took = time.perf_counter() - start
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1
                elif counted:
                    if not first[0]:
                        first[0] = start
                    latencies.append(took)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_lp(p, k) for p, k in keys.items()))
    elapsed = time.perf_counter() - (first[0] or start)
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--lps", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warm-up", type=int, default=200)
    parser.add_argument(
        "--client",
        choices=("httpx", "raw"),
        default="httpx",
        help="httpx.AsyncClient per LP, or a hand-written HTTP/1.1 client (less CPU)",
    )
    args = parser.parse_args()
    print(f"Service: {args.lps} concurrent LPs reading statements, loopback ({args.client})")
    with tempfile.TemporaryDirectory() as folder:
        path, keys = build(Path(folder), args.partners, args.lps)
        inside = baseline(path, list(keys))
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sovfund",
                "serve",
                str(path),
                "--port",
                str(port),
                "--no-warm-up",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit("sovfund serve did not start")
            before, cpu_before = os.getloadavg(), cpu_seconds(server.pid)
            client_before = time.process_time()
            result = asyncio.run(
                load(url, keys, args.requests, args.seconds, args.warm_up, args.client == "raw")
            )
            after, cpu_after = os.getloadavg(), cpu_seconds(server.pid)
            client_cpu = time.process_time() - client_before
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies = result["latencies"]
    if not latencies:
        raise SystemExit(f"no statement was read: {result['errors']}")
    ms = [x * 1000 for x in latencies]
    p50, p90, p99 = (percentile(ms, q) for q in (0.50, 0.90, 0.99))
    print(f"  requests counted                              {len(ms):8,}")
    print(
        f"  errors                                        {sum(result['errors'].values()):8,}"
        f" {result['errors'] or ''}"
    )
    print(f"  throughput                                    {len(ms) / result['elapsed']:8.0f} /s")
    print(f"  latency p50 / p90 / p99 / max (ms)   {p50:6.1f} {p90:6.1f} {p99:6.1f} {max(ms):6.1f}")
    total = sum(result["errors"].values()) + len(ms) + args.warm_up
    server_ms = (cpu_after - cpu_before) / total * 1000
    print(f"  server CPU per request (ms)                   {server_ms:8.2f}")
    print(f"  client CPU per request (ms)                   {client_cpu / total * 1000:8.2f}")
    print(f"  baseline: one statement in-process (ms)       {inside * 1000:8.2f}")
    print(f"  p50 / baseline                                {p50 / (inside * 1000):8.1f}x")
    print(
        f"  load average before / after                   {before[0]:.2f} / {after[0]:.2f}"
        f" ({os.cpu_count()} cores)"
    )
    verdict = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
