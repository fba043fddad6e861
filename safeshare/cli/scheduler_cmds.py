"""``safeshare scheduler`` and what an administrator needs around it: stopped instances, failed
messages, deadline settings; plus ``safeshare messages`` (a user's in-app messages).

``safeshare scheduler`` serves the Prefect tick flow on an interval against the Prefect server that
``PREFECT_API_URL`` names, or, when it is unset, against a local Prefect server it starts and stops
itself (``workflows.prefect_server``); either way the runs show in the Prefect UI. ``--once`` runs
one tick directly, without Prefect, for cron jobs and scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from safeshare.app import App
from safeshare.cli.common import ActingUser, DatabaseOption, acting, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.core.errors import SafeshareError

incidents_app = typer.Typer(help="Instances stopped because a timer step failed.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages that could not be delivered.", no_args_is_help=True)
deadlines_app = typer.Typer(help="Deadline periods by kind and urgency (R16, R32, R33).", invoke_without_command=True)
app.add_typer(incidents_app, name="incidents")
app.add_typer(outbox_app, name="outbox")
app.add_typer(deadlines_app, name="deadlines")


@app.command("scheduler")
@friendly_errors
def scheduler(
    interval: int = typer.Option(30, "--interval", min=5, help="Seconds between ticks (timers fire at most this late)"),
    once: bool = typer.Option(False, "--once", help="Run one tick now, without Prefect, and exit"),
    sweep_workers: int | None = typer.Option(
        None,
        "--sweep-workers",
        min=1,
        help="PostgreSQL: processes that share a burst of due timers (default: SAFESHARE_SWEEP_WORKERS, else 2; "
        "SQLite always uses 1)",
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Fire due timers and deliver notifications, every --interval seconds, with Prefect."""
    from notifications.template_check import check_templates

    report = check_templates()  # a broken template stops us now, not at 3 a.m.
    application = build_app(database_url)  # connects, migrates and parses the models: fail fast
    typer.echo(f"Checked {len(report.rendered)} templates; database {_shown(application.settings.database_url)}")
    if once:
        _run_once(application, sweep_workers)
        return
    parameters = _served_parameters(application.settings.database_url, database_url, sweep_workers)
    application.close()
    _serve_with_prefect(interval, parameters, application.settings.prefect_home)


def _shown(url: str) -> str:
    """The database URL with any password hidden, for the terminal."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _served_parameters(resolved_url: str, given_url: str | None, sweep_workers: int | None) -> dict[str, Any]:
    """What each served run needs that its fresh process cannot read from the environment it inherits.

    The deployment's parameters, kept in Prefect's run history: so a database URL goes there only when it
    holds no password. One given on the command line with a password is refused (it is also visible to every
    user in the process list); in ``SAFESHARE_DATABASE_URL`` the runs inherit it and it is not passed at all.
    """
    from sqlalchemy.engine import make_url

    parameters: dict[str, Any] = {}
    if sweep_workers is not None:
        parameters["sweep_workers"] = sweep_workers
    if make_url(resolved_url).password is None:
        parameters["database_url"] = resolved_url  # the runs open exactly the database checked above
    elif given_url is not None:
        raise SafeshareError(
            "The database URL given with --database-url holds a password",
            "Set it in SAFESHARE_DATABASE_URL instead: the scheduler's runs would keep it in Prefect's history",
        )
    return parameters


def _serve_with_prefect(interval: int, parameters: dict[str, Any], prefect_home: Path) -> None:
    """Serve the tick on the Prefect server ``PREFECT_API_URL`` names, or on a local one started here.

    Prefect's own settings for this process and the runs it starts go through Prefect's
    ``temporary_settings``, which the runner passes to each run's process: no environment is written.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_RUNNER_POLL_FREQUENCY, temporary_settings

    # The runner looks for due runs this often (Prefect's default is 10 s): part of how late a timer fires.
    poll: dict[Any, Any] = {PREFECT_RUNNER_POLL_FREQUENCY: min(interval, 10)}
    api_url = PREFECT_API_URL.value()
    if api_url:
        with temporary_settings(updates=poll):
            _serve(interval, parameters, api_url)
        return
    from workflows.prefect_server import local_prefect_server

    typer.echo(f"PREFECT_API_URL is not set: starting a local Prefect server (history in {prefect_home})...")
    with local_prefect_server(prefect_home) as url, temporary_settings(updates={**poll, PREFECT_API_URL: url}):
        _serve(interval, parameters, f"the local Prefect server (UI at {url.removesuffix('/api')})")


def _serve(interval: int, parameters: dict[str, Any], where: str) -> None:
    from prefect import serve
    from prefect.deployments.runner import EntrypointType

    from workflows import flows

    typer.echo(f"Serving the safeshare tick every {interval} s on {where}. Stop with Ctrl-C.")
    deployment = flows.tick.to_deployment(
        name="safeshare-scheduler",
        interval=interval,
        parameters=parameters,
        # No concurrency limit: overlapping ticks are safe (rows are locked or claimed), and a limit of 1
        # is held for ever by a run that was killed mid-way, which would stop every later tick.
        entrypoint_type=EntrypointType.MODULE_PATH,
        description="Fire due timers (oldest first, exactly once), then deliver the outbox.",
    )
    serve(deployment, print_starting_message=False)  # type: ignore[arg-type]  # sync call returns the deployment


