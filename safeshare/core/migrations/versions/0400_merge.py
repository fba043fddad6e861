"""Join the schema branches built in parallel (data-protection basis, subject access, referrals and requests).

Revision ID: 0400_merge
Revises: 0300_pract, 0300_ready, 0300_refer
Create Date: 2026-12-05

From here the history is linear again: new migrations revise "0400_merge".
"""

from collections.abc import Sequence

revision: str = "0400_merge"
down_revision: str | Sequence[str] | None = ("0300_pract", "0300_ready", "0300_refer")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only records that every branch is applied."""


def downgrade() -> None:
    """Nothing to undo."""
