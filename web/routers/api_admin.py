"""Administration: users and roles, failed notifications, deadline settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictBool

from safeshare.core.records import Role
from safeshare.services import accounts, queues
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.params import BodyId, BodyText, PathId
from web.serializers import iso, user_json

router = APIRouter(prefix="/api/admin", tags=["administration"], responses=out.SIGNED_IN_ERRORS)


@router.get("/users", response_model=out.UserList)
def users(unit: ReadUnit) -> dict[str, Any]:
    """Every user with their roles and team (administrators only)."""
    return {"users": [user_json(u) for u in queues.list_users(unit.session, unit.user)]}


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9._-]+$")
    display_name: BodyText = Field(min_length=1, max_length=120)
    roles: list[Role] = Field(min_length=1)
    team_id: BodyId = None
    password: BodyText | None = Field(default=None, max_length=500)


@router.post("/users", status_code=201, response_model=out.User)
def add_user(body: NewUser, unit: WriteUnit) -> dict[str, Any]:
    """Create a user with roles and a team."""
    return user_json(accounts.create_account(unit.app, unit.session, unit.user, **body.model_dump()))


class UserChange(BaseModel):
    roles: list[Role] = Field(min_length=1)
    team_id: BodyId = None
    active: StrictBool = True


@router.put("/users/{user_id}", response_model=out.User)
def change_user(user_id: PathId, body: UserChange, unit: WriteUnit) -> dict[str, Any]:
    """Set a user's roles, team and whether they may sign in."""
    return user_json(accounts.update_account(unit.app, unit.session, unit.user, user_id, **body.model_dump()))


@router.get("/tokens", response_model=out.ApiTokenList)
def all_tokens(unit: ReadUnit) -> dict[str, Any]:
    """Every API token of every user (administrators only): never the tokens themselves."""
    from web.routers.api_auth import token_json

    return {"tokens": [token_json(t, unit.app) for t in accounts.list_tokens(unit.app, unit.session, unit.user)]}


@router.post("/users/{user_id}/sign-out", response_model=out.SessionsEnded)
def sign_out_everywhere(user_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """End every browser session and API token of a user at once (administrators only)."""
    user = accounts.revoke_access(unit.app, unit.session, unit.user, user_id)
    return {"user_id": user.id, "username": user.username}


@router.post("/users/{user_id}/clear-sign-in-failures", response_model=out.User)
def clear_sign_in_failures(user_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Let a user whose sign-in is slowed down by failed attempts sign in again at once (administrators only)."""
    from safeshare.core.errors import NotFoundError
    from safeshare.core.records import User

    accounts.require_administrator(unit.user)
    user = unit.session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
    accounts.clear_failed_sign_ins(unit.app, unit.session, unit.user, user)
    return user_json(user)


@router.get("/notifications/failed", response_model=out.FailedNotifications)
def failed_notifications(unit: ReadUnit) -> dict[str, Any]:
    """Messages that failed after every retry (never dropped silently)."""
    return {
        "notifications": [
            {"id": n.id, "template": n.template, "recipient_email": n.recipient_email, "subject": n.subject,
             "attempts": n.attempts, "last_error": n.last_error, "created_at": iso(n.created_at)}
            for n in queues.failed_notifications(unit.session, unit.user)
        ]
    }


@router.get("/deadlines", response_model=out.DeadlineList)
def deadlines(unit: ReadUnit) -> dict[str, Any]:
    """The deadlines in force by kind and urgency."""
    return {"deadlines": [vars(d) for d in queues.deadline_settings(unit.session, unit.user)]}
