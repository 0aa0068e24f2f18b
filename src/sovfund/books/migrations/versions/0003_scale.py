"""The books at a million partners, and retail liquidity (repurchase offers).

Scale. The guards keep every rule of 0001, set-based where they ran row by row:

- PostgreSQL checks a posting's references (its account, partner and project) once
  per INSERT statement, over the statement's new rows, instead of a foreign key
  checked row by row: at a million partners those per-row checks were most of a
  call's time. Postings still cannot be added to an entry already booked (the same
  statement trigger), and postings whose entry never comes are refused at the
  commit: the statement records the entries it wrote postings for
  (``posting_batch``), and a constraint trigger deferred to the commit refuses any
  of them that has no entry. The partners, accounts and projects the journal names
  can no longer be deleted or renamed (their foreign keys did that before).
- The balance check reads an entry's postings once (one pass per currency), on
  both databases.
- Indexes: ``posting_by_account`` (every posting, by account and partner) and
  0002_service's ``posting_by_partner`` (partner, entry) go: their keys land all over
  them on each insert (a call to a million partners adds a million keys, one in
  every partner's range), which cost more than they saved. ``posting_by_entry``
  becomes (entry, partner): each entry's keys are new and in order, so a million
  postings append to it, and a partner's postings are found entry by entry (the
  service's statements, notices and register probe it once per entry and partner).
  Measured on PostgreSQL at 1,000,000 partners (10 million postings), in two runs:
  with ``posting_by_partner`` the benchmark's six bulk writes (two calls, a payment,
  two fee runs, a distribution) took 18% and 39% longer (160 s against 136 s, 230 s
  against 166 s; a distribution 29 s against 26 s, 50 s against 25 s), while the
  service's reads stayed fast without it: a partner's statement 5 ms with it, 6 to
  10 ms without; its notices 1.3 to 1.7 ms either way; a page of 50 partners of the
  register 10 ms and 15 ms (docs/books.md, "At scale").
  ``posting_fund_side`` indexes the few postings of the fund's own accounts (cash,
  debt, investments: ``partner_id IS NULL``).

Liquidity: ``offer`` (a repurchase offer to one investor class, at NAV on its
pricing date, capped at the gate), ``offer_request`` (one per partner and offer),
``offer_settlement`` (one per offer: the entry that paid it) and ``repurchase``
(each requester's part: NAV, asked, accepted, the early-repurchase deduction, paid,
and the contributed capital its units carried, cancelled). All append-only. The
capital account ``repurchase_deductions`` is added to books that exist.

Revision ID: 0003_scale
Revises: 0002_service
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_scale"
down_revision = "0002_service"
branch_labels = None
depends_on = None

APPEND_ONLY = ("offer", "offer_request", "offer_settlement", "repurchase")
APPEND_ONLY_MESSAGE = "books: the journal is append-only; correct an entry with a reversing entry"
UNBALANCED_MESSAGE = (
    "books: unbalanced entry: its postings must be two or more and sum to zero in each currency"
)
SEALED_MESSAGE = "books: postings cannot be added to an entry already booked"
KEPT_MESSAGE = "books: the journal names it; partners, accounts and projects cannot be removed"
DEDUCTIONS = ("repurchase_deductions", "capital", "Early repurchase deductions (kept by the fund)")


def _unbalanced(any_of: str) -> str:
    """How an entry's postings fail to balance, as one SQL condition on NEW.id, in one
    pass over them (per currency); ``any_of`` is the dialect's aggregate "any true"."""
    return f"""
    (SELECT COALESCE(SUM(n), 0) < 2 OR COALESCE(SUM(v), 0) <> 0
            OR COALESCE({any_of}(a <> 0), 1 = 0)
     FROM (SELECT COUNT(*) AS n, SUM(value) AS v, SUM(amount) AS a
           FROM posting WHERE entry_id = NEW.id GROUP BY currency) AS sums)
    """


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _liquidity_tables()
    op.drop_index("posting_by_account", "posting")
    op.drop_index("posting_by_partner", "posting")
    op.drop_index("posting_by_entry", "posting")
    op.create_index("posting_by_entry", "posting", ["entry_id", "partner_id"])
    op.create_index(
        "posting_fund_side",
        "posting",
        ["account", "project_id"],
        postgresql_where=sa.text("partner_id IS NULL"),
        sqlite_where=sa.text("partner_id IS NULL"),
    )
    op.execute(
        f"INSERT INTO account (code, kind, name) SELECT '{DEDUCTIONS[0]}', '{DEDUCTIONS[1]}',"
        f" '{DEDUCTIONS[2]}' WHERE EXISTS (SELECT 1 FROM fund)"
        f" AND NOT EXISTS (SELECT 1 FROM account WHERE code = '{DEDUCTIONS[0]}')"
    )
    if dialect == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def _liquidity_tables() -> None:
    op.create_table(
        "offer",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("investor_class", sa.String(20), nullable=False),
        sa.Column("opened", sa.Date, nullable=False),
        sa.Column("pricing", sa.Date, nullable=False),
        sa.Column("gate", sa.Text, nullable=False),
        sa.Column("deduction", sa.Text, nullable=False),
        sa.Column("holding_days", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("pricing >= opened", name="offer_priced_after_opening"),
    )
    op.create_table(
        "offer_request",
        sa.Column("offer_id", sa.BigInteger, sa.ForeignKey("offer.id"), primary_key=True),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner.id"), primary_key=True),
        sa.Column("amount", sa.BigInteger),
        sa.Column("share", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint("(amount IS NULL) <> (share IS NULL)", name="offer_request_one_of"),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name="offer_request_amount"),
    )
    op.create_table(
        "offer_settlement",
        sa.Column("offer_id", sa.BigInteger, sa.ForeignKey("offer.id"), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, sa.ForeignKey("entry.id")),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("class_nav", sa.BigInteger, nullable=False),
        sa.Column("cap", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "repurchase",
        sa.Column("offer_id", sa.BigInteger, sa.ForeignKey("offer.id"), primary_key=True),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner.id"), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, sa.ForeignKey("entry.id"), nullable=False),
        sa.Column("nav", sa.BigInteger, nullable=False),
        sa.Column("requested", sa.BigInteger, nullable=False),
        sa.Column("accepted", sa.BigInteger, nullable=False),
        sa.Column("deduction", sa.BigInteger, nullable=False),
        sa.Column("paid", sa.BigInteger, nullable=False),
        sa.Column("cancelled", sa.BigInteger, nullable=False),
        sa.CheckConstraint(
            "accepted <= requested AND accepted <= nav AND deduction + paid = accepted"
            " AND deduction >= 0 AND paid >= 0",
            name="repurchase_parts",
        ),
    )


def _sqlite_guards() -> None:
    op.execute("DROP TRIGGER entry_balanced")
    op.execute(
        f"""
        CREATE TRIGGER entry_balanced BEFORE INSERT ON entry
        WHEN {_unbalanced("MAX")}
        BEGIN SELECT RAISE(ABORT, '{UNBALANCED_MESSAGE}'); END
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
    bind = op.get_bind()
    for foreign_key in sa.inspect(bind).get_foreign_keys("posting"):
        name = foreign_key["name"]
        assert name is not None  # PostgreSQL names every constraint
        op.drop_constraint(name, "posting", type_="foreignkey")
    op.create_table(
        "posting_batch",
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("tx", sa.BigInteger, nullable=False),
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION books_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {_unbalanced("bool_or")} THEN
                RAISE EXCEPTION '{UNBALANCED_MESSAGE} (entry %)', NEW.id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION books_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            batch record;
            found text;
        BEGIN
            -- a statement's rows share a few (entry, account, project): each checked once
            FOR batch IN SELECT DISTINCT entry_id, account, project_id FROM inserted LOOP
                IF EXISTS (SELECT 1 FROM entry WHERE entry.id = batch.entry_id
                           AND entry.tx IS DISTINCT FROM txid_current()) THEN
                    RAISE EXCEPTION '{SEALED_MESSAGE}';
                END IF;
                IF NOT EXISTS (SELECT 1 FROM account WHERE account.code = batch.account) THEN
                    RAISE EXCEPTION 'books: a posting to an unknown account %', batch.account;
                END IF;
                IF batch.project_id IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM project WHERE project.id = batch.project_id
                ) THEN
                    RAISE EXCEPTION 'books: a posting to an unknown project %', batch.project_id;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM entry WHERE entry.id = batch.entry_id) THEN
                    INSERT INTO posting_batch (entry_id, tx)
                    VALUES (batch.entry_id, txid_current());
                END IF;
            END LOOP;
            SELECT inserted.partner_id INTO found FROM inserted
            WHERE inserted.partner_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM partner WHERE partner.id = inserted.partner_id)
            LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'books: a posting to an unknown partner %', found;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION books_posting_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM entry WHERE entry.id = NEW.entry_id) THEN
                RAISE EXCEPTION 'books: postings without an entry (entry %)', NEW.entry_id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE CONSTRAINT TRIGGER posting_entry_exists AFTER INSERT ON posting_batch
        DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION books_posting_entry()
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION books_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{KEPT_MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    for table, key in (("partner", "id, number"), ("account", "code"), ("project", "id")):
        op.execute(
            f"""
            CREATE TRIGGER {table}_kept BEFORE DELETE OR TRUNCATE OR UPDATE OF {key} ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION books_kept()
            """
        )
    for table in APPEND_ONLY:
        op.execute(
            f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION books_append_only()
            """
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in ("partner", "account", "project"):
            op.execute(f"DROP TRIGGER {table}_kept ON {table}")
        op.execute("DROP FUNCTION books_kept()")
    for table in ("repurchase", "offer_settlement", "offer_request", "offer"):
        op.drop_table(table)
    op.execute("DELETE FROM account WHERE code = 'repurchase_deductions'")
    op.drop_index("posting_fund_side", "posting")
    op.drop_index("posting_by_entry", "posting")
    op.create_index("posting_by_entry", "posting", ["entry_id"])
    op.create_index("posting_by_account", "posting", ["account", "partner_id"])
    op.create_index("posting_by_partner", "posting", ["partner_id", "entry_id"])
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION books_posting_sealed() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM inserted JOIN entry ON entry.id = inserted.entry_id
                           WHERE entry.tx IS DISTINCT FROM txid_current()) THEN
                    RAISE EXCEPTION '{SEALED_MESSAGE}';
                END IF;
                RETURN NULL;
            END $$
            """
        )
        op.drop_table("posting_batch")
        op.execute("DROP FUNCTION books_posting_entry()")
        op.create_foreign_key(None, "posting", "account", ["account"], ["code"])
        op.create_foreign_key(None, "posting", "partner", ["partner_id"], ["id"])
        op.create_foreign_key(None, "posting", "project", ["project_id"], ["id"])
        op.create_foreign_key(
            "posting_entry", "posting", "entry", ["entry_id"], ["id"],
            deferrable=True, initially="DEFERRED",
        )  # fmt: skip
    # the balance check keeps its one-pass body: the same rule
