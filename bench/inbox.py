"""The my-tasks inbox at county scale: ``tasks.service.my_tasks`` latency over many users.

Population (bulk-loaded, see :mod:`bench.bulk`): ``teams`` teams of 8 practitioners and
2 managers, 10 instances per case, ``instances`` process instances of which
``open_tasks`` wait on a person (one open task each; 70 % practitioner, 30 % manager;
half assigned to a named person, half left to the team's role; due times spread over
two weeks either side of now, one in five undated). The rest are finished.
Each sample is one call of the real ``my_tasks`` (up to 200 rows, ORM objects built) in a
read session, for a user drawn at random.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bench.bulk import analyze, bulk_insert, reset_sequence
from bench.world import START, make_app
from safeshare.app import App
from safeshare.core.records import ProcessDefinition, User
from tasks.service import my_tasks

PRACTITIONERS_PER_TEAM = 8
MANAGERS_PER_TEAM = 2
INSTANCES_PER_CASE = 10


def populate(app: App, *, instances: int, open_tasks: int, teams: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = app.db.engine
    model = app.models.current("consent_seeking")
    with app.transaction() as s:
        s.add(ProcessDefinition(content_hash=model.content_hash, process_id="consent_seeking",
                                spec_json=model.spec_json, created_at=START))
    t0 = time.perf_counter()
    per_team = PRACTITIONERS_PER_TEAM + MANAGERS_PER_TEAM
    bulk_insert(engine, "team", ["id", "name", "agency"], ((t, f"Team {t}", "Council") for t in range(1, teams + 1)))
    users = [(t - 1) * per_team + k + 1 for t in range(1, teams + 1) for k in range(per_team)]

    def team_of(uid: int) -> int:
        return (uid - 1) // per_team + 1

    def is_manager(uid: int) -> bool:
        return (uid - 1) % per_team >= PRACTITIONERS_PER_TEAM

    bulk_insert(
        engine, "app_user", ["id", "username", "display_name", "email", "team_id", "is_active"],
        ((u, f"user{u}", f"User {u}", f"user{u}@example.org", team_of(u), True) for u in users),
    )
    bulk_insert(engine, "user_role", ["user_id", "role"],
                ((u, "manager" if is_manager(u) else "practitioner") for u in users))
    n_cases = max(1, instances // INSTANCES_PER_CASE)
    case_team = [0] + [rng.randint(1, teams) for _ in range(n_cases)]
    bulk_insert(
        engine, "case_record", ["id", "reference", "title", "team_id", "opened_at", "opened_by_id"],
        ((c, f"C{c}", "Bulk case", case_team[c], START, (case_team[c] - 1) * per_team + 1)
         for c in range(1, n_cases + 1)),
    )
    waiting = set(rng.sample(range(1, instances + 1), open_tasks))
    placeholder = '{"bulk":true}'  # the inbox never reads state_json; real sizes are measured by bench.episodes

    def instance_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(1, instances + 1):
            case_id = (i - 1) % n_cases + 1
            done = i not in waiting
            yield (i, "consent_seeking", model.content_hash, case_id, "completed" if done else "waiting",
                   "consent_given" if done else None, placeholder, 1, START, START, START if done else None)

    bulk_insert(
        engine, "process_instance",
        ["id", "process_id", "definition_hash", "case_id", "status", "outcome", "state_json", "version",
         "started_at", "updated_at", "completed_at"],
        instance_rows(),
    )

    def task_rows() -> Iterator[tuple[Any, ...]]:
        for n, i in enumerate(sorted(waiting)):
            case_id = (i - 1) % n_cases + 1
            team = case_team[case_id]
            manager = rng.random() < 0.3
            role = "manager" if manager else "practitioner"
            base = (team - 1) * per_team
            assignee = None
            if rng.random() < 0.5:
                assignee = base + PRACTITIONERS_PER_TEAM + rng.randrange(MANAGERS_PER_TEAM) + 1 if manager else (
                    base + rng.randrange(PRACTITIONERS_PER_TEAM) + 1)
            due = None if rng.random() < 0.2 else START + timedelta(minutes=rng.randint(-14 * 1440, 14 * 1440))
            yield (f"00000000-0000-4000-8000-{n:012d}", i, case_id, team, "consent_seeking", "seek_consent",
                   "Explain and seek consent", role, "seek_consent.schema.json", assignee, due,
                   START - timedelta(minutes=rng.randint(0, 30 * 1440)))

    bulk_insert(
        engine, "open_task",
        ["task_id", "instance_id", "case_id", "team_id", "process_id", "task_spec", "title", "role", "form_schema",
         "assignee_id", "due_at", "created_at"],
        task_rows(),
    )
    for table in ("team", "app_user", "case_record", "process_instance"):
        reset_sequence(engine, table)
    analyze(engine)
    return {"load_seconds": round(time.perf_counter() - t0, 1), "users": len(users), "cases": n_cases}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(app: App, *, samples: int, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    with app.db.read() as s:
        user_ids = list(s.scalars(select(User.id)))
    timings: list[float] = []
    rows_seen: list[int] = []
    now = app.clock.now()
    for n in range(samples + 20):
        with app.db.read() as s:
            user = s.get(User, rng.choice(user_ids))
            assert user is not None
            _ = user.roles
            started = time.perf_counter()
            rows = my_tasks(s, user, now)
            elapsed = time.perf_counter() - started
        if n >= 20:  # the first calls warm caches and compile statements
            timings.append(elapsed * 1000)
            rows_seen.append(len(rows))
    return {
        "samples": samples,
        "p50_ms": round(percentile(timings, 0.50), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "mean_rows": round(statistics.fmean(rows_seen), 1),
    }


def run(url: str, *, instances: int, open_tasks: int, teams: int, samples: int) -> dict[str, Any]:
    app = make_app(url)
    try:
        loaded = populate(app, instances=instances, open_tasks=open_tasks, teams=teams)
        return {"instances": instances, "open_tasks": open_tasks, "teams": teams, **loaded,
                **measure(app, samples=samples)}
    finally:
        app.close()
