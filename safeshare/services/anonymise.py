"""Removing what a record says about people, keeping what the partnership must still be able to count.

Each function works in the caller's transaction and changes rows in place: a record that other
records point to (a case, a disclosure) stays, with its personal content replaced by
:data:`REMOVED`, so reports, the disclosure register's counts and foreign keys still hold. The
audit events about a case lose their content through :func:`safeshare.core.audit.redact_events`, which
keeps every event's hash so ``audit verify`` still passes. Stored documents are replaced by a short
notice (with its own hash, so a download does not report tampering).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from safeshare.core.audit import redact_events
from safeshare.core.clock import Clock
from safeshare.core.records import (
    AuditEvent,
    Case,
    CompletedTask,
    ConsentRecord,
    Disclosure,
    DisclosureItem,
    Document,
    Episode,
    ManagerAdvice,
    Notification,
    Person,
    ProcessInstance,
    ReceivedInformation,
    SchemeApplication,
    ShareDecision,
    SignInAttempt,
    SubjectAccessRequest,
    User,
)

REMOVED = "Removed under the retention schedule"
_NOTICE_HTML = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Removed</title></head><body>"
    "<p>This document was removed under the retention schedule.</p></body></html>"
)


def _scrub_document(document: Document) -> None:
    document.title = REMOVED
    document.content_html = _NOTICE_HTML
    document.sha256 = hashlib.sha256(_NOTICE_HTML.encode()).hexdigest()


def _without_data(value: Any) -> Any:
    """A serialized workflow with every task's and the workflow's data emptied (form answers live there,
    and in each task's record of what it changed, ``delta.updates``); the task tree stays restorable."""
    if isinstance(value, dict):
        return {
            k: ({} if k in ("data", "updates") and isinstance(v, dict) else _without_data(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_data(v) for v in value]
    return value


def _scrub_instances(session: Session, instance_ids: list[int]) -> None:
    if not instance_ids:
        return
    for instance in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(instance_ids))):
        instance.state_json = json.dumps(_without_data(json.loads(instance.state_json)), separators=(",", ":"))
    session.execute(update(CompletedTask).where(CompletedTask.instance_id.in_(instance_ids)).values(data={}))


def scrub_consent(session: Session, record: ConsentRecord) -> None:
    record.recipients = []
    record.restrictions = []
    record.explanation = {}
    record.competence = None
    record.not_sought_reason = REMOVED if record.not_sought_reason else None
    record.superseded_reason = REMOVED if record.superseded_reason else None
    for document in session.scalars(
        select(Document).where(Document.kind == "consent_form", Document.source_record_id == record.id)
    ):
        _scrub_document(document)


def scrub_disclosure(session: Session, disclosure: Disclosure) -> None:
    disclosure.recipient_contact = None
    disclosure.purpose = REMOVED
    disclosure.decision_summary = REMOVED if disclosure.decision_summary else None
    disclosure.public_interest = None
    disclosure.restrictions_on_use = []
    session.execute(update(DisclosureItem).where(DisclosureItem.disclosure_id == disclosure.id).values(content=REMOVED))


def anonymise_case(session: Session, clock: Clock, actor: User | None, case: Case, reason: str) -> None:
    """Everything written about the child and family on ``case``, across every table, in one go."""
    case.title = REMOVED
    session.execute(update(Person).where(Person.case_id == case.id).values(full_name=REMOVED, date_of_birth=None))
    session.execute(update(Episode).where(Episode.case_id == case.id).values(purpose=REMOVED))
    for record in session.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case.id)):
        scrub_consent(session, record)
    for disclosure in session.scalars(select(Disclosure).where(Disclosure.case_id == case.id)):
        scrub_disclosure(session, disclosure)
    session.execute(
        update(ManagerAdvice).where(ManagerAdvice.case_id == case.id).values(question=REMOVED, reasons=REMOVED)
    )
    session.execute(
        update(ShareDecision)
        .where(ShareDecision.case_id == case.id)
        .values(public_interest=None, recipients=[], what_to_share=REMOVED, reasons=REMOVED, informed_note=None)
    )
    session.execute(
        update(ReceivedInformation)
        .where(ReceivedInformation.case_id == case.id)
        .values(details=REMOVED, provided_by_person=None, reasons_given=None, restrictions=[])
    )
    for document in session.scalars(select(Document).where(Document.case_id == case.id)):
        _scrub_document(document)
    session.execute(
        update(Notification)
        .where(Notification.case_id == case.id)
        .values(subject=REMOVED, body_text=REMOVED, body_html=None, context={})
    )
    _scrub_instances(
        session, list(session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)))
    )
    seqs = list(
        session.scalars(select(AuditEvent.seq).where(AuditEvent.case_id == case.id, AuditEvent.redacted_at.is_(None)))
    )
    redact_events(session, clock, actor, seqs, reason)


def anonymise_application(
    session: Session, clock: Clock, actor: User | None, application: SchemeApplication, reason: str
) -> None:
    """A police disclosure scheme application: people, checks and decisions go; route, outcome and dates stay.
    Its audit events (which name the application in their detail) lose their content with it."""
    application.applicant = {}
    application.subject = {}
    application.person_at_risk = None
    application.children = []
    application.concern = REMOVED
    application.initial_checks = None
    application.identity_check = None
    application.risk_assessment = None
    application.decision = None
    application.outcome_detail = None
    application.exceptional_delay_reason = REMOVED if application.exceptional_delay_reason else None
    for document in session.scalars(
        select(Document).where(Document.case_id.is_(None), Document.source_record_id == application.id)
    ):
        _scrub_document(document)
    if application.instance_id is not None:
        _scrub_instances(session, [application.instance_id])
    seqs = list(
        session.scalars(
            select(AuditEvent.seq).where(
                AuditEvent.detail["application_id"].as_integer() == application.id, AuditEvent.redacted_at.is_(None)
            )
        )
    )
    redact_events(session, clock, actor, seqs, reason)


def delete_notifications(session: Session, ids: list[int]) -> int:
    return int(session.execute(delete(Notification).where(Notification.id.in_(ids))).rowcount or 0)  # type: ignore[attr-defined]


def delete_sign_in_attempts(session: Session, ids: list[int]) -> int:
    return int(session.execute(delete(SignInAttempt).where(SignInAttempt.id.in_(ids))).rowcount or 0)  # type: ignore[attr-defined]


def scrub_subject_access(request: SubjectAccessRequest) -> None:
    """A subject access request past its period (h/ready, issue 16): who asked, about whom, the identity
    evidence and the reply go; the reference, dates, status and the reply's SHA-256 stay."""
    request.requester_name = REMOVED
    request.subject_name = REMOVED
    request.subject_date_of_birth = None
    request.authority = None
    request.request_details = ""
    request.identity_evidence = REMOVED
    request.extension_reason = REMOVED if request.extension_reason else None
    request.reply = None
    request.sent_to = REMOVED if request.sent_to else None
