"""The database itself keeps the journal sound, whoever writes to it.

Raw SQL that bypasses sovfund: an UPDATE or DELETE of the journal, an entry whose
postings do not balance, postings added to an entry already booked, postings with
no entry. Each is refused by the database (triggers written in the migration, one
set per dialect), and the migrated schema is the one the code declares.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pgserver import new_database, partners_csv

import sovfund.books
from sovfund.books import schema
from sovfund.books.store import HEAD, _config, connect

REFUSED = (sa.exc.IntegrityError, sa.exc.DatabaseError, sa.exc.InternalError)


@pytest.fixture
def booked(books_url: str) -> str:
    books = sovfund.books.init(books_url, terms="examples/design.toml")
    call = books.call("50", date="2026-01-15")
    books.pay(call.entry or 0, date="2026-01-20")
    books.close()
    return books_url


def _raw(url: str, *statements: str) -> None:
    engine = connect(url)
    try:
        with engine.connect() as connection, connection.begin():
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _count(url: str, table: str) -> int:
    engine = connect(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
    finally:
        engine.dispose()


def test_migrated_schema_is_the_declared_one(booked: str) -> None:
    engine = connect(booked)
    with engine.connect() as connection:
        declared = schema.declared(connection.dialect.name)
        differences = compare_metadata(MigrationContext.configure(connection), declared)
    engine.dispose()
    assert differences == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE posting SET amount = amount + 1",
        "UPDATE entry SET date = '2030-01-01'",
        "DELETE FROM posting",
        "DELETE FROM entry WHERE id = 2",
        "UPDATE audit SET \"user\" = 'someone else'",
        "DELETE FROM audit",
    ],
)
def test_the_journal_refuses_updates_and_deletes(booked: str, statement: str) -> None:
    before = _count(booked, "posting")
    with pytest.raises(REFUSED, match="append-only"):
        _raw(booked, statement)
    assert _count(booked, "posting") == before


def test_an_unbalanced_entry_is_refused(booked: str) -> None:
    # postings first, then the header that seals them: 100 in, 99 out
    with pytest.raises(REFUSED, match="unbalanced"):
        _raw(
            booked,
            "INSERT INTO posting (entry_id, account, currency, amount, value)"
            " VALUES (99, 'cash', 'USD', 10000, 10000)",
            "INSERT INTO posting (entry_id, account, currency, amount, value)"
            " VALUES (99, 'debt', 'USD', -9900, -9900)",
            "INSERT INTO entry (id, kind, date, booked_at, details)"
            " VALUES (99, 'borrow', '2026-02-01', 'now', '{}')",
        )
    assert _count(booked, "entry") == 2


def test_a_balanced_raw_entry_is_accepted(booked: str) -> None:
    _raw(
        booked,
        "INSERT INTO posting (entry_id, account, currency, amount, value)"
        " VALUES (99, 'cash', 'USD', 10000, 10000)",
        "INSERT INTO posting (entry_id, account, currency, amount, value)"
        " VALUES (99, 'debt', 'USD', -10000, -10000)",
        "INSERT INTO entry (id, kind, date, booked_at, details)"
        " VALUES (99, 'borrow', '2026-02-01', 'now', '{}')",
    )
    assert _count(booked, "entry") == 3


def test_a_single_posting_entry_is_refused(booked: str) -> None:
    with pytest.raises(REFUSED, match="unbalanced"):
        _raw(
            booked,
            "INSERT INTO entry (id, kind, date, booked_at, details)"
            " VALUES (99, 'borrow', '2026-02-01', 'now', '{}')",
        )


def test_postings_cannot_be_added_to_a_booked_entry(booked: str) -> None:
    with pytest.raises(REFUSED, match="already booked"):
        _raw(
            booked,
            "INSERT INTO posting (entry_id, account, currency, amount, value)"
            " VALUES (1, 'cash', 'USD', 0, 0)",
        )


def test_postings_without_an_entry_are_refused_at_commit(booked: str) -> None:
    with pytest.raises(REFUSED):
        _raw(
            booked,
            "INSERT INTO posting (entry_id, account, currency, amount, value)"
            " VALUES (77, 'cash', 'USD', 5, 5)",
            "INSERT INTO posting (entry_id, account, currency, amount, value)"
            " VALUES (77, 'debt', 'USD', -5, -5)",
        )
    assert _count(booked, "posting") == 4


def test_check_finds_a_missing_guard(booked: str, backend: str) -> None:
    drop = (
        "DROP TRIGGER posting_no_update"
        if backend == "sqlite"
        else "DROP TRIGGER posting_append_only ON posting"
    )
    _raw(booked, drop)
    result = sovfund.books.open(booked).check()
    assert not result.ok
    assert any("posting_" in breach for breach in result.breaches)


def test_check_finds_yen_on_the_funds_side(booked: str) -> None:
    """A balanced entry the database accepts but the books' rules do not: yen in cash."""
    _raw(
        booked,
        "INSERT INTO posting (entry_id, account, currency, amount, value)"
        " VALUES (99, 'cash', 'JPY', 150, 100)",
        "INSERT INTO posting (entry_id, account, currency, amount, value)"
        " VALUES (99, 'debt', 'JPY', -150, -100)",
        "INSERT INTO entry (id, kind, date, booked_at, details)"
        " VALUES (99, 'borrow', '2026-02-01', 'now', '{}')",
    )
    result = sovfund.books.open(booked).check()
    assert any("cash has postings in JPY" in breach for breach in result.breaches)


