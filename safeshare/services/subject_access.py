"""Subject access requests (UK GDPR Art. 15): record one, collate what is held, sign it off, record what was sent.

A request is about a person, not a case, and is read only by the data protection officer. The reply
is collated from every case on which the person appears. What the person may not be given is left
out and listed with the reason, so the officer can check each omission before signing off:
information a recipient recorded as not to be disclosed to the service user (R23, through
``sharing.may_disclose``, the one answer to that question), who provided information about them
(informants), what is held about other people (third parties), and police disclosure scheme records
(the police are their controller). The statutory deadline is ``deadlines.subject_access_due``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.deadlines import subject_access_due, subject_access_times
from safeshare.core.errors import FormValidationError, NotFoundError
from safeshare.core.records import (
    Case,
    ConsentRecord,
    Disclosure,
    Person,
    ProcessInstance,
    ReceivedInformation,
    Role,
    SchemeApplication,
    SubjectAccessRequest,
    User,
)
from safeshare.services.sharing import Audience, may_disclose

if TYPE_CHECKING:
    from safeshare.core.runtime import App

PROCESS_ID = "subject_access_request"
RELATIONSHIPS = {
    "self": "The person the records are about",
    "representative": "Someone acting for them, with their authority",
}
STATUS_WORDS = {"open": "Waiting for sign-off", "signed_off": "Signed off, not yet sent", "sent": "Sent"}
SENT_METHODS = {"post": "By post", "email": "By secure email", "in_person": "Handed over in person"}
SERVICE_USER = Audience("service_user")


def require_officer(user: User) -> None:
    """Subject access requests and their replies are for the data protection officer only (403 otherwise)."""
    require_role(user, Role.DATA_PROTECTION_OFFICER)


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def record_request(
    app: App,
    session: Session,
    user: User,
    *,
    requester_name: str,
    requester_relationship: str,
    subject_name: str,
    received_on: date | None,
    identity_checked_on: date | None,
    identity_evidence: str,
    subject_date_of_birth: date | None = None,
    authority: str = "",
    request_details: str = "",
) -> tuple[SubjectAccessRequest, ProcessInstance]:
    """Record a request whose requester's identity has been checked, and start its process.

    The month runs from the later of the day the request arrived and the day identity was confirmed
    (ICO guidance: the clock starts once the information needed to confirm identity is in).
    """
    require_officer(user)
    today = app.clock.now().date()
    errors: dict[str, str] = {}
    if not _text(requester_name):
        errors["requester_name"] = "Enter the name of the person making the request"
    if requester_relationship not in RELATIONSHIPS:
        errors["requester_relationship"] = "Select who is making the request"
    elif requester_relationship == "representative" and not _text(authority):
        errors["authority"] = "Enter how the requester shows they may act for the person, for example a signed letter"
    if not _text(subject_name):
        errors["subject_name"] = "Enter the name of the person the records are about"
    if subject_date_of_birth is not None and subject_date_of_birth > today:
        errors["subject_date_of_birth"] = "Date of birth must be in the past"
    if received_on is None:
        errors["received_on"] = "Enter the date the request was received"
    elif received_on > today:
        errors["received_on"] = "The date the request was received must be today or in the past"
    if identity_checked_on is None:
        errors["identity_checked_on"] = "Enter the date the requester's identity was confirmed"
    elif identity_checked_on > today:
        errors["identity_checked_on"] = "The date identity was confirmed must be today or in the past"
    elif received_on is not None and identity_checked_on < received_on:
        errors["identity_checked_on"] = "The date identity was confirmed must be on or after the date of the request"
    if not _text(identity_evidence):
        errors["identity_evidence"] = "Enter how the requester's identity was checked, for example passport seen"
    if errors:
        raise FormValidationError("The request cannot be recorded yet", errors, "Correct the answers shown")
    assert received_on is not None and identity_checked_on is not None
    now = app.clock.now()
    due_on = subject_access_due(max(received_on, identity_checked_on))
    serial = (session.scalar(select(func.count()).select_from(SubjectAccessRequest)) or 0) + 1
    request = SubjectAccessRequest(
        reference=f"SAR-{now.year}-{serial:04d}",
        requester_name=_text(requester_name),
        requester_relationship=requester_relationship,
        authority=_text(authority) or None,
        subject_name=_text(subject_name),
        subject_date_of_birth=subject_date_of_birth,
        request_details=str(request_details or "").strip(),
        received_on=received_on,
        identity_checked_on=identity_checked_on,
        identity_evidence=_text(identity_evidence),
        recorded_by_id=user.id,
        recorded_at=now,
        due_on=due_on,
        status="open",
    )
    session.add(request)
    session.flush()
    deadline, reminder = subject_access_times(session, due_on, now)
    data = {
        "sar_id": request.id,
        "sar_reference": request.reference,
        "sar_due_at": deadline.isoformat(),
        "sar_reminder_at": reminder.isoformat(),
    }
    instance = app.engine.start(session, app.clock, PROCESS_ID, data, actor=user)
    request.instance_id = instance.id
    record_event(
        session,
        app.clock,
        user,
        "subject_access_requested",
        f"Subject access request {request.reference} recorded; reply due {due_on:%d %B %Y}",
        detail={"sar_id": request.id, "instance_id": instance.id, "due_on": due_on.isoformat()},
    )
    return request, instance


def get_request(session: Session, user: User, sar_id: int) -> SubjectAccessRequest:
    """One request, for the data protection officer only."""
    require_officer(user)
    request = session.get(SubjectAccessRequest, sar_id)
    if request is None:
        raise NotFoundError(f"No subject access request {sar_id}", "Check the number on the list of requests")
    return request


def list_requests(session: Session, user: User) -> list[SubjectAccessRequest]:
    """Every request, those still open first, each by its due date."""
    require_officer(user)
    rows = session.scalars(select(SubjectAccessRequest).order_by(SubjectAccessRequest.due_on))
    return sorted(rows, key=lambda r: (r.status == "sent", r.due_on))


def request_of_instance(session: Session, instance_id: int) -> SubjectAccessRequest | None:
    """The request a process instance answers, if it answers one (the task page links to it)."""
    return session.scalar(select(SubjectAccessRequest).where(SubjectAccessRequest.instance_id == instance_id))


# -- collation ---------------------------------------------------------------------------------------


def _same_person(person: Person, request: SubjectAccessRequest) -> bool:
    if _text(person.full_name).casefold() != request.subject_name.casefold():
        return False
    known = person.date_of_birth and request.subject_date_of_birth
    return not known or person.date_of_birth == request.subject_date_of_birth


def _day(value: Any) -> str:
    return f"{value:%d %B %Y}" if value else ""


def _people(count: int) -> str:
    return f"{count} other {'person' if count == 1 else 'people'}"


def collate(session: Session, request: SubjectAccessRequest) -> dict[str, Any]:
    """What is held about the request's subject, as it would be sent, and what is withheld and why."""
    wanted = request.subject_name.casefold()
    people = [
        p
        for p in session.scalars(select(Person).where(func.lower(Person.full_name) == wanted))
        if _same_person(p, request)
    ]
    sections: list[dict[str, Any]] = []
    withheld: list[dict[str, str]] = []
    for person in people:
        case = session.get(Case, person.case_id)
        assert case is not None
        entries: list[str] = [
            f"You are recorded as {person.full_name}"
            + (f", born {_day(person.date_of_birth)}" if person.date_of_birth else "")
            + f" ({person.relationship_to_child.replace('_', ' ')}). The record was opened on {_day(case.opened_at)}.",
        ]
        others = [p for p in case.people if p.id != person.id]
        if others:
            withheld.append(
                {
                    "what": f"Details of {_people(len(others))} on record {case.reference}",
                    "reason": "Information about other people (third parties) is not given without their consent",
                }
            )
        for consent in session.scalars(select(ConsentRecord).where(ConsentRecord.case_id == case.id)):
            names = ", ".join(
                str(r.get("name") or r.get("agency") or r) if isinstance(r, dict) else str(r)
                for r in consent.recipients or []
            )
            entries.append(
                f"Consent to share information: {consent.outcome.replace('_', ' ')}"
                + (f", with {names}" if names else "")
                + (f"; restrictions: {'; '.join(consent.restrictions)}" if consent.restrictions else "")
                + "."
            )
        for disclosure in session.scalars(select(Disclosure).where(Disclosure.case_id == case.id)):
            shared: list[str] = []
            for item in disclosure.items:
                source = (
                    session.get(ReceivedInformation, item.received_information_id)
                    if item.received_information_id
                    else None
                )
                if source is not None and not may_disclose(source, SERVICE_USER)[0]:
                    withheld.append(
                        {
                            "what": f"Part of what was shared with {disclosure.recipient_agency} "
                            f"on {_day(disclosure.made_at)}",
                            "reason": f"{source.provided_by_agency} recorded it as not to be disclosed to the person",
                        }
                    )
                    continue
                shared.append(item.content + (" (opinion)" if item.kind == "opinion" else ""))
            basis = "with consent" if disclosure.basis == "consent" else "without consent"
            entries.append(
                f"Information shared with {disclosure.recipient_agency} on {_day(disclosure.made_at)}, "
                f"{basis}" + (f": {' / '.join(shared)}" if shared else "") + "."
            )
        for received in session.scalars(select(ReceivedInformation).where(ReceivedInformation.case_id == case.id)):
            allowed, _why = may_disclose(received, SERVICE_USER)
            if not allowed:
                withheld.append(
                    {
                        "what": f"Information received from {received.provided_by_agency} "
                        f"on {_day(received.received_at)}",
                        "reason": f"{received.provided_by_agency} recorded it as not to be disclosed to the person",
                    }
                )
                continue
            entries.append(
                f"Information received from {received.provided_by_agency} on "
                f"{_day(received.received_at)}: {received.details}"
            )
            if received.provided_by_person:
                withheld.append(
                    {
                        "what": f"Who at {received.provided_by_agency} provided the information "
                        f"of {_day(received.received_at)}",
                        "reason": "The identity of an informant is not given",
                    }
                )
        sections.append({"record": case.reference, "entries": entries})
    like = f"%{request.subject_name.casefold()}%"
    schemes = (
        session.scalar(
            select(func.count())
            .select_from(SchemeApplication)
            .where(
                or_(
                    func.lower(func.cast(SchemeApplication.subject, String())).like(like),
                    func.lower(func.cast(SchemeApplication.applicant, String())).like(like),
                    func.lower(func.cast(SchemeApplication.person_at_risk, String())).like(like),
                )
            )
        )
        or 0
    )
    if schemes:
        withheld.append(
            {
                "what": f"{schemes} police disclosure scheme record(s) naming the person",
                "reason": "Police records: the police force answers for them; refer this part of the request to it",
            }
        )
    return {"subject": request.subject_name, "sections": sections, "withheld": withheld}


def collation_digest(collation: dict[str, Any]) -> str:
    """The SHA-256 of a collation as signed off (canonical JSON), kept with it to show it is unchanged."""
    return hashlib.sha256(json.dumps(collation, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
