"""Fire due timers: the one job the scheduler does for the engine.

The database is the source of truth for due times: the engine projects every
waiting timer into ``waiting_timer`` (indexed on ``(fired_at, due_at)``) in the
same transaction as each save. A sweep repeatedly takes the instance whose
oldest due timer is oldest (so catch-up after downtime goes oldest first),
marks its due timers fired, lets the engine advance it, and commits: one
transaction per instance, so one broken instance never holds back the others.

Exactly once, with two or more schedulers running:

* PostgreSQL: the instance row is taken with ``FOR UPDATE SKIP LOCKED``. The
  lock is on the *instance*, not the timer row, because two timers of one
  instance (a reminder and a deadline after an outage) must not be advanced
  by two workers at once; a second sweep skips a locked instance and takes the
  next one.
* SQLite: writers start with ``BEGIN IMMEDIATE`` (``safeshare.db``), so
  sweeps are serialized; the second one sees ``fired_at`` already set.

Either way, the instance's optimistic ``version`` makes a lost race with a
person completing the task an error (rolled back, retried next sweep), never a
double fire. An instance whose step fails is parked: its status becomes
``error`` and a :class:`~safeshare.records.TimerIncident` says why, so an
administrator sees it and it is not retried in a hot loop.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeshare.app import App
from safeshare.audit import record_event
from safeshare.clock import FixedClock
from safeshare.errors import ConflictError, NotFoundError, SafeshareError
from safeshare.records import ProcessInstance, TimerIncident, User, WaitingTimer
from workflows.engine import unwrap_error

# Not the instance's fault: a lost race (retried next sweep) or the database going away (the run fails).
PASS_THROUGH = (ConflictError, StaleDataError, OperationalError, InterfaceError)
# Instances in these states have nothing to fire (completed) or wait for an administrator (error).
NOT_SWEPT = ("completed", "error")


def default_worker_id() -> str:
    """Who fired a timer, for the audit trail and ``waiting_timer.claimed_by``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


@dataclass(frozen=True)
class FiredTimer:
    instance_id: int
    event_name: str
    due_at: datetime
    fired_at: datetime

    @property
    def lateness(self) -> timedelta:
        return self.fired_at - self.due_at


@dataclass
class SweepReport:
    """What one sweep did: timers fired (oldest first), instances parked, races lost to a person."""

    worker: str
    fired: list[FiredTimer] = field(default_factory=list)
    parked: list[int] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)

    @property
    def max_lateness(self) -> timedelta | None:
        return max((t.lateness for t in self.fired), default=None)


class TimerDidNotFire(SafeshareError):
    """A timer was due by the clock but the workflow still waits on it (a model or engine fault)."""


CANDIDATE_BATCH = 50  # due timers looked at per pick; locked or parked instances are skipped


