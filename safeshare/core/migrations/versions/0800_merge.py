"""Join the schema branches built in parallel (a scheme outcome's review by the child's team; a team's
designated safeguarding lead and requests we send to other agencies).

Revision ID: 0800_merge
Revises: 0700_police, 0700_pract
Create Date: 2026-12-05

From here the history is linear again: new migrations revise "0800_merge".
"""

from collections.abc import Sequence

revision: str = "0800_merge"
down_revision: str | Sequence[str] | None = ("0700_police", "0700_pract")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only records that every branch is applied."""


def downgrade() -> None:
    """Nothing to undo."""
