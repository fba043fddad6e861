"""Shared CLI plumbing: building the application and acting as a named user."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from safeshare.app import App
from safeshare.core.config import Settings
from safeshare.core.db import sqlite_file
from safeshare.core.errors import ConfigurationError, SafeshareError
from safeshare.core.records import User

# No envvar here: SAFESHARE_DATABASE_URL is read with every other setting, once, in safeshare/core/config.py.
DatabaseOption = typer.Option(
    None, "--database-url", help="SQLAlchemy URL; default: SAFESHARE_DATABASE_URL, else SQLite at var/safeshare.db"
)
ActingUser = typer.Option(..., "--as", help="Username of the person acting")


def build_app(database_url: str | None, *, create: bool = False) -> App:
    """The application on the database given (option or ``SAFESHARE_DATABASE_URL``) or the default one.

    A SQLite file that does not exist is an error, not a new empty database (a mistyped path would
    otherwise look like lost data): only ``create`` (``safeshare db upgrade``, the demo) makes one. When the
    default was taken, the command says which file it opened, on standard error.
    """
    settings = Settings.from_env()
    if database_url:
        settings = settings.replace(database_url=database_url)
    path = sqlite_file(settings.database_url)
    if path is not None and not create and not path.exists():
        raise ConfigurationError(
            f"There is no database at {path}",
            "Create it with 'safeshare db upgrade', run 'make demo' for the demo's, or give --database-url",
        )
    if not database_url and path is not None:
        typer.echo(f"Using the database at {_shown(path)}", err=True)
    return App.create(settings)


def app_and_user(database_url: str | None, username: str) -> tuple[App, User]:
    """The application and the active user acting (``--as``): where most commands start."""
    from safeshare.services.directory import user_by_username

    application = build_app(database_url)
    with application.db.read() as session:
        return application, user_by_username(session, username)


@contextmanager
def acting(database_url: str | None, username: str) -> Iterator[tuple[App, Session, User]]:
    """One command's unit of work: the application, one transaction, and the active user acting (``--as``).

    What the command writes, and the audit events that say so, commit together or not at all; the user is
    looked up inside the same transaction, so a user deactivated meanwhile cannot act.
    """
    from safeshare.services.directory import user_by_username

    application = build_app(database_url)
    with application.transaction() as session:
        yield application, session, user_by_username(session, username)


def _shown(path: Path) -> str:
    """A path relative to the working folder when it is under it (as the README writes them)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SafeshareError(f"The file {path} does not exist", "Give the path of a JSON file") from None
    except json.JSONDecodeError as exc:
        raise SafeshareError(f"The file {path} is not valid JSON: {exc}", "Fix the JSON and try again") from None
