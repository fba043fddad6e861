"""Referrals to children's social care (P9, R41) and requests between agencies (P10, R46): start them
from a case and read what they leave.

The CLI, API and pages call these; the automated steps in ``tasks/automated/referrals.py`` hold the
rules' checks, so a referral started from anywhere is checked the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules import enforce
from rules.referrals import request_complete
from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.records import ProcessInstance, Referral, Role, User

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
) -> ProcessInstance:
    """Record a request from another agency about the case's child (P10) and start answering it: the
    purpose, the lawful basis and the deadline are required (R46). A deadline given as a day falls due at
    the close of that day."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
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
    data = {"case_id": case.id, "request": request, "practitioner_user_id": user.id}
    instance = app.engine.start(session, app.clock, "agency_request", data, actor=user, case_id=case.id)
    record_event(
        session,
        app.clock,
        user,
        "process_started",
        f"Request for information from {request['agency']} started",
        case_id=case.id,
        detail={"instance_id": instance.id, "process": "agency_request"},
    )
    return instance
