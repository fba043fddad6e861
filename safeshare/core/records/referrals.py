"""Records of referrals to children's social care (P9) and of requests between agencies (P10).

A referral is its own record because the receiving team's acknowledgement and decision, each due within
one working day (Working Together to Safeguard Children 2023), belong to it; what was shared with the
team is also a disclosure on the register (``disclosure_id``), without consent where consent was refused
or not sought (R41). A request between agencies keeps its purpose, lawful basis and deadline; the answer
given is a disclosure on the register too (R46).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeshare.core.records.base import Base, JsonDoc


class Referral(Base):
    """A referral to children's social care about a concern of significant harm (R41).

    ``immediate_actions`` holds what was done at once where the risk was immediate (police called on 999,
    the duty team told, by whom and when), before any manager was involved. ``consent_status`` is
    ``given``, ``refused`` or ``not_sought``; the last two make the referral a share without consent.
    """

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    immediate_risk: Mapped[bool]
    immediate_actions: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    concern: Mapped[str] = mapped_column(Text)
    receiving_team: Mapped[str] = mapped_column(String(200))
    receiving_contact: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    consent_status: Mapped[str] = mapped_column(String(20))
    consent_record_id: Mapped[int | None] = mapped_column(ForeignKey("consent_record.id"))
    consent_note: Mapped[str | None] = mapped_column(Text)
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure.id"))
    made_at: Mapped[datetime]
    made_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    response_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[str | None] = mapped_column(String(40))
    decision_at: Mapped[datetime | None]
    decision_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: A manager's follow-ups of a late response: ``{"at", "by_id", "by", "action"}`` each.
    follow_ups: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)


class AgencyRequest(Base):
    """A request for information about a child between agencies (R46): another agency asks us
    (``direction`` ``inbound``), or we ask another agency (``outbound``), with its purpose, lawful basis and
    the deadline for the answer.

    Inbound: ``outcome`` is ``answered`` (the answer is the disclosure ``disclosure_id``) or ``declined``
    (with ``outcome_note`` saying why); empty while the request is open. Outbound: ``reference`` is the
    request's correlation key (its message to the other agency carries it, and their answer is delivered
    to the waiting process by it); ``outcome`` is ``answered`` (``answer_text``, ``answered_by`` at the
    other agency, recorded by ``answer_recorded_by_id``) or ``declined`` by them.
    """

    __tablename__ = "agency_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    direction: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str] = mapped_column(Text)
    asked: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure.id"))
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answer_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
