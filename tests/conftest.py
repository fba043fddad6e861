"""Test fixtures: a real database (SQLite file, or a fresh PostgreSQL database), a movable clock.

``SAFESHARE_TEST_DATABASE=postgresql`` runs the whole suite against a new
PostgreSQL database created for this run on 127.0.0.1:5432 and dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import delete, text

from safeshare.app import App
from safeshare.core.audit_guard import suspended
from safeshare.core.clock import FixedClock
from safeshare.core.config import BPMN_DIR, Settings
from safeshare.core.db import Database
from safeshare.core.migrate import upgrade_to_head
from safeshare.core.records import AuditChainHead, Base
from tests.builders import Scenario

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# A Monday morning, so working-day arithmetic in tests starts on a working day.
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def backend() -> str:
    return os.environ.get("SAFESHARE_TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend() == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "safeshare-test.db"
        yield f"sqlite:///{path}"
        return
    name = f"safeshare_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    upgrade_to_head(db)
    yield db
    db.dispose()


def wipe(db: Database) -> None:
    """Empty every table (children first) and reset the audit chain, between tests."""
    with db.engine.begin() as conn, suspended(conn):  # the audit guard (migration 0005) refuses deletes
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))
        conn.execute(AuditChainHead.__table__.insert().values(id=1, last_seq=0, last_hash="0" * 64))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(migrated_database: Database, database_url: str, clock: FixedClock) -> Iterator[App]:
    wipe(migrated_database)
    from tasks.automated import HANDLERS
    from workflows.engine import WorkflowEngine

    models = _models()
    application = App(
        Settings(database_url=database_url), migrated_database, models, WorkflowEngine(models, HANDLERS), clock
    )
    yield application


_MODEL_CACHE: dict[str, object] = {}


def _models():  # type: ignore[no-untyped-def]
    """Parse the models once per test run (the registry is immutable once built)."""
    from workflows.model_registry import ModelRegistry

    if "models" not in _MODEL_CACHE:
        _MODEL_CACHE["models"] = ModelRegistry(BPMN_DIR)
    return _MODEL_CACHE["models"]


@pytest.fixture
def scenario(app: App) -> Scenario:
    return Scenario.create(app)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect server for the session (it takes several seconds to start)."""
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
