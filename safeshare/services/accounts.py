"""Accounts: passwords (argon2), sign-in with limited attempts, and API tokens.

Passwords are hashed with argon2id through ``argon2-cffi`` (the maintained
reference binding); API tokens are random and only their SHA-256 is stored.
Every sign-in, successful or not, is an audit event, and repeated failures for
one username lock it for a while, so a password cannot be guessed online.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from safeshare.access import require_role
from safeshare.audit import record_event
from safeshare.errors import SafeshareError
from safeshare.records import ApiToken, Role, SignInAttempt, User

if TYPE_CHECKING:
    from safeshare.runtime import App

#: The password every demo account gets (documented in the README; demo data only).
DEMO_PASSWORD = "safeshare-demo"
MIN_PASSWORD_LENGTH = 10
#: After this many failed attempts for one username within the window, sign-in is refused until it passes.
MAX_FAILED_ATTEMPTS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "ss_"

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class TooManyAttemptsError(SafeshareError):
    """Sign-in is locked for this username after repeated failures."""

    status_code = 429


class SignInFailedError(SafeshareError):
    """Username or password wrong (never says which)."""

    status_code = 401


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SafeshareError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters",
            "A few unrelated words make a long password that is easy to remember",
        )
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(app: App, session: Session, actor: User | None, user: User, password: str) -> None:
    """Set ``user``'s password. Users change their own; administrators (or the CLI, actor None) anyone's."""
    if actor is not None and actor.id != user.id:
        require_role(actor, Role.ADMINISTRATOR)
    user.password_hash = hash_password(password)
    record_event(
        session,
        app.clock,
        actor,
        "password_set",
        f"Password set for {user.username}",
        detail={"user_id": user.id},
    )


def give_demo_passwords(app: App) -> None:
    """Let every demo user sign in with :data:`DEMO_PASSWORD` (called by the demo, on demo data only)."""
    with app.transaction() as session:
        for user in session.scalars(select(User).where(User.password_hash.is_(None)).order_by(User.id)):
            set_password(app, session, None, user, DEMO_PASSWORD)


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt came to; ``error`` is raised by the caller after the attempt is saved."""

    user: User | None
    error: SafeshareError | None


def _recent_failures(app: App, session: Session, username: str) -> int:
    since = app.clock.now() - LOCKOUT_WINDOW
    last_success = session.scalar(
        select(func.max(SignInAttempt.attempted_at)).where(
            SignInAttempt.username == username, SignInAttempt.succeeded.is_(True)
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    return (
        session.scalar(
            select(func.count()).where(
                SignInAttempt.username == username,
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.attempted_at > since,
            )
        )
        or 0
    )


def sign_in(app: App, session: Session, username: str, password: str, remote: str | None) -> SignInOutcome:
    """Check a username and password, record the attempt and audit it.

    Returns the outcome rather than raising, so that the attempt and its audit
    event are committed even when sign-in is refused.
    """
    username = username.strip()[:80]
    now = app.clock.now()
    user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    if _recent_failures(app, session, username) >= MAX_FAILED_ATTEMPTS:
        session.add(SignInAttempt(username=username, succeeded=False, attempted_at=now, remote_address=remote))
        record_event(
            session, app.clock, user, "sign_in_refused", f"Sign-in locked for {username!r} after repeated failures"
        )
        minutes = int(LOCKOUT_WINDOW.total_seconds() // 60)
        return SignInOutcome(
            None,
            TooManyAttemptsError(
                "Too many failed sign-in attempts for this username",
                f"Wait {minutes} minutes and try again, or ask an administrator to reset your password",
            ),
        )
    ok = _verify(user.password_hash if user else None, password) and user is not None
    session.add(SignInAttempt(username=username, succeeded=ok, attempted_at=now, remote_address=remote))
    if not ok or user is None:
        record_event(session, app.clock, user, "sign_in_failed", f"Failed sign-in for {username!r}")
        return SignInOutcome(
            None,
            SignInFailedError("The username or password is not right", "Check them and try again"),
        )
    record_event(session, app.clock, user, "signed_in", f"{user.display_name} signed in")
    return SignInOutcome(user, None)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(app: App, session: Session, user: User, name: str) -> str:
    """Create an API token for ``user``; the token itself is returned once and never stored."""
    name = name.strip()
    if not name:
        raise SafeshareError("Give the token a name", "Name it after the system that will use it")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:120], token_sha256=_token_digest(token), created_at=app.clock.now())
    session.add(row)
    session.flush()
    record_event(
        session,
        app.clock,
        user,
        "api_token_issued",
        f"API token {name!r} issued to {user.username}",
        detail={"token_id": row.id},
    )
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token acts as, or None for an unknown or revoked token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    user = session.execute(_USER_FOR_TOKEN, {"digest": _token_digest(token)}).unique().scalar_one_or_none()
    return user if user is not None and user.is_active else None


# One statement for the token, its user and their roles: every API call starts with it.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .options(joinedload(User.role_rows))
    .where(ApiToken.token_sha256 == bindparam("digest"), ApiToken.revoked_at.is_(None))
)


def create_account(
    app: App,
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    roles: list[Role],
    team_id: int | None,
    password: str | None,
) -> User:
    """An administrator (or the CLI, actor None) adds a user with roles, a team and a password."""
    from safeshare.records import Team
    from safeshare.services.directory import create_user

    if actor is not None:
        require_role(actor, Role.ADMINISTRATOR)
    username = username.strip()
    if not username or not display_name.strip():
        raise SafeshareError("Give a username and a display name", "Both are needed to add a user")
    if not roles:
        raise SafeshareError("Choose at least one role", "A user with no role cannot do anything")
    team = session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and team is None:
        raise SafeshareError(f"There is no team {team_id}", "Choose one of the listed teams")
    password_hash = hash_password(password) if password else None
    user = create_user(session, username, display_name.strip(), roles, team=team, password_hash=password_hash)
    record_event(
        session,
        app.clock,
        actor,
        "user_created",
        f"User {username} created with roles {', '.join(sorted(r.value for r in roles))}",
        detail={"user_id": user.id, "team_id": team_id},
    )
    return user


def update_account(
    app: App, session: Session, actor: User, user_id: int, *, roles: list[Role], team_id: int | None, active: bool
) -> User:
    """An administrator changes a user's roles, team or whether they may sign in (audited with before and after)."""
    from safeshare.errors import NotFoundError
    from safeshare.records import Team, UserRole

    require_role(actor, Role.ADMINISTRATOR)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
    if not roles:
        raise SafeshareError("Choose at least one role", "A user with no role cannot do anything")
    if team_id is not None and session.get(Team, team_id) is None:
        raise SafeshareError(f"There is no team {team_id}", "Choose one of the listed teams")
    if user.id == actor.id and (Role.ADMINISTRATOR not in roles or not active):
        raise SafeshareError(
            "You cannot remove your own administrator role or sign-in", "Ask another administrator to do it"
        )
    before = {"roles": sorted(r.value for r in user.roles), "team_id": user.team_id, "active": user.is_active}
    user.role_rows = [UserRole(role=r.value) for r in sorted(set(roles))]
    user.team_id = team_id
    user.is_active = active
    session.flush()
    new_roles = sorted(r.value for r in set(roles))
    after = {"roles": new_roles, "team_id": team_id, "active": active}
    record_event(
        session,
        app.clock,
        actor,
        "user_updated",
        f"User {user.username} changed: roles {', '.join(new_roles)}; {'active' if active else 'deactivated'}",
        detail={"user_id": user.id, "before": before, "after": after},
    )
    return user
