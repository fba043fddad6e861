"""Who may read a scheme application: police staff only, and to anyone else it does not exist.

A module of its own because both the applications (:mod:`safeshare.services.schemes`) and the links to a
child's case (:mod:`safeshare.services.scheme_links`) read applications through it, and the first calls the
second: keeping the access check here keeps the two free of an import cycle.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.errors import NotFoundError
from safeshare.core.records import Role, SchemeApplication, UndertakingBreach, User


def require_police_staff(user: User) -> None:
    """Only police staff record or read scheme applications; anyone else is told the role is needed (403).

    The form that starts an application checks this before it shows anything, so a page
    refuses with the same answer as the police queue and the API.
    """
    require_role(user, Role.POLICE_STAFF)


def get_application(session: Session, user: User, application_id: int) -> SchemeApplication:
    """One application, for police staff only (anyone else is told it does not exist)."""
    if not user.roles & {Role.POLICE_STAFF, Role.POLICE_SUPERVISOR}:
        raise NotFoundError(f"No scheme application {application_id} that you can see", "Police records only")
    application = session.get(SchemeApplication, application_id)
    if application is None:
        raise NotFoundError(f"No scheme application {application_id} that you can see", "Check the number")
    return application


def application_of_instance(session: Session, user: User, instance_id: int) -> SchemeApplication | None:
    """The application a process instance runs (the application's own process, or the decision on a suspected
    breach of its undertaking), for police staff only: a police task's page shows it beside the form. Anyone
    else gets None, so a page built for them never learns that an application exists."""
    if not user.roles & {Role.POLICE_STAFF, Role.POLICE_SUPERVISOR}:
        return None
    own = session.scalar(select(SchemeApplication).where(SchemeApplication.instance_id == instance_id))
    return own or session.scalar(
        select(SchemeApplication)
        .join(UndertakingBreach, UndertakingBreach.application_id == SchemeApplication.id)
        .where(UndertakingBreach.instance_id == instance_id)
    )
