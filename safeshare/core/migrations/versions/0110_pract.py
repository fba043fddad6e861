"""Consent can be withdrawn at any time (R44): a consent record's status may be ``withdrawn``, with when
and how it was withdrawn and the shares already made on it kept beside it.

``consent_record.status`` gains ``withdrawn`` in its CHECK (PostgreSQL) or its triggers (SQLite, see
0050_arch for why triggers there). The two new columns are plain additions (no table rebuild).

Revision ID: 0110_pract
Revises: 0100_merge
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import safeshare.core.records.base

revision: str = "0110_pract"
down_revision: str | Sequence[str] | None = "0100_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_consent_record_status"


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


BEFORE = ("active", "superseded")
AFTER = ("active", "superseded", "withdrawn")


def _status_check(values: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(NAME), "consent_record", type_="check")
        op.create_check_constraint(
            op.f(NAME), "consent_record", "status IN ({})".format(", ".join(f"'{v}'" for v in values))
        )
        return
    for event, suffix in (("INSERT", "insert"), ("UPDATE OF status", "update")):
        op.execute(f"DROP TRIGGER IF EXISTS {NAME}_{suffix}")
        op.execute(
            f"CREATE TRIGGER {NAME}_{suffix} BEFORE {event} ON consent_record "
            f"WHEN NEW.status NOT IN ({', '.join(repr(v) for v in values)}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"
        )


def upgrade() -> None:
    op.add_column(
        "consent_record",
        sa.Column("withdrawn_at", safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("consent_record", sa.Column("withdrawal", _json(), nullable=True))
    _status_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE consent_record SET status = 'superseded' WHERE status = 'withdrawn'")
    _status_check(BEFORE)
    with op.batch_alter_table("consent_record") as batch:
        batch.drop_column("withdrawal")
        batch.drop_column("withdrawn_at")
