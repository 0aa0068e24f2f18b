"""The books: fund, partners, projects, accounts, the journal, requests, audit log.

The guards, per dialect (the rule is the same):

- an entry is sealed by its header: postings are inserted first, then the entry row;
  the entry is refused unless its postings (at least two) sum to zero in each
  currency and in the fund's currency (``value``). SQLite checks when the header is
  inserted; PostgreSQL with a constraint trigger deferred to the commit;
- postings cannot be added to an entry already booked;
- nothing in the journal (entries, postings, requests, fee periods, the audit log)
  can be updated or deleted: a mistake is corrected by a reversing entry.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("entry", "posting", "request", "fee_period", "audit")
APPEND_ONLY_MESSAGE = "books: the journal is append-only; correct an entry with a reversing entry"
UNBALANCED_MESSAGE = (
    "books: unbalanced entry: its postings must be two or more and sum to zero in each currency"
)
SEALED_MESSAGE = "books: postings cannot be added to an entry already booked"


def upgrade() -> None:
    op.create_table(
        "fund",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("terms_source", sa.Text, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="one_fund"),
    )
    op.create_table(
        "partner",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("number", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("role", sa.String(2), nullable=False),
        sa.Column("investor_class", sa.String(20)),
        sa.Column("country", sa.String(2)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("commitment", sa.BigInteger, nullable=False),
        sa.Column("carry_share", sa.Float),
        sa.Column("closing", sa.Date, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.CheckConstraint("role IN ('lp', 'gp')", name="partner_role"),
        sa.CheckConstraint("currency IN ('USD', 'JPY')", name="partner_currency"),
        sa.CheckConstraint("commitment >= 0", name="partner_commitment"),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("from_terms", sa.Integer, nullable=False),
    )
    op.create_table(
        "account",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.CheckConstraint(
            "kind IN ('asset', 'liability', 'capital', 'trading')", name="account_kind"
        ),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("booked_at", sa.Text, nullable=False),
        sa.Column("memo", sa.Text),
        sa.Column("key", sa.Text),
        sa.Column("reverses", sa.BigInteger, sa.ForeignKey("entry.id")),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("tx", sa.BigInteger),
    )
    op.create_table(
        "posting",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("account", sa.String(40), sa.ForeignKey("account.code"), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner.id")),
        sa.Column("project_id", sa.String(40), sa.ForeignKey("project.id")),
        sa.Column("ref", sa.BigInteger),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entry.id"],
            deferrable=True,
            initially="DEFERRED",
            name="posting_entry",
        ),
        sa.CheckConstraint("currency IN ('USD', 'JPY')", name="posting_currency"),
    )
    op.create_index("posting_by_entry", "posting", ["entry_id"])
    op.create_index("posting_by_account", "posting", ["account", "partner_id"])
    op.create_table(
        "request",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("command", sa.String(20), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "fee_period",
        sa.Column("quarter", sa.String(6), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("command", sa.String(20), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("entries", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


# How an entry's postings fail to balance, as one SQL condition on NEW.id.
_UNBALANCED = """
    (SELECT COUNT(*) FROM posting WHERE entry_id = NEW.id) < 2
    OR EXISTS (SELECT 1 FROM posting WHERE entry_id = NEW.id
               GROUP BY currency HAVING SUM(amount) <> 0)
    OR (SELECT SUM(value) FROM posting WHERE entry_id = NEW.id) <> 0
"""


def _sqlite_guards() -> None:
    op.execute(
        f"""
        CREATE TRIGGER entry_balanced BEFORE INSERT ON entry
        WHEN {_UNBALANCED}
        BEGIN SELECT RAISE(ABORT, '{UNBALANCED_MESSAGE}'); END
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER posting_sealed BEFORE INSERT ON posting
        WHEN EXISTS (SELECT 1 FROM entry WHERE id = NEW.entry_id)
        BEGIN SELECT RAISE(ABORT, '{SEALED_MESSAGE}'); END
        """
    )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
                """
            )


def _postgresql_guards() -> None:
    op.execute(
        f"""
        CREATE FUNCTION books_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION books_append_only()
            """
        )
    op.execute(
        """
        CREATE FUNCTION books_entry_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.tx := txid_current(); RETURN NEW; END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER entry_stamp BEFORE INSERT ON entry
        FOR EACH ROW EXECUTE FUNCTION books_entry_stamp()
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION books_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_UNBALANCED} THEN
                RAISE EXCEPTION '{UNBALANCED_MESSAGE} (entry %)', NEW.id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER entry_balanced AFTER INSERT ON entry
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION books_entry_balanced()
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION books_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted JOIN entry ON entry.id = inserted.entry_id
                       WHERE entry.tx IS DISTINCT FROM txid_current()) THEN
                RAISE EXCEPTION '{SEALED_MESSAGE}';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER posting_sealed AFTER INSERT ON posting
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION books_posting_sealed()
        """
    )


def downgrade() -> None:
    for table in ("audit", "fee_period", "request", "posting", "entry", "account"):
        op.drop_table(table)
    for table in ("project", "partner", "fund"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for function in (
            "books_append_only",
            "books_entry_stamp",
            "books_entry_balanced",
            "books_posting_sealed",
        ):
            op.execute(f"DROP FUNCTION {function}()")
