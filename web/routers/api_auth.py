"""API sign-in: exchange a username and password for a bearer token; who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.services import accounts
from web import api_models as out
from web.dependencies import AppDep, ReadUnit, WriteUnit
from web.params import BodyText, PathId
from web.serializers import iso, user_json

router = APIRouter(prefix="/api", tags=["sign-in"])


class TokenRequest(BaseModel):
    username: BodyText = Field(min_length=1, max_length=80)
    password: BodyText = Field(min_length=1, max_length=500)
    name: BodyText = Field(default="API client", min_length=1, max_length=120)


@router.post(
    "/auth/token", status_code=201, response_model=out.Token, responses=out.error_responses(400, 401, 422, 429)
)
def issue_token(body: TokenRequest, request: Request, app: AppDep) -> dict[str, Any]:
    """Sign in with a password and get a bearer token for API calls (shown once; attempts are limited)."""
    remote = request.client.host if request.client else None
    with app.transaction() as session:
        outcome = accounts.sign_in(app, session, body.username, body.password, remote)
        token = accounts.issue_token(app, session, outcome.user, body.name) if outcome.user else None
    if outcome.error is not None:
        raise outcome.error
    return {"token": token, "token_type": "bearer"}


@router.get("/me", response_model=out.User, responses=out.error_responses(400, 401))
def me(unit: ReadUnit) -> dict[str, Any]:
    """The user the request acts as."""
    return user_json(unit.user)


def token_json(token: accounts.TokenView, app: Any) -> dict[str, Any]:
    return {
        "id": token.id,
        "username": token.username,
        "name": token.name,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at) if token.revoked_at else None,
        "state": token.state(app.clock.now()),
    }


@router.get("/auth/tokens", response_model=out.ApiTokenList, responses=out.SIGNED_IN_ERRORS)
def my_tokens(unit: ReadUnit) -> dict[str, Any]:
    """My API tokens: when each was issued, when it expires, whether it was revoked (never the token)."""
    return {"tokens": [token_json(t, unit.app) for t in accounts.list_tokens(unit.app, unit.session, unit.user,
                                                                            unit.user)]}


@router.post("/auth/tokens/{token_id}/revoke", response_model=out.ApiTokenInfo, responses=out.SIGNED_IN_ERRORS)
def revoke_token(token_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Revoke one of my tokens (an administrator may revoke anyone's); it stops working at once."""
    return token_json(accounts.revoke_token(unit.app, unit.session, unit.user, token_id), unit.app)
