"""Administrator pages: users and roles, failed notifications, deadline settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import NotFoundError, SafeshareError
from safeshare.core.records import Role, User
from safeshare.services import accounts, queues
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


def _users_page(request: Request, form: dict[str, Any], field_errors: dict[str, str], status: int = 200) -> Response:
    with acting(request, write=False) as (session, user):
        users = queues.list_users(session, user)
        teams = queues.list_teams(session, user)
        return render(
            request,
            "admin.html",
            {
                "title": "Users and roles",
                "section": "admin",
                "page": "users",
                "users": [{"id": u.id, "username": u.username, "display_name": u.display_name,
                           "team_id": u.team_id, "roles": sorted(r.value for r in u.roles), "active": u.is_active}
                          for u in users],
                "teams": teams,
                "team_names": {t.id: t.name for t in teams},
                "all_roles": [r.value for r in Role],
                "form": form,
                "field_errors": field_errors,
                "error_list": [{"text": m, "href": f"#{k}"} for k, m in field_errors.items()],
            },
            status_code=status,
        )


@router.get("/admin/users")
def users_page(request: Request) -> Response:
    return _users_page(request, {}, {})


@router.post("/admin/users")
def add_user(request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    values: dict[str, Any] = {
        "username": str(form.get("username", "")).strip(),
        "display_name": str(form.get("display_name", "")).strip(),
        "roles": [str(r) for r in form.getlist("roles")],
        "team_id": str(form.get("team_id", "")),
    }
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "Enter a username"
    if not values["display_name"]:
        errors["display_name"] = "Enter the person's full name"
    roles = [Role(r) for r in values["roles"] if r in {x.value for x in Role}]
    if not roles:
        errors["roles"] = "Choose at least one role"
    if errors:
        return _users_page(request, values, errors, 422)
    try:
        with acting(request) as (session, user):
            accounts.create_account(
                app, session, user, username=values["username"], display_name=values["display_name"], roles=roles,
                team_id=int(values["team_id"]) if values["team_id"].isdigit() else None,
                password=str(form.get("password", "")) or None,
            )
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        key = "password" if "password" in exc.message.lower() else "username"
        return _users_page(request, values, {key: exc.message}, 422)
    return RedirectResponse("/admin/users", status_code=303)


def _user_page(request: Request, user_id: int, errors: list[dict[str, str]], status: int = 200) -> Response:
    now = safeshare_app(request).clock.now()
    with acting(request, write=False) as (session, actor):
        target = next((u for u in queues.list_users(session, actor) if u.id == user_id), None)
        if target is None:
            raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
        return render(
            request,
            "admin.html",
            {
                "title": f"Change {target.username}",
                "section": "admin",
                "page": "user",
                "target": {"id": target.id, "username": target.username, "display_name": target.display_name,
                           "team_id": target.team_id, "roles": sorted(r.value for r in target.roles),
                           "active": target.is_active},
                "teams": queues.list_teams(session, actor),
                "all_roles": [r.value for r in Role],
                "tokens": [
                    {"id": t.id, "name": t.name, "created_at": f"{t.created_at:%d %B %Y %H:%M}",
                     "expires_at": f"{t.expires_at:%d %B %Y %H:%M}", "state": t.state(now)}
                    for t in accounts.list_tokens(safeshare_app(request), session, actor, target)
                ],
                "error_list": errors,
            },
            status_code=status,
        )


@router.get("/admin/users/{user_id}")
def user_page(user_id: PathId, request: Request) -> Response:
    return _user_page(request, user_id, [])


@router.post("/admin/users/{user_id}")
def change_user(user_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    roles = [Role(r) for r in form.getlist("roles") if r in {x.value for x in Role}]
    team = str(form.get("team_id", ""))
    try:
        with acting(request) as (session, actor):
            accounts.update_account(app, session, actor, user_id, roles=roles,
                                    team_id=int(team) if team.isdigit() else None, active=form.get("active") == "yes")
    except SafeshareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _user_page(request, user_id, [{"text": exc.message, "href": "#roles"}], 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/sign-out")
def sign_out_everywhere(user_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    """End every session and API token of the user at once."""
    with acting(request) as (session, actor):
        accounts.revoke_access(safeshare_app(request), session, actor, user_id)
    return RedirectResponse(f"/admin/users/{user_id}#sign-in", status_code=303)


@router.post("/admin/users/{user_id}/clear-sign-in-failures")
def clear_sign_in_failures(user_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, actor):
        accounts.require_administrator(actor)
        target = session.get(User, user_id)
        if target is None:
            raise NotFoundError(f"No user {user_id}", "Choose a user from the list")
        accounts.clear_failed_sign_ins(safeshare_app(request), session, actor, target)
    return RedirectResponse(f"/admin/users/{user_id}#sign-in", status_code=303)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(token_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, actor):
        accounts.require_administrator(actor)
        revoked = accounts.revoke_token(safeshare_app(request), session, actor, token_id)
        owner = session.scalar(select(User.id).where(User.username == revoked.username))
    return RedirectResponse(f"/admin/users/{owner}#sign-in", status_code=303)


@router.get("/admin/notifications")
def notifications_page(request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        return render(request, "admin.html", {"title": "Failed notifications", "section": "admin",
                                              "page": "notifications",
                                              "notifications": queues.failed_notifications(session, user)})


@router.get("/admin/deadlines")
def deadlines_page(request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        return render(request, "admin.html", {"title": "Deadline settings", "section": "admin", "page": "deadlines",
                                              "deadlines": queues.deadline_settings(session, user)})
