"""``safeshare consent withdraw``: the person withdraws their consent, told to a practitioner or manager."""

from __future__ import annotations

import typer

from rules.consent import WITHDRAWAL_HOW
from safeshare.cli.common import ActingUser, DatabaseOption, acting
from safeshare.cli.root import app, friendly_errors
from safeshare.services.consent import withdraw_consent

consent_app = typer.Typer(help="Consent on a case.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")


@consent_app.command("withdraw")
@friendly_errors
def withdraw(
    case_id: int,
    consent_id: int,
    how: str = typer.Option(..., "--how", help="How the person told you: " + ", ".join(WITHDRAWAL_HOW)),
    note: str = typer.Option("", "--note", help="Anything the person said about it"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Withdraw a consent: nothing more may be shared on it; the shares already made are listed."""
    with acting(database_url, as_user) as (application, session, user):
        done = withdraw_consent(session, application.clock, user, case_id, consent_id, how=how, note=note)
        typer.echo(f"Consent {done.consent.id} withdrawn. Nothing more may be shared on it.")
        if not done.shares_made:
            typer.echo("No information had been shared on this consent.")
        else:
            typer.echo("Already shared on this consent (these stay on the record):")
            for d in done.shares_made:
                typer.echo(f"  {d.made_at:%d %B %Y %H:%M} to {d.recipient_agency} by {d.method.replace('_', ' ')}")
