"""The ``safeshare`` command: the demo, and the everyday commands for administrators and scripts.

Each command module registers itself on :data:`app`; every command turns a
:class:`~safeshare.errors.SafeshareError` into a one-line message and exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from safeshare.errors import SafeshareError

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
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _register() -> None:
    from safeshare.cli import (  # noqa: F401
        admin_cmds,
        case_cmds,
        demo_cmd,
        report_cmds,
        retention_cmds,
        scheduler_cmds,
        task_cmds,
        web_cmds,
    )


def main() -> None:
    _register()
    app(prog_name="safeshare")


if __name__ == "__main__":  # pragma: no cover
    main()
