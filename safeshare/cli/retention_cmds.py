"""Retention commands: the schedule in force, and listing what is due (the same as the Prefect flow)."""

from __future__ import annotations

import typer

from safeshare.cli.common import DatabaseOption, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.core.config import Settings
from safeshare.services.retention import list_due_for_review
from safeshare.services.retention_schedule import load_schedule

retention_app = typer.Typer(help="How long records are kept, and what is due for removal.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("schedule")
@friendly_errors
def schedule() -> None:
    """Print how long each kind of record is kept, and why."""
    for rule in load_schedule(Settings.from_env().retention_file).values():
        kept = f"{rule.years} years from {rule.counted_from}" if rule.years else "as long as the case record"
        typer.echo(f"{rule.name}: kept {kept}. Then: {rule.action}.")
        typer.echo(f"  Why: {rule.source}")


@retention_app.command("list-due")
@friendly_errors
def list_due(database_url: str | None = DatabaseOption) -> None:
    """List the records past their keeping period for the data protection officer (nothing is removed)."""
    listed = list_due_for_review(build_app(database_url))
    if listed is None:
        typer.echo("Nothing new is past its keeping period.")
        return
    typer.echo(
        f"{len(listed.item_ids)} record(s) listed for the data protection officer: they decide on the Retention page."
    )
