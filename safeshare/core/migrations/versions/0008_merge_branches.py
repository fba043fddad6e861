"""Join the schema branches built in parallel (sharing, scheduling, web auth, audit guard, inbox index).

Revision ID: 0008
Revises: 0002, 0003, 0004, 0005, 0007_inbox
Create Date: 2026-11-25

From here the history is linear again: new migrations revise "0008".
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004", "0005", "0007_inbox")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only records that every branch is applied."""


def downgrade() -> None:
    """Nothing to undo."""
