"""Where the books live: a SQLite file (the default) or a SQLAlchemy URL, the same code.

``BOOKS`` is a path to a SQLite file or a URL (``postgresql+psycopg://...``). Every
command that books runs in one transaction that holds the books' write lock from its
first statement: ``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on
PostgreSQL (held to the commit or rollback, taken before any read). Writers therefore
take turns, so two calls at once cannot both see the same unfunded commitment, and
two requests with the same key book once.
Connections are not pooled (each transaction opens its own and closes it) unless
asked for (``connect(books, pooled=True)``, for a long-running reader).

At scale (a million partners) rows go in and out in bulk, never one Python object
per posting: :func:`stage` loads integer columns into a temporary table (PostgreSQL:
binary ``COPY`` built by NumPy; SQLite: ``executemany`` in large chunks) for an
``INSERT ... SELECT`` to join, and :func:`read_columns` reads a query's columns back
whole (PostgreSQL: one ``array_agg`` per column, binary). Each transaction raises
PostgreSQL's ``work_mem`` for its own aggregates (``SET LOCAL``); SQLite connections
get a larger page cache and keep temporary tables in memory. Durability settings are
not touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Select,
    cast,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from sovfund.books import schema
from sovfund.errors import BooksError

__all__ = [
    "bulk_insert",
    "connect",
    "is_current",
    "is_initialized",
    "keep_statistics",
    "migrate",
    "read_columns",
    "read_ints",
    "reading",
    "rehearsing",
    "shown",
    "stage",
    "stream",
    "writing",
]

HEAD = "0003_scale"
WRITE_LOCK = 0x736F7666756E64  # the books' write lock on PostgreSQL ("sovfund")
WORK_MEM = "256MB"  # per sort or hash of one transaction's queries (PostgreSQL)
CHUNK = 200_000  # rows per chunk of a bulk write or read
POOL = 40  # connections a pooled engine keeps open: one per worker thread of a server


def shown(books: str | Path) -> str:
    """``books`` as it may be printed or written into results: a database URL without its
    password."""
    text = str(books)
    if "://" not in text:
        return text
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return "a database URL that does not parse"


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
            f"{shown(text)!r} names a {url.get_backend_name()} database; expected a SQLite file"
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
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB of pages
        cursor.execute("PRAGMA temp_store = MEMORY")
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
            connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
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
                connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
            yield connection
        finally:
            transaction.rollback()


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read transaction: a consistent view of the books."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        yield connection


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("sovfund.books") / "migrations"))
    config.attributes["connection"] = connection
    return config


def migrate(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to the newest revision, or to ``revision`` (within the caller's
    transaction)."""
    command.upgrade(_config(connection), revision)


def is_current(connection: Connection) -> bool:
    """Whether the books' schema is at the newest revision."""
    heads = ScriptDirectory.from_config(_config(connection)).get_heads()
    current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(heads)


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


# ---- integer columns in and out, in bulk ------------------------------------------

_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")


def _pg_rows(widths: Sequence[int]) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for k, width in enumerate(widths):
        fields += [(f"length{k}", ">i4"), (f"value{k}", f">i{width}")]
    return np.dtype(fields)


