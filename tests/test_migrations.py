"""The Alembic migrations build exactly the schema the SQLAlchemy records describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, text
from sqlalchemy.exc import IntegrityError

from safeshare.app import App
from safeshare.core.db import Database
from safeshare.core.records import Base, ConsentRecord, Notification, ProcessInstance, SchemeApplication
from safeshare.core.records.vocabulary import ConsentStatus, InstanceStatus, NotificationStatus, SchemeStatus
from tests.builders import Scenario


def test_migrations_match_the_records(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = [d for d in compare_metadata(context, Base.metadata) if not _ignorable(d)]
    assert diffs == [], f"records and migrations differ; add a migration: {diffs}"


def _ignorable(diff: object) -> bool:
    """Alembic's own version table is not one of our records."""
    return isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"


def test_every_state_machine_column_refuses_a_state_it_does_not_have(scenario: Scenario, app: App) -> None:
    """The CHECK of each status column (migration 0050_arch; triggers on SQLite) holds on this database."""
    from tests.builders import EXPLAINED
    from tests.scheme_steps import start as start_application

    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    scenario.complete(
        instance,
        "seek_consent",
        "pat",
        {
            **EXPLAINED,
            "understanding_confirmed": True,
            "consent_outcome": "given",
            "consenting_person_id": ids["child"],
            "recipients": [{"agency": "CAMHS"}],
        },
    )
    start_application(scenario, "right_to_ask")
    with app.transaction() as session:
        now = app.clock.now()
        session.add(
            Notification(created_at=now, channel="email", template="task_reminder", subject="s", body_text="b",
                         next_attempt_at=now)
        )
    checked = {
        table.name: (column, vocabulary)
        for table, column, vocabulary in [
            (ProcessInstance.__table__, "status", InstanceStatus),
            (Notification.__table__, "status", NotificationStatus),
            (ConsentRecord.__table__, "status", ConsentStatus),
            (SchemeApplication.__table__, "status", SchemeStatus),
        ]
    }
    declared = {
        table.name
        for table in Base.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint) and str(constraint.name).endswith("_status")
    }
    assert declared == set(checked)  # every state machine the records declare is tested here
    for table_name, (column, vocabulary) in checked.items():
        with app.db.transaction() as session:
            row_id = session.execute(text(f"SELECT min(id) FROM {table_name}")).scalar_one()
            assert row_id is not None, f"the scenario made no {table_name} row"
            for value in vocabulary:  # every state it does have is accepted
                update = text(f"UPDATE {table_name} SET {column} = :v WHERE id = :id")
                session.execute(update, {"v": value, "id": row_id})
            with pytest.raises(IntegrityError, match=f"ck_{table_name}_{column}"), session.begin_nested():
                session.execute(text(f"UPDATE {table_name} SET {column} = 'lost' WHERE id = :id"), {"id": row_id})
            session.rollback()
