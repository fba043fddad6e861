"""Who is making a request, and whether a form post is genuine.

Browsers carry a signed, HttpOnly, SameSite session cookie (Starlette's
``SessionMiddleware``, signed with itsdangerous) holding the user id, the user's
session version when it was issued, and a CSRF token; every form posts that token
back. A cookie whose version is older than the user's is refused: that is how
sign-out, a password change, deactivation or an administrator's revoke end every
session at once (a signed cookie cannot be recalled, a number in the database can). API clients send
``Authorization: Bearer <token>`` (stored hashed, see
:mod:`safeshare.services.accounts`); an API call made with the session cookie
instead must send the CSRF token in ``X-CSRF-Token`` for anything but a read.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from safeshare.app import App
from safeshare.core.errors import PermissionDeniedError, SafeshareError
from safeshare.core.records import User
from safeshare.services.accounts import user_for_token
from safeshare.services.directory import acting_user

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class NotSignedInError(SafeshareError):
    """No valid session or token: the API answers 401, pages redirect to sign-in."""

    status_code = 401


def safeshare_app(request: Request) -> App:
    app: App = request.app.state.safeshare
    return app


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected), str(submitted)):
        user_id = request.session.get("user_id")
        if isinstance(user_id, int):  # the refusal is audited against the session's user (web.errors)
            request.state.user_id = user_id
        raise PermissionDeniedError(
            "This form was not sent from a page of this service, or it has expired",
            "Go back, reload the page and try again",
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def resolve_user(request: Request, session: Session) -> User:
    """The signed-in user, loaded in ``session``; raises :class:`NotSignedInError` otherwise."""
    token = _bearer(request)
    if token is not None:
        user = user_for_token(safeshare_app(request), session, token)
        if user is None:
            raise NotSignedInError(
                "The API token is not valid: it is unknown, revoked or expired",
                "Ask for a new token with POST /api/auth/token",
            )
    else:
        user_id = request.session.get("user_id")
        user = acting_user(session, user_id) if isinstance(user_id, int) else None
        if user is None or not user.is_active or request.session.get("version") != user.session_version:
            request.session.pop("user_id", None)
            raise NotSignedInError("You are not signed in", "Sign in, or send an API token")
        if request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
            check_csrf(request, request.headers.get(CSRF_HEADER))
    request.state.user_id = user.id
    request.state.user = {
        "username": user.username,
        "name": user.display_name,
        "roles": sorted(r.value for r in user.roles),
    }
    return user


@contextmanager
def acting(request: Request, *, write: bool = True) -> Iterator[tuple[Session, User]]:
    """A unit of work as the signed-in user: one transaction (or a read-only session)."""
    app = safeshare_app(request)
    scope: Any = app.transaction() if write else app.db.read()
    with scope as session:
        yield session, resolve_user(request, session)


def sign_in_session(request: Request, user_id: int, version: int) -> None:
    """Start a fresh session for the user under their current session version (a new CSRF token too,
    so an old one cannot be replayed)."""
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["version"] = version
    request.session["csrf"] = secrets.token_urlsafe(32)


def sign_out_session(request: Request) -> None:
    request.session.clear()
