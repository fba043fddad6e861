"""Teams and users (administrator operations)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from safeshare.errors import NotFoundError, SafeshareError
from safeshare.records import Role, Team, User, UserRole

_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))


def acting_user(session: Session, user_id: int) -> User | None:
    """The user with their roles in one statement (a plain ``get`` takes two): every request starts here."""
    return session.execute(_USER_WITH_ROLES, {"user_id": user_id}).unique().scalar_one_or_none()


def create_team(session: Session, name: str, agency: str) -> Team:
    team = Team(name=name, agency=agency)
    session.add(team)
    session.flush()
    return team


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
        raise NotFoundError(f"No active user {username!r}", "Check the name with 'safeshare users'")
    return user
