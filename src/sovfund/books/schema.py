"""The books' tables (SQLAlchemy Core): the schema as the code sees it today.

The migrations in :mod:`sovfund.books.migrations` create these tables and the
triggers that guard them; ``tests/books/test_schema.py`` holds the two to the same
shape. Money is an integer count of minor units (cents; yen have none) with its
currency beside it: ``amount`` in the posting's currency, ``value`` the same amount
in the fund's currency at the rate of the command that booked it (equal to
``amount`` for postings in the fund's currency).

Postings are written before their entry: inserting the entry seals them. The
database refuses an entry whose postings do not balance per currency, postings added
to an entry already sealed, and any UPDATE or DELETE of the journal.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "account",
    "audit",
    "entry",
    "fee_period",
    "fund",
    "metadata",
    "partner",
    "posting",
    "project",
    "request",
    "service_audit",
    "service_user",
]

metadata = MetaData()

fund = Table(
    "fund",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: one fund per books
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("start", Date, nullable=False),
    Column("terms_source", Text, nullable=False),
    Column("terms", Text, nullable=False),  # the term sheet's TOML, as given to init
    Column("created_at", Text, nullable=False),
    CheckConstraint("id = 1", name="one_fund"),
)

partner = Table(
    "partner",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),  # order of admission
    Column("name", Text),
    Column("role", String(2), nullable=False),
    Column("investor_class", String(20)),
    Column("country", String(2)),
    Column("currency", String(3), nullable=False),
    Column("commitment", BigInteger, nullable=False),  # minor units of its currency
    Column("carry_share", Float),
    Column("closing", Date, nullable=False),
    Column("source", String(10), nullable=False),  # 'terms' or 'csv'
    CheckConstraint("role IN ('lp', 'gp')", name="partner_role"),
    CheckConstraint("currency IN ('USD', 'JPY')", name="partner_currency"),
    CheckConstraint("commitment >= 0", name="partner_commitment"),
)

project = Table(
    "project",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", Text),
    Column("from_terms", Integer, nullable=False),
)

account = Table(
    "account",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("name", Text, nullable=False),
    CheckConstraint("kind IN ('asset', 'liability', 'capital', 'trading')", name="account_kind"),
)

entry = Table(
    "entry",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("date", Date, nullable=False),
    Column("booked_at", Text, nullable=False),
    Column("memo", Text),
    Column("key", Text),
    Column("reverses", BigInteger, ForeignKey("entry.id")),
    Column("details", Text, nullable=False),  # JSON
    Column("tx", BigInteger),  # PostgreSQL: the transaction that wrote it (set by a trigger)
)

posting = Table(
    "posting",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("entry_id", BigInteger, nullable=False),
    Column("account", String(40), ForeignKey("account.code"), nullable=False),
    Column("partner_id", String(40), ForeignKey("partner.id")),
    Column("project_id", String(40), ForeignKey("project.id")),
    Column("ref", BigInteger),  # receivables: the call entry they belong to
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),  # debit > 0, credit < 0
    Column("value", BigInteger, nullable=False),  # in the fund's currency
    ForeignKeyConstraint(
        ["entry_id"], ["entry.id"], deferrable=True, initially="DEFERRED", name="posting_entry"
    ),
    CheckConstraint("currency IN ('USD', 'JPY')", name="posting_currency"),
    Index("posting_by_entry", "entry_id"),
    Index("posting_by_account", "account", "partner_id"),
    Index("posting_by_partner", "partner_id", "entry_id"),  # the service's reads
)

request = Table(
    "request",
    metadata,
    Column("key", Text, primary_key=True),
    Column("command", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", Text, nullable=False),  # JSON: what the command answered
    Column("created_at", Text, nullable=False),
)

fee_period = Table(
    "fee_period",
    metadata,
    Column("quarter", String(6), primary_key=True),  # 2026Q1
    Column("entry_id", BigInteger, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("command", String(20), nullable=False),
    Column("request", Text, nullable=False),  # JSON
    Column("entries", Text, nullable=False),  # JSON list of entry ids booked
)

# The service (``sovfund serve``): its users, and its audit log of HTTP writes.

service_user = Table(
    "service_user",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("partner_id", String(40), ForeignKey("partner.id")),  # LP users only
    Column("key_hash", String(64), nullable=False, unique=True),  # SHA-256 of the API key
    Column("created_at", Text, nullable=False),
    CheckConstraint("role IN ('gp_admin', 'lp', 'auditor', 'analyst')", name="service_user_role"),
    CheckConstraint("(role = 'lp') = (partner_id IS NOT NULL)", name="service_user_partner"),
)

service_audit = Table(
    "service_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("role", String(10), nullable=False),
    Column("method", String(7), nullable=False),
    Column("path", Text, nullable=False),
    Column("key", Text),  # the request's idempotency key, if any
    Column("status", Integer, nullable=False),
)
