"""A police scheme application linked to a child's safeguarding case, least privilege (R31), and a
suspected breach of an undertaking sent to a police decision (R45).

Police staff give the case reference they were told. Whether or not a case has that reference, they get
the same answer ("asked the child's team to confirm") and later see only "confirmed" or "not confirmed":
a reference cannot be used to probe which cases exist. Where the reference names a case, its team gets a
task to confirm; once confirmed, the team is told the application's outcome in plain words (never police
intelligence), and the police records name the case by its reference, never by its internal number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notifications.outbox import enqueue
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import ConflictError, DomainRuleError
from safeshare.core.records import Case, Role, SchemeApplication, SchemeCaseLink, UndertakingBreach, User, UserRole
from safeshare.services.scheme_access import get_application, require_police_staff

if TYPE_CHECKING:
    from safeshare.core.runtime import App

SCHEME_IN_WORDS = {"csor": "Child Sex Offender Disclosure Scheme", "dvds": "Domestic Violence Disclosure Scheme"}
OUTCOME_FOR_TEAM = {
    "disclosed": "Police made a disclosure, in person, to the person best placed to protect {protects}.",
    "not_disclosed": "Police decided not to make a disclosure. This does not mean there is no risk.",
    "withdrawn": "The applicant withdrew the application before a decision.",
    "closed": "Police closed the application before a decision.",
}
REVIEW_PROCESS = "scheme_outcome_review"
#: How a step starts a process on a case: (process id, start data, case id). A service passes the engine's
#: ``start``; an automated step passes ``ServiceContext.start_after`` (started once its own step is saved).
StartOnCase = Callable[[str, dict[str, Any], int], object]
#: What the child's team will do after reviewing an outcome (the review form's choices), in words.
REVIEW_ACTIONS = {
    "no_further_action": "No further action",
    "update_plan": "The child's plan will be updated",
    "refer_to_childrens_social_care": "A referral to children's social care will be made",
}


LINK_IN_WORDS = {
    "asked": "Asked the child's team to confirm; not confirmed",
    "declined": "Asked the child's team to confirm; not confirmed",  # the same words: a refusal tells nothing
    "confirmed": "Confirmed by the child's team",
}


def _case_for_reference(session: Session, reference: str) -> int | None:
    """The case a reference names, if exactly one (typed in another case, "nf-2026-0012", is accepted)."""
    exact = session.scalar(select(Case.id).where(Case.reference == reference))
    if exact is not None:
        return exact
    found = list(session.scalars(select(Case.id).where(func.upper(Case.reference) == reference.upper()).limit(2)))
    return found[0] if len(found) == 1 else None


def request_case_link(app: App, session: Session, user: User, application_id: int, reference: str) -> SchemeCaseLink:
    """Ask the team of the case with this reference to confirm the link. The answer is the same whether or
    not such a case exists; only that team's confirmation links the application."""
    require_police_staff(user)
    application = get_application(session, user, application_id)
    wanted = " ".join(reference.split())
    if not wanted:
        raise DomainRuleError("R31", "Enter the safeguarding case reference", "Ask the child's team for it")
    if len(wanted) > 80:
        raise DomainRuleError("R31", "The case reference must be 80 characters or fewer", "Check the reference")
    if application.linked_case_id is not None:
        raise ConflictError(
            f"Application {application.reference} is already linked to a child's case",
            "Nothing more to do",
        )
    now = app.clock.now()
    link = SchemeCaseLink(
        application_id=application.id,
        reference_given=wanted,
        case_id=_case_for_reference(session, wanted),
        status="asked",
        asked_at=now,
        asked_by_id=user.id,
    )
    session.add(link)
    session.flush()
    if link.case_id is not None:
        data = {
            "link_id": link.id,
            "application_reference": application.reference,
            "scheme_name": SCHEME_IN_WORDS[application.scheme],
            "children": [{"name": str(c.get("name") or ""), "age": c.get("age")} for c in application.children or []],
        }
        instance = app.engine.start(session, app.clock, "scheme_case_link", data, actor=user, case_id=link.case_id)
        link.instance_id = instance.id
    record_event(
        session,
        app.clock,
        user,
        "scheme_case_link_asked",
        f"{application.reference}: asked the child's team to confirm a link to a safeguarding case",
        detail={"application_id": application.id, "link_id": link.id},
    )
    return link


def link_in_words(session: Session, application: SchemeApplication) -> str | None:
    """What police staff see of the link: confirmed, or not confirmed (asked or declined look the same)."""
    if application.linked_case_id is not None:
        return LINK_IN_WORDS["confirmed"]
    latest = session.scalar(
        select(SchemeCaseLink)
        .where(SchemeCaseLink.application_id == application.id)
        .order_by(SchemeCaseLink.id.desc())
        .limit(1)
    )
    return LINK_IN_WORDS[latest.status] if latest else None


