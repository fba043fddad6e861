"""The application factory: one FastAPI app serving the JSON API (OpenAPI at /api/openapi.json,
docs at /api/docs) and the pages, on the same :class:`~safeshare.app.App` the CLI uses.

Front-end assets (govuk-frontend, bpmn-js) are served straight from
``node_modules`` (installed by ``make`` from package.json), never copied here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from safeshare.app import App
from safeshare.core.config import PROJECT_ROOT
from safeshare.services.sso import SsoSettings
from web import errors, observability, oidc
from web.compression import CompressionAndCachingMiddleware
from web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from web.routers import (
    api_admin,
    api_agency_requests,
    api_auth,
    api_cases,
    api_exports,
    api_messages,
    api_processes,
    api_queues,
    api_schemes,
    api_sharing,
    api_tasks,
    ui_admin,
    ui_admin_settings,
    ui_auth,
    ui_case_records,
    ui_cases,
    ui_lists,
    ui_messages,
    ui_models,
    ui_queues,
    ui_referrals,
    ui_reports,
    ui_retention,
    ui_schemes,
    ui_sharing,
    ui_subject_access,
    ui_tasks,
    ui_teams,
)
from web.secret import secret_key

log = logging.getLogger("safeshare.web")
NODE_MODULES = PROJECT_ROOT / "node_modules"
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "safeshare_session"
SESSION_MAX_AGE = 8 * 60 * 60  # a working day


def create_app(
    application: App, *, key: str | None = None, https_only: bool = False, sso: SsoSettings | None = None
) -> FastAPI:
    """Build the web app around ``application`` (its database, models, engine and clock).

    ``sso`` (default: read from the environment) turns on single sign-on, which replaces passwords.
    """
    web = FastAPI(
        title="safeshare",
        summary="Safeguarding information sharing: tasks, cases, consent and disclosures",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    web.state.safeshare = application
    errors.install(web)
    web.state.sso = sso if sso is not None else SsoSettings.from_env()
    if web.state.sso is not None:
        web.include_router(oidc.router)  # first, so its sign-in answers instead of the password one
    for router in (
        api_auth.router,
        api_tasks.router,
        api_cases.router,
        api_processes.router,
        api_queues.router,
        api_sharing.router,
        api_agency_requests.router,  # h/pract: P10 requests between agencies, answers by message correlation
        api_schemes.router,
        api_admin.router,
        api_exports.router,
        api_messages.router,
        ui_auth.router,
        ui_tasks.router,
        ui_case_records.router,  # before ui_cases: /cases/new is not a case number
        ui_cases.router,
        ui_messages.router,
        ui_queues.router,
        ui_sharing.router,
        ui_referrals.router,
        ui_schemes.router,
        ui_admin.router,
        ui_reports.router,
        ui_retention.router,
        ui_lists.router,  # h/lists (issue 12)
        ui_subject_access.router,
        ui_admin_settings.router,  # h/admin (issue 16)
        ui_models.router,  # h/models (issue 16 item 4)
        ui_teams.router,  # h/pract: a team's designated safeguarding lead (R4)
    ):
        web.include_router(router)
    if not (NODE_MODULES / "govuk-frontend").is_dir():
        log.warning("node_modules is missing: run 'make' (npm ci) so pages get their styles and the diagram viewer")
    web.mount("/assets", StaticFiles(directory=NODE_MODULES / "govuk-frontend/dist/govuk/assets", check_dir=False))
    web.mount("/static/govuk", StaticFiles(directory=NODE_MODULES / "govuk-frontend/dist/govuk", check_dir=False))
    web.mount("/static/bpmn-js", StaticFiles(directory=NODE_MODULES / "bpmn-js/dist", check_dir=False))
    web.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="app-static")
    web.add_middleware(
        SessionMiddleware,
        secret_key=key or secret_key(application.settings.secret_key),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=https_only,
    )
    web.add_middleware(SecurityHeadersMiddleware)
    web.add_middleware(BodyLimitMiddleware)
    web.add_middleware(CompressionAndCachingMiddleware)
    observability.install(web, application)  # outermost: every answer carries its request id
    return web
