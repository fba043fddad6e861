"""Need-to-know: who may see a case, and who may act on a task.

A user sees a case through their team (practitioners, managers and senior
managers of the owning team), or through a task on it assigned to them.
Police staff see police scheme records, not children's case files, unless a
task puts them on the case. A case the user may not see answers "not found",
so its existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from safeshare.errors import NotFoundError, PermissionDeniedError
from safeshare.records import Case, OpenTask, Role, User

TEAM_ROLES = {Role.PRACTITIONER, Role.MANAGER, Role.SENIOR_MANAGER}


def can_view_case(session: Session, user: User, case: Case) -> bool:
    if not user.is_active:
        return False
    if user.team_id == case.team_id and user.roles & TEAM_ROLES:
        return True
    return bool(session.scalar(select(exists().where(OpenTask.case_id == case.id, OpenTask.assignee_id == user.id))))


def require_case(session: Session, user: User, case_id: int) -> Case:
    """The case, if this user may see it; otherwise the same "not found" as for a missing case."""
    case = session.get(Case, case_id)
    if case is None or not can_view_case(session, user, case):
        raise NotFoundError(f"No case {case_id} that you can see", "Check the case number, or ask its team for access")
    return case


def require_role(user: User, *roles: Role) -> None:
    if not user.roles & set(roles):
        names = " or ".join(r.value.replace("_", " ") for r in roles)
        raise PermissionDeniedError(f"This needs the {names} role", "Ask an administrator if you need it")
