"""Deliver the outbox: claim a due message, send it outside any transaction, record the outcome.

Each message is claimed by a conditional UPDATE (``status = 'pending' AND next_attempt_at <= now``)
that also counts the attempt and hides the message for a short lease, so two deliverers never send
it at the same time, and a deliverer that dies mid-send leaves it to be retried when the lease ends:
a message is never lost, at the price of a rare duplicate email after a crash. A failed attempt is
retried with exponential back-off; after ``max_attempts`` (or at once when the server says retrying
cannot help) the message is marked ``failed``, audited, and listed for administrators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from notifications.channels.base import Channel, DeliveryError
from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.config import DeliverySettings
from safeshare.core.errors import NotFoundError
from safeshare.core.records import Notification, Role, User
from safeshare.core.records.vocabulary import NotificationStatus
from safeshare.core.runtime import App

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off 1, 2, 4, 8, 16 minutes... capped at an hour; failed after 6 attempts (about half an hour)."""

    max_attempts: int = 6
    base_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        return min(self.base_delay * 2 ** max(attempts - 1, 0), self.max_delay)

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> RetryPolicy:
        return cls(max_attempts=settings.max_attempts, base_delay=timedelta(seconds=settings.backoff_seconds))


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _claim(app: App, note_id: int, policy: RetryPolicy) -> Notification | None:
    now = app.clock.now()
    with app.transaction() as session:
        claimed = session.execute(
            update(Notification)
            .where(
                Notification.id == note_id,
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now,
            )
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + policy.lease)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another deliverer has it, or it was sent meanwhile
        return session.get(Notification, note_id)


def _recipient_name(session: Session, note: Notification) -> str:
    user = session.get(User, note.recipient_user_id) if note.recipient_user_id else None
    return user.display_name if user else (note.recipient_email or "unknown")


def _record_sent(app: App, note_id: int) -> Notification:
    with app.transaction() as session:
        note = session.get(Notification, note_id, with_for_update=True)
        assert note is not None
        note.status = NotificationStatus.SENT
        note.sent_at = app.clock.now()
        note.last_error = None
        record_event(
            session,
            app.clock,
            None,
            "notification_sent",
            f"{note.channel} '{note.subject}' sent to {_recipient_name(session, note)}",
            case_id=note.case_id,
            detail={"notification_id": note.id, "template": note.template, "attempts": note.attempts},
        )
        return note


def _record_failure(app: App, note_id: int, error: DeliveryError, policy: RetryPolicy) -> Notification:
    with app.transaction() as session:
        note = session.get(Notification, note_id, with_for_update=True)
        assert note is not None
        note.last_error = str(error)[:2000]
        if error.permanent or note.attempts >= policy.max_attempts:
            note.status = NotificationStatus.FAILED
            record_event(
                session,
                app.clock,
                None,
                "notification_failed",
                f"{note.channel} '{note.subject}' to {_recipient_name(session, note)} failed after "
                f"{note.attempts} attempt(s): {error}",
                case_id=note.case_id,
                detail={"notification_id": note.id, "template": note.template, "error": str(error)},
            )
        else:
            note.next_attempt_at = app.clock.now() + policy.delay(note.attempts)
        return note


def deliver_due(
    app: App,
    channels: Mapping[str, Channel],
    *,
    policy: RetryPolicy | None = None,
    limit: int = 200,
    on_sent: Callable[[Notification], None] | None = None,
) -> DeliveryReport:
    """Send every pending message of the given channels whose time has come, oldest first."""
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    with app.db.read() as session:
        due = list(
            session.scalars(
                select(Notification.id)
                .where(
                    Notification.status == NotificationStatus.PENDING,
                    Notification.next_attempt_at <= app.clock.now(),
                    Notification.channel.in_(list(channels)),
                )
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(limit)
            )
        )
    for note_id in due:
        note = _claim(app, note_id, policy)
        if note is None:
            continue
        try:
            channels[note.channel].send(note)
        except DeliveryError as exc:
            result = _record_failure(app, note_id, exc, policy)
        except Exception as exc:  # a bug in a channel must not lose the message either
            log.exception("channel %s crashed on notification %s", note.channel, note_id)
            result = _record_failure(app, note_id, DeliveryError(f"{type(exc).__name__}: {exc}"), policy)
        else:
            result = _record_sent(app, note_id)
            report.sent.append(note_id)
            if on_sent is not None:
                on_sent(result)
            continue
        (report.failed if result.status == "failed" else report.retrying).append(note_id)
    return report


def failed_notifications(session: Session, limit: int = 200) -> list[Notification]:
    """What an administrator must look at: messages that could not be delivered."""
    failed = Notification.status == NotificationStatus.FAILED
    query = select(Notification).where(failed).order_by(Notification.id).limit(limit)
    return list(session.scalars(query))


def requeue(app: App, session: Session, actor: User, note_id: int) -> Notification:
    """Send a failed message again (after the address or server was fixed); audited."""
    require_role(actor, Role.ADMINISTRATOR)
    note = session.get(Notification, note_id, with_for_update=True)
    if note is None or note.status != NotificationStatus.FAILED:
        raise NotFoundError(f"No failed message {note_id}", "List them with 'safeshare outbox failed'")
    note.status = NotificationStatus.PENDING
    note.attempts = 0
    note.next_attempt_at = app.clock.now()
    record_event(
        session,
        app.clock,
        actor,
        "notification_requeued",
        f"{actor.display_name} queued '{note.subject}' again",
        case_id=note.case_id,
        detail={"notification_id": note.id, "last_error": note.last_error},
    )
    return note
