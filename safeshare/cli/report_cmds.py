"""``safeshare report``, ``safeshare export`` and ``safeshare document``: the figures, the registers and
the stored documents, for those entitled to them, from the terminal.

They call the same services as the web pages and the API, so the terminal, the
page and the CSV always show the same numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table as RichTable

from safeshare.cli.common import ActingUser, DatabaseOption, app_and_user
from safeshare.cli.root import app, friendly_errors
from safeshare.core.errors import SafeshareError
from safeshare.services import conformance, documents, event_log, exports, reports

export_app = typer.Typer(
    help="Export the disclosure register, the received-information log or the event log.", no_args_is_help=True
)
document_app = typer.Typer(help="Stored documents (consent forms, undertakings, letters).", no_args_is_help=True)
app.add_typer(export_app, name="export")
app.add_typer(document_app, name="document")

FromOption = typer.Option(None, "--from", help="First day included, YYYY-MM-DD")
ToOption = typer.Option(None, "--to", help="Last day included, YYYY-MM-DD")
OutputOption = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output")


def _write(content: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise SafeshareError(f"Cannot write {output}: {exc.strerror}", "Choose a writable path") from None
    typer.echo(f"Wrote {output} ({len(content)} bytes).", err=True)


@app.command("report")
@friendly_errors
def report(
    as_user: str = ActingUser,
    start: str | None = FromOption,
    end: str | None = ToOption,
    section: str | None = typer.Option(None, "--section", help=f"Only one of: {', '.join(reports.SECTIONS)}"),
    csv_dir: Path | None = typer.Option(None, "--csv", help="Also write each section as CSV into this folder"),
    show_conformance: bool = typer.Option(
        False, "--conformance", help="Instead: how closely the runs of each process follow its model"
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Management figures: consultations in time, escalations, overdue tasks, consents, shares, schemes."""
    application, user = app_and_user(database_url, as_user)
    if show_conformance:
        with application.db.read() as session:
            _print_conformance(conformance.conformance(session, user, application.settings.bpmn_dir))
        return
    result = reports.report_for(application, user, start, end)
    tables = [result.section(section)] if section else result.sections
    console = Console(width=160, highlight=False, soft_wrap=False)
    console.print(f"Report for {result.period.label()}, generated {result.generated_at:%Y-%m-%d %H:%M} UTC")
    for table in tables:
        rich = RichTable(title=table.title, title_justify="left", caption=table.note or None, caption_justify="left")
        for column in table.columns:
            rich.add_column(column, overflow="fold")
        for row in table.rows:
            rich.add_row(*["" if v is None else str(v) for v in row])
        console.print(rich)
        if csv_dir is not None:
            csv_dir.mkdir(parents=True, exist_ok=True)
            _write(table.to_csv(), csv_dir / f"{table.key}.csv")


def _print_conformance(figures: list[conformance.ProcessConformance]) -> None:
    console = Console(width=160, highlight=False, soft_wrap=False)
    table = RichTable(title="How closely each process's runs follow its model (token-replay fitness)",
                      title_justify="left", caption_justify="left",
                      caption="1.0: every ended run is one the model allows. Open runs are not replayed.")
    for column in ("Process", "Ended runs", "Runs that fit", "Still open", "Fitness"):
        table.add_column(column)
    for f in figures:
        table.add_row(f.name, str(f.ended), str(f.fitting), str(f.still_open),
                      "no ended runs yet" if f.fitness is None else f"{f.fitness:.3f}")
    console.print(table)


@export_app.command("event-log")
@friendly_errors
def export_event_log(
    as_user: str = ActingUser,
    fmt: str = typer.Option("ocel", "--format", help="ocel (OCEL 2.0 JSON) or xes"),
    output: Path | None = OutputOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Every process instance's events for process-mining tools: people and cases pseudonymised, no answers."""
    application, user = app_and_user(database_url, as_user)
    content, events = event_log.export_event_log(application, user, fmt)
    _write(content, output)
    typer.echo(f"{events} event(s) exported, people and cases pseudonymised.", err=True)


@export_app.command("disclosures")
@friendly_errors
def export_disclosures(
    as_user: str = ActingUser,
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
    filters: list[str] = typer.Option([], "--filter", help="NAME=VALUE: from, to, agency, case, audience"),
    output: Path | None = OutputOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """The disclosure register (R21, R22): cases you may see, restrictions honoured for the audience."""
    _export("disclosures", as_user, fmt, filters, output, database_url)


@export_app.command("received")
@friendly_errors
def export_received(
    as_user: str = ActingUser,
    fmt: str = typer.Option("csv", "--format", help="csv or json"),
    filters: list[str] = typer.Option([], "--filter", help="NAME=VALUE: from, to, agency, case, audience"),
    output: Path | None = OutputOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """The received-information log (R23): restricted records never go to an audience they are barred from."""
    _export("received", as_user, fmt, filters, output, database_url)


def _export(kind: str, as_user: str, fmt: str, filters: list[str], output: Path | None, url: str | None) -> None:
    parsed: dict[str, str | None] = {}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise exports.ExportFilterError(f"The filter {item!r} is not NAME=VALUE", "e.g. --filter agency=CAMHS")
        parsed[name.strip()] = value
    exports.parse_filters(kind, parsed)  # refuse a bad filter before connecting
    application, user = app_and_user(url, as_user)
    result = exports.export(application, user, kind, fmt, parsed)
    _write(result.content, output)
    held = f"; {result.withheld} withheld for this audience" if result.withheld else ""
    typer.echo(f"{result.rows} row(s) exported{held}.", err=True)


@document_app.command("get")
@friendly_errors
def get_document(
    document_id: int,
    as_user: str = ActingUser,
    fmt: str = typer.Option("pdf", "--format", help="pdf or html"),
    output: Path | None = OutputOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Download a document of a case you may see; its stored hash is checked first."""
    application, user = app_and_user(database_url, as_user)
    file = documents.fetch_document(application, user, document_id, fmt)
    _write(file.content, output or Path(file.filename))
