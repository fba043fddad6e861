"""Alembic environment: runs migrations on the connection safeshare hands it."""

from __future__ import annotations

from alembic import context

from safeshare.core.records import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from safeshare.core.config import Settings
        from safeshare.core.db import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url)
        with engine.connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
