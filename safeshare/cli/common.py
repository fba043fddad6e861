"""Shared CLI plumbing: building the application and acting as a named user."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from safeshare.app import App
from safeshare.config import Settings
from safeshare.errors import SafeshareError

DatabaseOption = typer.Option(
    None, "--database-url", envvar="SAFESHARE_DATABASE_URL", help="SQLAlchemy URL; default: SQLite at var/safeshare.db"
)
ActingUser = typer.Option(..., "--as", help="Username of the person acting")


def build_app(database_url: str | None) -> App:
    settings = Settings.from_env()
    if database_url:
        settings = replace(settings, database_url=database_url)
    return App.create(settings)


def read_json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SafeshareError(f"The file {path} does not exist", "Give the path of a JSON file") from None
    except json.JSONDecodeError as exc:
        raise SafeshareError(f"The file {path} is not valid JSON: {exc}", "Fix the JSON and try again") from None
