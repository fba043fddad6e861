"""Records of sharing: manager advice (P3), decisions to share without consent (P2),
the disclosure register with its items (P4) and information received (P5).

Lists the procedure treats as sets of labels (grounds, recipients, restrictions)
are JSON columns; what is disclosed is one row per item, because each item carries
its own fact/opinion marking (R20) and may come from information we received,
whose restrictions then apply to it (R23).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeshare.core.records.base import Base, JsonDoc


class ManagerAdvice(Base):
    """A manager's (or, after escalation, a senior manager's) advice and decision with reasons (R16-R18)."""

    __tablename__ = "manager_advice"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(20))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[str] = mapped_column(String(30))  # share | do_not_share | seek_consent_first
    reasons: Mapped[str] = mapped_column(Text)
    advised_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    advised_role: Mapped[str] = mapped_column(String(40))
    escalated: Mapped[bool]
    due_at: Mapped[datetime]
    within_deadline: Mapped[bool]
    advised_at: Mapped[datetime]


class ShareDecision(Base):
    """The decision whether to share without consent, with its lawful basis (R10-R15).

    ``outcome``: ``share`` (a ground or the public-interest test supports it),
    ``must_share`` (statutory duty or court order, R14), ``not_shared`` or ``seek_consent_first`` (the practitioner's
    choice, with or without a manager's advice). ``blocked`` (no ground and no public-interest
    case) is found only on decisions recorded before the form check became the rule's one home:
    the process no longer has that end, and those records still read in words. Only ``share`` and ``must_share``
    authorise a disclosure, and only to ``recipients`` (R19). ``decided_by_id`` is the
    practitioner who decided (R22), never the manager who advised. ``weighing`` holds
    what may happen if shared and if not, and whether sharing is proportionate (R11);
    ``legal_basis`` the statute or court order (R14).
    """

    __tablename__ = "share_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    consent_record_id: Mapped[int | None] = mapped_column(ForeignKey("consent_record.id"))
    consent_status: Mapped[str] = mapped_column(String(20))  # refused | not_sought | none
    outcome: Mapped[str] = mapped_column(String(30))
    grounds: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    public_interest: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    weighing: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    legal_basis: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    not_sought_ground: Mapped[str | None] = mapped_column(String(60))
    not_sought_reason: Mapped[str | None] = mapped_column(Text)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    what_to_share: Mapped[str] = mapped_column(Text, default="")
    #: R19: ``{"information": [...], "purposes": [...]}`` (words of ``rules.scope``) the share may cover;
    #: None on decisions recorded before it was asked, which cover nothing a new share can rest on.
    scope: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    reasons: Mapped[str] = mapped_column(Text, default="")
    manager_advice_id: Mapped[int | None] = mapped_column(ForeignKey("manager_advice.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime]
    informed_outcome: Mapped[str | None] = mapped_column(String(40))
    informed_note: Mapped[str | None] = mapped_column(Text)
    informed_recorded_at: Mapped[datetime | None]


class Disclosure(Base):
    """One entry of the disclosure register: when, who, to whom, how, what (R21), and without
    consent the decision, its grounds or judgement, and that the recipient was told (R22).

    ``made_at`` and ``made_by_id`` are when and by whom the information was shared, as entered;
    ``recorded_at`` and ``recorded_by_id`` when and by whom the entry was written.
    """

    __tablename__ = "disclosure"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    basis: Mapped[str] = mapped_column(String(20))  # consent | without_consent
    consent_record_id: Mapped[int | None] = mapped_column(ForeignKey("consent_record.id"))
    share_decision_id: Mapped[int | None] = mapped_column(ForeignKey("share_decision.id"))
    made_at: Mapped[datetime]
    made_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recipient_agency: Mapped[str] = mapped_column(String(200))
    recipient_contact: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text, default="")
    #: R19: the purpose chosen from ``rules.scope.PURPOSES``, inside the consent's or decision's scope.
    purpose_kind: Mapped[str | None] = mapped_column(String(60))
    recipient_told_consent_status: Mapped[bool | None]
    decision_summary: Mapped[str | None] = mapped_column(Text)
    grounds: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    public_interest: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    restrictions_on_use: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    #: R47: ``{"article_6", "article_9", "schedule_1", "from_defaults"}`` (words of
    #: ``rules.data_protection``); None on entries recorded before it was asked.
    data_protection: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    items: Mapped[list[DisclosureItem]] = relationship(order_by="DisclosureItem.position", lazy="selectin")


class DisclosureItem(Base):
    """One piece of information disclosed, marked fact or opinion (R20)."""

    __tablename__ = "disclosure_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure.id"), index=True)
    position: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # fact | opinion
    #: R19: the kind of information (``rules.scope.INFORMATION_KINDS``), inside the scope of the share.
    information_kind: Mapped[str | None] = mapped_column(String(60))
    received_information_id: Mapped[int | None] = mapped_column(ForeignKey("received_information.id"))


class ReceivedInformation(Base):
    """Information received from another agency, as the recipient records it (R23).

    ``restrictions`` is a list of ``{"code", "text", "person"?}``; every later read,
    share and export asks ``safeshare.services.sharing.may_disclose``.
    """

    __tablename__ = "received_information"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    details: Mapped[str] = mapped_column(Text)
    provided_by_agency: Mapped[str] = mapped_column(String(200))
    provided_by_person: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    without_consent: Mapped[bool]
    reasons_given: Mapped[str | None] = mapped_column(Text)
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime]
