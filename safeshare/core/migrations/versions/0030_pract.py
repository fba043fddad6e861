"""Sharing decisions and the register as they happened (issue 13): consent restrictions as structured
choices and its signature and copy; the share decision's weighing
(proportionality and the risk of not sharing), its statute or court order, and the reason consent was
not sought when the decision starts without it; the register's entered time and maker kept apart
from who recorded the entry and when.

Revision ID: 0030_pract
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import safeshare.core.records.base

revision: str = "0030_pract"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("consent_record") as batch:
        batch.add_column(sa.Column("restriction_choices", _json(), nullable=True))
        batch.add_column(sa.Column("signature", _json(), nullable=True))
        batch.add_column(sa.Column("copy_given", sa.String(length=20), nullable=True))
    with op.batch_alter_table("share_decision") as batch:
        batch.add_column(sa.Column("weighing", _json(), nullable=True))
        batch.add_column(sa.Column("legal_basis", _json(), nullable=True))
        batch.add_column(sa.Column("not_sought_ground", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("not_sought_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("disclosure") as batch:
        batch.add_column(sa.Column("recorded_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_disclosure_recorded_by_id_app_user"), "app_user", ["recorded_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_record") as batch:
        batch.drop_column("copy_given")
        batch.drop_column("signature")
        batch.drop_column("restriction_choices")
    with op.batch_alter_table("disclosure") as batch:
        batch.drop_constraint(op.f("fk_disclosure_recorded_by_id_app_user"), type_="foreignkey")
        batch.drop_column("recorded_by_id")
        batch.drop_column("recorded_at")
    with op.batch_alter_table("share_decision") as batch:
        batch.drop_column("not_sought_reason")
        batch.drop_column("not_sought_ground")
        batch.drop_column("legal_basis")
        batch.drop_column("weighing")
