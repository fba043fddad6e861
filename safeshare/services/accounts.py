"""Accounts: passwords (argon2), sign-in that slows down guessing, sessions and API tokens that end.

Passwords are hashed with argon2id through ``argon2-cffi`` (the maintained
reference binding); API tokens are random and only their SHA-256 is stored.
Every sign-in, successful or not, is an audit event.

Why the slowing down is per username *and* client address, with a growing wait rather
than a lock on the name: a lock on the name alone lets anyone keep a colleague out by
typing wrong passwords for them. Here the guesser's own address waits longer and longer
while the real user, from their own address, signs in as usual; attempts refused while
waiting do not count as failures, so the wait ends. An administrator can clear it, and a
password reset clears it. The attempted username is recorded as data, never as the actor:
whoever typed it is unknown.

Sessions and tokens end together: sign-out, a password change or reset, deactivation and
an administrator's revoke raise the user's session version (ending every browser session)
and revoke every token. Tokens also expire after a set number of days.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session, joinedload

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.errors import NotFoundError, SafeshareError
from safeshare.core.records import ApiToken, Role, SignInAttempt, User

if TYPE_CHECKING:
    from safeshare.core.runtime import App

#: The password every demo account gets (documented in the README; demo data only).
DEMO_PASSWORD = "safeshare-demo"
MIN_PASSWORD_LENGTH = 10
#: Failed attempts for one username from one address before each further attempt has to wait.
MAX_FAILED_ATTEMPTS = 5
#: The first wait; each further failure doubles it, up to LOCKOUT_WINDOW.
FIRST_WAIT = timedelta(seconds=30)
LOCKOUT_WINDOW = timedelta(minutes=15)
#: Failures older than this are forgotten.
FAILURE_MEMORY = timedelta(hours=1)
TOKEN_PREFIX = "ss_"
#: How long an API token lasts when the settings say nothing.
DEFAULT_TOKEN_DAYS = 30

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
    _forget_failures(session, user)  # a reset lets the user in again at once
    record_event(
        session,
        app.clock,
        actor,
        "password_set",
        f"Password set for {user.username}",
        detail={"user_id": user.id},
    )
    end_sessions(app, session, actor, user, "the password changed")


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


def _address(remote: str | None) -> str | None:
    return remote[:64] if remote else None


def _forget_failures(session: Session, user: User) -> None:
    """Forget the user's failed sign-ins from every address (the audit trail keeps them)."""
    session.execute(
        delete(SignInAttempt).where(SignInAttempt.username == user.username, SignInAttempt.succeeded.is_(False))
    )


def _wait_until(app: App, session: Session, username: str, remote: str | None) -> datetime | None:
    """When this username may be tried again from this address, or None if it may be tried now.

    Counts failures for the pair since the later of an hour ago and the pair's last success (an
    administrator's clearing and a password reset forget them). From the fifth on, each waits twice
    as long as the one before (30 seconds, 1 minute, 2 ... up to 15 minutes) after the latest failure.
    """
    now = app.clock.now()
    since = now - FAILURE_MEMORY
    same_pair = and_(
        SignInAttempt.username == username,
        SignInAttempt.remote_address == remote if remote is not None else SignInAttempt.remote_address.is_(None),
    )
    last_success = session.scalar(
        select(func.max(SignInAttempt.attempted_at)).where(same_pair, SignInAttempt.succeeded.is_(True))
    )
    if last_success is not None and last_success > since:
        since = last_success
    failures = list(
        session.scalars(
            select(SignInAttempt.attempted_at)
            .where(same_pair, SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > since)
            .order_by(SignInAttempt.attempted_at.desc())
            .limit(64)
        )
    )
    if len(failures) < MAX_FAILED_ATTEMPTS:
        return None
    doublings = min(len(failures) - MAX_FAILED_ATTEMPTS, 10)
    wait = min(FIRST_WAIT * 2**doublings, LOCKOUT_WINDOW)
    retry_at: datetime = failures[0] + wait
    return retry_at if retry_at > now else None


