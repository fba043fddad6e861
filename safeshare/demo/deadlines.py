"""The demo's deadline scene: a consultation nobody answers is reminded, then escalated (R16, R17).

Pat asks for advice on Amy's case with immediate risk, and the manager does not answer. The demo
moves its clock past the reminder time and then past the deadline, and each time runs one scheduler
tick: the same two functions the Prefect ``tick`` flow runs (``sweep_due_timers`` then
``deliver_due``), called directly because starting a Prefect server would add 6 to 14 seconds to a
demo that otherwise takes two. Each email is printed as the channel delivers it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from notifications.delivery import deliver_due
from safeshare.core.clock import FixedClock
from safeshare.core.records import Case, Notification, OpenTask, User, WaitingTimer
from safeshare.core.runtime import App
from safeshare.demo.runner import DemoPeople, Echo
from workflows.timer_sweep import sweep_due_timers

AMY_CASE = "NF-2026-0141"
# How late the demo's scheduler wakes after a timer is due: one sweep interval of `safeshare scheduler`.
SWEEP_INTERVAL = timedelta(seconds=30)


class PrintingChannel:
    """A delivery channel that prints each email instead of sending it (the demo has no mail server)."""

    def __init__(self, app: App, echo: Echo) -> None:
        self.app = app
        self.echo = echo

    def send(self, note: Notification) -> None:
        with self.app.db.read() as session:
            user = session.get(User, note.recipient_user_id) if note.recipient_user_id else None
        name = user.display_name if user else "?"
        self.echo(f"      email to {name} <{note.recipient_email}>: {note.subject}")


def _tick(app: App, echo: Echo) -> None:
    sweep = sweep_due_timers(app, worker="demo-scheduler")
    for timer in sweep.fired:
        echo(
            f"  [scheduler {app.clock.now():%H:%M:%S}] fired '{timer.event_name}' "
            f"(due {timer.due_at:%H:%M}, {timer.lateness.total_seconds():.0f} s late)"
        )
    deliver_due(app, {"email": PrintingChannel(app, echo)})


def _next_due(app: App, instance_id: int) -> WaitingTimer:
    with app.db.read() as session:
        timer = session.scalars(
            select(WaitingTimer)
            .where(WaitingTimer.instance_id == instance_id, WaitingTimer.fired_at.is_(None))
            .order_by(WaitingTimer.due_at)
        ).first()
    assert timer is not None, "the consultation waits on a timer"
    return timer


def run_deadline_scene(app: App, clock: FixedClock, people: DemoPeople, echo: Echo) -> None:
    """Leave a consultation unanswered and let the scheduler remind, then escalate."""
    from safeshare.services.sharing import start_manager_consultation

    echo("\n== Deadlines: a consultation left unanswered is reminded, then escalated ==")
    echo("  [scheduler] first, the messages the earlier scenes queued:")
    deliver_due(app, {"email": PrintingChannel(app, echo)})
    with app.transaction() as session:
        case = session.scalar(select(Case).where(Case.reference == AMY_CASE))
        assert case is not None, "the consent scene creates Amy's case first"
        pat = session.get(User, people.practitioner)
        assert pat is not None
        instance = start_manager_consultation(
            app,
            session,
            pat,
            case.id,
            urgency="immediate_risk",
            question="Amy disclosed a new adult staying at home overnight; share with the school today?",
        )
        instance_id, case_id = instance.id, case.id
        task = session.scalar(select(OpenTask).where(OpenTask.instance_id == instance_id))
        assert task is not None and task.due_at is not None
        echo(f"  [practitioner: {pat.display_name}] asked for advice, immediate risk: '{task.title}' "
             f"is due by {task.due_at:%H:%M}")

    reminder = _next_due(app, instance_id)
    clock.set(reminder.due_at + SWEEP_INTERVAL)
    echo(f"  ... nobody answers; the clock moves to {clock.now():%H:%M:%S}")
    _tick(app, echo)

    deadline = _next_due(app, instance_id)
    clock.set(deadline.due_at + SWEEP_INTERVAL)
    echo(f"  ... still no answer; the clock moves to {clock.now():%H:%M:%S}")
    _tick(app, echo)

    with app.db.read() as session:
        for open_task in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance_id)):
            due = f"due {open_task.due_at:%H:%M}" if open_task.due_at else "no deadline"
            echo(f"  Now waiting: '{open_task.title}' for a {open_task.role.replace('_', ' ')}, {due}")
        in_app = session.scalars(
            select(Notification).where(Notification.case_id == case_id, Notification.channel == "in_app")
        ).all()
        echo(f"  In-app messages on this case: {len(in_app)} (safeshare messages --as maria)")
