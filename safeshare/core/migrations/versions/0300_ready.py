"""Subject access requests: the request, its statutory deadline, the officer's sign-off and what was sent.

Revision ID: 0300_ready
Revises: 0110_pract
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import safeshare.core.records.base

revision: str = "0300_ready"
down_revision: str | Sequence[str] | None = "0110_pract"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _user(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["app_user.id"], name=op.f(f"fk_subject_access_request_{column}_app_user"))


def upgrade() -> None:
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("requester_relationship", sa.String(length=30), nullable=False),
        sa.Column("authority", sa.Text(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("subject_date_of_birth", sa.Date(), nullable=True),
        sa.Column("request_details", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("identity_checked_on", sa.Date(), nullable=False),
        sa.Column("identity_evidence", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_on", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reply", _json(), nullable=True),
        sa.Column("reply_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_at", UTC, nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("sent_method", sa.String(length=40), nullable=True),
        sa.Column("sent_to", sa.String(length=300), nullable=True),
        sa.Column("sent_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_recorded_at", UTC, nullable=True),
        _user("recorded_by_id"),
        _user("signed_off_by_id"),
        _user("sent_recorded_by_id"),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_subject_access_request_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_request")),
        sa.UniqueConstraint("reference", name=op.f("uq_subject_access_request_reference")),
    )


def downgrade() -> None:
    op.drop_table("subject_access_request")
