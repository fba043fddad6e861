"""What an API operation needs, as FastAPI dependencies: the app, the signed-in user and a unit of work.

Why dependencies rather than a ``with`` block in each operation: the security scheme is declared
once (so the OpenAPI document says every operation needs a bearer token), and the unit of work's
commit runs when the operation returns but *before* the answer is built (``scope="function"``): a
commit that fails (a conflict, a constraint) becomes the error answer, never a 200 for a change
that was rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from safeshare.app import App
from safeshare.core.records import User
from web.auth import acting, safeshare_app

#: Every API operation but sign-in takes ``Authorization: Bearer <token>`` (or a page's session cookie
#: with ``X-CSRF-Token`` for changes). ``auto_error=False``: a missing token is our own 401 answer.
bearer = HTTPBearer(
    scheme_name="bearerToken",
    description="An API token from POST /api/auth/token",
    auto_error=False,
)


@dataclass(frozen=True)
class Unit:
    """One request's unit of work: the app, the session (one transaction, or read-only) and who acts."""

    app: App
    session: Session
    user: User


def _app(request: Request) -> App:
    return safeshare_app(request)


def _read_unit(
    request: Request, _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Iterator[Unit]:
    with acting(request, write=False) as (session, user):
        yield Unit(safeshare_app(request), session, user)


def _write_unit(
    request: Request, _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Iterator[Unit]:
    with acting(request) as (session, user):
        yield Unit(safeshare_app(request), session, user)


def signed_in(request: Request) -> User:
    """The user, loaded for use outside a transaction: for services that open their own (documents,
    exports, reports)."""
    with acting(request, write=False) as (_session, user):
        return user


def _signed_in(
    request: Request, _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> User:
    return signed_in(request)


AppDep = Annotated[App, Depends(_app)]
#: A read-only session as the signed-in user.
ReadUnit = Annotated[Unit, Depends(_read_unit, scope="function")]
#: One transaction as the signed-in user, committed before the answer is built.
WriteUnit = Annotated[Unit, Depends(_write_unit, scope="function")]
SignedInUser = Annotated[User, Depends(_signed_in)]
