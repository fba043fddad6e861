"""API sign-in: exchange a username and password for a bearer token; who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.services import accounts
from web import api_models as out
from web.dependencies import AppDep, ReadUnit
from web.params import BodyText
from web.serializers import user_json

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
