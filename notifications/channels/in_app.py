"""In-app messages: the outbox rows of channel ``in_app``, listed per user and marked read.

They are "delivered" the moment they are queued (the outbox writes them as ``sent``), because the
reader fetches them; nothing here talks to the outside world.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeshare.core.clock import Clock
from safeshare.core.errors import NotFoundError
from safeshare.core.records import Notification, User


def messages_for(session: Session, user: User, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    """A user's in-app messages, newest first."""
    query = select(Notification).where(Notification.channel == "in_app", Notification.recipient_user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, clock: Clock, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own messages read (someone else's answers "not found")."""
    note = session.get(Notification, notification_id, with_for_update=True)
    if note is None or note.channel != "in_app" or note.recipient_user_id != user.id:
        raise NotFoundError(f"No message {notification_id} for you", "Open your messages to see the ones you have")
    if note.read_at is None:
        note.read_at = clock.now()
    return note


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's in-app messages are unread (the header shows it on every page)."""
    query = select(func.count()).where(
        Notification.channel == "in_app", Notification.recipient_user_id == user_id, Notification.read_at.is_(None)
    )
    return int(session.scalar(query) or 0)


def mark_all_read(session: Session, clock: Clock, user: User) -> int:
    """Mark every unread message of the user read; how many were."""
    notes = messages_for(session, user, unread_only=True, limit=10_000)
    for note in notes:
        note.read_at = clock.now()
    return len(notes)
