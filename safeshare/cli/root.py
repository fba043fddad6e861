"""The ``safeshare`` command's root: the Typer app every command module registers on, and its error rule.

Its own module so the command modules import it, not the package that imports them.
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
