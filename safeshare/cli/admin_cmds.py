"""Administrator commands: schema upgrade and audit-chain verification."""

from __future__ import annotations

import typer

from safeshare.cli.common import DatabaseOption, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.core.audit import verify_witnessed
from safeshare.core.audit_witness import attached
from safeshare.core.errors import SafeshareError

db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
@friendly_errors
def upgrade(database_url: str | None = DatabaseOption) -> None:
    """Create the database, or migrate its schema to the latest version."""
    build_app(database_url, create=True)
    typer.echo("Database schema is up to date.")


@audit_app.command("verify")
@friendly_errors
def verify(
    database_url: str | None = DatabaseOption,
    anchor: list[str] = typer.Option(
        [], "--anchor", help="SEQ:HASH noted from an earlier verify; fails if the chain was rewritten (repeatable)"
    ),
) -> None:
    """Check the whole hash chain, against the signed witness of its head when one is configured;
    name the first event that was edited, deleted or reordered, or the events cut from its end."""
    anchors = _parse_anchors(anchor)
    application = build_app(database_url)
    witness = attached(application.db.engine)
    with application.db.read() as session:
        report = verify_witnessed(session, witness, anchors)
    if report.ok:
        typer.echo(f"Audit trail intact: {report.events_checked} events verified.")
        if witness is None:
            typer.echo("No witness is configured (SAFESHARE_AUDIT_WITNESS_KEY): events cut from the end "
                       "would only show against an anchor you noted.")
        else:
            latest = witness.read().latest
            typer.echo(f"Checked against the witness in {witness.path}: "
                       + (f"it last saw event {latest.seq}." if latest else "it is empty so far."))
        typer.echo(f"Head: {report.head_seq}:{report.head_hash} (note it elsewhere; pass it later as --anchor)")
        return
    typer.echo(
        f"error: audit trail broken at event {report.first_bad_seq or '?'}: {report.problem}. "
        f"{report.events_checked} events before it verified.",
        err=True,
    )
    if report.event:
        typer.echo(f"  found there: {report.event}", err=True)
    raise typer.Exit(1)


def _parse_anchors(values: list[str]) -> dict[int, str]:
    anchors: dict[int, str] = {}
    for value in values:
        seq, _, digest = value.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise SafeshareError(
                f"The anchor {value!r} is not SEQ:HASH", "Copy the 'Head:' line printed by an earlier verify"
            )
        anchors[int(seq)] = digest.lower()
    return anchors
