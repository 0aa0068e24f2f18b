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

The two databases differ in one place: on SQLite a posting's account, partner,
project and entry are foreign keys; on PostgreSQL the same rule is kept by triggers
that check each INSERT statement's rows at once (and the entry at the commit), with
``posting_batch`` their note of the entries still to come (migration 0003).
:func:`declared` is the schema of each.
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
    text,
)

__all__ = [
    "account",
    "audit",
    "declared",
    "entry",
    "fee_period",
    "fund",
    "metadata",
    "offer",
    "offer_request",
    "offer_settlement",
    "partner",
    "posting",
    "project",
    "repurchase",
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


def _posting(metadata: MetaData, *, foreign_keys: bool) -> Table:
    def refers(target: str) -> list[ForeignKey]:
        return [ForeignKey(target)] if foreign_keys else []

    entry_key = (
        [
            ForeignKeyConstraint(
                ["entry_id"],
                ["entry.id"],
                deferrable=True,
                initially="DEFERRED",
                name="posting_entry",
            )
        ]
        if foreign_keys
        else []
    )
    return Table(
        "posting",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("entry_id", BigInteger, nullable=False),
        Column("account", String(40), *refers("account.code"), nullable=False),
        Column("partner_id", String(40), *refers("partner.id")),
        Column("project_id", String(40), *refers("project.id")),
        Column("ref", BigInteger),  # receivables: the call entry they belong to
        Column("currency", String(3), nullable=False),
        Column("amount", BigInteger, nullable=False),  # debit > 0, credit < 0
        Column("value", BigInteger, nullable=False),  # in the fund's currency
        *entry_key,
        CheckConstraint("currency IN ('USD', 'JPY')", name="posting_currency"),
        # The one index over every posting: by entry, and a partner's postings entry by
        # entry (statements, the service's reads: statements.of_partners). Its keys are
        # appended in order as entries are booked. An index led by the partner (0002's
        # posting_by_partner) takes a key in every partner's range on each call: at a
        # million partners it made bulk writes 18-39% slower to save a partner's
        # statement a few milliseconds (measured: migration 0003_scale).
        Index("posting_by_entry", "entry_id", "partner_id"),
        Index(  # the fund's own accounts: cash, debt, investments...
            "posting_fund_side",
            "account",
            "project_id",
            postgresql_where=text("partner_id IS NULL"),
            sqlite_where=text("partner_id IS NULL"),
        ),
    )


posting = _posting(metadata, foreign_keys=True)

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

# Retail liquidity: repurchase offers (docs/books.md, "Retail liquidity").

offer = Table(
    "offer",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("investor_class", String(20), nullable=False),
    Column("opened", Date, nullable=False),
    Column("pricing", Date, nullable=False),  # the NAV date
    Column("gate", Text, nullable=False),  # decimal: the cap, a share of the class's NAV
    Column("deduction", Text, nullable=False),  # decimal: the early-repurchase deduction
    Column("holding_days", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
    CheckConstraint("pricing >= opened", name="offer_priced_after_opening"),
)

offer_request = Table(
    "offer_request",
    metadata,
    Column("offer_id", BigInteger, ForeignKey("offer.id"), primary_key=True),
    Column("partner_id", String(40), ForeignKey("partner.id"), primary_key=True),
    Column("amount", BigInteger),  # minor units of the partner's currency, or
    Column("share", Text),  # a decimal share of its NAV
    Column("created_at", Text, nullable=False),
    CheckConstraint("(amount IS NULL) <> (share IS NULL)", name="offer_request_one_of"),
    CheckConstraint("amount IS NULL OR amount > 0", name="offer_request_amount"),
)

offer_settlement = Table(
    "offer_settlement",
    metadata,
    Column("offer_id", BigInteger, ForeignKey("offer.id"), primary_key=True),
    Column("entry_id", BigInteger, ForeignKey("entry.id")),  # None: nothing was asked
    Column("date", Date, nullable=False),
    Column("class_nav", BigInteger, nullable=False),  # the class's NAV on the pricing date
    Column("cap", BigInteger, nullable=False),  # the gate: the most it accepts
)

repurchase = Table(  # each requester's part of a settled offer, in the fund's currency
    "repurchase",
    metadata,
    Column("offer_id", BigInteger, ForeignKey("offer.id"), primary_key=True),
    Column("partner_id", String(40), ForeignKey("partner.id"), primary_key=True),
    Column("entry_id", BigInteger, ForeignKey("entry.id"), nullable=False),
    Column("nav", BigInteger, nullable=False),  # its capital account on the pricing date
    Column("requested", BigInteger, nullable=False),
    Column("accepted", BigInteger, nullable=False),  # pro rata when oversubscribed
    Column("deduction", BigInteger, nullable=False),  # kept by the fund
    Column("paid", BigInteger, nullable=False),  # accepted less deduction
    Column("cancelled", BigInteger, nullable=False),  # contributed capital its units carried
    CheckConstraint(
        "accepted <= requested AND accepted <= nav AND deduction + paid = accepted"
        " AND deduction >= 0 AND paid >= 0",
        name="repurchase_parts",
    ),
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


def _postgresql() -> MetaData:
    """PostgreSQL's schema: the same tables, the posting's references kept by triggers."""
    schema = MetaData()
    for table in metadata.sorted_tables:
        if table.name == "posting":
            _posting(schema, foreign_keys=False)
        else:
            table.to_metadata(schema)
    Table(
        "posting_batch",  # entries written postings for, checked at the commit
        schema,
        Column("entry_id", BigInteger, nullable=False),
        Column("tx", BigInteger, nullable=False),
    )
    return schema


def declared(dialect: str) -> MetaData:
    """The schema the migrations make on ``dialect`` (``sqlite`` or ``postgresql``)."""
    return _postgresql() if dialect == "postgresql" else metadata
