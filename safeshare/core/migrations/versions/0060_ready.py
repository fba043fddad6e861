"""Ready for a partnership: single sign-on identities; retention reviews and holds; audit redaction.

The audit guard of 0005 refused every UPDATE of ``audit_event``. Retention has to remove an event's
content while keeping the event, its position and its hash, so the guard now lets exactly one change
through, once per event: setting ``redacted_at`` (and the content columns) with the sequence number,
time, type and both hashes unchanged. Everything else is still refused, for every role.

Revision ID: 0060_ready
Revises: 0008 (0008_merge_branches.py)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0060_ready"
down_revision: str | Sequence[str] | None = "0008"  # the file 0008_merge_branches.py; its revision id is "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)

_REDACTION_ONLY = (
    "OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash "
    "AND NEW.prev_hash = OLD.prev_hash AND NEW.occurred_at = OLD.occurred_at AND NEW.event_type = OLD.event_type"
)
PG_UPGRADE = [
    f"""
    CREATE OR REPLACE FUNCTION audit_event_refuse_change_but_redaction() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_REDACTION_ONLY} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Audit events can only be added; record a correcting event instead';
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change_but_redaction()
    """,
]
PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()
    """,
    "DROP FUNCTION IF EXISTS audit_event_refuse_change_but_redaction()",
]
SQLITE_UPGRADE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    f"""
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    WHEN NOT ({_REDACTION_ONLY})
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END
    """,
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END
    """,
]


def upgrade() -> None:
    op.create_table(
        "sso_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("first_signed_in_at", UTC, nullable=False),
        sa.Column("last_signed_in_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_sso_identity_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identity")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_sso_identity_issuer")),
    )
    op.create_index(op.f("ix_sso_identity_user_id"), "sso_identity", ["user_id"], unique=False)

    op.create_table(
        "retention_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["app_user.id"], name=op.f("fk_retention_review_decided_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_review")),
    )
    op.create_table(
        "retention_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["retention_review.id"], name=op.f("fk_retention_item_review_id_retention_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_item")),
    )
    op.create_index(op.f("ix_retention_item_review_id"), "retention_item", ["review_id"], unique=False)
    op.create_index("ix_retention_item_kind_record", "retention_item", ["kind", "record_key"], unique=False)
    op.create_table(
        "retention_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_key", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["app_user.id"], name=op.f("fk_retention_hold_placed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"], ["app_user.id"], name=op.f("fk_retention_hold_lifted_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_hold")),
    )
    op.create_index("ix_retention_hold_kind_record", "retention_hold", ["kind", "record_key"], unique=False)

    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("redacted_at", UTC, nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_UPGRADE if postgresql else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_DOWNGRADE if postgresql else SQLITE_DOWNGRADE:
        op.execute(statement)
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_column("redacted_at")
    op.drop_index("ix_retention_hold_kind_record", table_name="retention_hold")
    op.drop_table("retention_hold")
    op.drop_index("ix_retention_item_kind_record", table_name="retention_item")
    op.drop_index(op.f("ix_retention_item_review_id"), table_name="retention_item")
    op.drop_table("retention_item")
    op.drop_table("retention_review")
    op.drop_index(op.f("ix_sso_identity_user_id"), table_name="sso_identity")
    op.drop_table("sso_identity")
