"""Administrator commands: schema upgrade and audit-chain verification."""

from __future__ import annotations

import typer

from safeshare.audit import verify_chain
from safeshare.cli import app, friendly_errors
from safeshare.cli.common import DatabaseOption, build_app

db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
@friendly_errors
def upgrade(database_url: str | None = DatabaseOption) -> None:
    """Create or migrate the schema to the latest version."""
    build_app(database_url)
    typer.echo("Database schema is up to date.")


@audit_app.command("verify")
@friendly_errors
def verify(database_url: str | None = DatabaseOption) -> None:
    """Check the whole hash chain; name the first event that was edited, deleted or reordered."""
    application = build_app(database_url)
    with application.db.read() as session:
        report = verify_chain(session)
    if report.ok:
        typer.echo(f"Audit trail intact: {report.events_checked} events verified.")
        return
    typer.echo(
        f"error: audit trail broken at event {report.first_bad_seq}: {report.problem}. "
        f"{report.events_checked} events before it verified.",
        err=True,
    )
    raise typer.Exit(1)
