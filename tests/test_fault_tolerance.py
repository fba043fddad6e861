"""Crash tests: a real child process is killed with SIGKILL in the middle of work, then work resumes.

The child is this module run as a program (``child_main``) on the test database. It
pauses at a chosen point (inside an automated step, just before commit, just after
commit, just before or after handing an email to the server), writes a marker file,
and the test kills it there. A fresh application then carries on, and each test
shows nothing was lost or done twice: a task is either completed once or still
open; a timer fires once; an email is sent, at worst twice (the documented price of
never losing one), never zero times.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.audit import verify_chain
from safeshare.core.errors import ConflictError
from safeshare.core.records import (
    AuditEvent,
    CompletedTask,
    ConsentRecord,
    Document,
    Notification,
    OpenTask,
    ProcessInstance,
    WaitingTimer,
)
from safeshare.services import sharing
from tasks import service
from tests.builders import EXPLAINED, Scenario

ROOT = Path(__file__).resolve().parent.parent
PAUSE_SECONDS = 120  # the child waits here until it is killed; the test never lets it run out


# -- the child process -------------------------------------------------------------------------


def _pause(marker: str) -> None:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(PAUSE_SECONDS)
    raise SystemExit("not killed in time")  # pragma: no cover


def _pause_at_commit(marker: str, when: str) -> None:
    """Pause at the first top-level commit of any session, before or after it reaches the database."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def hook(session: Any) -> None:
        if session.in_nested_transaction():
            return  # a savepoint, not the transaction reaching the database
        _pause(marker)

    event.listen(Session, "before_commit" if when == "before_commit" else "after_commit", hook)


def _wrap_handler(handlers: dict[str, Any], name: str, marker: str) -> None:
    original = handlers[name]

    def paused(ctx: Any, data: dict[str, Any]) -> Any:
        result = original(ctx, data)
        _pause(marker)
        return result

    handlers[name] = paused


class FileSink:
    """A stand-in mail server: each accepted message appends its id to a file (fsynced)."""

    def __init__(self, path: str, marker: str | None = None, pause: str | None = None) -> None:
        self.path, self.marker, self.pause = path, marker, pause

    def send(self, note: Notification) -> None:
        if self.pause == "before_send" and self.marker:
            _pause(self.marker)
        with open(self.path, "a") as sink:
            sink.write(f"{note.id}\n")
            sink.flush()
            os.fsync(sink.fileno())
        if self.pause == "after_send" and self.marker:
            _pause(self.marker)


def child_main(spec: str) -> None:
    """Run one piece of work on the test database and pause where ``spec`` says (then be killed)."""
    from safeshare.core.clock import FixedClock
    from safeshare.core.config import Settings
    from safeshare.core.records import User
    from tasks.automated import HANDLERS

    job = json.loads(spec)
    handlers = dict(HANDLERS)
    if job["pause"] in ("before_commit", "after_commit"):
        _pause_at_commit(job["marker"], job["pause"])
    elif job["pause"] == "handler":
        _wrap_handler(handlers, job["handler"], job["marker"])
    app = App.create(Settings(database_url=job["url"]), FixedClock(datetime.fromisoformat(job["now"])), migrate=False)
    app.engine.handlers = handlers
    if job["action"] == "complete":
        with app.transaction() as s:
            user = s.get(User, job["user_id"])
            assert user is not None
            service.complete_task(app, s, user, job["task_id"], job["data"])
    elif job["action"] == "sweep":
        from workflows.timer_sweep import sweep_due_timers

        sweep_due_timers(app, worker="doomed-child")
    elif job["action"] == "deliver":
        from notifications.delivery import deliver_due

        deliver_due(app, {"email": FileSink(job["sink"], job["marker"], job["pause"])})
    raise SystemExit("finished without pausing")  # pragma: no cover


def kill_child_at(app: App, tmp_path: Path, **job: Any) -> None:
    """Start the child, wait until it reaches its pause point, SIGKILL it, and reap it."""
    marker = tmp_path / f"paused-{job['action']}-{job['pause']}"
    marker.unlink(missing_ok=True)
    spec = json.dumps({"url": app.settings.database_url, "now": app.clock.now().isoformat(), "marker": str(marker),
                       **job})
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tests.test_fault_tolerance import child_main; child_main(sys.argv[1])",
         spec],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"the child ended (exit {proc.returncode}) before its pause point:\n{err[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the child never reached its pause point")
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


# -- what the tests look at ------------------------------------------------------------------


def count(app: App, model: Any, *where: Any) -> int:
    with app.db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def chain_ok(app: App) -> bool:
    with app.db.read() as s:
        return verify_chain(s).ok


