"""The ``safeshare`` command's root: the Typer app every command module registers on, and its error rule.

Its own module so the command modules import it, not the package that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from safeshare.core.errors import NotFoundError, PermissionDeniedError, SafeshareError

app = typer.Typer(
    help="safeshare: information sharing for safeguarding children, run as BPMN.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Print what is wrong and what to do, on one line, and exit non-zero."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SafeshareError as exc:
            if isinstance(exc, NotFoundError | PermissionDeniedError):
                _audit_refusal(kwargs, exc)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _audit_refusal(arguments: dict[str, Any], error: SafeshareError) -> None:
    """A refusal through the CLI is audited as one through the web is: who (``--as``), which command,
    the ids asked for, and on the refused case's trail when it exists. An unknown ``--as`` is not tied
    to anyone, as an anonymous web request is not."""
    from sqlalchemy import select

    from safeshare.cli.common import build_app
    from safeshare.core.audit import record_refusal
    from safeshare.core.records import User

    username = arguments.get("as_user")
    if not isinstance(username, str):
        return
    try:  # Typer 0.2x carries its own copy of click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - an older Typer uses click itself
        from click import get_current_context  # type: ignore[no-redef]
    context = get_current_context(silent=True)
    command = " ".join(["safeshare", *(context.command_path.split()[1:] if context is not None else [])])
    ids = {k: v for k, v in arguments.items() if k not in ("as_user", "database_url") and isinstance(v, int | str)}
    try:
        application = build_app(arguments.get("database_url"))
    except SafeshareError:  # never hide the refusal itself behind a failure to audit it
        return
    try:
        with application.db.read() as session:
            actor = session.scalar(select(User).where(User.username == username))
        if actor is not None:
            record_refusal(application.db, application.clock, actor, f"{command} (command line)", error, detail=ids)
    finally:
        application.close()