def sign_in(app: App, session: Session, username: str, password: str, remote: str | None) -> SignInOutcome:
    """Check a username and password, record the attempt and audit it.

    Returns the outcome rather than raising, so that the attempt and its audit
    event are committed even when sign-in is refused.
    """
    username = username.strip()[:80]
    remote = _address(remote)
    now = app.clock.now()
    user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    attempt = {"attempted_username": username, "remote_address": remote}
    retry_at = _wait_until(app, session, username, remote)
    if retry_at is not None:  # not kept as an attempt: waiting must not make the wait longer
        minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
        record_event(
            session,
            app.clock,
            None,
            "sign_in_refused",
            f"Sign-in for {username!r} from {remote or 'an unknown address'} refused: too many failures, "
            f"next try in {minutes} min",
            detail=attempt | {"retry_at": retry_at.isoformat()},
        )
        return SignInOutcome(
            None,
            TooManyAttemptsError(
                "Too many failed sign-in attempts for this username from this computer",
                f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again, or ask an administrator "
                "to clear the failed attempts",
            ),
        )
    ok = _verify(user.password_hash if user else None, password) and user is not None
    session.add(SignInAttempt(username=username, succeeded=ok, attempted_at=now, remote_address=remote))
    if not ok or user is None:
        record_event(session, app.clock, None, "sign_in_failed", f"Failed sign-in for {username!r}", detail=attempt)
        return SignInOutcome(
            None,
            SignInFailedError("The username or password is not right", "Check them and try again"),
        )
    record_event(session, app.clock, user, "signed_in", f"{user.display_name} signed in", detail=attempt)
    return SignInOutcome(user, None)


def require_administrator(actor: User) -> None:
    require_role(actor, Role.ADMINISTRATOR)


def clear_failed_sign_ins(app: App, session: Session, actor: User | None, user: User) -> None:
    """An administrator (or the CLI) lets a user sign in again at once from anywhere."""
    if actor is not None:
        require_role(actor, Role.ADMINISTRATOR)
    _forget_failures(session, user)
    record_event(
        session, app.clock, actor, "sign_in_cleared", f"Failed sign-ins cleared for {user.username}",
        detail={"user_id": user.id},
    )


def end_sessions(app: App, session: Session, actor: User | None, user: User, why: str) -> int:
    """End every browser session and API token of ``user`` at once; returns how many tokens ended.

    Called for sign-out, a password change or reset, deactivation and an administrator's revoke.
    """
    now = app.clock.now()
    user.session_version = (user.session_version or 0) + 1
    open_tokens = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ended = 0
    for token in session.scalars(open_tokens):
        token.revoked_at = now
        ended += 1
    record_event(
        session,
        app.clock,
        actor,
        "sessions_ended",
        f"Every session and API token of {user.username} ended: {why}",
        detail={"user_id": user.id, "tokens_ended": ended},
    )
    return ended


def revoke_access(app: App, session: Session, actor: User | None, user_id: int) -> User:
    """An administrator (or the CLI) signs a user out everywhere: sessions and tokens."""
    if actor is not None:
        require_role(actor, Role.ADMINISTRATOR)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
    end_sessions(app, session, actor, user, "an administrator signed them out everywhere")
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime(app: App) -> timedelta:
    return timedelta(days=app.settings.token_days or DEFAULT_TOKEN_DAYS)


def issue_token(app: App, session: Session, user: User, name: str) -> str:
    """Create an API token for ``user``; the token itself is returned once and never stored."""
    name = name.strip()
    if not name:
        raise SafeshareError("Give the token a name", "Name it after the system that will use it")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = app.clock.now()
    row = ApiToken(
        user_id=user.id,
        name=name[:120],
        token_sha256=_token_digest(token),
        created_at=now,
        expires_at=now + token_lifetime(app),
    )
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


