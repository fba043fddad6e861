"""``safeshare demo``: the realistic walk-through on a fresh embedded database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from safeshare.app import App
from safeshare.audit import verify_chain
from safeshare.cli.root import app, friendly_errors
from safeshare.clock import FixedClock
from safeshare.config import Settings
from safeshare.demo import run_demo
from safeshare.errors import SafeshareError


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
    start = datetime.now(UTC).replace(hour=8, minute=30, second=0, microsecond=0)
    clock = FixedClock(start)
    application = App.create(Settings(database_url=database_url, bpmn_dir=Settings.from_env().bpmn_dir), clock)
    typer.echo(f"safeshare demo on {database_url} (demo clock starts {start:%Y-%m-%d %H:%M} UTC)")
    run_demo(application, clock)
    with application.db.read() as session:
        report = verify_chain(session)
    typer.echo(f"Audit chain verified: {report.events_checked} events, intact={report.ok}")
    typer.echo(f"Look again with: safeshare case show 1 --as pat --database-url {database_url}")
    application.close()
