"""``safeshare case show``: a case with its people, consent records and audit trail."""

from __future__ import annotations

import typer

from safeshare.cli.common import ActingUser, DatabaseOption, build_app
from safeshare.cli.printing import print_case
from safeshare.cli.root import app, friendly_errors
from safeshare.services.case_view import view_case
from safeshare.services.directory import user_by_username

case_app = typer.Typer(help="Look at cases.", no_args_is_help=True)
app.add_typer(case_app, name="case")


@case_app.command("show")
@friendly_errors
def show(case_id: int, as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """Show a case you have access to (the view is written to its audit trail)."""
    application = build_app(database_url)
    with application.transaction() as session:
        user = user_by_username(session, as_user)
        print_case(session, view_case(application, session, user, case_id))
