"""What operators watch: a request id on every answer and log line, health checks, and Prometheus metrics.

Why here and why so little: the figures that say whether the procedure is keeping its deadlines (open
and overdue tasks, how late the timer sweep runs, messages waiting to go) are read from the database at
scrape time, so every API worker and the scheduler agree and nothing has to be kept in step. Request
latency is the only figure counted in process. Metrics carry counts only, never personal data, and are
labelled by route template (``/cases/{case_id}``), never by the address asked for, so no case reference
reaches the monitoring system. Even counts are sensitive in aggregate (how many child protection
referrals a team has open), so ``/metrics`` answers only an administrator's API token or an address on
the allow-list ``SAFESHARE_METRICS_ALLOW`` (addresses or networks, separated by commas; read here with an
injectable environment, like the single sign-on settings).

An error nothing else handled is logged here, while the request id is still known, and answered with a
page (or a JSON body under ``/api``) that gives the id as the reference to quote to support.
"""

from __future__ import annotations

import contextvars
import functools
import ipaddress
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeshare.app import App
from safeshare.core.errors import ConfigurationError, PermissionDeniedError
from safeshare.core.migrate import alembic_config
from safeshare.core.records import Notification, OpenTask, Role, WaitingTimer
from web.auth import NotSignedInError, resolve_user
from web.errors import error_body
from web.middleware import content_security_policy

