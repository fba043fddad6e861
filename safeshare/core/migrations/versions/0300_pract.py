"""Each disclosure records its data-protection basis (R47): UK GDPR Article 6 basis, Article 9 condition
and, where that needs one, the DPA 2018 Schedule 1 condition, with whether it was the default offered.

A plain nullable JSON column: entries made before it was asked show "Not recorded".

Revision ID: 0300_pract
Revises: 0110_pract
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0300_pract"
down_revision: str | Sequence[str] | None = "0110_pract"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "disclosure",
        sa.Column(
            "data_protection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("disclosure") as batch:
        batch.drop_column("data_protection")
