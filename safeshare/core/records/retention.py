"""Retention: reviews of records past their keeping period, the data protection officer's decisions, holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeshare.core.records.base import Base


class RetentionReview(Base):
    """One list of records due for removal, put to the data protection officer by the retention flow."""

    __tablename__ = "retention_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | decided
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    items: Mapped[list[RetentionItem]] = relationship(order_by="RetentionItem.id", lazy="selectin")


class RetentionItem(Base):
    """One record (or, for high-volume kinds, one month of rows) due for removal, and what became of it.

    ``outcome``: ``pending`` until the review is decided; then ``removed``, ``kept`` (with the
    officer's reason; listed again after a year) or ``held`` (a hold was placed before it was applied).
    """

    __tablename__ = "retention_item"
    __table_args__ = (Index("ix_retention_item_kind_record", "kind", "record_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("retention_review.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


class RetentionHold(Base):
    """A hold on a record (legal proceedings, an inquiry, a longer keeping reason): nothing is removed while
    it stands. ``record_key`` is the case or application id for those kinds."""

    __tablename__ = "retention_hold"
    __table_args__ = (Index("ix_retention_hold_kind_record", "kind", "record_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    placed_at: Mapped[datetime]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(Text)
