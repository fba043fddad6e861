"""The append-only, hash-chained audit trail.

Each event's hash covers its own content and the previous event's hash, so an
edited, deleted or reordered row breaks the chain at that point. Appends take a
row lock on the single chain-head row, so concurrent writers cannot fork it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_case_seq", "case_id", "seq"),)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(120))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    event_type: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: Set when the retention schedule removed the event's content (summary and detail). Not hashed: the
    #: event keeps its hash, and a later ``audit_redacted`` event vouches for it (see ``verify_chain``).
    redacted_at: Mapped[datetime | None]


class AuditChainHead(Base):
    """One row: the last sequence number and hash. Locked by every append."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))
