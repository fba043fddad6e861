"""``safeshare demo``: the realistic walk-through on a fresh embedded database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from safeshare.app import App
from safeshare.cli.root import app, friendly_errors
from safeshare.core.audit import verify_chain
from safeshare.core.clock import Clock, FixedClock, SystemClock
from safeshare.core.config import Settings
from safeshare.core.errors import SafeshareError
from safeshare.demo.story import run_demo

# The demo's stories span about three and a half days of working time (consultation deadlines, escalation,
# a scheme's meetings), more across a weekend: starting a week back, they are over before today, so the server
# (on the real clock) sees the escalated task overdue and the demo's trail before its own, in order.
DEMO_LOOKBACK = timedelta(days=7)


def demo_start(now: datetime) -> datetime:
    """Half past eight on a weekday morning a week or a little more before ``now``: the demo's clock starts there
    (people open cases on working days; a Saturday start would put the first consultation over a weekend)."""
    start = (now - DEMO_LOOKBACK).replace(hour=8, minute=30, second=0, microsecond=0)
    while start.weekday() >= 5:  # Saturday or Sunday: back to the Friday
        start -= timedelta(days=1)
    return start


@app.command("demo")
@friendly_errors
def demo(
    database_url: str = typer.Option(
        "sqlite:///var/demo.db", "--database-url", help="Where to put the demo data (it is replaced)"
    ),
) -> None:
    """Run the consent-seeking stories end to end and leave the data in place to explore."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise SafeshareError(
            "The demo replaces its database, so it only runs on a SQLite file",
            "Use --database-url sqlite:///path/to/demo.db",
        )
    if url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    real: Clock = SystemClock()
    start = demo_start(real.now())
    clock = FixedClock(start)
    application = App.create(Settings(database_url=database_url, bpmn_dir=Settings.from_env().bpmn_dir), clock)
    typer.echo(f"safeshare demo on {database_url} (demo clock starts {start:%Y-%m-%d %H:%M} UTC)")
    run_demo(application, clock)
    if clock.now() > real.now():  # the stories grew longer than DEMO_LOOKBACK: say so rather than mislead
        typer.echo(f"Note: the demo's clock ended at {clock.now():%Y-%m-%d %H:%M}, after the real time", err=True)
    with application.db.read() as session:
        report = verify_chain(session)
    typer.echo(f"Audit chain verified: {report.events_checked} events, "
               f"{'intact' if report.ok else 'BROKEN: the trail has been changed'}")
    typer.echo(f"Look again with: safeshare case show 1 --as pat --database-url {database_url}")
    application.close()