def instance_version(app: App, instance_id: int) -> int:
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance_id)
        assert row is not None
        return row.version


# -- 1. completing a task -------------------------------------------------------------------------


def _consent_task(scenario: Scenario) -> tuple[int, str, dict[str, Any]]:
    case_id, ids = scenario.open_case(16)
    instance = scenario.start_episode(case_id)
    task = scenario.task(instance, "seek_consent")
    data = {
        **EXPLAINED,
        "understanding_confirmed": True,
        "consent_outcome": "given",
        "consenting_person_id": ids["child"],
        "recipients": [{"agency": "School nursing"}],
    }
    return instance, task.task_id, data


@pytest.mark.parametrize("pause", ["handler", "before_commit"])
def test_killed_while_completing_a_task_leaves_it_open_and_it_completes_once_later(
    scenario: Scenario, app: App, tmp_path: Path, pause: str
) -> None:
    instance, task_id, data = _consent_task(scenario)
    audit_before, version_before = count(app, AuditEvent), instance_version(app, instance)

    kill_child_at(app, tmp_path, action="complete", pause=pause, handler="record_consent",
                  user_id=scenario.users["pat"], task_id=task_id, data=data)

    # Nothing of the half-done step survived: the task is still open, exactly as before.
    assert [t.task_id for t in scenario.open_tasks(instance)] == [task_id]
    assert count(app, CompletedTask) == 0 and count(app, ConsentRecord) == 0 and count(app, Document) == 0
    assert count(app, AuditEvent) == audit_before and instance_version(app, instance) == version_before
    assert chain_ok(app)

    # After the restart the practitioner completes it, once.
    row = scenario.complete(instance, "seek_consent", "pat", data)
    assert (row.status, row.outcome) == ("completed", "consent_given")
    assert count(app, CompletedTask, CompletedTask.task_id == task_id) == 1
    assert count(app, ConsentRecord) == 1 and count(app, Document) == 1
    assert chain_ok(app)


def test_killed_just_after_commit_the_task_is_completed_once_and_a_retry_is_refused(
    scenario: Scenario, app: App, tmp_path: Path
) -> None:
    instance, task_id, data = _consent_task(scenario)

    kill_child_at(app, tmp_path, action="complete", pause="after_commit", user_id=scenario.users["pat"],
                  task_id=task_id, data=data)

    assert scenario.open_tasks(instance) == []
    assert count(app, CompletedTask, CompletedTask.task_id == task_id) == 1 and count(app, ConsentRecord) == 1
    audit_after = count(app, AuditEvent)
    # The user, never told it worked, tries again: refused, and nothing is written twice.
    with pytest.raises(ConflictError, match="already completed"), app.transaction() as s:
        service.complete_task(app, s, scenario.user(s, "pat"), task_id, data)
    assert count(app, CompletedTask) == 1 and count(app, ConsentRecord) == 1 and count(app, Document) == 1
    assert count(app, AuditEvent) == audit_after and chain_ok(app)


# -- 2. the timer sweep ---------------------------------------------------------------------------


def _consultation_with_due_reminder(scenario: Scenario, app: App) -> int:
    """A consultation started Monday 09:00 whose reminder (Tuesday 09:00) is due and deadline is not."""
    case_id, _ = scenario.open_case(12)
    with app.transaction() as s:
        instance_id = sharing.start_manager_consultation(
            app, s, scenario.user(s, "pat"), case_id, urgency="standard", question="May I share the school notes?"
        ).id
    app.clock.advance(timedelta(days=1, seconds=1))  # type: ignore[attr-defined]
    assert count(app, WaitingTimer, WaitingTimer.instance_id == instance_id, WaitingTimer.fired_at.is_(None),
                 WaitingTimer.due_at < app.clock.now()) == 1
    return instance_id


def _reminders(app: App) -> list[tuple[int | None, str]]:
    with app.db.read() as s:
        rows = s.execute(select(Notification.recipient_user_id, Notification.channel)
                         .where(Notification.template == "task_reminder")).all()
    return sorted((r[0], r[1]) for r in rows)


