"""Police schemes: the child's team reviews the outcome of an application linked to their case (R31), a task
on the case: when it was asked of them, who reviewed it, and what they will do.

Revision ID: 0700_police
Revises: 0600_merge
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0700_police"
down_revision: str | Sequence[str] | None = "0600_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("scheme_case_link") as batch:
        batch.add_column(sa.Column("review_asked_at", UTC, nullable=True))
        batch.add_column(sa.Column("reviewed_at", UTC, nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("review_action", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_scheme_case_link_reviewed_by_id_app_user"), "app_user", ["reviewed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("scheme_case_link") as batch:
        batch.drop_constraint(op.f("fk_scheme_case_link_reviewed_by_id_app_user"), type_="foreignkey")
        for column in ("review_note", "review_action", "reviewed_by_id", "reviewed_at", "review_asked_at"):
            batch.drop_column(column)
