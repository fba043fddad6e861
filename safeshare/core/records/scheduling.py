"""Records of the scheduler: deadline settings an administrator saved, and instances a sweep could not advance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base


class DeadlineSetting(Base):
    """An override of one default deadline period (``safeshare.core.deadlines.DEFAULTS``).

    ``urgency`` is one of the urgencies or ``*`` (every urgency of this kind).
    A partnership or force follows its own timescales by saving rows here; the
    models never change.
    """

    __tablename__ = "deadline_setting"
    __table_args__ = (UniqueConstraint("kind", "urgency", name="uq_deadline_setting_kind_urgency"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    urgency: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class TimerIncident(Base):
    """A sweep could not advance an instance: it is parked (status ``error``) until an administrator retries it.

    Parking stops a broken instance from being retried in a hot loop and from
    blocking the timers of every other instance; the row says what went wrong.
    """

    __tablename__ = "timer_incident"
    __table_args__ = (Index("ix_timer_incident_open", "resolved_at", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    occurred_at: Mapped[datetime]
    worker: Mapped[str] = mapped_column(String(80))
    timers: Mapped[str] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
