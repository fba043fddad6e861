"""The Jinja2 environment for pages: our templates plus the govuk-frontend-jinja macros, autoescaped."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from notifications.channels.in_app import unread_count
from safeshare.services.exports import EXPORT_ROLES
from safeshare.services.reports import REPORT_ROLES
from safeshare.services.task_context import CONSENT_FROM
from safeshare.services.training import TrainingClock, describe
from web.auth import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SERVICE_NAME = "Safeguarding information sharing"


def _when(value: datetime | None) -> str:
    """Dates as people read them: 24 Nov 2026, 14:05 (UTC)."""
    return value.strftime("%-d %b %Y, %H:%M") if value else ""


def _day(value: date | str | None) -> str:
    """A date as people read it, 1 April 1990; what was typed when it is not a date (never an empty cell)."""
    if isinstance(value, str):
        try:
            return _day(date.fromisoformat(value))
        except ValueError:
            return value
    return f"{value:%-d %B %Y}" if value else ""


def _humanise(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


def build_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["humanise"] = _humanise
    env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
    env.filters["consent_from"] = lambda value: CONSENT_FROM.get(value, _humanise(value).lower())
    return env


templates = Jinja2Templates(env=build_environment())


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with what every page needs: the user, the CSRF token, the CSP nonce, the clock."""
    app = request.app.state.safeshare
    base = {
        "serviceName": SERVICE_NAME,
        "serviceUrl": "/",
        "csrf_token": csrf_token(request),
        "cspNonce": getattr(request.state, "csp_nonce", None),
        "now": app.clock.now(),
        "current_user": getattr(request.state, "user", None),
        "request_id": getattr(request.state, "request_id", None),
    }
    base |= _training(app)  # h/admin (issue 16)
    return templates.TemplateResponse(request, name, base | _navigation(request) | context, status_code=status_code)


def _navigation(request: Request) -> dict[str, Any]:
    """What the header offers a signed-in user: their unread messages, and Reports and Exports only to the
    roles that may use them (so nobody is sent to a page that refuses them)."""
    user = getattr(request.state, "user", None)
    user_id = getattr(request.state, "user_id", None)
    if not user or user_id is None:
        return {}
    roles = set(user["roles"])
    with request.app.state.safeshare.db.read() as session:
        unread = unread_count(session, user_id)
    return {
        "unread_messages": unread,
        "may_report": bool(roles & {r.value for r in REPORT_ROLES}),
        "may_export": bool(roles & EXPORT_ROLES),
    }


# -- h/admin (issue 16): training mode ----------------------------------------------------------------


def _training(app: Any) -> dict[str, Any]:
    """On a training copy, what its banner says on every page: that it is one, and how far its clock moved."""
    clock = app.clock
    if not isinstance(clock, TrainingClock):
        return {}
    offset = clock.offset()
    return {"training": {"ahead": describe(offset) if offset else None}}
