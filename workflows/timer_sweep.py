"""Fire due timers: the one job the scheduler does for the engine.

The database is the source of truth for due times: the engine projects every
waiting timer into ``waiting_timer`` (indexed on ``(fired_at, due_at)``) in the
same transaction as each save. A sweep repeatedly *claims a batch*: the
instances whose oldest due timer is oldest (so catch-up after downtime goes
oldest first), up to ``batch_size`` of them, locked in one statement. Each
instance of the batch is fired inside its own savepoint: its due timers are
marked fired, the engine advances it, and the batch commits once. A batch is
one transaction, so its audit chain lock, its commit and its claim queries are
paid once for many instances; a savepoint per instance keeps one broken
instance from holding back the others in its batch.

Exactly once, with two or more schedulers (or sweep workers) running:

* PostgreSQL: the batch's instance rows are taken with ``FOR UPDATE SKIP
  LOCKED``. The lock is on the *instance*, not the timer row, because two timers
  of one instance (a reminder and a deadline after an outage) must not be
  advanced by two workers at once; another sweep skips the locked instances and
  claims the next ones. So a burst is shared by several sweep workers: this
  process and helper processes it starts (``workers``), each with its own
  connection. Processes, because a step is mostly Python (SpiffWorkflow, the
  ORM), which threads of one interpreter cannot run at once.
* SQLite: writers start with ``BEGIN IMMEDIATE`` (``safeshare.core.db``), so
  sweeps are serialized; the second one sees ``fired_at`` already set. SQLite
  has one writer at a time, so a sweep there runs one worker.

Either way, the instance's optimistic ``version`` makes a lost race with a
person completing the task an error, never a double fire: that instance's
savepoint rolls back and the next sweep retries it, while the rest of its batch
commits. An instance whose step fails is parked: its status becomes ``error``
and a :class:`~safeshare.core.records.TimerIncident` says why, so an administrator
sees it and it is not retried in a hot loop. Every instance fired gets its own
``timer_fired`` audit event.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safeshare.core.audit import record_event
from safeshare.core.clock import FixedClock
from safeshare.core.errors import ConflictError, NotFoundError, SafeshareError
from safeshare.core.records import Case, ProcessInstance, TimerIncident, User, WaitingTimer
from safeshare.core.records.vocabulary import InstanceStatus
from safeshare.core.runtime import App
from workflows.engine import timer_due_at, unwrap_error
from workflows.sweep_helpers import start_helper
from workflows.sweep_report import FiredTimer, SweepReport

# Not the instance's fault: a lost race (retried next sweep) or the database going away (the run fails).
PASS_THROUGH = (ConflictError, StaleDataError, OperationalError, InterfaceError)
# Instances in these states have nothing to fire (completed) or wait for an administrator (error).
NOT_SWEPT = (InstanceStatus.COMPLETED, InstanceStatus.ERROR)
# PostgreSQL errors that mean "another transaction got there first", not "the database is gone":
# deadlock detected, serialization failure, lock not available. The instance is retried next sweep.
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})

# Instances claimed per transaction. Larger batches pay the claim, the audit chain lock and the
# commit over more instances, but hold their locks (and, on SQLite, the single write lock) longer
# and make a fired timer's effects visible only when its batch commits: about this many engine
# steps after it fired. bench/timers.py measures both latenesses.
DEFAULT_BATCH_SIZE = 20
# Due timers looked at per claimed instance: room to skip instances other workers hold or that are parked.
CLAIM_WINDOW_PER_INSTANCE = 4
# Sweep workers on PostgreSQL when nothing is configured (SAFESHARE_SWEEP_WORKERS, --sweep-workers).
DEFAULT_POSTGRES_WORKERS = 2
# Due timers per helper process (workflows/sweep_helpers.py): a helper costs about 0.7 s of CPU to
# start, worth it only for a burst.
MIN_DUE_PER_HELPER = 200


def default_worker_id() -> str:
    """Who fired a timer, for the audit trail and ``waiting_timer.claimed_by``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


class TimerDidNotFire(SafeshareError):
    """A timer was due by the clock but the workflow still waits on it (a model or engine fault)."""


