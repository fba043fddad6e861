"""``safeshare tasks`` and ``safeshare task ...``: a practitioner's or manager's work from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from safeshare.cli.common import ActingUser, DatabaseOption, acting, build_app, read_json_file
from safeshare.cli.root import app, friendly_errors
from safeshare.services.directory import user_by_username
from tasks import service

task_app = typer.Typer(help="Show and complete one task.", no_args_is_help=True)
app.add_typer(task_app, name="task")


@app.command("tasks")
@friendly_errors
def list_tasks(as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """List my tasks: overdue first, then by due time."""
    application = build_app(database_url)
    with application.db.read() as session:
        user = user_by_username(session, as_user)
        tasks = service.my_tasks(session, user, application.clock.now())
        if not tasks:
            typer.echo("No tasks waiting for you.")
        for t in tasks:
            due = f"due {t.due_at:%Y-%m-%d %H:%M}" if t.due_at else "no deadline"
            overdue = " OVERDUE" if t.due_at and t.due_at < application.clock.now() else ""
            mine = "assigned to you" if t.assignee_id == user.id else f"for any {t.role.replace('_', ' ')}"
            typer.echo(f"{t.task_id}  {t.title}  case {t.case_id}  {due}{overdue}  ({mine})")


@task_app.command("show")
@friendly_errors
def show(task_id: str, as_user: str = ActingUser, database_url: str | None = DatabaseOption) -> None:
    """Show a task and the form it needs (as JSON Schema)."""
    application = build_app(database_url)
    with application.db.read() as session:
        user = user_by_username(session, as_user)
        view = service.show_task(application, session, user, task_id)
        typer.echo(f"{view.task.title} (process {view.task.process_id}, role {view.task.role})")
        if view.case:
            typer.echo(f"Case {view.case.reference}: {view.case.title}")
        typer.echo(json.dumps(view.form_schema, indent=2))


@task_app.command("complete")
@friendly_errors
def complete(
    task_id: str,
    data: Path = typer.Option(..., "--data", help="JSON file with the form's fields"),
    as_user: str = ActingUser,
    database_url: str | None = DatabaseOption,
) -> None:
    """Complete a task with form data from a JSON file."""
    form = read_json_file(data)
    with acting(database_url, as_user) as (application, session, user):
        instance = service.complete_task(application, session, user, task_id, form)
        state = f"finished: {instance.outcome}" if instance.status == "completed" else "waiting for the next step"
        typer.echo(f"Completed. Process {instance.process_id} #{instance.id} is {state}.")
