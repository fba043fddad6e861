"""Join the schema branches built in parallel (training mode, model versions, scheme case links and
undertaking breaches, the scope of consent and of decisions to share).

Revision ID: 0600_merge
Revises: 0500_admin_training, 0500_models, 0500_police_case_link_and_breach, 0500_pract2_scope
Create Date: 2026-12-05

From here the history is linear again: new migrations revise "0600_merge".
"""

from collections.abc import Sequence

revision: str = "0600_merge"
down_revision: str | Sequence[str] | None = (
    "0500_admin_training",
    "0500_models",
    "0500_police_case_link_and_breach",
    "0500_pract2_scope",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only records that every branch is applied."""


def downgrade() -> None:
    """Nothing to undo."""