log = logging.getLogger("safeshare.web")
METRICS_ALLOW_VARIABLE = "SAFESHARE_METRICS_ALLOW"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: The id of the request being served, for log lines written while serving it.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class RequestIdMiddleware:
    """Give every request an id (a proxy's ``X-Request-ID`` when it is sane, else a new one), put it on the
    answer and on every log line, and time the request by route for the latency histogram."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Logged here, where the request id is still on the log line, so support can find it from the page.
            log.exception("Unexpected error answering %s %s", scope["method"], _route_template(scope))
            if answered:  # half an answer has gone: nothing better to do than let the server drop it
                raise
            await server_error_answer(scope, receive, request_id)(scope, receive, send_with_id)
        finally:
            latency = time.perf_counter() - started
            self.latency.labels(scope["method"], _route_template(scope), str(status)).observe(latency)
            current_request_id.reset(token)


def _route_template(scope: Scope) -> str:
    """The route's template (``/api/cases/{case_id}``), never the address asked for: an address can hold a
    case reference, and one label value per case would also swamp the monitoring system."""
    return getattr(scope.get("route"), "path", None) or "unmatched"


SERVER_ERROR_MESSAGE = "Sorry, there is a problem with the service"


def server_error_answer(scope: Scope, receive: Receive, request_id: str) -> Response:
    """The answer to an error nothing else handled: the usual error page (JSON under ``/api``) with the
    request id to quote. Plain text if even the page cannot be drawn (the template or session is broken)."""
    quote = f"If it keeps happening, tell support this reference: {request_id}"
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse(error_body(SERVER_ERROR_MESSAGE, f"Try again later. {quote}"), status_code=500)
    from web.templating import render  # late: templating needs the app's state, built after this module

    try:
        page: Response = render(
            Request(scope, receive),
            "error.html",
            {"title": SERVER_ERROR_MESSAGE, "message": "Try again later.", "hint": ""},
            status_code=500,
        )
    except Exception:  # the page itself failed: the words and the reference still reach the person
        log.exception("Could not draw the error page")
        page = PlainTextResponse(f"{SERVER_ERROR_MESSAGE}. Try again later. {quote}", status_code=500)
    nonce = (scope.get("state") or {}).get("csp_nonce") or "none"
    page.headers.update(
        {
            "Content-Security-Policy": content_security_policy(nonce),
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        }
    )
    return page


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the request id when serving a request."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := current_request_id.get()) is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def json_log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: every logger, uvicorn's too, writes JSON lines."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLogFormatter"}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


class ProcedureCollector(Collector):
    """Figures read from the database at each scrape: the same answer from every worker."""

    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.app.clock.now()
        with self.app.db.read() as session:
            open_tasks, overdue = session.execute(
                select(func.count(), func.count().filter(OpenTask.due_at < now)).select_from(OpenTask)
            ).one()
            oldest_due = session.scalar(
                select(func.min(WaitingTimer.due_at)).where(WaitingTimer.fired_at.is_(None), WaitingTimer.due_at <= now)
            )
            outbox = dict(
                session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
            )
        yield GaugeMetricFamily("safeshare_open_tasks", "Tasks waiting for a person", value=open_tasks)
        yield GaugeMetricFamily("safeshare_overdue_tasks", "Tasks past their deadline", value=overdue)
        lag = (now - _aware(oldest_due)).total_seconds() if oldest_due is not None else 0.0
        yield GaugeMetricFamily(
            "safeshare_sweep_lag_seconds", "How long the oldest due timer has waited to fire (0: none due)", value=lag
        )
        backlog = GaugeMetricFamily("safeshare_outbox_messages", "Messages in the outbox by status", labels=["status"])
        for status in ("pending", "failed"):
            backlog.add_metric([status], outbox.get(status, 0))
        yield backlog


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def metrics_allow_list(env: Mapping[str, str] | None = None) -> tuple[Network, ...]:
    """The addresses that may read ``/metrics`` without a token (``SAFESHARE_METRICS_ALLOW``, e.g. the
    monitoring system's network ``10.20.0.0/16,127.0.0.1``); none by default."""
    env = os.environ if env is None else env
    networks: list[Network] = []
    for item in (part.strip() for part in env.get(METRICS_ALLOW_VARIABLE, "").split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigurationError(
                f"{METRICS_ALLOW_VARIABLE} has {item!r}, which is not an address or a network",
                "Write addresses or networks separated by commas, for example 10.20.0.0/16,127.0.0.1",
            ) from exc
    return tuple(networks)


def install(web: Any, app: App, allow: tuple[Network, ...] | None = None) -> None:
    """Add the request id and latency middleware, the metrics registry and the health routes to ``web``.

    ``allow`` (default: from the environment) is the allow-list of addresses that may read the metrics."""
    web.state.metrics_allow = metrics_allow_list() if allow is None else allow
    registry = CollectorRegistry()
    # Under ``uvicorn --workers N`` each worker answers some scrapes: with PROMETHEUS_MULTIPROC_DIR set (a
    # folder emptied at each start, as compose.yaml's tmpfs is), every worker writes its latency figures
    # there and any worker's scrape adds them all up. The database figures are the same from any worker.
    several_workers = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    if several_workers:
        MultiProcessCollector(registry)
    latency = Histogram(
        "safeshare_http_request_duration_seconds",
        "Time to answer a request",
        ["method", "route", "status"],
        registry=None if several_workers else registry,
    )
    registry.register(ProcedureCollector(app))
    web.state.metrics_registry = registry
    web.add_middleware(RequestIdMiddleware, latency=latency)
    web.include_router(router)


router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process answers (a load balancer restarts it otherwise)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready for work: the database answers at the schema version this code needs, and the models are loaded
    (a load balancer sends traffic then). Not ready: 503, and each problem in words for the operator."""
    app: App = request.app.state.safeshare
    problems: list[str] = []
    try:
        with app.db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database means not ready, whatever its kind
        problems.append(f"The database does not answer: {type(error).__name__}")
    else:
        problems.extend(_schema_problems(app))
    if not app.models.process_ids:
        problems.append("No process models are loaded")
    body = {"status": "ready" if not problems else "not ready", "problems": problems}
    return JSONResponse(body, status_code=200 if not problems else 503)


@functools.cache
def _schema_heads() -> frozenset[str]:
    """The schema revisions this code was written for (read from the migration scripts once a process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _schema_problems(app: App) -> list[str]:
    """Whether the migration job has run: API workers never migrate themselves (web/asgi.py), so a worker
    started before it, or after an upgrade of the code without one, must not take traffic."""
    upgrade = "run 'safeshare db upgrade' (the migration job)"
    try:
        with app.db.read() as session:
            applied = frozenset(session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:  # no such table: a database nobody has set up
        return [f"The database has no safeshare tables yet: {upgrade}"]
    if applied != _schema_heads():
        return [f"The database is not at the version this release of safeshare needs: {upgrade}"]
    return []


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format: counts only, no personal data; for an allowed address or an administrator."""
    if not _allowed_address(request):
        refusal = _unless_administrator(request)
        if refusal is not None:
            return refusal
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)


def _allowed_address(request: Request) -> bool:
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:  # a test client or a Unix socket: no address to match
        return False
    return any(address in network for network in request.app.state.metrics_allow)


def _unless_administrator(request: Request) -> Response | None:
    """None when the request carries an administrator's API token; a 401 answer without a valid token.
    A valid token of someone else is refused with 403 (audited by web.errors, like every refusal)."""
    hint = f"Send an administrator's API token, or add the monitoring system's address to {METRICS_ALLOW_VARIABLE}"
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        body = error_body("The metrics are only for the partnership's monitoring system", hint)
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    app: App = request.app.state.safeshare
    try:
        with app.db.read() as session:
            administrator = Role.ADMINISTRATOR in resolve_user(request, session).roles
    except NotSignedInError as refused:
        return JSONResponse(
            error_body(refused.message, refused.hint), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    if not administrator:
        raise PermissionDeniedError("Only an administrator can read the metrics", hint)
    return None
