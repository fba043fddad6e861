"""Turning errors into answers: JSON ``{"error", "hint", "fields"}`` for the API, GOV.UK pages for people.

Refused access (403, or 404 from a need-to-know check) is written to the audit
trail in its own transaction, since the refused request's own changes were
rolled back. Messages come from the services and never name what the user may
not see.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from safeshare.core.audit import record_event, refused_case_id
from safeshare.core.errors import FormValidationError, NotFoundError, PermissionDeniedError, SafeshareError
from safeshare.core.records import User
from tasks.forms import request_problem_in_words
from web.auth import NotSignedInError

log = logging.getLogger("safeshare.web")


#: Set on a refusal by the API's own request checks (the request does not fit the OpenAPI document), as
#: opposed to a refusal by a rule of the procedure: both answer 422, and clients and tests can tell them apart.
REFUSAL_HEADER = "X-Refused-By"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_body(message: str, hint: str = "", fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": message, "hint": hint, "fields": fields or {}}


def audit_refusal(request: Request, status: int, reason: str = "") -> None:
    """Write "access refused" for a signed-in user (anonymous probes are not tied to anyone), on the
    refused case's trail when the address names one that exists."""
    user_id = getattr(request.state, "user_id", None)
    if user_id is None:
        return
    app = request.app.state.safeshare
    try:
        with app.transaction() as session:
            user = session.get(User, user_id)
            record_event(
                session,
                app.clock,
                user,
                "access_refused",
                f"{user.display_name if user else 'someone'} was refused {request.method} {request.url.path}",
                case_id=refused_case_id(session, request.path_params),
                detail={"path": request.url.path, "method": request.method, "status": status, "reason": reason},
            )
    except SafeshareError:  # pragma: no cover - never hide the refusal itself behind an audit failure
        log.exception("could not audit a refused access")


def _page(request: Request, status: int, title: str, message: str, hint: str) -> Response:
    from web.templating import render

    return render(request, "error.html", {"title": title, "message": message, "hint": hint}, status_code=status)


async def safeshare_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SafeshareError)
    status = exc.status_code
    if isinstance(exc, NotSignedInError):
        if is_api(request):
            return JSONResponse(error_body(exc.message, exc.hint), status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
    if isinstance(exc, NotFoundError | PermissionDeniedError):
        await run_in_threadpool(audit_refusal, request, status, exc.message)
    if status >= 500:
        log.error("server-side problem: %s", exc)
    if is_api(request):
        fields = exc.field_errors if isinstance(exc, FormValidationError) else {}
        return JSONResponse(error_body(exc.message, exc.hint, fields), status_code=status)
    titles = {403: "You cannot do this", 404: "Page not found", 409: "This has changed", 429: "Too many attempts"}
    return _page(request, status, titles.get(status, "There is a problem"), exc.message, exc.hint)


async def validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own request checks (malformed JSON, wrong types) in our error shape."""
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        name = next((p for p in reversed(loc) if not p.isdigit()), "")
        words = request_problem_in_words(name, str(err.get("type", "")), err.get("ctx"))
        fields.setdefault(".".join(loc) or "(body)", words)
    if malformed:
        body = error_body("The request body is not valid JSON", "Send a JSON object (Content-Type: application/json)")
        return JSONResponse(body, status_code=400)
    summary = ", ".join(f"{k}: {v}" for k, v in fields.items())
    body = error_body(f"The request has {len(fields)} problem(s): {summary}", "Correct the fields named", fields)
    if not is_api(request):
        return _page(request, 400, "There is a problem", body["error"], body["hint"])
    return JSONResponse(body, status_code=422, headers={REFUSAL_HEADER: "request-schema"})


def allowed_methods(request: Request) -> list[str]:
    """Every method the address answers: FastAPI makes one route per method, and Starlette's 405 names
    only the first route that matched the path."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "__none__"})
        if match is Match.PARTIAL:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Page not found", 405: "That method is not allowed here"}
    message = messages.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    if is_api(request):
        return JSONResponse(error_body(message, "Check the address and method; see /api/docs"),
                            status_code=exc.status_code, headers=headers)
    page = _page(request, exc.status_code, message, message, "Check the address, or go to your tasks")
    page.headers.update(headers)
    return page


def install(app: FastAPI) -> None:
    app.add_exception_handler(SafeshareError, safeshare_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
