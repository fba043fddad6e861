"""Police disclosure schemes: CSOR (P6) and DVDS right to ask / right to know (P7, P8).

One application row per case of a scheme, filled in stage by stage by the
process. Scheme records are police records: no ``case_id`` (a children's team
must not see them through its case), only an optional link to the child's
safeguarding case (R31), and the services let police staff alone read them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc
from safeshare.core.records.vocabulary import SchemeStatus, one_of


class SchemeApplication(Base):
    """An application (or, for right to know, a referral) and everything decided on it."""

    __tablename__ = "scheme_application"
    __table_args__ = (one_of("status", SchemeStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    scheme: Mapped[str] = mapped_column(String(20))  # csor | dvds
    route: Mapped[str] = mapped_column(String(30))  # csor | right_to_ask | right_to_know
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[str] = mapped_column(String(30), default=SchemeStatus.OPEN.value)
    applicant: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    subject: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    person_at_risk: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    children: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    concern: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    received_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    completion_due_at: Mapped[datetime]
    initial_checks: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    identity_check: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    risk_assessment: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    decision: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    outcome: Mapped[str | None] = mapped_column(String(30))  # disclosed | not_disclosed
    outcome_detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    exceptional_delay_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]


class SchemeCaseLink(Base):
    """A request from police staff to link an application to a child's safeguarding case (R31).

    Police staff give the reference the family or the child's team told them. The case it names is kept
    here (``case_id``) for the child's team alone: police staff learn only whether that team confirmed the
    link, never whether a case with that reference exists, so a reference cannot be used to probe cases.
    """

    __tablename__ = "scheme_case_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("scheme_application.id"), index=True)
    reference_given: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="asked")  # asked | confirmed | declined
    asked_at: Mapped[datetime]
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answer_note: Mapped[str | None] = mapped_column(Text)
    # Once the application has ended and the link is confirmed, the case's team reviews the outcome (a task on
    # the case): when it was asked of them, and what they said they will do.
    review_asked_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    review_action: Mapped[str | None] = mapped_column(String(40))
    review_note: Mapped[str | None] = mapped_column(Text)


class UndertakingBreach(Base):
    """A suspected breach of a signed undertaking of confidentiality, and the police decision on it (R45)."""

    __tablename__ = "scheme_undertaking_breach"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("scheme_application.id"), index=True)
    what_happened: Mapped[str] = mapped_column(Text)
    how_it_came_to_light: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime]
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    action: Mapped[str | None] = mapped_column(String(40))
    reasons: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