def _due_filter(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Due means strictly before ``now``: SpiffWorkflow fires a timeDate timer only once it has passed."""
    return (WaitingTimer.fired_at.is_(None), WaitingTimer.due_at < now)


def due_timer_count(session: Session, now: datetime) -> int:
    """How many timers are due and not yet fired (the scheduler's backlog)."""
    return session.scalar(select(func.count()).select_from(WaitingTimer).where(*_due_filter(now))) or 0


def effective_workers(app: App, workers: int | None) -> int:
    """How many sweep workers to run: as asked, else as configured, else by backend; always 1 on SQLite.

    SQLite takes one writer at a time (``BEGIN IMMEDIATE``): a second worker would only queue
    behind the first for the write lock, so it is never started there.
    """
    if app.db.engine.dialect.name == "sqlite":
        return 1
    wanted = workers if workers is not None else app.settings.sweep_workers
    return max(1, wanted if wanted is not None else DEFAULT_POSTGRES_WORKERS)


def _claim(session: Session, now: datetime, passed_over: set[int], size: int) -> list[ProcessInstance]:
    """Lock and return up to ``size`` instances with the oldest due timers that no other sweep holds.

    Two statements whatever the batch size. Candidates come from ``waiting_timer`` alone (its
    ``(fired_at, due_at)`` index gives the oldest due rows without touching the instances;
    joining instances first made PostgreSQL scan every instance), then one ``SELECT ... FOR
    UPDATE SKIP LOCKED ... LIMIT size`` locks the first ``size`` of them that are free, in
    candidate order. Candidates it looked at and did not take (held by another sweep, parked,
    finished) go into ``passed_over`` so the next claim of this sweep looks past them.
    """
    while True:
        window = (
            select(WaitingTimer.instance_id)
            .where(*_due_filter(now))
            .order_by(WaitingTimer.due_at, WaitingTimer.id)
            .limit(size * CLAIM_WINDOW_PER_INSTANCE)
        )
        if passed_over:
            window = window.where(WaitingTimer.instance_id.not_in(passed_over))
        candidates = list(dict.fromkeys(session.scalars(window)))
        if not candidates:
            return []
        rank = {instance_id: n for n, instance_id in enumerate(candidates)}
        # Still due when locked: another sweep may have fired and committed a candidate since the
        # window was read; taking it again would only waste a place in the batch.
        still_due = (
            select(WaitingTimer.id).where(WaitingTimer.instance_id == ProcessInstance.id, *_due_filter(now)).exists()
        )
        rows = sorted(
            session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.id.in_(candidates), ProcessInstance.status.not_in(NOT_SWEPT), still_due)
                .order_by(case(rank, value=ProcessInstance.id))
                .limit(size)
                .with_for_update(skip_locked=True)
            ),
            key=lambda row: rank[row.id],
        )
        # Rows are locked in rank order until ``size`` are held: every candidate ranked before the
        # last one taken (all of them, if fewer than ``size`` were free) was looked at and skipped
        # (held by another sweep, parked, or fired by another sweep since the window was read).
        looked_at = candidates if len(rows) < size else candidates[: rank[rows[-1].id] + 1]
        taken = {row.id for row in rows}
        passed_over.update(instance_id for instance_id in looked_at if instance_id not in taken)
        if rows:
            return rows


def _unfired_timers(session: Session, instance_ids: Sequence[int]) -> dict[int, list[WaitingTimer]]:
    """Every unfired timer of the claimed instances, in due order: one statement for the batch.

    All of them, not only those due at the claim: each instance fires at its own "now" (the
    clock moves while the batch runs), and a timer that fell due in between fires with it.
    """
    timers: dict[int, list[WaitingTimer]] = {instance_id: [] for instance_id in instance_ids}
    for timer in session.scalars(
        select(WaitingTimer)
        .where(WaitingTimer.instance_id.in_(instance_ids), WaitingTimer.fired_at.is_(None))
        .order_by(WaitingTimer.due_at, WaitingTimer.id)
    ):
        timers[timer.instance_id].append(timer)
    return timers


def _load_cases(session: Session, rows: Sequence[ProcessInstance]) -> list[Case]:
    """The batch's cases, loaded in one statement.

    Nearly every step reads its instance's case (a notification's context, the team of a new
    task) with ``session.get``, which then finds it in memory instead of asking the database:
    a write session keeps what it loaded until it closes (``safeshare.core.db``).
    """
    case_ids = {row.case_id for row in rows if row.case_id is not None}
    return list(session.scalars(select(Case).where(Case.id.in_(case_ids)))) if case_ids else []


def _still_due(workflow: BpmnWorkflow, due: Sequence[WaitingTimer], now: datetime) -> list[str]:
    """Names of the fired timers the workflow still waits on with a time already passed.

    Read off the advanced workflow in memory (what ``waiting_timer`` is about to project), so
    checking costs no query.
    """
    by_task = {timer.task_id: timer for timer in due}
    still = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        timer = by_task.get(str(task.id))
        if timer is None:
            continue
        due_at = timer_due_at(task)
        if due_at is not None and due_at < now:
            still.append(timer.event_name)
    return still