def stage(
    connection: Connection,
    table: str,
    columns: Mapping[str, tuple[str, np.ndarray[Any, Any]]],
) -> None:
    """Load integer columns into a new temporary ``table`` (dropped at the commit on
    PostgreSQL; by :func:`unstage` on SQLite): ``columns`` maps each name to its SQL
    type (``INTEGER`` or ``BIGINT``) and its values, all of one length."""
    names = list(columns)
    types = [columns[n][0] for n in names]
    arrays = [np.asarray(columns[n][1], dtype=np.int64) for n in names]
    length = len(arrays[0]) if arrays else 0
    definition = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {table} ({definition}) ON COMMIT DROP")
        widths = [4 if t == "INTEGER" else 8 for t in types]
        rows = _pg_rows(widths)
        raw = connection.connection.driver_connection
        assert raw is not None
        statement = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(_PG_HEADER)
            for start in range(0, length, CHUNK):
                part = slice(start, start + CHUNK)
                block = np.empty(len(arrays[0][part]), dtype=rows)
                block["count"] = len(names)
                for k, width in enumerate(widths):
                    block[f"length{k}"] = width
                    block[f"value{k}"] = arrays[k][part]
                copy.write(block.tobytes())
            copy.write(b"\xff\xff")
        connection.exec_driver_sql(f"ANALYZE {table}")
        return
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {table} ({definition})")
    marks = ", ".join("?" for _ in names)
    insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
    for start in range(0, length, CHUNK):
        part = slice(start, start + CHUNK)
        connection.exec_driver_sql(
            insert, list(zip(*(a[part].tolist() for a in arrays), strict=True))
        )


def keep_statistics(connection: Connection, table: str, written: int) -> None:
    """After a bulk write of ``written`` rows to ``table``: on PostgreSQL, ``ANALYZE``
    it at once (in the caller's transaction, which counts its own rows) when they are
    a tenth or more of what its statistics last counted, as autovacuum would a minute
    later. Until then the planner takes the table for what it was: a statement run
    over every partner, planned on postings counted when a few partners had any,
    joined them in a nested loop: at a million partners it ran for more than ten
    minutes (and was stopped) where it takes one. SQLite keeps no statistics (the
    books never ``ANALYZE`` it) and plans the same without them."""
    if connection.dialect.name != "postgresql" or written <= 0:
        return
    counted = connection.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
        {"table": table},
    ).scalar()
    if counted is None or counted < 0 or written * 10 >= counted:
        connection.exec_driver_sql(f"ANALYZE {table}")


def unstage(connection: Connection, table: str) -> None:
    """Drop a table :func:`stage` made (at once; PostgreSQL would at the commit)."""
    connection.exec_driver_sql(f"DROP TABLE {table}")


def read_columns(connection: Connection, query: Select[Any]) -> list[list[Any]]:
    """The rows of ``query`` column by column, as lists of plain values: on PostgreSQL
    one ``array_agg`` per column in the binary protocol (a million rows read in one
    message each, not one message a row), on SQLite the driver's tuples in chunks."""
    if connection.dialect.name == "postgresql":
        inner = query.subquery()
        outer = select(*(func.array_agg(c) for c in inner.c))
        compiled = outer.compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor(binary=True) as cursor:
            row = cursor.execute(str(compiled), compiled.params).fetchone()
        return [list(c) if c is not None else [] for c in (row or ())]
    columns: list[list[Any]] = [[] for _ in query.selected_columns]
    for batch in stream(connection, query):
        for column, values in zip(columns, zip(*batch, strict=True), strict=True):
            column.extend(values)
    return columns


def stream(connection: Connection, query: Select[Any], chunk: int = CHUNK) -> Iterator[list[Any]]:
    """The rows of ``query`` as the driver's plain tuples, ``chunk`` at a time (a
    server-side cursor on PostgreSQL): constant memory however many rows there are.
    The query's values are rendered into its SQL (they are the books' own: dates,
    account codes, ids)."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        # every row is read: plan for all of them, not for the first tenth (a cursor's)
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        with raw.cursor(name="books_stream") as named:
            named.itersize = chunk
            named.execute(sql)
            while batch := named.fetchmany(chunk):
                yield batch
        return
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(chunk):
            yield batch
    finally:
        cursor.close()


def read_ints(
    connection: Connection, query: Select[Any], columns: int
) -> list[np.ndarray[Any, Any]]:
    """The rows of ``query`` (``columns`` integer columns, none NULL) as NumPy int64
    arrays, one per column (:func:`read_columns`)."""
    wide: Any = query.with_only_columns(*(cast(c, BigInteger) for c in query.selected_columns))
    read = read_columns(connection, wide)
    assert len(read) == columns
    return [np.array(c, dtype=np.int64) for c in read]
