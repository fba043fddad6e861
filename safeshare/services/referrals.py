"""Referrals to children's social care (P9, R41) and requests between agencies (P10, R46): start them
from a case and read what they leave.

The CLI, API and pages call these; the automated steps in ``tasks/automated/referrals.py`` hold the
rules' checks, so a referral started from anywhere is checked the same way.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules import enforce
from rules.referrals import moment as request_moment
from rules.referrals import request_complete
from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.errors import ConflictError, DomainRuleError, FormValidationError, NotFoundError
from safeshare.core.records import AgencyRequest, ProcessInstance, Referral, Role, User

if TYPE_CHECKING:
    from safeshare.core.runtime import App


def start_referral(app: App, session: Session, user: User, case_id: int, *, immediate_risk: bool) -> ProcessInstance:
    """Refer the case's child to children's social care (P9). On immediate risk the first task says to act
    now (police on 999, the duty team); no manager is asked first (R41)."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    data = {"case_id": case.id, "immediate_risk": bool(immediate_risk), "practitioner_user_id": user.id}
    instance = app.engine.start(session, app.clock, "referral", data, actor=user, case_id=case.id)
    record_event(
        session,
        app.clock,
        user,
        "process_started",
        "Referral to children's social care started" + (" (immediate risk)" if immediate_risk else ""),
        case_id=case.id,
        detail={"instance_id": instance.id, "process": "referral"},
    )
    return instance


def referrals(session: Session, user: User, case_id: int) -> list[Referral]:
    """The case's referrals to children's social care, oldest first."""
    require_case(session, user, case_id)
    return list(session.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.id)))


#: The hour (UTC) a deadline given as a day falls due: the close of that working day.
CLOSE_OF_DAY = time(17, 0, tzinfo=UTC)


def start_agency_request(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    *,
    agency: str,
    contact: str,
    purpose: str,
    lawful_basis: str,
    asked: str,
    due: str,
    direction: str = "inbound",
) -> ProcessInstance:
    """Record a request between agencies about the case's child (P10): another agency asks us (``inbound``,
    and we answer it), or we ask another agency (``outbound``, and the process waits for their answer under
    a new reference). The purpose, the lawful basis and the deadline are required (R46). A deadline given as
    a day falls due at the close of that day."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    if direction not in ("inbound", "outbound"):
        raise DomainRuleError("R46", "Say whether another agency asks us or we ask them", "Choose one")
    due_text = due.strip()
    if len(due_text) == 10:
        try:
            due_text = datetime.combine(date.fromisoformat(due_text), CLOSE_OF_DAY).isoformat()
        except ValueError:
            due_text = ""
    enforce(request_complete(agency, purpose, lawful_basis, due_text, app.clock.now().date()))
    request = {
        "agency": agency.strip(),
        "contact": contact.strip(),
        "purpose": purpose.strip(),
        "lawful_basis": lawful_basis.strip(),
        "asked": asked.strip(),
        "due_at": due_text,
    }
    data: dict[str, Any] = {
        "case_id": case.id,
        "request": request,
        "practitioner_user_id": user.id,
        "request_direction": direction,
    }
    if direction == "outbound":
        data["request_reference"] = new_reference()
    instance = app.engine.start(session, app.clock, "agency_request", data, actor=user, case_id=case.id)
    record_event(
        session,
        app.clock,
        user,
        "process_started",
        (f"Request for information to {request['agency']} sent" if direction == "outbound"
         else f"Request for information from {request['agency']} started"),
        case_id=case.id,
        detail={"instance_id": instance.id, "process": "agency_request", "direction": direction},
    )
    return instance


def new_reference() -> str:
    """A request's reference, given to the other agency to quote with their answer: the correlation key the
    answer is delivered by. Random, so it cannot be guessed from another request's."""
    return "REQ-" + secrets.token_hex(4).upper()


#: How another agency's answer is recorded: they answered, or declined to.
ANSWER_OUTCOMES = {"answered": "They answered", "declined": "They declined to answer"}


def record_agency_answer(
    app: App,
    session: Session,
    user: User,
    reference: str,
    *,
    outcome: str,
    text: str,
    answered_by: str,
    answered_at: str = "",
) -> AgencyRequest:
    """Record another agency's answer to a request we sent (P10, R46): it is delivered, as the BPMN message
    ``agency_answer``, to the one process waiting under ``reference`` (SpiffWorkflow's message correlation),
    which then writes it to the request. An unknown reference, one on a case this user does not work on, or
    a request already answered or closed is refused and nothing is written."""
    require_role(user, Role.PRACTITIONER)
    wanted = " ".join(reference.split()).upper()
    request = session.scalar(select(AgencyRequest).where(AgencyRequest.reference == wanted)) if wanted else None
    if request is None:
        raise NotFoundError(
            f"There is no request we sent with the reference {wanted or '(none given)'}",
            "Check the reference the other agency quoted: it starts REQ- and is on the case page",
        )
    require_case(session, user, request.case_id)  # the same "not found" for a case this user does not work on
    if request.outcome is not None:
        raise ConflictError(
            f"The request {wanted} to {request.agency} was already "
            f"{'answered' if request.outcome == 'answered' else 'declined'} "
            f"on {request.answered_at:%d %B %Y}" if request.answered_at else f"The request {wanted} is closed",
            "Nothing more to record: open the case to read the answer",
        )
    instance = session.get(ProcessInstance, request.instance_id, with_for_update=True)
    if instance is None or instance.status == "completed":
        raise ConflictError(
            f"The request {wanted} to {request.agency} is closed: it is no longer waiting for an answer",
            "Open the case to see what happened to it",
        )
    errors: dict[str, str] = {}
    if outcome not in ANSWER_OUTCOMES:
        errors["outcome"] = "Say whether they answered or declined"
    if len(text.strip()) < 2:
        errors["text"] = "Enter what they said" if outcome != "declined" else "Enter the reason they gave"
    if not answered_by.strip():
        errors["answered_by"] = "Enter who at the other agency answered"
    if answered_at.strip():
        when = request_moment(answered_at)
        if when is None:
            errors["answered_at"] = "Enter when they answered as a date and time"
        elif when > app.clock.now() or when < request.received_at:
            errors["answered_at"] = "When they answered must be after the request was sent and not in the future"
    if errors:
        raise FormValidationError("The answer is not complete", errors, "Correct the answers shown")
    payload = {
        "reference": wanted,
        "outcome": outcome,
        "text": text.strip(),
        "answered_by": answered_by.strip(),
        "answered_at": answered_at.strip(),
    }
    app.engine.deliver_message(session, app.clock, instance, "agency_answer", payload, user)
    return request


def agency_requests(session: Session, user: User, case_id: int) -> list[AgencyRequest]:
    """The case's requests between agencies, both ways, oldest first."""
    require_case(session, user, case_id)
    return list(
        session.scalars(select(AgencyRequest).where(AgencyRequest.case_id == case_id).order_by(AgencyRequest.id))
    )
