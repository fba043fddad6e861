"""What operators watch: a request id on every answer and log line, health checks, and Prometheus metrics.

Why here and why so little: the figures that say whether the procedure is keeping its deadlines (open
and overdue tasks, how late the timer sweep runs, messages waiting to go) are read from the database at
scrape time, so every API worker and the scheduler agree and nothing has to be kept in step. Request
latency is the only figure counted in process. Metrics carry counts only, never personal data.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeshare.app import App
from safeshare.records import Notification, OpenTask, WaitingTimer

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

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.latency.labels(scope["method"], template, str(status)).observe(time.perf_counter() - started)
            current_request_id.reset(token)


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
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error",
                                                                            "uvicorn.access")},
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


def install(web: Any, app: App) -> None:
    """Add the request id and latency middleware, the metrics registry and the health routes to ``web``."""
    registry = CollectorRegistry()
    latency = Histogram(
        "safeshare_http_request_duration_seconds", "Time to answer a request", ["method", "route", "status"],
        registry=registry,
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
    """Ready for work: the database answers and the models are loaded (a load balancer sends traffic then)."""
    app: App = request.app.state.safeshare
    problems: list[str] = []
    try:
        with app.db.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database means not ready, whatever its kind
        problems.append(f"The database does not answer: {type(error).__name__}")
    if not app.models.process_ids:
        problems.append("No process models are loaded")
    body = {"status": "ready" if not problems else "not ready", "problems": problems}
    return JSONResponse(body, status_code=200 if not problems else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format: counts only, no personal data."""
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
