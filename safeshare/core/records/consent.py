"""Consent records and the documents produced from them (R5 to R9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc
from safeshare.core.records.vocabulary import ConsentStatus, one_of


class ConsentRecord(Base):
    """The outcome of seeking consent in one episode.

    ``status`` is ``active`` until fresh consent supersedes it (R9) or the person withdraws it (R44); only one
    active record per episode, enforced by a partial unique index.
    """

    __tablename__ = "consent_record"
    __table_args__ = (
        Index(
            "uq_consent_record_active_episode",
            "episode_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        one_of("status", ConsentStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    outcome: Mapped[str] = mapped_column(String(40))
    consent_from: Mapped[str] = mapped_column(String(40))
    consenting_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    restrictions: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    #: R19: ``{"information": [...], "purposes": [...]}`` (words of ``rules.scope``) consent covers; None on
    #: consent recorded before it was asked, which covers nothing a new share can rest on.
    scope: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    #: The restrictions chosen from the form's kinds (R7), enforced exactly; ``restrictions`` holds them in
    #: words followed by anything the person asked for in their own words (notes, confirmed on each share).
    restriction_choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc)
    #: How consent given was signed (R8): ``{"method": "typed_name", "name", "on"}`` or
    #: ``{"method": "verbal_with_witness", "witness"}``; and how the person got their copy of the form.
    signature: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    copy_given: Mapped[str | None] = mapped_column(String(20))
    explanation: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    understanding_confirmed: Mapped[bool]
    competence: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    not_sought_reason: Mapped[str | None] = mapped_column(Text)
    not_sought_ground: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=ConsentStatus.ACTIVE.value)
    superseded_at: Mapped[datetime | None]
    superseded_reason: Mapped[str | None] = mapped_column(Text)
    #: Withdrawn by the person (R44): when, and ``{"how", "note", "by_id", "by", "shares_already_made"}``.
    #: A withdrawn consent allows no later share; the shares made before stay on the register.
    withdrawn_at: Mapped[datetime | None]
    withdrawal: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class Document(Base):
    """A document produced for a case (consent form, undertaking, letters), stored with its hash."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    content_html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    source_record_id: Mapped[int | None]
