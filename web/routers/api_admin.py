"""Administration: users and roles, failed notifications, deadline settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.records import Role
from safeshare.services import accounts, queues
from web.auth import acting, safeshare_app
from web.params import BodyId, PathId
from web.serializers import iso, user_json

router = APIRouter(prefix="/api/admin", tags=["administration"])


@router.get("/users")
def users(request: Request) -> dict[str, Any]:
    with acting(request, write=False) as (session, user):
        return {"users": [user_json(u) for u in queues.list_users(session, user)]}


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    roles: list[Role] = Field(min_length=1)
    team_id: BodyId = None
    password: str | None = Field(default=None, max_length=500)


@router.post("/users", status_code=201)
def add_user(body: NewUser, request: Request) -> dict[str, Any]:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        created = accounts.create_account(app, session, user, **body.model_dump())
        return user_json(created)


class UserChange(BaseModel):
    roles: list[Role] = Field(min_length=1)
    team_id: BodyId = None
    active: bool = True


@router.put("/users/{user_id}")
def change_user(user_id: PathId, body: UserChange, request: Request) -> dict[str, Any]:
    """Set a user's roles, team and whether they may sign in."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return user_json(accounts.update_account(app, session, user, user_id, **body.model_dump()))


@router.get("/notifications/failed")
def failed_notifications(request: Request) -> dict[str, Any]:
    """Messages that failed after every retry (never dropped silently)."""
    with acting(request, write=False) as (session, user):
        return {
            "notifications": [
                {"id": n.id, "template": n.template, "recipient_email": n.recipient_email, "subject": n.subject,
                 "attempts": n.attempts, "last_error": n.last_error, "created_at": iso(n.created_at)}
                for n in queues.failed_notifications(session, user)
            ]
        }


@router.get("/deadlines")
def deadlines(request: Request) -> dict[str, Any]:
    """The deadlines in force by kind and urgency."""
    with acting(request, write=False) as (session, user):
        return {"deadlines": [vars(d) for d in queues.deadline_settings(session, user)]}
