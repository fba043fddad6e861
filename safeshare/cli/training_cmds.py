"""``safeshare training ...``: a training copy of the system, whose clock a trainer can move forward (issue 16).

A command of its own rather than a flag on ``db upgrade``: ``db upgrade`` runs on live databases at every
release, and one mistyped flag there must not make a live database's clock movable. ``training create``
only marks a new, empty database, and refuses any other.
"""

from __future__ import annotations

import typer

from safeshare.cli.common import ActingUser, DatabaseOption, build_app
from safeshare.cli.root import app, friendly_errors

training_app = typer.Typer(
    help="Training copies: create one, see its clock, move its clock forward.", no_args_is_help=True
)
app.add_typer(training_app, name="training")


@training_app.command("create")
@friendly_errors
def create(
    demo_people: bool = typer.Option(
        False, "--with-demo-people", help="Add the demo's teams and users (with the demo's password), to practise with"
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Create a new database as a training copy (refused on a database that already holds records)."""
    from safeshare.demo.runner import seed_directory
    from safeshare.services import accounts
    from safeshare.services.training import create_training_database

    application = build_app(database_url, create=True)
    try:
        with application.transaction() as session:
            create_training_database(session, application.clock)
            if demo_people:
                seed_directory(session)
        if demo_people:
            accounts.give_demo_passwords(application)
    finally:
        application.close()
    typer.echo(
        "Created a training copy: every page says so, and an administrator can move its clock forward "
        "('safeshare training move' or the Training page under Administration)."
    )
    if demo_people:
        typer.echo(f"The demo's people can sign in with the password '{accounts.DEMO_PASSWORD}'.")


@training_app.command("status")
@friendly_errors
def status(database_url: str | None = DatabaseOption) -> None:
    """Whether this database is a training copy, and how far its clock has been moved."""
    from safeshare.services.training import training_status

    application = build_app(database_url)
    try:
        with application.db.read() as session:
            state = training_status(session, application.clock)
    finally:
        application.close()
    if state is None:
        typer.echo("This database is not a training copy: its clock is the real time and cannot be moved.")
        return
    typer.echo(f"Training copy created {state.created_at:%-d %b %Y, %H:%M} (UTC).")
    typer.echo(f"Clock moved forward: {state.ahead()}. Time here: {state.now:%-d %b %Y, %H:%M} (UTC).")


@training_app.command("move")
@friendly_errors
def move(
    amount: str = typer.Argument(..., help="How far forward, a whole number, e.g. 2"),
    unit: str = typer.Option("hours", "--unit", help="minutes, hours or days"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Move a training copy's clock forward (refused on any other database)."""
    from safeshare.services.directory import user_by_username
    from safeshare.services.training import move_amount, move_clock

    span = move_amount(amount, unit)
    application = build_app(database_url)
    try:
        with application.transaction() as session:
            state = move_clock(application, session, user_by_username(session, as_user), span)
    finally:
        application.close()
    typer.echo(
        f"The training clock is now {state.ahead()} ahead of the real time: it is "
        f"{state.now:%-d %b %Y, %H:%M} (UTC) here."
    )
    typer.echo(
        "Reminders and escalations due by then come at the scheduler's next sweep "
        "('safeshare scheduler --once' runs one now)."
    )
