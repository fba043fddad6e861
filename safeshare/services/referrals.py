"""Referrals to children's social care (P9, R41) and requests between agencies (P10, R46): start them
from a case and read what they leave.

The CLI, API and pages call these; the automated steps in ``tasks/automated/referrals.py`` hold the
rules' checks, so a referral started from anywhere is checked the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.access import require_case, require_role
from safeshare.audit import record_event
from safeshare.records import ProcessInstance, Referral, Role, User

if TYPE_CHECKING:
    from safeshare.runtime import App


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
