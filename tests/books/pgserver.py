"""A PostgreSQL server in a temporary directory, for the books' tests and benchmark.

The server refuses to run as root: as root it runs as the Debian ``postgres`` user.
It listens on a Unix socket only. :func:`postgres_server` raises
:class:`ServerError` when it cannot start (no binaries: ``make postgres``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ServerError(RuntimeError):
    """The PostgreSQL server could not be started."""


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if shutil.which("initdb"):
        return Path(shutil.which("initdb") or "").parent
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its socket directory; stop it and remove its files."""
    bindir = _bindir()
    if bindir is None:
        raise ServerError("PostgreSQL server binaries not found (initdb); run `make postgres`")
    base = Path(tempfile.mkdtemp(prefix="sovfund-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise ServerError("running as root and there is no 'postgres' user") from None
        os.chown(base, user.pw_uid, user.pw_gid)
    os.chmod(base, 0o755)
    data, log = base / "data", base / "server.log"
    try:
        init = subprocess.run(
            _as_server_user(
                [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "books", "--no-sync"]
            ),
            capture_output=True,
            text=True,
        )
        if init.returncode != 0:
            raise ServerError(f"initdb failed: {init.stderr}")
        options = f"-k {base} -c listen_addresses='' -c fsync=off -c max_connections=50"
        start = subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(log),
                    "-w",
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
        )
        if start.returncode != 0:
            raise ServerError(f"PostgreSQL did not start: {start.stderr}\n{log.read_text()}")
        yield str(base)
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def new_database(socket_dir: str) -> str:
    """Create an empty database on the server; its SQLAlchemy URL."""
    import psycopg

    name = f"books_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"host={socket_dir} user=books dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://books@/{name}?host={socket_dir}"


def partners_csv(
    path: Path, count: int, *, commitment: str = "1000000", prefix: str = "lp"
) -> Path:
    """A partners CSV of ``count`` retail USD LPs of equal commitment."""
    rows = ["id,name,class,country,currency,commitment"]
    rows += [f"{prefix}{i:06d},LP {i},retail,US,USD,{commitment}" for i in range(count)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
