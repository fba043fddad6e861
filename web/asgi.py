"""The web app for an ASGI server started from an import string, so it can run several worker processes.

Scaled mode (see the README) runs, after ``safeshare db upgrade`` once::

    SAFESHARE_DATABASE_URL=postgresql+psycopg://... SAFESHARE_SECRET_KEY=... \\
        uvicorn --factory web.asgi:create --workers 4 --host 0.0.0.0 --port 8000

Every worker builds the same :class:`~safeshare.app.App` from the environment. Workers do not
migrate the schema themselves: several processes racing to run Alembic would collide.
"""

from __future__ import annotations

from fastapi import FastAPI

from safeshare.app import App
from safeshare.core.config import Settings
from safeshare.core.db import sqlite_file
from safeshare.core.errors import ConfigurationError
from web.app import create_app


def create() -> FastAPI:
    """One worker's app: settings from the environment, the system clock, schema already migrated."""
    settings = Settings.from_env()
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():  # else SQLite would make an empty file and every page would fail
        raise ConfigurationError(f"There is no database at {path}", "Create it first with 'safeshare db upgrade'")
    return create_app(App.create(settings, migrate=False))
