"""Bring the database schema up to date with Alembic (run by every entry point)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from safeshare.core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_to_head(db: Database) -> None:
    """Apply every migration not yet applied. ``heads``: feature branches of the schema may each
    depend on the initial revision until a merge revision joins them."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
