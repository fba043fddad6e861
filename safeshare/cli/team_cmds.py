"""``safeshare team ...``: the teams users belong to, so a fresh install is set up without SQL."""

from __future__ import annotations

import typer

from safeshare.cli.common import DatabaseOption, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.services import directory

team_app = typer.Typer(help="Teams: add them and list them.", no_args_is_help=True)
app.add_typer(team_app, name="team")


@team_app.command("add")
@friendly_errors
def add_team(
    name: str = typer.Argument(..., help="The team's name, e.g. \"Northfield Children's Social Care\""),
    agency: str = typer.Option(..., "--agency", help="The agency it belongs to, e.g. \"Northfield Council\""),
    database_url: str | None = DatabaseOption,
) -> None:
    """Add a team (then add its users with 'safeshare user add ... --team NAME')."""
    application = build_app(database_url)
    with application.transaction() as session:
        team = directory.add_team(session, application.clock, None, name, agency)
        typer.echo(f"Added the team {team.name} ({team.agency}).")


@team_app.command("list")
@friendly_errors
def list_teams(database_url: str | None = DatabaseOption) -> None:
    """Every team, with its agency."""
    application = build_app(database_url)
    with application.db.read() as session:
        teams = directory.all_teams(session)
        if not teams:
            typer.echo("No teams yet. Add one with 'safeshare team add NAME --agency AGENCY'.")
        for team in teams:
            typer.echo(f"{team.name} ({team.agency})")
