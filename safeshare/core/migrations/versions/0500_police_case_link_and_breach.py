"""Police schemes: a link to a child's case asked of the case's team (R31), and suspected breaches of an
undertaking with the police decision on them (R45).

Revision ID: 0500_police_case_link_and_breach
Revises: 0400_merge
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0500_police_case_link_and_breach"
down_revision: str | Sequence[str] | None = "0400_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeshare.core.records.base.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "scheme_case_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reference_given", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("asked_at", UTC, nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        _fk("scheme_case_link", "application_id", "scheme_application"),
        _fk("scheme_case_link", "case_id", "case_record"),
        _fk("scheme_case_link", "asked_by_id", "app_user"),
        _fk("scheme_case_link", "instance_id", "process_instance"),
        _fk("scheme_case_link", "answered_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_case_link")),
    )
    op.create_index(op.f("ix_scheme_case_link_application_id"), "scheme_case_link", ["application_id"])
    op.create_index(op.f("ix_scheme_case_link_case_id"), "scheme_case_link", ["case_id"])
    op.create_table(
        "scheme_undertaking_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("how_it_came_to_light", sa.Text(), nullable=False),
        sa.Column("reported_at", UTC, nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _fk("scheme_undertaking_breach", "application_id", "scheme_application"),
        _fk("scheme_undertaking_breach", "reported_by_id", "app_user"),
        _fk("scheme_undertaking_breach", "instance_id", "process_instance"),
        _fk("scheme_undertaking_breach", "decided_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_undertaking_breach")),
    )
    op.create_index(
        op.f("ix_scheme_undertaking_breach_application_id"), "scheme_undertaking_breach", ["application_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_scheme_undertaking_breach_application_id"), table_name="scheme_undertaking_breach")
    op.drop_table("scheme_undertaking_breach")
    op.drop_index(op.f("ix_scheme_case_link_case_id"), table_name="scheme_case_link")
    op.drop_index(op.f("ix_scheme_case_link_application_id"), table_name="scheme_case_link")
    op.drop_table("scheme_case_link")
