"""Model versions: sets of BPMN, DMN and forms deployed together, and the version each instance runs on.

Revision ID: 0500_models
Revises: 0400_merge
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0500_models"
down_revision: str | Sequence[str] | None = "0400_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployed_at", UTC, nullable=False),
        sa.Column("deployed_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployed_by_id"], ["app_user.id"], name=op.f("fk_model_version_deployed_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_version")),
    )
    op.create_table(
        "model_version_process",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["model_version.id"], name=op.f("fk_model_version_process_version_id_model_version")
        ),
        sa.ForeignKeyConstraint(
            ["content_hash"],
            ["process_definition.content_hash"],
            name=op.f("fk_model_version_process_content_hash_process_definition"),
        ),
        sa.PrimaryKeyConstraint("version_id", "process_id", name=op.f("pk_model_version_process")),
    )
    # A plain ADD COLUMN: a batch copy of process_instance would lose its status CHECK constraint on SQLite,
    # which takes a column REFERENCES only written inline (with a NULL default).
    fk = "fk_process_instance_model_version_id_model_version"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE process_instance ADD COLUMN model_version_id INTEGER "
            f"CONSTRAINT {fk} REFERENCES model_version (id)"
        )
    else:
        op.add_column(
            "process_instance",
            sa.Column("model_version_id", sa.Integer(), sa.ForeignKey("model_version.id", name=fk), nullable=True),
        )
    op.create_index(op.f("ix_process_instance_model_version_id"), "process_instance", ["model_version_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_process_instance_model_version_id"), table_name="process_instance")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("model_version_id")
    op.drop_table("model_version_process")
    op.drop_table("model_version")
