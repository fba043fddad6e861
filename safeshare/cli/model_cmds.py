"""Model versions: deploy a changed set of BPMN, DMN and forms, list versions, move running work onto one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from safeshare.cli.common import ActingUser, DatabaseOption, app_and_user, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.services import model_versions
from safeshare.services.model_versions import ModelSetRejected

if TYPE_CHECKING:
    from safeshare.core.runtime import App

models_app = typer.Typer(
    help="Model versions: deploy changed models, and move running work onto them.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@models_app.command("deploy")
@friendly_errors
def deploy(
    folder: Path = typer.Argument(..., help="A folder with the .bpmn and .dmn files and a forms/ folder"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Check a changed model set and store it as a new version; new work starts on it, running work stays."""
    application, actor = app_and_user(database_url, as_user)
    try:
        version = model_versions.deploy(application, actor, folder, str(folder))
    except ModelSetRejected as refused:
        typer.echo(f"error: {refused.message}. Nothing was stored.", err=True)
        for problem in refused.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Deployed version {version.number}: new work starts on it; running work stays on its version.")


@models_app.command("list")
@friendly_errors
def list_versions(database_url: str | None = DatabaseOption) -> None:
    """List the model versions, newest first, with how many running instances are on each."""
    application = build_app(database_url)
    with application.db.read() as session:
        versions = model_versions.list_versions(session)
    for v in versions:
        when = (
            f", deployed {v.deployed_at:%d %B %Y %H:%M} by {v.deployed_by or 'unknown'} from {v.source}"
            if v.deployed_at
            else ""
        )
        latest = " (new work starts on it)" if v.latest else ""
        typer.echo(f"{v.name[:1].upper()}{v.name[1:]}{latest}: {v.running} running{when}")


@models_app.command("migrate")
@friendly_errors
def migrate(
    instance_ids: list[int] = typer.Argument(..., help="The running instances to move"),
    as_user: str = ActingUser,
    version: int | None = typer.Option(None, "--version", help="The version to move to; default: the latest"),
    preview: bool = typer.Option(False, "--preview", help="Show what would change, and change nothing"),
    database_url: str | None = DatabaseOption,
) -> None:
    """Move chosen running instances onto a model version (each on its own; one that cannot move is named)."""
    application, actor = app_and_user(database_url, as_user)
    if preview:
        for p in model_versions.preview(application, actor, instance_ids, version):
            head = f"Instance {p.instance.id} ({p.instance.process}, {p.instance.version})"
            if not p.possible:
                typer.echo(f"{head}: cannot be moved: {'; '.join(p.problems)}")
                continue
            typer.echo(f"{head}: can be moved.")
            for line in p.waiting:
                typer.echo(f"  Waiting: {line}")
            if p.added:
                typer.echo(f"  Steps added: {', '.join(p.added)}")
            if p.removed:
                typer.echo(f"  Steps removed: {', '.join(p.removed)}")
        return
    outcomes = model_versions.migrate(application, actor, instance_ids, version)
    for outcome in outcomes:
        if outcome.moved:
            typer.echo(f"Instance {outcome.instance_id}: moved to version {_number(application, version)}.")
        else:
            typer.echo(f"Instance {outcome.instance_id}: not moved: {'; '.join(outcome.problems)}")
    if not all(o.moved for o in outcomes):
        raise typer.Exit(1)


def _number(application: App, version: int | None) -> int | None:
    if version is not None:
        return version
    with application.db.read() as session:
        return model_versions.latest_version(session)