def _fire_instance(
    app: App,
    session: Session,
    row: ProcessInstance,
    unfired: Sequence[WaitingTimer],
    due: Sequence[WaitingTimer],
    now: datetime,
    worker: str,
) -> list[FiredTimer]:
    """Mark the instance's due timers fired and advance it, inside the caller's savepoint.

    ``unfired`` are all its timer rows not fired before (loaded with the batch): the engine takes
    them instead of reading them again, and the rows marked here are written with its step.
    """
    for timer in due:
        timer.fired_at = now
        timer.claimed_by = worker
        timer.claimed_until = now
    # One instant for the whole step: every handler sees the same "now" the timers were fired at.
    workflow = app.engine.fire_due_timers(session, FixedClock(now), row, unfired)
    still_waiting = _still_due(workflow, due, now)
    if still_waiting:
        raise TimerDidNotFire(
            f"Timer(s) {', '.join(still_waiting)} of instance {row.id} were due but did not fire",
            "Check the timer expressions in the model",
        )
    return [FiredTimer(row.id, t.event_name, t.due_at, now) for t in due]


def _record_fired(session: Session, row: ProcessInstance, fired: Sequence[FiredTimer], worker: str) -> None:
    now = fired[0].fired_at
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


def _park(session: Session, row: ProcessInstance, now: datetime, worker: str, names: str, error: BaseException) -> None:
    """Record why the instance stopped (its status is already ``error``): an incident and an audit event."""
    message = str(unwrap_error(error)) or type(error).__name__
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


def _lost_race(exc: BaseException) -> bool:
    """Another transaction changed or held the instance first: retry next sweep, park nothing."""
    if isinstance(exc, (ConflictError, StaleDataError)):
        return True
    return isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


def _sweep_batch(app: App, report: SweepReport, passed_over: set[int], size: int) -> int | None:
    """Claim, fire and commit one batch of up to ``size`` instances.

    Returns how many of them had timers due (fired, parked or lost to a race: what ``limit``
    counts), or None when nothing due is left for this worker.

    The audit events are recorded after the last instance, just before the commit: the trail
    gets one ``timer_fired`` (or ``instance_parked``) per instance either way, and the chain
    head every writer needs is locked only for the commit, not for the whole batch.
    """
    fired: list[tuple[ProcessInstance, list[FiredTimer]]] = []
    parked: list[tuple[ProcessInstance, datetime, str, BaseException]] = []
    conflicts: list[int] = []
    taken: list[int] = []
    attempted = 0
    try:
        with app.transaction() as session:
            rows = _claim(session, app.clock.now(), passed_over, size)
            if not rows:
                return None
            taken = [row.id for row in rows]
            passed_over.update(taken)  # each instance is taken once per sweep, whatever happens to it
            timers = _unfired_timers(session, taken)
            _load_cases(session, rows)
            for row in rows:
                now = app.clock.now()
                due = [t for t in timers[row.id] if t.due_at < now]
                if not due:  # another sweep fired them between our claim's two statements (rare: see _claim)
                    continue
                attempted += 1
                try:
                    with session.begin_nested():
                        done = _fire_instance(app, session, row, timers[row.id], due, now, report.worker)
                except PASS_THROUGH as exc:
                    if not _lost_race(exc):
                        raise  # the database went away: the batch rolls back and the run fails
                    conflicts.append(row.id)  # nothing of this instance was written; the next sweep retries it
                except Exception as exc:  # any other failure parks the instance, visibly
                    session.refresh(row)
                    row.status = InstanceStatus.ERROR
                    row.updated_at = now
                    parked.append((row, now, ", ".join(t.event_name for t in due), exc))
                else:
                    fired.append((row, done))
            for row, done in fired:
                _record_fired(session, row, done, report.worker)
            for row, now, names, error in parked:
                _park(session, row, now, report.worker, names, error)
    except ConflictError:
        # The commit itself clashed with a change saved at the same moment: nothing of the batch
        # was written; its instances are retried by the next sweep.
        report.conflicts.extend(taken)
        report.transactions += 1
        return len(taken)  # (every one counts: which of them had timers due is not known)
    committed_at = app.clock.now()
    report.fired.extend(replace(t, committed_at=committed_at) for _, done in fired for t in done)
    report.parked.extend(row.id for row, *_ in parked)
    report.conflicts.extend(conflicts)
    report.transactions += 1
    return attempted