def _run_once(application: App, sweep_workers: int | None) -> None:
    from notifications.delivery import RetryPolicy, deliver_due
    from workflows.flows import current_channels
    from workflows.timer_sweep import sweep_due_timers

    sweep = sweep_due_timers(application, workers=sweep_workers)
    if sweep.workers > 1:
        typer.echo(f"{sweep.workers} sweep workers shared the due timers")
    for timer in sweep.fired:
        typer.echo(f"fired {timer.event_name!r} of instance {timer.instance_id}, {timer.lateness} late")
    for instance_id in sweep.parked:
        typer.echo(f"instance {instance_id} stopped on an error: see 'safeshare incidents list'", err=True)
    channels = current_channels(application)
    if not channels:
        typer.echo("No SMTP server configured (SAFESHARE_SMTP_HOST): email stays in the outbox.")
        return
    sent = deliver_due(application, channels, policy=RetryPolicy.from_settings(application.settings.delivery))
    typer.echo(
        f"{len(sweep.fired)} timer(s) fired; {len(sent.sent)} sent, {len(sent.retrying)} to retry, "
        f"{len(sent.failed)} failed"
    )


@incidents_app.command("list")
@friendly_errors
def list_incidents(database_url: str | None = DatabaseOption) -> None:
    """Instances the scheduler stopped, with the error (they wait for 'incidents retry')."""
    from workflows.timer_sweep import open_incidents

    application = build_app(database_url)
    with application.db.read() as session:
        incidents = open_incidents(session)
        if not incidents:
            typer.echo("No stopped instances.")
        for i in incidents:
            typer.echo(f"instance {i.instance_id}  {i.occurred_at:%Y-%m-%d %H:%M}  timers: {i.timers}  {i.message}")


@incidents_app.command("retry")
@friendly_errors
def retry_incident(instance_id: int, as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """Put a stopped instance back in the timer sweep (after fixing the cause)."""
    from workflows.timer_sweep import retry_instance

    with acting(database_url, as_user) as (application, session, user):
        retry_instance(application, session, user, instance_id)
    typer.echo(f"Instance {instance_id} will be retried by the next sweep.")


@outbox_app.command("failed")
@friendly_errors
def list_failed(database_url: str | None = DatabaseOption) -> None:
    """Messages that failed for good, with the last error."""
    from notifications.delivery import failed_notifications

    application = build_app(database_url)
    with application.db.read() as session:
        failed = failed_notifications(session)
        if not failed:
            typer.echo("No failed messages.")
        for n in failed:
            typer.echo(f"{n.id}  to {n.recipient_email}  '{n.subject}'  after {n.attempts} attempts: {n.last_error}")


@outbox_app.command("retry")
@friendly_errors
def retry_message(notification_id: int, as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """Queue a failed message again."""
    from notifications.delivery import requeue

    with acting(database_url, as_user) as (application, session, user):
        requeue(application, session, user, notification_id)
    typer.echo(f"Message {notification_id} queued again.")


@app.command("messages")
@friendly_errors
def messages(
    as_user: str = ActingUser,
    unread: bool = typer.Option(False, "--unread", help="Only unread messages"),
    read: int | None = typer.Option(None, "--read", help="Mark this message read"),
    database_url: str | None = DatabaseOption,
) -> None:
    """My in-app messages, newest first."""
    from notifications.channels.in_app import mark_read, messages_for

    with acting(database_url, as_user) as (application, session, user):
        if read is not None:
            mark_read(session, application.clock, user, read)
        notes = messages_for(session, user, unread_only=unread)
        if not notes:
            typer.echo("No messages.")
        for n in notes:
            flag = " " if n.read_at else "*"
            typer.echo(f"{flag} {n.id}  {n.created_at:%Y-%m-%d %H:%M}  {n.subject}")


@deadlines_app.callback()
@friendly_errors
def show_deadlines(ctx: typer.Context, database_url: str | None = DatabaseOption) -> None:
    """The deadline periods in force, each with where its default comes from."""
    if ctx.invoked_subcommand is not None:
        return
    from safeshare.core.deadlines import DEFAULTS, SOURCES, policy_for

    application = build_app(database_url)
    with application.db.read() as session:
        policy = policy_for(session)
        for kind in sorted(policy.table):
            periods = ", ".join(
                f"{urgency}: {period.describe()}{'' if DEFAULTS.get(kind, {}).get(urgency) == period else ' (changed)'}"
                for urgency, period in policy.table[kind].items()
            )
            typer.echo(f"{kind}  {periods}\n    source: {SOURCES.get(kind, 'configured here')}")


@deadlines_app.command("set")
@friendly_errors
def set_deadline_cmd(
    kind: str,
    urgency: str = typer.Argument(..., help="immediate_risk, urgent, standard, or * for every urgency"),
    amount: int = typer.Argument(...),
    unit: str = typer.Argument(..., help="hours, days or working_days"),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. the policy that sets it)"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Change one deadline period (new deadlines use it; waiting ones keep theirs)."""
    from safeshare.core.deadlines import set_deadline

    with acting(database_url, as_user) as (application, session, user):
        set_deadline(session, application.clock, user, kind, urgency, amount, unit, reason)
    typer.echo(f"Deadline for {kind} ({urgency}) is now {amount} {unit.replace('_', ' ')}.")


@deadlines_app.command("reset")
@friendly_errors
def reset_deadline_cmd(
    kind: str, urgency: str, as_user: str = ActingUser, database_url: str | None = DatabaseOption
) -> None:
    """Go back to the documented default for one deadline."""
    from safeshare.core.deadlines import reset_deadline

    with acting(database_url, as_user) as (application, session, user):
        reset_deadline(session, application.clock, user, kind, urgency)
    typer.echo(f"Deadline for {kind} ({urgency}) is back to its default.")
