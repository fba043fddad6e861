"""Training mode (issue 16): the table whose one row marks a database as a training copy and holds how far
a trainer has moved its clock forward.

Revision ID: 0500_admin_training
Revises: 0400_merge
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0500_admin_training"
down_revision: str | Sequence[str] | None = "0400_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "training_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("moved_at", UTC, nullable=True),
        sa.Column("moved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moved_by_id"], ["app_user.id"], name=op.f("fk_training_setting_moved_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_setting")),
    )


def downgrade() -> None:
    op.drop_table("training_setting")
