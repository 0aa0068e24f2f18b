"""Where the books live: a SQLite file (the default) or a SQLAlchemy URL, the same code.

``BOOKS`` is a path to a SQLite file or a URL (``postgresql+psycopg://...``). Every
command that books runs in one transaction that holds the books' write lock from its
first statement: ``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on
PostgreSQL (held to the commit or rollback, taken before any read). Writers therefore
take turns, so two calls at once cannot both see the same unfunded commitment, and
two requests with the same key book once.
Connections are not pooled (each transaction opens its own and closes it) unless
asked for (``connect(books, pooled=True)``, for a long-running reader).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from sovfund.books import schema
from sovfund.errors import BooksError

__all__ = [
    "bulk_insert",
    "connect",
    "is_initialized",
    "migrate",
    "reading",
    "rehearsing",
    "writing",
]

HEAD = "0002_service"
WRITE_LOCK = 0x736F7666756E64  # the books' write lock on PostgreSQL ("sovfund")
POOL = 40  # connections a pooled engine keeps open: one per worker thread of a server


def connect(books: str | Path, *, pooled: bool = False) -> Engine:
    """An engine for ``books``: a SQLite file path, or a SQLAlchemy URL. ``pooled``: keep
    connections open between transactions (a long-running reader, such as the
    service, saves opening one each time: about a millisecond on SQLite)."""
    text = str(books)
    if "://" not in text:
        return _sqlite_engine(f"sqlite:///{Path(text)}", pooled)
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise BooksError(
            f"{text!r} is not a database URL ({error}); expected a SQLite file path or"
            " a URL such as postgresql+psycopg://user@host/dbname"
        ) from None
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(text, pooled)
    if url.get_backend_name() != "postgresql":
        raise BooksError(
            f"{text!r} names a {url.get_backend_name()} database; expected a SQLite file"
            " or a PostgreSQL URL"
        )
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if pooled:
        return create_engine(url, pool_size=POOL, max_overflow=10, pool_pre_ping=True)
    return create_engine(url, poolclass=NullPool)


def _sqlite_engine(url: str, pooled: bool = False) -> Engine:
    if pooled:
        engine = create_engine(
            url,
            connect_args={"timeout": 120, "check_same_thread": False},
            pool_size=POOL,
            max_overflow=10,
        )
    else:
        engine = create_engine(url, connect_args={"timeout": 120}, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("books_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One transaction holding the books' write lock; committed if the block succeeds."""
    with engine.connect().execution_options(books_write=True) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        yield connection


@contextmanager
def rehearsing(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the write lock that is always rolled back: a command run
    in it shows what it would book (every check included) and books nothing."""
    with engine.connect().execution_options(books_write=True) as connection:
        transaction = connection.begin()
        try:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            yield connection
        finally:
            transaction.rollback()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a consistent view of the books."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield connection


def migrate(connection: Connection) -> None:
    """Bring the schema to the newest revision (within the caller's transaction)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("sovfund.books") / "migrations"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def is_initialized(connection: Connection) -> bool:
    """Whether these books have been created (schema migrated and a fund opened)."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        return False
    return connection.execute(select(schema.fund.c.id)).first() is not None


def bulk_insert(
    connection: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert many rows in the caller's transaction, as fast as the driver allows:
    ``COPY`` on PostgreSQL, one prepared statement run for every row on SQLite."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))
