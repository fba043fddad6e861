"""Police disclosure schemes: start a CSOR or DVDS application and read it back (P6 to P8).

Scheme records are police records. Only police staff may start or read them; the
process instances carry no case id, so their tasks reach only the police inbox.
A link to a child's safeguarding case (R31) is asked of that case's team by the
reference police were given, and made only when the team confirms
(:mod:`safeshare.services.scheme_links`): police staff cannot probe case references.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeshare.core.access import require_case, require_role
from safeshare.core.audit import record_event
from safeshare.core.deadlines import policy_for
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import ProcessInstance, Role, SchemeApplication, SchemeCaseLink, Team, User
from safeshare.services.scheme_access import get_application as get_application  # the one home; read here too
from safeshare.services.scheme_access import require_police_staff as require_police_staff
from safeshare.services.scheme_links import request_case_link

if TYPE_CHECKING:
    from safeshare.core.runtime import App

ROUTES = {
    "csor": ("csor", "csor_application", "csor_completion", "CSOR"),
    "right_to_ask": ("dvds", "dvds_right_to_ask", "dvds_completion", "DVDS"),
    "right_to_know": ("dvds", "dvds_right_to_know", "dvds_completion", "DVDS"),
}


def _required(value: Any, rule: str, what: str, hint: str) -> None:
    if not value or (isinstance(value, str) and not value.strip()):
        raise DomainRuleError(rule, f"The application needs {what}", hint)


def _check_application(
    route: str,
    applicant: dict[str, Any],
    subject: dict[str, Any],
    person_at_risk: dict[str, Any] | None,
    children: list[dict[str, Any]],
    concern: str,
) -> None:
    """Stage 1, initial contact: what each route must record before anything else happens."""
    _required(
        subject.get("name"),
        "R24" if route == "csor" else "R28",
        "the subject's name",
        "Record who the concern is about",
    )
    _required(concern, "R24" if route == "csor" else "R28", "the concern", "Say what the concern is")
    if route == "csor":
        _required(applicant.get("name"), "R24", "the applicant's name", "Record who is applying")
        _required(children, "R24", "each child the subject has unsupervised access to", "List the children")
    elif route == "right_to_ask":
        _required(applicant.get("name"), "R28", "the applicant's name", "Record who is asking")
        _required(person_at_risk and person_at_risk.get("name"), "R28", "the person at risk", "Name the person at risk")
    else:
        _required(
            applicant.get("agency"),
            "R29",
            "the police team or partner agency holding the information",
            "Record which agency believes someone is at risk",
        )
        _required(
            person_at_risk and person_at_risk.get("name"),
            "R29",
            "the person believed at risk",
            "Name the person at risk",
        )


def start_application(
    app: App,
    session: Session,
    user: User,
    *,
    route: str,
    applicant: dict[str, Any],
    subject: dict[str, Any],
    concern: str,
    person_at_risk: dict[str, Any] | None = None,
    children: list[dict[str, Any]] | None = None,
    case_reference: str | None = None,
) -> tuple[SchemeApplication, ProcessInstance]:
    """Record the initial contact (stage 1) and start the scheme's process, with its completion deadline.

    With ``case_reference``, the child's team is asked to confirm a link to their case (R31): the answer is
    the same whether or not a case has that reference."""
    require_role(user, Role.POLICE_STAFF)
    application, instance = _record_and_start(
        app, session, user, route, applicant, subject, concern, person_at_risk, list(children or [])
    )
    if case_reference and case_reference.strip():
        request_case_link(app, session, user, application.id, case_reference)
    return application, instance


def _record_and_start(
    app: App,
    session: Session,
    user: User,
    route: str,
    applicant: dict[str, Any],
    subject: dict[str, Any],
    concern: str,
    person_at_risk: dict[str, Any] | None,
    kids: list[dict[str, Any]],
) -> tuple[SchemeApplication, ProcessInstance]:
    if route not in ROUTES:
        raise DomainRuleError("R24", f"Unknown scheme route {route!r}", f"Choose one of: {', '.join(ROUTES)}")
    scheme, process_id, completion_kind, prefix = ROUTES[route]
    _check_application(route, applicant, subject, person_at_risk, kids, concern)
    now = app.clock.now()
    policy = policy_for(session)
    due = policy.deadline(completion_kind, None, now)
    # R32, R33: police staff are reminded this long before the time limit (a setting, like the limit).
    before = policy.deadline(f"{completion_kind}_reminder", None, now) - now
    reminder = max(now, due - before)
    serial = (
        session.scalar(select(func.count()).select_from(SchemeApplication).where(SchemeApplication.scheme == scheme))
        or 0
    ) + 1
    application = SchemeApplication(
        reference=f"{prefix}-{now.year}-{serial:04d}",
        scheme=scheme,
        route=route,
        applicant=applicant,
        subject=subject,
        person_at_risk=person_at_risk,
        children=kids,
        concern=concern,
        received_at=now,
        received_by_id=user.id,
        completion_due_at=due,
    )
    session.add(application)
    session.flush()
    data = {
        "application_id": application.id,
        "application_reference": application.reference,
        "scheme": scheme,
        "route": route,
        "completion_due_at": due.isoformat(),
        "completion_reminder_at": reminder.isoformat(),
        "has_children": bool(kids),
    }
    instance = app.engine.start(session, app.clock, process_id, data, actor=user)
    application.instance_id = instance.id
    record_event(
        session,
        app.clock,
        user,
        "scheme_application_received",
        f"{prefix} {route.replace('_', ' ')} application {application.reference} received; complete by {due:%d %B %Y}",
        detail={"application_id": application.id, "instance_id": instance.id},
    )
    return application, instance


def ask_police_right_to_know(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    *,
    subject: dict[str, Any],
    person_at_risk: dict[str, Any],
    concern: str,
    contact: str,
) -> SchemeApplication:
    """R29: a partner agency (a practitioner on a child's case) asks the police to consider a right-to-know
    disclosure. The application records the requesting agency and who asked, and starts the police's own
    right-to-know process; the police queue shows it like any other. It is linked to the case at once (R31):
    the case's own team asked, which is the team's confirmation, so its outcome comes back to them as a task.
    The practitioner sees no police record: only that they asked, on the case's trail."""
    require_role(user, Role.PRACTITIONER)
    case = require_case(session, user, case_id)
    if not contact.strip():
        raise DomainRuleError("R29", "Say how the police can reach you", "For example, your phone number or email")
    team = session.get(Team, case.team_id)
    applicant = {
        "agency": team.agency if team else "Partner agency",
        "name": user.display_name,
        "contact": contact.strip(),
        "asked_from_case": True,
    }
    application, _instance = _record_and_start(
        app, session, user, "right_to_know", applicant, subject, concern, person_at_risk, []
    )
    now = app.clock.now()
    session.add(
        SchemeCaseLink(
            application_id=application.id,
            reference_given=case.reference,
            case_id=case.id,
            status="confirmed",
            asked_at=now,
            asked_by_id=user.id,
            answered_at=now,
            answered_by_id=user.id,
            answer_note="Asked by the case's own team",
        )
    )
    application.linked_case_id = case.id
    record_event(
        session,
        app.clock,
        user,
        "scheme_right_to_know_requested",
        f"Asked the police to consider a disclosure under right to know ({application.reference})",
        case_id=case.id,
        detail={"application_id": application.id},
    )
    return application


def view_application(app: App, session: Session, user: User, application_id: int) -> SchemeApplication:
    """One application for police staff, and the view written to the audit trail."""
    application = get_application(session, user, application_id)
    record_application_view(app, session, user, application)
    return application


def record_application_view(app: App, session: Session, user: User, application: SchemeApplication) -> None:
    """Write a read of an application the caller has already let ``user`` see to the audit trail: who read
    which application and when is on record, as every read of a case is."""
    record_event(
        session,
        app.clock,
        user,
        "scheme_application_viewed",
        f"{user.display_name} viewed application {application.reference}",
        detail={"application_id": application.id},
    )


def list_applications(
    session: Session, user: User, *, scheme: str | None = None, since: datetime | None = None
) -> list[SchemeApplication]:
    """Applications, newest first, for police staff only."""
    require_role(user, Role.POLICE_STAFF)
    query = select(SchemeApplication).order_by(SchemeApplication.id.desc())
    if scheme is not None:
        query = query.where(SchemeApplication.scheme == scheme)
    if since is not None:
        query = query.where(SchemeApplication.received_at >= since)
    return list(session.scalars(query))
