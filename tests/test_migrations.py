"""The Alembic migrations build exactly the schema the SQLAlchemy records describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safeshare.db import Database
from safeshare.records import Base


def test_migrations_match_the_records(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(context, Base.metadata) if not _ignorable(d)]
    assert diffs == [], f"records and migrations differ; add a migration: {diffs}"


def _ignorable(diff: object) -> bool:
    """Alembic's own version table is not one of our records."""
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"
