"""What a consent or a decision to share covers (R19): the kinds of information and the purposes, and on
each disclosure the purpose it was for and the kind of information each item is.

Plain nullable columns: a consent or decision recorded before this covers nothing a new share could rest on
(a share on it is refused with the reason), and register entries made before show "Not recorded".

Revision ID: 0500_pract2_scope
Revises: 0400_merge
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0500_pract2_scope"
down_revision: str | Sequence[str] | None = "0400_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("consent_record", sa.Column("scope", _json(), nullable=True))
    op.add_column("share_decision", sa.Column("scope", _json(), nullable=True))
    op.add_column("disclosure", sa.Column("purpose_kind", sa.String(length=60), nullable=True))
    op.add_column("disclosure_item", sa.Column("information_kind", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disclosure_item") as batch:
        batch.drop_column("information_kind")
    with op.batch_alter_table("disclosure") as batch:
        batch.drop_column("purpose_kind")
    with op.batch_alter_table("share_decision") as batch:
        batch.drop_column("scope")
    with op.batch_alter_table("consent_record") as batch:
        batch.drop_column("scope")
