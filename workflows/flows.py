"""Prefect flows that do the waking: fire due timers, then deliver the outbox.

The database stays the source of truth (``waiting_timer``, ``notification``); Prefect only decides
*when* to look and keeps the run history that shows in its UI. The flows are ``async def`` because
a synchronous flow costs about a second at exit (a heartbeat thread) and these run every few seconds;
the database work itself is synchronous and runs in a worker thread.

A served deployment runs each flow run in a fresh process, so a flow builds its :class:`App` from the
settings (read once, from the environment the process inherited) plus what ``safeshare scheduler`` passed
as the deployment's parameters (the database and the sweep's workers), and checks every template once per
process. Nothing here writes the environment. Tests hand it a ready app (with their clock) through
:func:`configure`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from prefect import flow, get_run_logger

from notifications.channels.base import Channel
from notifications.channels.email import EmailChannel
from notifications.delivery import RetryPolicy, deliver_due
from notifications.template_check import check_templates
from safeshare.app import App
from safeshare.core.config import Settings
from safeshare.services.retention import list_due_for_review
from workflows.timer_sweep import sweep_due_timers

_configured: dict[str, Any] = {}


def configure(app: App | None, channels: Mapping[str, Channel] | None = None) -> None:
    """Run the flows of this process against ``app`` and ``channels`` (``None`` restores the defaults)."""
    _configured.clear()
    if app is not None:
        _configured["app"] = app
    if channels is not None:
        _configured["channels"] = dict(channels)


def current_app(database_url: str | None = None, sweep_workers: int | None = None) -> App:
    """The configured app, or one built once per process from the settings after checking every template.

    ``database_url`` and ``sweep_workers`` are the served deployment's parameters: they override the
    settings read from the environment, so ``safeshare scheduler --database-url`` needs no environment write.
    """
    if "app" not in _configured:
        check_templates()
        settings = Settings.from_env()
        if database_url is not None:
            settings = settings.replace(database_url=database_url)
        if sweep_workers is not None:
            settings = settings.replace(sweep_workers=sweep_workers)
        _configured["app"] = App.create(settings)
    app: App = _configured["app"]
    return app


def current_channels(app: App | None = None) -> dict[str, Channel]:
    """Email when an SMTP server is configured (in ``app``'s settings, or the configured app's); without one,
    email waits in the outbox (never dropped)."""
    if "channels" in _configured:
        return dict(_configured["channels"])
    settings = (app or current_app()).settings.smtp
    return {"email": EmailChannel(settings)} if settings else {}


@flow(name="safeshare-sweep-timers", description="Fire every due timer, oldest first, exactly once.")
async def sweep_timers(limit: int = 1000, workers: int | None = None) -> dict[str, Any]:
    """``workers``: sweep processes for a burst on PostgreSQL (None: ``SAFESHARE_SWEEP_WORKERS`` or the default)."""
    logger = get_run_logger()
    report = await asyncio.to_thread(sweep_due_timers, current_app(), limit=limit, workers=workers)
    for timer in report.fired:
        logger.info(
            "fired %r of instance %s (due %s, %.0f s late)",
            timer.event_name,
            timer.instance_id,
            timer.due_at.isoformat(),
            timer.lateness.total_seconds(),
        )
    for instance_id in report.parked:
        logger.error("instance %s stopped on an error; see 'safeshare incidents'", instance_id)
    lateness = report.max_lateness
    if report.workers > 1:
        logger.info("%d sweep workers shared %d due timers", report.workers, len(report.fired))
    return {
        "fired": len(report.fired),
        "workers": report.workers,
        "parked": report.parked,
        "conflicts": report.conflicts,
        "max_lateness_seconds": lateness.total_seconds() if lateness is not None else None,
    }


@flow(name="safeshare-deliver-notifications", description="Send due outbox messages, with retries and back-off.")
async def deliver_notifications(limit: int = 200) -> dict[str, Any]:
    logger = get_run_logger()
    channels = current_channels()
    if not channels:
        logger.warning("no SMTP server configured (SAFESHARE_SMTP_HOST): email stays in the outbox")
        return {"sent": 0, "retrying": 0, "failed": 0}
    app = current_app()
    policy = RetryPolicy.from_settings(app.settings.delivery)
    report = await asyncio.to_thread(deliver_due, app, channels, policy=policy, limit=limit)
    for note_id in report.failed:
        logger.error("notification %s failed for good; see 'safeshare outbox failed'", note_id)
    return {"sent": len(report.sent), "retrying": len(report.retrying), "failed": len(report.failed)}


@flow(name="safeshare-tick", description="One scheduler tick: fire due timers, then deliver what they queued.")
async def tick(database_url: str | None = None, sweep_workers: int | None = None) -> dict[str, Any]:
    """``database_url``, ``sweep_workers``: set by ``safeshare scheduler`` on its deployment (never a password:
    the scheduler refuses to store one in Prefect's history); unset, the settings from the environment hold."""
    current_app(database_url, sweep_workers)
    return {"timers": await sweep_timers(), "notifications": await deliver_notifications()}


@flow(
    name="safeshare-retention-review",
    description="List the records past their keeping period for the data protection officer to review.",
)
async def retention_review() -> dict[str, Any]:
    """Run daily: nothing is removed here, only listed; removal needs the officer's sign-off."""
    logger = get_run_logger()
    review = await asyncio.to_thread(list_due_for_review, current_app())
    if review is None:
        logger.info("nothing new is past its keeping period")
        return {"review_id": None, "listed": 0}
    logger.info("retention review %s lists %d record(s)", review.id, len(review.item_ids))
    return {"review_id": review.id, "listed": len(review.item_ids)}
