"""A team's designated safeguarding lead (R4) and requests we send to another agency (P10).

``safeguarding_lead``: who is named as a team's lead, by whom and when, and when the naming ended.
``agency_request`` gains the request's reference (the message correlation key its answer is delivered
by, unique), and the answer another agency gave: its words, who gave it, who recorded it.

Revision ID: 0700_pract
Revises: 0600_merge
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0700_pract"
down_revision: str | Sequence[str] | None = "0600_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, safeshare.core.records.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "safeguarding_lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("named_by_id", sa.Integer(), nullable=False),
        _when("named_at"),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        _when("ended_at", nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_safeguarding_lead_team_id_team")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_safeguarding_lead_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["named_by_id"], ["app_user.id"], name=op.f("fk_safeguarding_lead_named_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["app_user.id"], name=op.f("fk_safeguarding_lead_ended_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_lead")),
    )
    op.create_index(op.f("ix_safeguarding_lead_team_id"), "safeguarding_lead", ["team_id"], unique=False)
    op.create_index(op.f("ix_safeguarding_lead_user_id"), "safeguarding_lead", ["user_id"], unique=False)
    with op.batch_alter_table("agency_request") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("answer_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answered_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("answer_recorded_by_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_agency_request_reference"), ["reference"])
        batch.create_foreign_key(
            op.f("fk_agency_request_answer_recorded_by_id_app_user"), "app_user", ["answer_recorded_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agency_request") as batch:
        batch.drop_constraint(op.f("fk_agency_request_answer_recorded_by_id_app_user"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_agency_request_reference"), type_="unique")
        batch.drop_column("answer_recorded_by_id")
        batch.drop_column("answered_by")
        batch.drop_column("answer_text")
        batch.drop_column("reference")
    op.drop_index(op.f("ix_safeguarding_lead_user_id"), table_name="safeguarding_lead")
    op.drop_index(op.f("ix_safeguarding_lead_team_id"), table_name="safeguarding_lead")
    op.drop_table("safeguarding_lead")
