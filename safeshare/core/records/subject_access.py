"""Subject access requests (UK GDPR Art. 15): the request, its statutory deadline, the sign-off and what was sent.

A request is about a person, not a case: it is a data protection record, read only by the data
protection officer. The collated reply is kept as it was signed off (``reply``, with its SHA-256),
so what was sent can always be shown later even after the case records change or are anonymised.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc


class SubjectAccessRequest(Base):
    """One request for a copy of what the partnership holds about a person."""

    __tablename__ = "subject_access_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    #: ``self`` (the person asks for their own records) or ``representative`` (with the person's authority).
    requester_relationship: Mapped[str] = mapped_column(String(30))
    authority: Mapped[str | None] = mapped_column(Text)
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_date_of_birth: Mapped[date | None] = mapped_column(Date)
    request_details: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column(Date)
    identity_checked_on: Mapped[date] = mapped_column(Date)
    identity_evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    #: The date the reply is due (one month from the clock's start; three after an extension).
    due_on: Mapped[date] = mapped_column(Date)
    extended_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    #: ``open`` until signed off, ``signed_off`` until sent, then ``sent``.
    status: Mapped[str] = mapped_column(String(20), default="open")
    reply: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    reply_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    signed_off_at: Mapped[datetime | None]
    sent_on: Mapped[date | None] = mapped_column(Date)
    sent_method: Mapped[str | None] = mapped_column(String(40))
    sent_to: Mapped[str | None] = mapped_column(String(300))
    sent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    sent_recorded_at: Mapped[datetime | None]
