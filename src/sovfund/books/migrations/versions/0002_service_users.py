"""The service's users and its audit log of HTTP writes; postings by partner.

- ``service_user``: who may use ``sovfund serve``: a name, a role (``gp_admin``,
  ``lp``, ``auditor``, ``analyst``), the partner an LP user reads, and the SHA-256 of
  its API key (the key itself is shown once, never stored);
- ``service_audit``: every write the service was asked for (user, method, path, the
  idempotency key, the answer's status), append-only like the books' own audit log;
- ``posting_by_partner``: an index for what the service reads per partner (a
  statement, the notices), which would otherwise scan every posting of the fund.

Revision ID: 0002_service
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "books: the service audit log is append-only"
ROLES = "('gp_admin', 'lp', 'auditor', 'analyst')"


def upgrade() -> None:
    op.create_table(
        "service_user",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner.id")),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.CheckConstraint(f"role IN {ROLES}", name="service_user_role"),
        sa.CheckConstraint("(role = 'lp') = (partner_id IS NOT NULL)", name="service_user_partner"),
    )
    op.create_table(
        "service_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("method", sa.String(7), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("status", sa.Integer, nullable=False),
    )
    op.create_index("posting_by_partner", "posting", ["partner_id", "entry_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION service_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (% on %)', TG_OP, TG_TABLE_NAME;
            END $$
            """
        )
        op.execute(
            """
            CREATE TRIGGER service_audit_append_only
            BEFORE UPDATE OR DELETE OR TRUNCATE ON service_audit
            FOR EACH STATEMENT EXECUTE FUNCTION service_append_only()
            """
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER service_audit_no_{action.lower()}
                BEFORE {action} ON service_audit
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
                """
            )


def downgrade() -> None:
    op.drop_index("posting_by_partner", "posting")
    op.drop_table("service_audit")
    op.drop_table("service_user")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION service_append_only()")
