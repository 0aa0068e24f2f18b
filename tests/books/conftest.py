"""Fixtures of the books' tests: every test runs on SQLite and on PostgreSQL 15.

The PostgreSQL server (tests/books/pgserver.py) is started once per session, as an
unprivileged user, in a temporary directory; each test gets a new database. If the
server cannot be started, the PostgreSQL tests fail (they never skip): ``make
postgres`` installs the server binaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pgserver import ServerError, new_database, partners_csv, postgres_server

__all__ = ["new_database", "partners_csv"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_socket() -> Iterator[str]:
    """The session's PostgreSQL server: its socket directory."""
    try:
        server = postgres_server()
        socket = server.__enter__()
    except ServerError as error:
        pytest.fail(str(error))
    try:
        yield socket
    finally:
        server.__exit__(None, None, None)


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
    socket = request.getfixturevalue("postgres_socket")
    return lambda: new_database(socket)


@pytest.fixture
def books_url(new_books_url: Callable[[], str]) -> str:
    """Where a test's books live: a new SQLite file, or a new PostgreSQL database."""
    return new_books_url()