def _due_filter(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Due means strictly before ``now``: SpiffWorkflow fires a timeDate timer only once it has passed."""
    return (WaitingTimer.fired_at.is_(None), WaitingTimer.due_at < now)


def _next_instance(session: Session, now: datetime, done: Iterable[int]) -> ProcessInstance | None:
    """Lock and return the instance with the oldest due timer that no other sweep holds.

    Candidates come from ``waiting_timer`` alone (its ``(fired_at, due_at)`` index gives
    the oldest due rows without touching the instances), then each is locked with
    ``SKIP LOCKED``. Joining instances first made PostgreSQL scan every instance, so a
    sweep cost grew with open timers instead of due ones.
    """
    passed_over = set(done)
    while True:
        candidates = (
            select(WaitingTimer.instance_id)
            .where(*_due_filter(now))
            .order_by(WaitingTimer.due_at, WaitingTimer.id)
            .limit(CANDIDATE_BATCH)
        )
        if passed_over:
            candidates = candidates.where(WaitingTimer.instance_id.not_in(passed_over))
        batch = list(dict.fromkeys(session.scalars(candidates)))
        if not batch:
            return None
        for instance_id in batch:
            row = session.scalar(
                select(ProcessInstance)
                .where(ProcessInstance.id == instance_id, ProcessInstance.status.not_in(NOT_SWEPT))
                .with_for_update(skip_locked=True)
            )
            if row is not None:
                return row
            passed_over.add(instance_id)  # parked, finished, or held by another sweep


def due_timer_count(session: Session, now: datetime) -> int:
    """How many timers are due and not yet fired (the scheduler's backlog)."""
    return session.scalar(select(func.count()).select_from(WaitingTimer).where(*_due_filter(now))) or 0


def _fire_instance(app: App, session: Session, row: ProcessInstance, now: datetime, worker: str) -> list[FiredTimer]:
    """Mark the instance's due timers fired and advance it, inside the caller's transaction."""
    due = list(
        session.scalars(
            select(WaitingTimer)
            .where(WaitingTimer.instance_id == row.id, *_due_filter(now))
            .order_by(WaitingTimer.due_at, WaitingTimer.id)
        )
    )
    if not due:  # another sweep fired them between our query and our lock
        return []
    for timer in due:
        timer.fired_at = now
        timer.claimed_by = worker
        timer.claimed_until = now
    session.flush()
    # One instant for the whole step: every handler sees the same "now" the timers were fired at.
    app.engine.fire_due_timers(session, FixedClock(now), row)
    still_waiting = session.scalars(
        select(WaitingTimer.event_name).where(
            WaitingTimer.instance_id == row.id,
            WaitingTimer.task_id.in_([t.task_id for t in due]),
            *_due_filter(now),
        )
    ).all()
    if still_waiting:
        raise TimerDidNotFire(
            f"Timer(s) {', '.join(still_waiting)} of instance {row.id} were due but did not fire",
            "Check the timer expressions in the model",
        )
    fired = [FiredTimer(row.id, t.event_name, t.due_at, now) for t in due]
    record_event(
        session,
        FixedClock(now),
        None,
        "timer_fired",
        f"{', '.join(t.event_name for t in fired)} fired on {row.process_id} #{row.id}",
        case_id=row.case_id,
        detail={
            "instance_id": row.id,
            "worker": worker,
            "timers": [
                {"name": t.event_name, "due_at": t.due_at.isoformat(), "late_seconds": t.lateness.total_seconds()}
                for t in fired
            ],
        },
    )
    return fired


def _park(session: Session, row: ProcessInstance, now: datetime, worker: str, names: str, error: BaseException) -> None:
    message = str(unwrap_error(error)) or type(error).__name__
    row.status = "error"
    row.updated_at = now
    session.add(TimerIncident(instance_id=row.id, occurred_at=now, worker=worker, timers=names[:500], message=message))
    record_event(
        session,
        FixedClock(now),
        None,
        "instance_parked",
        f"{row.process_id} #{row.id} stopped when its timers fired: {message}"[:500],
        case_id=row.case_id,
        detail={"instance_id": row.id, "worker": worker, "timers": names, "error": message},
    )


def sweep_due_timers(app: App, *, worker: str | None = None, limit: int = 1000) -> SweepReport:
    """Fire every timer due by ``app.clock``, oldest first, one committed transaction per instance."""
    report = SweepReport(worker or default_worker_id())
    done: set[int] = set()
    while len(done) < limit:
        now = app.clock.now()
        current: int | None = None
        try:
            with app.transaction() as session:
                row = _next_instance(session, now, done)
                if row is None:
                    break
                current = row.id
                done.add(row.id)
                names = ", ".join(
                    session.scalars(
                        select(WaitingTimer.event_name).where(WaitingTimer.instance_id == row.id, *_due_filter(now))
                    )
                )
                try:
                    with session.begin_nested():
                        report.fired.extend(_fire_instance(app, session, row, now, report.worker))
                except PASS_THROUGH:
                    raise
                except Exception as exc:  # any other failure parks the instance, visibly
                    session.refresh(row)
                    _park(session, row, now, report.worker, names, exc)
                    report.parked.append(row.id)
        except ConflictError:
            # A person changed the instance at the same moment: nothing was written; the next sweep retries.
            if current is not None:
                report.conflicts.append(current)
    return report


def open_incidents(session: Session) -> list[TimerIncident]:
    return list(
        session.scalars(
            select(TimerIncident).where(TimerIncident.resolved_at.is_(None)).order_by(TimerIncident.occurred_at)
        )
    )


def retry_instance(app: App, session: Session, actor: User, instance_id: int) -> ProcessInstance:
    """An administrator puts a parked instance back in the sweep (after fixing the cause)."""
    from safeshare.access import require_role
    from safeshare.records import Role

    require_role(actor, Role.ADMINISTRATOR)
    row = session.get(ProcessInstance, instance_id, with_for_update=True)
    if row is None or row.status != "error":
        raise NotFoundError(
            f"Instance {instance_id} is not stopped on an error", "List stopped instances with 'safeshare incidents'"
        )
    now = app.clock.now()
    row.status = "waiting"
    row.updated_at = now
    incidents = session.scalars(
        select(TimerIncident).where(TimerIncident.instance_id == instance_id, TimerIncident.resolved_at.is_(None))
    ).all()
    for incident in incidents:
        incident.resolved_at = now
        incident.resolved_by_id = actor.id
    record_event(
        session,
        app.clock,
        actor,
        "instance_retried",
        f"{actor.display_name} put {row.process_id} #{row.id} back in the timer sweep",
        case_id=row.case_id,
        detail={"instance_id": row.id, "incidents": [i.id for i in incidents]},
    )
    return row
