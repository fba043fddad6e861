"""The database itself refuses changes to the audit trail (migration 0005 installs the guard).

The hash chain *detects* an edited, deleted or reordered event; the guard
*prevents* it for anyone using the application's database role: on PostgreSQL a
trigger refuses UPDATE, DELETE and TRUNCATE on ``audit_event`` for every role,
the table owner included; only a superuser can step round it (with
``session_replication_role = replica``), which is exactly the "someone with
database access" the chain is there to catch. On SQLite (one file, no roles) the
same triggers stop application code from rewriting history by mistake.

:func:`suspended` lifts the guard inside one transaction, for test set-up (emptying
tables between tests) and for tests that simulate tampering. Nothing in the
application calls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

AUDIT_TABLE = "audit_event"


def guard_trigger_names(connection: Connection) -> list[str]:
    """Names of the triggers guarding the audit table (empty before migration 0005)."""
    if connection.dialect.name == "postgresql":
        query = text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
    else:
        query = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t ORDER BY name")
    return list(connection.execute(query, {"t": AUDIT_TABLE}).scalars())


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """Lift the guard on ``connection`` until the block ends (the caller's transaction must be open).

    PostgreSQL: ``SET LOCAL session_replication_role = replica`` (needs a superuser).
    SQLite: drop the guard triggers and re-create them from their stored SQL afterwards.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        try:
            yield
        finally:
            connection.execute(text("SET LOCAL session_replication_role = origin"))
        return
    rows = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": AUDIT_TABLE}
    ).all()
    for name, _sql in rows:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        for _name, sql in rows:
            connection.execute(text(sql))