@pytest.mark.parametrize(
    ("posting", "words"),
    [
        ("'cash', NULL, NULL", None),  # the control: a sound pair is accepted
        ("'no_such_account', NULL, NULL", "account"),
        ("'contributions', 'nobody', NULL", "partner"),
        ("'investments', NULL, 'no_such_project'", "project"),
    ],
)
def test_a_posting_must_name_known_accounts_partners_and_projects(
    booked: str, posting: str, words: str | None
) -> None:
    """On SQLite foreign keys, on PostgreSQL a trigger over each statement's rows."""
    statements = (
        "INSERT INTO posting (entry_id, account, partner_id, project_id, currency, amount,"
        f" value) VALUES (99, {posting}, 'USD', 500, 500)",
        "INSERT INTO posting (entry_id, account, currency, amount, value)"
        " VALUES (99, 'debt', 'USD', -500, -500)",
        "INSERT INTO entry (id, kind, date, booked_at, details)"
        " VALUES (99, 'borrow', '2026-02-01', 'now', '{}')",
    )
    if words is None:
        _raw(booked, *statements)
        assert _count(booked, "entry") == 3
        return
    with pytest.raises(REFUSED):
        _raw(booked, *statements)
    assert _count(booked, "entry") == 2
    assert _count(booked, "posting") == 4


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM partner WHERE id = 'lp'",
        "UPDATE partner SET id = 'renamed' WHERE id = 'lp'",
        "DELETE FROM account WHERE code = 'cash'",
    ],
)
def test_what_the_journal_names_cannot_be_removed(booked: str, statement: str) -> None:
    with pytest.raises(REFUSED):
        _raw(booked, statement)
    assert sovfund.books.open(booked).check().ok


@pytest.mark.parametrize("revision", ["0001", "0002_service"])
def test_books_made_by_an_earlier_version_are_migrated_when_opened(
    books_url: str, revision: str
) -> None:
    """Books at revision 0001 (the schema before the service) or 0002_service (before
    repurchase offers and the set-based guards) open as they are: migrated once, their
    journal kept, sound, and usable."""
    books = sovfund.books.init(books_url, terms="son-2025")
    call = books.call("1000000", date="2026-01-15")
    books.pay(call.entry or 0)
    books.close()
    engine = connect(booked_url := books_url)
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == revision
        tables = set(sa.inspect(connection).get_table_names())
        assert "offer" not in tables
        assert ("service_user" in tables) == (revision != "0001")
    engine.dispose()
    reopened = sovfund.books.open(booked_url)
    assert reopened.check().ok
    assert reopened.statement("us_retail").contributed == Decimal("83333.33")
    offer = reopened.offer(date="2026-04-01")
    reopened.request(offer.offer, "us_retail", "1000")
    settled = reopened.settle(offer.offer, date="2026-06-30")
    assert settled.amount == Decimal("980.00")  # held under a year: 2% kept
    assert reopened.check().ok
    with reopened.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == HEAD
        declared = schema.declared(connection.dialect.name)
        assert compare_metadata(MigrationContext.configure(connection), declared) == []


def test_bulk_writes_keep_postgresqls_statistics(postgres_socket: str, tmp_path: Path) -> None:
    """PostgreSQL plans on statistics that autovacuum refreshes a minute after a bulk
    write; the books refresh them at once (store.keep_statistics), or a statement run
    over every partner right after a call is planned on postings counted when there
    were none (a nested loop, quadratic in the partners). Autovacuum is off here,
    and the tables analyzed while nearly empty, as it may have left them."""
    books = sovfund.books.init(new_database(postgres_socket), terms="son-2025")
    with books.engine.begin() as connection:
        for table in ("partner", "posting", "entry"):
            connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        connection.exec_driver_sql("ANALYZE")
    books.partners(partners_csv(tmp_path / "partners.csv", 3000))
    call = books.call("40000000000", date="2026-02-01")
    books.pay(call.entry or 0)
    with books.engine.connect() as connection:
        counted = dict(
            connection.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('partner', 'posting')"
            ).all()
        )
        postings = _count_on(connection, "posting")
    books.close()
    assert counted == {"partner": 3008, "posting": postings}


def _count_on(connection: sa.Connection, table: str) -> int:
    return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())
