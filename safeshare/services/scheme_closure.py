"""Withdrawing or closing a scheme application at any stage, with its reason and a letter.

An applicant may withdraw, and police may close an application that cannot go on (the subject has
left the area, the person at risk cannot be reached safely...). Either way nothing waits on: the
process ends where it stands, its tasks and timers go, and the reason and the letter are kept, in the
one transaction (issue 14, item 1; the letter follows R36's content: safe way, helplines, ask again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from safeshare.core.audit import record_event
from safeshare.core.errors import ConflictError, DomainRuleError
from safeshare.core.records import ProcessInstance, SchemeApplication, User
from safeshare.services.scheme_letters import letter_recipient, produce_document
from safeshare.services.scheme_links import starter, tell_case_team
from safeshare.services.schemes import get_application, require_police_staff

if TYPE_CHECKING:
    from safeshare.core.runtime import App

WHO_CLOSES = ("applicant_withdrew", "police_closed")


def close_application(
    app: App,
    session: Session,
    user: User,
    application_id: int,
    *,
    who: str,
    reason: str,
    safe_contact: str = "",
) -> SchemeApplication:
    """End an open application with its reason and a letter; refused once it has an outcome."""
    require_police_staff(user)
    application = get_application(session, user, application_id)
    if application.status == "closed" or application.outcome is not None:
        raise ConflictError(
            f"Application {application.reference} is already closed", "Reload the application to see its outcome"
        )
    if who not in WHO_CLOSES:
        raise DomainRuleError("R36", "Say whether the applicant withdrew or police closed it", "Choose one")
    reason = reason.strip()
    if len(reason) < 10:
        raise DomainRuleError("R36", "Give the reason, in words the letter can use", "Write at least 10 characters")
    to = letter_recipient(application, {"safe_contact": safe_contact})
    letter = {"to": to, "reason": reason, "withdrawn": who == "applicant_withdrew"}
    document_id = produce_document(
        session,
        app.clock,
        user,
        application,
        "scheme_closure_letter",
        "Closure letter",
        force_address=app.settings.force_postal_address,
        letter=letter,
    )
    now = app.clock.now()
    application.outcome_detail = (application.outcome_detail or {}) | {
        "closure": letter | {"who": who, "document_id": document_id, "by": user.display_name, "at": now.isoformat()}
    }
    application.outcome = "withdrawn" if who == "applicant_withdrew" else "closed"
    application.status = "closed"
    application.completed_at = now
    # R31: the child's team hears the outcome and gets a task on the case to review it
    tell_case_team(session, app.clock, user, application, starter(app, session, user))
    if application.instance_id is not None:
        instance = session.get(ProcessInstance, application.instance_id)
        if instance is not None and instance.status != "completed":
            app.engine.cancel(session, app.clock, instance, application.outcome)
    record_event(
        session,
        app.clock,
        user,
        "scheme_application_closed",
        f"{application.reference}: {'withdrawn by the applicant' if who == 'applicant_withdrew' else 'closed'}",
        detail={"application_id": application.id, "reason": reason},
    )
    return application
