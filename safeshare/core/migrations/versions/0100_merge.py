"""Join the schema branches built in parallel (security, practitioner side, vocabularies, retention and SSO).

Revision ID: 0100_merge
Revises: 0010_sec, 0030_pract, 0050_arch, 0060_ready
Create Date: 2026-12-04

From here the history is linear again: new migrations revise "0100_merge".
"""

from collections.abc import Sequence

revision: str = "0100_merge"
down_revision: str | Sequence[str] | None = ("0010_sec", "0030_pract", "0050_arch", "0060_ready")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only records that every branch is applied."""


def downgrade() -> None:
    """Nothing to undo."""
