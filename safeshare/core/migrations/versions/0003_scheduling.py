"""scheduling: deadline settings and timer incidents

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 16:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "deadline_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("urgency", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_deadline_setting_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_setting")),
        sa.UniqueConstraint("kind", "urgency", name="uq_deadline_setting_kind_urgency"),
    )
    op.create_table(
        "timer_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("timers", sa.String(length=500), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("resolved_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_timer_incident_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["app_user.id"], name=op.f("fk_timer_incident_resolved_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer_incident")),
    )
    with op.batch_alter_table("timer_incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timer_incident_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index("ix_timer_incident_open", ["resolved_at", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timer_incident", schema=None) as batch_op:
        batch_op.drop_index("ix_timer_incident_open")
        batch_op.drop_index(batch_op.f("ix_timer_incident_instance_id"))
    op.drop_table("timer_incident")
    op.drop_table("deadline_setting")
