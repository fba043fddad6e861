"""Databases and a small partnership for benchmark runs: a fresh SQLite file or a fresh PostgreSQL database.

Each run gets its own database so figures never depend on what an earlier run left behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.config import Settings
from safeshare.core.records import AuditChainHead, Role, User
from safeshare.services import cases, directory

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@contextmanager
def fresh_database(backend: str, pg_admin: str = PG_ADMIN) -> Iterator[str]:
    """A URL of an empty database that is removed afterwards."""
    if backend == "sqlite":
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"safeshare_bench_{uuid.uuid4().hex[:10]}"
    host = pg_admin.rsplit("/", 1)[0].split("://", 1)[1]
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{host}/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url: str, clock: FixedClock | None = None) -> App:
    """An application on ``url`` with the schema migrated and the audit chain started."""
    app = App.create(Settings(database_url=url), clock or FixedClock(START))
    with app.transaction() as s:
        if s.get(AuditChainHead, 1) is None:
            s.add(AuditChainHead(id=1, last_seq=0, last_hash="0" * 64))
    return app


@dataclass
class Partnership:
    """One team with a practitioner and a manager: enough to drive a whole consent episode."""

    team_id: int
    practitioner_id: int
    manager_id: int

    @classmethod
    def create(cls, app: App, suffix: str = "") -> Partnership:
        with app.transaction() as s:
            team = directory.create_team(s, f"Bench team{suffix}", "Council")
            pat = directory.create_user(s, f"pat{suffix}", "Pat Practitioner", [Role.PRACTITIONER], team=team)
            mgr = directory.create_user(s, f"max{suffix}", "Max Manager", [Role.MANAGER], team=team)
            return cls(team.id, pat.id, mgr.id)


def born_aged(age: int, today: date) -> date:
    return date(today.year - age, 1, 1) if today.month > 1 else date(today.year - age - 1, 1, 1)


def open_cases(app: App, practitioner_id: int, count: int, age: int, tag: str) -> list[tuple[int, int, int]]:
    """``count`` cases for a child of ``age`` with one parent: (case id, child id, parent id)."""
    out = []
    with app.transaction() as s:
        user = s.get(User, practitioner_id)
        assert user is not None
        for n in range(count):
            case = cases.open_case(
                app,
                s,
                user,
                reference=f"B-{tag}-{n}",
                title="Benchmark case",
                child_name="Child Bench",
                child_date_of_birth=born_aged(age, app.clock.now().date()),
            )
            parent = cases.add_person(
                app, s, user, case.id, full_name="Parent Bench", relationship_to_child="parent",
                has_parental_responsibility=True,
            )
            out.append((case.id, cases.subject_of(s, case).id, parent.id))
    return out
