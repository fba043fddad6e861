"""Sessions and tokens that end (issue 15).

Revision ID: 0010_sec
Revises: 0008

``app_user.session_version``: every signed-in browser session carries the version it was
issued under; sign-out, a password change or reset, deactivation and an administrator's
revoke raise it, which ends every session of that user at once.
``api_token.expires_at``: tokens end (a setting; tokens from before this revision count
from when they were issued).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeshare.core.records.base

revision: str = "0010_sec"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
