"""Need-to-know: who may see a case, and who may act on a task.

A user works on a case through their team (practitioners, managers and senior
managers of the owning team): they see its record and may start processes and add
people. Someone holding a task on a case they are not a team member of (a person who
moved team, a process that names them) sees that task only: its page with the case's
reference, not the case record; they cannot start processes or add people there, and
they lose even that when the task ends. Police staff see police scheme records, not
children's case files. A case the user may not see answers "not found", so its
existence does not leak.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from safeshare.core.errors import NotFoundError, PermissionDeniedError
from safeshare.core.records import Case, OpenTask, Role, User

TEAM_ROLES = {Role.PRACTITIONER, Role.MANAGER, Role.SENIOR_MANAGER}


def works_on_case(user: User, case: Case) -> bool:
    """A member of the case's team with a team role: sees the case record and may act on it."""
    return user.is_active and user.team_id == case.team_id and bool(user.roles & TEAM_ROLES)


def can_view_case(session: Session, user: User, case: Case) -> bool:
    """Whether the user may know the case exists: its team, or a task on it assigned to them
    (that shows the task, not the case record: see :func:`require_case`)."""
    if not user.is_active:
        return False
    if works_on_case(user, case):
        return True
    return bool(session.scalar(select(exists().where(OpenTask.case_id == case.id, OpenTask.assignee_id == user.id))))


def require_case(session: Session, user: User, case_id: int) -> Case:
    """The case record, if this user works on it (its team); otherwise the same "not found" as for a
    missing case. A task assigned to someone outside the team does not open the case record to them."""
    case = session.get(Case, case_id)
    if case is None or not works_on_case(user, case):
        raise NotFoundError(f"No case {case_id} that you can see", "Check the case number, or ask its team for access")
    return case


def require_role(user: User, *roles: Role) -> None:
    if not user.roles & set(roles):
        names = " or ".join(r.value.replace("_", " ") for r in roles)
        raise PermissionDeniedError(f"This needs the {names} role", "Ask an administrator if you need it")