def user_for_token(app: App, session: Session, token: str) -> User | None:
    """The active user a bearer token acts as, or None for an unknown, revoked or expired token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = app.clock.now()
    params = {"digest": _token_digest(token), "now": now, "issued_after": now - token_lifetime(app)}
    user = session.execute(_USER_FOR_TOKEN, params).unique().scalar_one_or_none()
    return user if user is not None and user.is_active else None


# One statement for the token, its user and their roles: every API call starts with it. A token from
# before tokens had an expiry lasts the set lifetime from when it was issued.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .options(joinedload(User.role_rows))
    .where(
        ApiToken.token_sha256 == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        or_(
            ApiToken.expires_at > bindparam("now"),
            and_(ApiToken.expires_at.is_(None), ApiToken.created_at > bindparam("issued_after")),
        ),
    )
)


@dataclass(frozen=True)
class TokenView:
    """An API token as people see it (never the token itself)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def list_tokens(app: App, session: Session, actor: User | None, user: User | None = None) -> list[TokenView]:
    """Tokens of ``user`` (everyone's when None): a user lists their own, an administrator (or the CLI) anyone's."""
    if actor is not None and (user is None or user.id != actor.id):
        require_role(actor, Role.ADMINISTRATOR)
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    lifetime = token_lifetime(app)
    return [
        TokenView(t.id, username, t.name, t.created_at, t.expires_at or t.created_at + lifetime, t.revoked_at)
        for t, username in session.execute(query)
    ]


def revoke_token(app: App, session: Session, actor: User | None, token_id: int) -> TokenView:
    """Revoke one token: its owner, or an administrator (or the CLI). Anyone else is told it is not there."""
    row = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if row is None or (actor is not None and row.user_id != actor.id and not actor.has_role(Role.ADMINISTRATOR)):
        raise NotFoundError(f"No API token {token_id} that you can see", "List your tokens to find its number")
    if row.revoked_at is None:
        row.revoked_at = app.clock.now()
        record_event(
            session, app.clock, actor, "api_token_revoked", f"API token {row.name!r} revoked",
            detail={"token_id": row.id, "user_id": row.user_id},
        )
    owner = session.get(User, row.user_id)
    return TokenView(
        row.id, owner.username if owner else "?", row.name, row.created_at,
        row.expires_at or row.created_at + token_lifetime(app), row.revoked_at,
    )


#: Roles that see case records. An administrator holds none of them (separation of duties): whoever
#: manages accounts cannot also read cases, so no one can give themselves access to case data.
CASE_ROLES = frozenset({Role.PRACTITIONER, Role.MANAGER, Role.SENIOR_MANAGER, Role.POLICE_STAFF})


def _check_separation(roles: list[Role]) -> None:
    if Role.ADMINISTRATOR in roles and CASE_ROLES & set(roles):
        raise SafeshareError(
            "An administrator cannot also be a practitioner, manager, senior manager or police staff",
            "Whoever manages accounts does not see case records: give those roles to a separate account",
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
    from safeshare.core.records import Team
    from safeshare.services.directory import create_user

    if actor is not None:
        require_role(actor, Role.ADMINISTRATOR)
    username = username.strip()
    if not username or not display_name.strip():
        raise SafeshareError("Give a username and a display name", "Both are needed to add a user")
    if not roles:
        raise SafeshareError("Choose at least one role", "A user with no role cannot do anything")
    _check_separation(roles)
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
    from safeshare.core.errors import NotFoundError
    from safeshare.core.records import Team, UserRole

    require_role(actor, Role.ADMINISTRATOR)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
    if not roles:
        raise SafeshareError("Choose at least one role", "A user with no role cannot do anything")
    if team_id is not None and session.get(Team, team_id) is None:
        raise SafeshareError(f"There is no team {team_id}", "Choose one of the listed teams")
    if user.id == actor.id and (set(roles) != set(user.roles) or team_id != user.team_id or not active):
        raise SafeshareError(
            "You cannot change your own roles, team or sign-in", "Ask another administrator to do it"
        )
    _check_separation(roles)
    before = {"roles": sorted(r.value for r in user.roles), "team_id": user.team_id, "active": user.is_active}
    was_active = user.is_active
    user.role_rows = [UserRole(role=r.value) for r in sorted(set(roles))]
    user.team_id = team_id
    user.is_active = active
    session.flush()
    if was_active and not active:
        end_sessions(app, session, actor, user, "the account was deactivated")
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
