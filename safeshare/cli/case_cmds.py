"""``safeshare case show``: a case with its people, consent records and audit trail."""

from __future__ import annotations

from datetime import date

import typer

from safeshare.cli.common import ActingUser, DatabaseOption, acting
from safeshare.cli.printing import print_case
from safeshare.cli.root import app, friendly_errors
from safeshare.core.errors import SafeshareError
from safeshare.services import cases
from safeshare.services.case_view import view_case

case_app = typer.Typer(help="Cases: open them, add people, record changes, look at them.", no_args_is_help=True)
app.add_typer(case_app, name="case")


@case_app.command("show")
@friendly_errors
def show(case_id: int, as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """Show a case you have access to (the view is written to its audit trail)."""
    with acting(database_url, as_user) as (application, session, user):
        print_case(session, view_case(application, session, user, case_id))


# -- h/pages: open a case, add people and parental responsibility, record a significant change ---------


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SafeshareError(
            f"{what} {value!r} is not a date", "Write it as YYYY-MM-DD, for example 2015-03-27"
        ) from None


@case_app.command("open")
@friendly_errors
def open_case(
    reference: str = typer.Argument(..., help="The case reference, e.g. NC-2026-0042"),
    child_name: str = typer.Option(..., "--child", help="The child's full name"),
    born: str = typer.Option(..., "--born", help="The child's date of birth, YYYY-MM-DD"),
    title: str = typer.Option("", "--title", help="A short title for the case list (default: the child's name)"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Open a case for a child in your team."""
    with acting(database_url, as_user) as (application, session, user):
        case = cases.open_case(
            application, session, user, reference=reference, title=title or child_name, child_name=child_name,
            child_date_of_birth=_date(born, "The date of birth"),
        )  # fmt: skip
        typer.echo(f"Opened case {case.reference} (number {case.id}) for {child_name}.")


@case_app.command("add-person")
@friendly_errors
def add_person(
    case_id: int,
    full_name: str = typer.Argument(..., help="The person's full name"),
    relationship: str = typer.Option(..., "--relationship", help="How they are related to the child, e.g. mother"),
    born: str = typer.Option("", "--born", help="Their date of birth, YYYY-MM-DD (if known)"),
    parental_responsibility: bool = typer.Option(
        False, "--parental-responsibility", help="They hold parental responsibility for the child"
    ),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Add a person to a case."""
    with acting(database_url, as_user) as (application, session, user):
        person = cases.add_person(
            application, session, user, case_id, full_name=full_name, relationship_to_child=relationship,
            date_of_birth=_date(born, "The date of birth") if born else None,
            has_parental_responsibility=parental_responsibility,
        )  # fmt: skip
        holds = ", with parental responsibility" if parental_responsibility else ""
        typer.echo(f"Added {person.full_name} ({relationship}{holds}) as person {person.id}.")


@case_app.command("add-parental-responsibility")
@friendly_errors
def add_parental_responsibility(
    case_id: int,
    person_id: int = typer.Argument(..., help="The person's number, as 'safeshare case show' lists it"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Record that a person on the case holds parental responsibility for its child."""
    with acting(database_url, as_user) as (application, session, user):
        person = cases.add_parental_responsibility(application, session, user, case_id, person_id)
        typer.echo(f"Recorded {person.full_name} as holding parental responsibility.")


@case_app.command("significant-change")
@friendly_errors
def significant_change(
    episode_id: int,
    reason: str = typer.Option(..., "--reason", help="What has changed (at least 10 characters)"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Record a significant change on an episode of work: its consent ends and consent is sought again."""
    with acting(database_url, as_user) as (application, session, user):
        instance = cases.record_significant_change(application, session, user, episode_id, reason)
        typer.echo(
            f"Significant change recorded. The consent in force has ended; consent is being sought again "
            f"(process {instance.id}). See your tasks: 'safeshare tasks --as {as_user}'."
        )
