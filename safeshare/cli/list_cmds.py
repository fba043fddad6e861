"""``safeshare case search`` and ``safeshare process cancel`` (issue 12): find a case by its reference or a
person's name, and cancel a process that is no longer needed, with its reason."""

from __future__ import annotations

import typer

from safeshare.cli.case_cmds import case_app
from safeshare.cli.common import ActingUser, DatabaseOption, acting, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.services import listing
from safeshare.services.cancellation import cancel_process, process_name
from safeshare.services.directory import user_by_username

process_app = typer.Typer(help="Work on one process of a case.", no_args_is_help=True)
app.add_typer(process_app, name="process")


@case_app.command("search")
@friendly_errors
def search(
    text: str = typer.Argument("", help="Part of a case reference or of a person's name; empty lists every case"),
    page: int = typer.Option(1, "--page", help="Which page of results (20 a page)"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Find cases you work on by reference or by the name of a person on them, newest first."""
    application = build_app(database_url)
    with application.db.read() as session:
        user = user_by_username(session, as_user)
        found = listing.search_cases(session, user, text, page)
        if not found.items:
            typer.echo(f"No cases you can see match {text!r}." if text else "You cannot see any cases.")
            return
        for row in found.items:
            named = f"  (named on it: {', '.join(row.matched)})" if row.matched else ""
            typer.echo(f"{row.case.id}  {row.case.reference}  {row.case.title}  child: {row.child}{named}")
        typer.echo(
            f"Showing {found.first_row} to {found.last_row} of {found.total} (page {found.number} of {found.pages})"
        )


@process_app.command("cancel")
@friendly_errors
def cancel(
    instance_id: int,
    reason: str = typer.Option(..., "--reason", help="Why it is no longer needed (10 characters or more)"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Cancel a process that is no longer needed: its open tasks close and its reminders stop.

    Its owner (who started it, or who opened the case) or a manager of the case's team may cancel it."""
    with acting(database_url, as_user) as (application, session, user):
        instance = cancel_process(application, session, user, instance_id, reason)
        typer.echo(
            f"{process_name(instance.process_id)} {instance.id} cancelled. The reason is on the case's audit trail."
        )