@pytest.mark.parametrize("pause", ["handler", "before_commit"])
def test_killed_mid_sweep_the_timer_fires_once_after_restart(
    scenario: Scenario, app: App, tmp_path: Path, pause: str
) -> None:
    from workflows.timer_sweep import sweep_due_timers

    instance = _consultation_with_due_reminder(scenario, app)
    version_before, audit_before = instance_version(app, instance), count(app, AuditEvent)

    kill_child_at(app, tmp_path, action="sweep", pause=pause, handler="notify")

    assert count(app, WaitingTimer, WaitingTimer.fired_at.is_not(None)) == 0  # not fired, not lost
    assert _reminders(app) == [] and count(app, AuditEvent) == audit_before
    assert instance_version(app, instance) == version_before

    report = sweep_due_timers(app, worker="restarted")
    assert [(t.instance_id, t.event_name) for t in report.fired] == [(instance, "Reminder time")]
    reminders = _reminders(app)
    assert reminders and len(reminders) == len(set(reminders))  # each manager, each channel: once
    assert sweep_due_timers(app, worker="restarted").fired == [] and _reminders(app) == reminders
    assert chain_ok(app)


def test_killed_after_a_sweep_committed_the_timer_does_not_fire_again(
    scenario: Scenario, app: App, tmp_path: Path
) -> None:
    from workflows.timer_sweep import sweep_due_timers

    instance = _consultation_with_due_reminder(scenario, app)

    kill_child_at(app, tmp_path, action="sweep", pause="after_commit")

    assert count(app, WaitingTimer, WaitingTimer.instance_id == instance, WaitingTimer.fired_at.is_not(None)) == 1
    reminders = _reminders(app)
    assert reminders and len(reminders) == len(set(reminders))
    fired_events = count(app, AuditEvent, AuditEvent.event_type == "timer_fired")
    assert sweep_due_timers(app, worker="restarted").fired == []
    assert _reminders(app) == reminders
    assert count(app, AuditEvent, AuditEvent.event_type == "timer_fired") == fired_events
    assert chain_ok(app)


# -- 3. delivering a notification ------------------------------------------------------------------


def _queued_emails(scenario: Scenario, app: App) -> list[int]:
    from workflows.timer_sweep import sweep_due_timers

    _consultation_with_due_reminder(scenario, app)
    assert sweep_due_timers(app).fired
    with app.db.read() as s:
        ids = list(s.scalars(select(Notification.id).where(Notification.channel == "email",
                                                           Notification.status == "pending")
                             .order_by(Notification.next_attempt_at, Notification.id)))
    assert ids
    return ids


def _sink_counts(sink: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in sink.read_text().split() if sink.exists() else []:
        counts[int(line)] = counts.get(int(line), 0) + 1
    return counts


@pytest.mark.parametrize(("pause", "copies_of_first"), [("before_send", 1), ("after_send", 2)])
def test_killed_while_delivering_every_email_is_sent_none_lost(
    scenario: Scenario, app: App, tmp_path: Path, pause: str, copies_of_first: int
) -> None:
    from notifications.delivery import RetryPolicy, deliver_due

    emails = _queued_emails(scenario, app)
    sink = tmp_path / "smtp-sink.txt"

    kill_child_at(app, tmp_path, action="deliver", pause=pause, sink=str(sink))

    first = emails[0]
    assert _sink_counts(sink) == ({first: 1} if pause == "after_send" else {})
    # While the dead deliverer's lease lasts, nobody else sends its message (no two senders at once) ...
    deliver: Callable[[], Any] = lambda: deliver_due(app, {"email": FileSink(str(sink))})  # noqa: E731
    deliver()
    assert _sink_counts(sink).get(first, 0) == (1 if pause == "after_send" else 0)
    assert count(app, Notification, Notification.id == first, Notification.status == "pending") == 1
    # ... and when the lease ends it is retried: sent, never lost.
    app.clock.advance(RetryPolicy().lease + timedelta(seconds=1))  # type: ignore[attr-defined]
    deliver()
    sent = _sink_counts(sink)
    assert sent == {n: (copies_of_first if n == first else 1) for n in emails}
    assert count(app, Notification, Notification.id.in_(emails), Notification.status == "sent") == len(emails)
    assert deliver().sent == [] and _sink_counts(sink) == sent
    assert chain_ok(app)


def test_open_task_projection_survives_a_kill(scenario: Scenario, app: App, tmp_path: Path) -> None:
    """After a kill the projection still matches the stored workflow (what inboxes read is true)."""
    instance, task_id, data = _consent_task(scenario)
    kill_child_at(app, tmp_path, action="complete", pause="before_commit", user_id=scenario.users["pat"],
                  task_id=task_id, data=data)
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        ready = {str(t.id) for t in app.engine.ready_user_tasks(app.engine.load(s, row))}
        projected = set(s.scalars(select(OpenTask.task_id).where(OpenTask.instance_id == instance)))
    assert ready == projected == {task_id}
