"""Statuses are closed vocabularies: the database refuses a state a state machine does not have.

One CHECK per state machine (``safeshare.core.records.vocabulary``): ``process_instance.status``,
``notification.status``, ``consent_record.status`` and ``scheme_application.status``.

PostgreSQL adds the CHECK constraints themselves. SQLite cannot add a constraint to an existing
table without rebuilding it, and rebuilding tables that many others reference (with foreign keys
enforced inside the migration's transaction) and that carry partial unique indexes risks the
data; there the same rule is two triggers per column (before insert, before update of the
column) that abort with SQLite's constraint error, which the driver raises as an integrity error
just as a CHECK would.

Revision ID: 0050_arch
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0050_arch"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration must not change when the code's vocabularies later grow).
CHECKS: dict[str, tuple[str, ...]] = {
    "process_instance": ("running", "waiting", "completed", "error"),
    "notification": ("pending", "sent", "failed"),
    "consent_record": ("active", "superseded"),
    "scheme_application": ("open", "closed"),
}


def _condition(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, values in CHECKS.items():
        name = f"ck_{table}_status"
        if not sqlite:
            op.create_check_constraint(op.f(name), table, _condition(values))
            continue
        for event, suffix in (("INSERT", "insert"), ("UPDATE OF status", "update")):
            op.execute(
                f"CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table} "
                f"WHEN NEW.status NOT IN ({', '.join(repr(v) for v in values)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in CHECKS:
        name = f"ck_{table}_status"
        if not sqlite:
            op.drop_constraint(op.f(name), table, type_="check")
            continue
        for suffix in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