def run_worker(app: App, worker: str, limit: int, size: int) -> SweepReport:
    """One worker's loop: claim batches until nothing due is left for it or it has taken ``limit`` instances."""
    report = SweepReport(worker)
    passed_over: set[int] = set()
    left = limit
    while left > 0:
        attempted = _sweep_batch(app, report, passed_over, min(size, left))
        if attempted is None:
            break
        left -= attempted
    return report


def _sweepable_backlog(session: Session, now: datetime, cap: int) -> int:
    """Due timers of instances a sweep may take (not parked), counted up to ``cap``.

    Capped, so the count stays a short index walk however large the backlog; parked
    instances' timers wait for an administrator and must not start helpers every tick.
    """
    due = (
        select(WaitingTimer.id)
        .join(ProcessInstance, ProcessInstance.id == WaitingTimer.instance_id)
        .where(*_due_filter(now), ProcessInstance.status.not_in(NOT_SWEPT))
        .limit(cap)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(due)) or 0


def _helpers_wanted(app: App, count: int, limit: int) -> int:
    """Helper processes worth starting now: one per :data:`MIN_DUE_PER_HELPER` due timers, up to ``count - 1``.

    Starting a helper costs about 0.7 s of CPU (a Python process, the models parsed), so an
    ordinary tick with a few due timers runs alone; only a burst is shared. Helpers run the
    registered handlers (``tasks.automated.HANDLERS``), so an app given other handlers runs alone.
    """
    if count <= 1:
        return 0
    from tasks.automated import HANDLERS

    if app.engine.handlers != dict(HANDLERS):
        return 0
    with app.db.read() as session:
        backlog = _sweepable_backlog(session, app.clock.now(), MIN_DUE_PER_HELPER * count)
    return max(0, min(count - 1, min(backlog, limit) // MIN_DUE_PER_HELPER, limit - 1))


def sweep_due_timers(
    app: App,
    *,
    worker: str | None = None,
    limit: int = 1000,
    workers: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> SweepReport:
    """Fire every timer due by ``app.clock``, oldest first, in batches of ``batch_size`` instances per transaction.

    ``limit`` caps the instances taken in this call (shared evenly by its workers). On PostgreSQL
    a burst of due timers is shared by up to ``workers`` processes: this one and the helpers it
    starts (:func:`_helpers_wanted`), each with its own connection, kept apart by ``SKIP LOCKED``.
    Processes, not threads: a step is mostly Python (SpiffWorkflow, the ORM), which the threads of
    one interpreter cannot run at once (measured: two threads were no faster than one).
    ``workers=None`` uses ``app.settings.sweep_workers``, else :data:`DEFAULT_POSTGRES_WORKERS`;
    SQLite always runs one (:func:`effective_workers`).
    """
    name = worker or default_worker_id()
    size = max(1, batch_size)
    helpers = _helpers_wanted(app, effective_workers(app, workers), limit)
    if helpers == 0:
        return run_worker(app, name, limit, size)
    share = limit // (helpers + 1)
    outcomes: list[SweepReport | SafeshareError] = []
    with ExitStack() as files:
        started = [start_helper(app, f"{name}/{n}"[:80], share, size, files) for n in range(2, helpers + 2)]
        try:
            report = run_worker(app, name, limit - share * helpers, size)
        finally:
            # Always wait for every helper (no orphans), even when this process's own share failed.
            for helper in started:
                try:
                    outcomes.append(helper.report())
                except SafeshareError as exc:
                    outcomes.append(exc)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        report.fired.extend(outcome.fired)
        report.parked.extend(outcome.parked)
        report.conflicts.extend(outcome.conflicts)
        report.transactions += outcome.transactions
    report.fired.sort(key=lambda t: (t.fired_at, t.instance_id))
    report.workers = helpers + 1
    return report


def open_incidents(session: Session) -> list[TimerIncident]:
    return list(
        session.scalars(
            select(TimerIncident).where(TimerIncident.resolved_at.is_(None)).order_by(TimerIncident.occurred_at)
        )
    )


def retry_instance(app: App, session: Session, actor: User, instance_id: int) -> ProcessInstance:
    """An administrator puts a parked instance back in the sweep (after fixing the cause)."""
    from safeshare.core.access import require_role
    from safeshare.core.records import Role

    require_role(actor, Role.ADMINISTRATOR)
    row = session.get(ProcessInstance, instance_id, with_for_update=True)
    if row is None or row.status != InstanceStatus.ERROR:
        raise NotFoundError(
            f"Instance {instance_id} is not stopped on an error", "List stopped instances with 'safeshare incidents'"
        )
    now = app.clock.now()
    row.status = InstanceStatus.WAITING
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
