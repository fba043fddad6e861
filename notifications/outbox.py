"""Queue notifications in the caller's transaction (the transactional-outbox pattern).

A notification exists if and only if the state change that caused it
committed. Delivery happens later (``notifications.delivery``), with retries.
Messages name the case and the task, never the sensitive detail: the reader
signs in to see that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.rendering import render
from safeshare.core.clock import Clock
from safeshare.core.records import Case, Notification, User
from safeshare.core.records.vocabulary import NotificationStatus

CHANNELS = ("email", "in_app")


def task_message_context(
    case: Case | None,
    task_title: str,
    due_at: datetime | None,
    instance_id: int,
    escalated_to: str = "",
) -> dict[str, Any]:
    """What every task message (assigned, reminder, escalated, missed) may name: never case detail."""
    return {
        "case_reference": case.reference if case else "(no case)",
        "case_id": case.id if case else None,
        "task_title": task_title,
        "due_at": due_at.strftime("%d %B %Y %H:%M UTC") if due_at else "",
        "escalated_to": escalated_to,
        "instance_id": instance_id,
    }


def message_templates(template: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body template names of a message."""
    base = f"messages/{template}"
    return f"{base}.subject.txt", f"{base}.txt", f"{base}.html"


def enqueue(
    session: Session,
    clock: Clock,
    template: str,
    context: dict[str, Any],
    *,
    recipients: Iterable[User],
    case_id: int | None = None,
    dedupe_key: str | None = None,
    channels: Iterable[str] = CHANNELS,
    deliver_at: datetime | None = None,
) -> list[Notification]:
    """Render ``template`` for each recipient and channel and add it to the outbox.

    With ``dedupe_key``, queuing the same message twice adds it once.
    """
    subject_t, text_t, html_t = message_templates(template)
    people = list(recipients)
    channel_list = list(channels)
    keys = [f"{dedupe_key}:{user.id}:{channel}" for user in people for channel in channel_list] if dedupe_key else []
    # One query for every key this call would add (not one per recipient and channel).
    existing = select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))
    already: set[str | None] = set(session.scalars(existing)) if keys else set()
    queued: list[Notification] = []
    for user in people:
        full = {**context, "recipient": {"id": user.id, "name": user.display_name}}
        subject = " ".join(render(subject_t, full).split())
        text = render(text_t, full)
        html = render(html_t, full)
        for channel in channel_list:
            key = f"{dedupe_key}:{user.id}:{channel}" if dedupe_key else None
            if key in already:
                continue
            note = Notification(
                created_at=clock.now(),
                channel=channel,
                template=template,
                recipient_user_id=user.id,
                recipient_email=user.email if channel == "email" else None,
                case_id=case_id,
                subject=subject,
                body_text=text,
                body_html=html if channel == "email" else None,
                context=full,
                dedupe_key=key,
                status=NotificationStatus.PENDING if channel == "email" else NotificationStatus.SENT,
                next_attempt_at=deliver_at or clock.now(),
                sent_at=None if channel == "email" else clock.now(),
            )
            session.add(note)
            queued.append(note)
    session.flush()
    return queued
