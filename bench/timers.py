"""The due-timer sweep at scale: ``workflows.timer_sweep.sweep_due_timers`` with many open timers, few due.

Set-up: ``due`` real manager consultations (``bpmn/manager_consultation.bpmn``, standard
urgency) started on Monday 09:00 through the engine, so each waits on a reminder timer due
Tuesday 09:00 (due) and a deadline timer due Wednesday 09:00 (not due). The remaining open
timers are bulk rows due a month later on placeholder instances. The sweep then runs once
with a clock that starts one millisecond after the reminders fell due and moves with the wall
clock, so ``fired_at - due_at`` is how late each timer fired beyond the moment it became due
(add the scheduler's interval for the worst case in production). A sweep commits a batch of
instances at once, so each timer's effects (its reminder in the outbox) become visible when its
batch commits, a little after it fired: ``visible_lateness_s`` is that commit time minus due.

The sweep runs on an app of its own, built after the set-up, as the scheduler's process would be
(nothing the set-up left in memory helps it), with the fastest configuration that is correct for
the backend (:data:`SWEEP_CONFIG`): one worker on SQLite, which has one writer at a time; on
PostgreSQL this process and helper processes, kept apart by ``SKIP LOCKED``.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.bulk import analyze, bulk_insert, reset_sequence
from bench.inbox import percentile
from bench.world import START, Partnership, make_app, open_cases
from safeshare.core.clock import FixedClock
from safeshare.core.records import Notification, ProcessInstance, User, WaitingTimer
from workflows.timer_sweep import DEFAULT_BATCH_SIZE, sweep_due_timers

# Measured on the 2-core benchmark machine (README, "Benchmark"): more workers than cores only add contention.
SWEEP_CONFIG: dict[str, dict[str, int]] = {
    "sqlite": {"workers": 1, "batch_size": DEFAULT_BATCH_SIZE},
    "postgresql": {"workers": 2, "batch_size": DEFAULT_BATCH_SIZE},
}


class WallClock:
    """The injected clock for a timed run: ``start`` plus the wall time elapsed since it was made."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._t0 = time.perf_counter()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.perf_counter() - self._t0)


def _start_consultations(url: str, due: int) -> tuple[Any, int]:
    clock = FixedClock(START)
    app = make_app(url, clock)
    people = Partnership.create(app)
    case_rows = open_cases(app, people.practitioner_id, due, 12, "tm")
    with app.transaction() as s:
        actor = s.get(User, people.practitioner_id)
        for case_id, _child, _parent in case_rows:
            app.engine.start(
                s, clock, "manager_consultation",
                {"case_id": case_id, "urgency": "standard", "question": "Share the school's notes?",
                 "practitioner_user_id": people.practitioner_id},
                actor=actor, case_id=case_id,
            )
    return app, case_rows[0][0]


def _bulk_open_timers(app: Any, count: int, case_id: int) -> None:
    if count <= 0:
        return
    engine = app.db.engine
    with app.db.read() as s:
        first = (s.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        definition = s.scalar(select(ProcessInstance.definition_hash).limit(1))
        first_timer = (s.scalar(select(func.max(WaitingTimer.id))) or 0) + 1
    later = START + timedelta(days=30)
    ids = range(first, first + count)
    bulk_insert(
        engine, "process_instance",
        ["id", "process_id", "definition_hash", "case_id", "status", "state_json", "version", "started_at",
         "updated_at"],
        ((i, "manager_consultation", definition, case_id, "waiting", '{"bulk":true}', 1, START, START) for i in ids),
    )
    bulk_insert(
        engine, "waiting_timer", ["id", "instance_id", "task_id", "event_name", "due_at"],
        ((first_timer + n, i, f"00000000-0000-4000-8000-{i:012d}", "Advice deadline passed",
          later + timedelta(seconds=n)) for n, i in enumerate(ids)),
    )
    reset_sequence(engine, "process_instance")
    reset_sequence(engine, "waiting_timer")
    analyze(engine)


def _seconds(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(percentile(values, 0.5), 3) if values else None,
        "p95": round(percentile(values, 0.95), 3) if values else None,
        "max": round(max(values), 3) if values else None,
    }


def run(
    url: str, *, open_timers: int, due: int, workers: int | None = None, batch_size: int | None = None
) -> dict[str, Any]:
    """Sweep once; report its time, per-timer lateness, and that each due timer fired exactly once.

    ``workers`` and ``batch_size`` default to :data:`SWEEP_CONFIG` for the backend of ``url``.
    """
    config = dict(SWEEP_CONFIG["sqlite" if url.startswith("sqlite") else "postgresql"])
    config.update({k: v for k, v in (("workers", workers), ("batch_size", batch_size)) if v is not None})
    setup, case_id = _start_consultations(url, due)
    try:
        with setup.db.read() as s:
            real_timers = s.scalar(select(func.count()).select_from(WaitingTimer)) or 0
        _bulk_open_timers(setup, open_timers - real_timers, case_id)
    finally:
        setup.close()
    app = make_app(url)
    try:
        app.clock = WallClock(START + timedelta(days=1, milliseconds=1))  # the reminders fell due 1 ms ago
        started = time.perf_counter()
        report = sweep_due_timers(
            app, worker="bench", limit=due + 10, workers=config["workers"], batch_size=config["batch_size"]
        )
        elapsed = time.perf_counter() - started
        late = [t.lateness.total_seconds() for t in report.fired]
        visible = [(t.committed_at - t.due_at).total_seconds() for t in report.fired if t.committed_at is not None]
        with app.db.read() as s:
            open_now = s.scalar(select(func.count()).select_from(WaitingTimer).where(WaitingTimer.fired_at.is_(None)))
            reminders = s.scalar(select(func.count()).select_from(Notification)) or 0
        again = sweep_due_timers(app, worker="bench-again")
        return {
            "open_timers": open_timers,
            "due": due,
            "fired": len(report.fired),
            "fired_again_by_second_sweep": len(again.fired),
            "parked": len(report.parked),
            "notifications_queued": reminders,
            "still_open_after": open_now,
            "workers": report.workers,
            "batch_size": config["batch_size"],
            "transactions": report.transactions,
            "sweep_seconds": round(elapsed, 3),
            "ms_per_due_timer": round(1000 * elapsed / max(1, len(report.fired)), 2),
            "lateness_s": _seconds(late),
            "visible_lateness_s": _seconds(visible),
        }
    finally:
        app.close()
