"""Teams and users (administrator operations)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import ConflictError, NotFoundError, SafeshareError
from safeshare.core.records import Role, Team, User, UserRole

_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))


def acting_user(session: Session, user_id: int) -> User | None:
    """The user with their roles in one statement (a plain ``get`` takes two): every request starts here."""
    return session.execute(_USER_WITH_ROLES, {"user_id": user_id}).unique().scalar_one_or_none()


def create_team(session: Session, name: str, agency: str) -> Team:
    team = Team(name=name, agency=agency)
    session.add(team)
    session.flush()
    return team


def add_team(session: Session, clock: Clock, actor: User | None, name: str, agency: str) -> Team:
    """An administrator (or the CLI, actor None) adds a team, so a fresh install is set up without SQL (audited).

    Team names are unique whatever their case: two teams called "Duty team" and "duty team" would be one
    team to the people choosing between them.
    """
    if actor is not None:
        require_role(actor, Role.ADMINISTRATOR)
    name, agency = " ".join(name.split()), " ".join(agency.split())
    if not name:
        raise SafeshareError("Enter the team's name", "For example: Northfield Children's Social Care, Duty team")
    if not agency:
        raise SafeshareError("Enter the agency the team belongs to", "For example: Northfield Council")
    existing = session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
    if existing is not None:
        raise ConflictError(f"There is already a team called {existing.name!r}", "Choose another name")
    team = create_team(session, name, agency)
    record_event(session, clock, actor, "team_created", f"Team {name} ({agency}) created",
                 detail={"team_id": team.id})
    return team


def all_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def find_team(session: Session, name_or_id: str) -> Team:
    """The team named (whatever the case) or numbered; the error lists the teams there are."""
    wanted = name_or_id.strip()
    team = session.scalar(select(Team).where(func.lower(Team.name) == wanted.lower()))
    if team is None and wanted.isdigit():
        team = session.get(Team, int(wanted))
    if team is not None:
        return team
    teams = all_teams(session)
    if not teams:
        raise NotFoundError(f"There is no team {wanted!r}: no teams have been added yet",
                            "Add one first with 'safeshare team add NAME --agency AGENCY'")
    raise NotFoundError(f"There is no team {wanted!r}", "Teams: " + "; ".join(t.name for t in teams))


def create_user(
    session: Session,
    username: str,
    display_name: str,
    roles: Iterable[Role],
    *,
    team: Team | None = None,
    email: str | None = None,
    password_hash: str | None = None,
) -> User:
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise SafeshareError(f"The username {username!r} is taken", "Choose another username")
    user = User(
        username=username,
        display_name=display_name,
        email=email or f"{username}@example.org",
        team_id=team.id if team else None,
        password_hash=password_hash,
        role_rows=[UserRole(role=Role(r).value) for r in roles],
    )
    session.add(user)
    session.flush()
    return user


def user_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    if user is None:
        raise NotFoundError(
            f"No active user {username!r}", "Check the spelling (the Administration page lists every user)"
        )
    return user