def _case_team(session: Session, case: Case) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(
                User.team_id == case.team_id,
                User.is_active.is_(True),
                UserRole.role.in_([Role.PRACTITIONER.value, Role.MANAGER.value]),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def _support_offered(application: SchemeApplication) -> str:
    detail = application.outcome_detail or {}
    for part in detail.values():
        if isinstance(part, dict) and part.get("support_offered"):
            return str(part["support_offered"])
    return str(detail.get("support_offered") or "")


def _outcome_words(application: SchemeApplication) -> str:
    protects = "the child" if application.scheme == "csor" else "the person at risk"
    return OUTCOME_FOR_TEAM.get(application.outcome or "closed", OUTCOME_FOR_TEAM["closed"]).format(protects=protects)


def _safety_plan(application: SchemeApplication) -> str:
    """The safety plan the decision set, only where a disclosure was made (a plan for a withheld one is moot)."""
    if application.outcome != "disclosed":
        return ""
    return str((application.decision or {}).get("safety_plan") or "")


def _confirmed_link(session: Session, application: SchemeApplication) -> SchemeCaseLink | None:
    return session.scalar(
        select(SchemeCaseLink)
        .where(
            SchemeCaseLink.application_id == application.id,
            SchemeCaseLink.case_id == application.linked_case_id,
            SchemeCaseLink.status == "confirmed",
        )
        .order_by(SchemeCaseLink.id)
        .limit(1)
    )


def tell_case_team(
    session: Session, clock: Clock, actor: User | None, application: SchemeApplication, start: StartOnCase
) -> None:
    """R31: once an application linked to a child's case ends, the case's team is told the outcome in plain
    words, with a message naming the case (the detail is behind sign-in), and gets a task on the case to review
    it: the outcome, the safety plan and the support and referrals, never police intelligence. Asked once per
    link, whichever comes last: the application ending or the team confirming the link."""
    if application.linked_case_id is None or application.completed_at is None:
        return
    case = session.get(Case, application.linked_case_id)
    if case is None:
        return
    outcome = _outcome_words(application)
    enqueue(
        session,
        clock,
        "scheme_outcome_for_case_team",
        {
            "case_reference": case.reference,
            "case_id": case.id,
            "scheme": SCHEME_IN_WORDS[application.scheme],
            "application_reference": application.reference,
            "ended_on": application.completed_at.strftime("%d %B %Y"),
            "outcome": outcome,
            "support_offered": bool(_support_offered(application)),
        },
        recipients=_case_team(session, case),
        case_id=case.id,
        dedupe_key=f"scheme_outcome_for_case:{application.id}",
    )
    record_event(
        session,
        clock,
        actor,
        "scheme_outcome_sent_to_case_team",
        f"{application.reference}: the child's team was told the outcome",
        case_id=case.id,
        detail={"application_id": application.id},
    )
    link = _confirmed_link(session, application)
    if link is None or link.review_asked_at is not None:
        return
    link.review_asked_at = clock.now()
    data = {
        "link_id": link.id,
        "application_reference": application.reference,
        "scheme_name": SCHEME_IN_WORDS[application.scheme],
        "ended_on": application.completed_at.strftime("%d %B %Y"),
        "outcome_in_words": outcome,
        "safety_plan": _safety_plan(application),
        "support_offered": _support_offered(application),
    }
    start(REVIEW_PROCESS, data, case.id)


def starter(app: App, session: Session, user: User) -> StartOnCase:
    """How a service (outside any process step) starts the review on the case: at once, as this user."""

    def start(process_id: str, data: dict[str, Any], case_id: int) -> object:
        return app.engine.start(session, app.clock, process_id, data, actor=user, case_id=case_id)

    return start


def review_in_words(link: SchemeCaseLink) -> str:
    """What the child's team said they will do, as the case's chronology shows it."""
    return f"{REVIEW_ACTIONS.get(link.review_action or '', 'Reviewed')}: {link.review_note or ''}".rstrip(": ")


def outcome_for_case(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The outcomes of applications linked to this case, as the case's team may see them (no intelligence)."""
    rows = session.scalars(
        select(SchemeApplication)
        .where(SchemeApplication.linked_case_id == case_id, SchemeApplication.completed_at.is_not(None))
        .order_by(SchemeApplication.completed_at)
    )
    return [
        {
            "application_reference": a.reference,
            "scheme": SCHEME_IN_WORDS[a.scheme],
            "outcome": _outcome_words(a),
            "support_offered": _support_offered(a),
        }
        for a in rows
    ]


# -- R45: a suspected breach of an undertaking --------------------------------------------------------------


def report_breach(
    app: App,
    session: Session,
    user: User,
    application_id: int,
    *,
    what_happened: str,
    how_it_came_to_light: str,
) -> UndertakingBreach:
    """Record a suspected breach of the undertaking signed at a disclosure, and send it to a police
    supervisor for a decision on action ("Legal action may be taken if confidentiality is breached")."""
    require_police_staff(user)
    application = get_application(session, user, application_id)
    meeting = (application.outcome_detail or {}).get("meeting") or {}
    if application.outcome != "disclosed" or not meeting.get("undertaking_signed"):
        raise DomainRuleError(
            "R45",
            f"Application {application.reference} has no signed undertaking to breach",
            "A breach can be reported only after a disclosure made with a signed undertaking",
        )
    what = what_happened.strip()
    how = how_it_came_to_light.strip()
    if len(what) < 10:
        raise DomainRuleError("R45", "Say what happened, in at least 10 characters", "Describe the suspected breach")
    if len(how) < 5:
        raise DomainRuleError("R45", "Say how the suspected breach came to light", "For example, who told you")
    breach = UndertakingBreach(
        application_id=application.id,
        what_happened=what,
        how_it_came_to_light=how,
        reported_at=app.clock.now(),
        reported_by_id=user.id,
    )
    session.add(breach)
    session.flush()
    data = {"breach_id": breach.id, "application_id": application.id, "application_reference": application.reference}
    instance = app.engine.start(session, app.clock, "scheme_undertaking_breach", data, actor=user)
    breach.instance_id = instance.id
    record_event(
        session,
        app.clock,
        user,
        "scheme_breach_reported",
        f"{application.reference}: suspected breach of the undertaking reported; a police supervisor decides",
        detail={"application_id": application.id, "breach_id": breach.id},
    )
    return breach


def breaches_of(session: Session, application: SchemeApplication) -> list[UndertakingBreach]:
    return list(
        session.scalars(
            select(UndertakingBreach)
            .where(UndertakingBreach.application_id == application.id)
            .order_by(UndertakingBreach.id)
        )
    )
