"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.services import accounts
from web.auth import NotSignedInError, acting, check_csrf, safeshare_app, sign_in_session, sign_out_session
from web.templating import render

router = APIRouter(include_in_schema=False)


async def posted_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked (every form of every page carries one)."""
    form = await request.form()
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    return form


def _safe_next(target: str | None) -> str:
    """Only ever go back to a page of this service (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/tasks"


def _page(request: Request, **context: Any) -> Response:
    base = {
        "title": "Sign in",
        "username": "",
        "next": "/tasks",
        "error": "",
        "max_attempts": accounts.MAX_FAILED_ATTEMPTS,
        "error_list": [],
    }
    status = context.pop("status_code", 200)
    return render(request, "sign_in.html", base | context, status_code=status)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/tasks") -> Response:
    return _page(request, next=_safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    username = str(form.get("username", ""))
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    remote = request.client.host if request.client else None
    with app.transaction() as session:
        outcome = accounts.sign_in(app, session, username, password, remote)
        user_id = outcome.user.id if outcome.user else None
        version = outcome.user.session_version if outcome.user else 0
    if outcome.error is not None or user_id is None:
        message = outcome.error.message if outcome.error else "Sign-in failed"
        hint = outcome.error.hint if outcome.error else ""
        return _page(
            request,
            username=username,
            next=target,
            error=message,
            error_list=[{"text": f"{message}. {hint}".strip(), "href": "#username"}],
            status_code=outcome.error.status_code if outcome.error else 401,
        )
    sign_in_session(request, user_id, version)
    return RedirectResponse(target, status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Sign out: every session and API token of the user ends, not only this browser's cookie."""
    app = safeshare_app(request)
    try:
        with acting(request) as (session, user):
            accounts.end_sessions(app, session, user, user, "they signed out")
    except NotSignedInError:
        pass  # already ended: clear the cookie all the same
    sign_out_session(request)
    return RedirectResponse("/sign-in", status_code=303)
