"""Fixtures of the books' tests: every test runs on SQLite and on PostgreSQL 15.

The PostgreSQL server is started once per session, as an unprivileged user (the
server refuses to run as root: as root the Debian ``postgres`` user runs it) in a
temporary directory, listening on a Unix socket only; each test gets a new
database. If the server cannot be started, the PostgreSQL tests fail (they never
skip): ``make postgres`` installs the server binaries.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BACKENDS = ["sqlite", "postgresql"]


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if shutil.which("initdb"):
        return Path(shutil.which("initdb") or "").parent
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this session; yields its socket directory."""
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found (initdb); run `make postgres`")
    base = Path(tempfile.mkdtemp(prefix="sovfund-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root and there is no 'postgres' user to run the server")
        os.chown(base, user.pw_uid, user.pw_gid)
    os.chmod(base, 0o755)
    data, log = base / "data", base / "server.log"
    subprocess.run(
        _as_server_user(
            [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "books", "--no-sync"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-k {base} -c listen_addresses='' -c fsync=off -c max_connections=50"
    start = subprocess.run(
        _as_server_user(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {start.stderr}\n{log.read_text()}")
    try:
        yield str(base)
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def new_database(socket_dir: str) -> str:
    """Create an empty database on the session's server; its SQLAlchemy URL."""
    import psycopg

    name = f"books_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host={socket_dir} user=books dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://books@/{name}?host={socket_dir}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_books_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], str]:
    """Where new books can live: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        counter = iter(range(10**9))
        return lambda: str(tmp_path / f"books-{next(counter)}.db")
    socket = request.getfixturevalue("postgres_server")
    return lambda: new_database(socket)


@pytest.fixture
def books_url(new_books_url: Callable[[], str]) -> str:
    """Where a test's books live: a new SQLite file, or a new PostgreSQL database."""
    return new_books_url()


def partners_csv(path: Path, count: int, *, commitment: str = "1000000", prefix: str = "lp") -> Path:
    """A partners CSV of ``count`` retail USD LPs of equal commitment."""
    rows = ["id,name,class,country,currency,commitment"]
    rows += [f"{prefix}{i:06d},LP {i},retail,US,USD,{commitment}" for i in range(count)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
