"""The outbox: notifications written in the same transaction as the change that causes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc
from safeshare.core.records.vocabulary import NotificationStatus, one_of


class Notification(Base):
    """One message to one person on one channel. Rendered when queued, so its content is fixed.

    ``status``: ``pending`` (to deliver at ``next_attempt_at``), ``sent``, or
    ``failed`` after the last retry (shown to administrators, never dropped).
    ``dedupe_key`` makes queuing idempotent (a timer that fires twice queues once).
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_pending", "status", "next_attempt_at"),
        one_of("status", NotificationStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(80))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    recipient_email: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
