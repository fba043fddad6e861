"""Wiring: one object that holds the database, the models, the engine and the clock.

The CLI, the API and the Prefect flows all build one of these and call the
same service functions with it, so behaviour cannot drift between interfaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from safeshare.clock import Clock, SystemClock
from safeshare.config import Settings
from safeshare.db import Database
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry


@dataclass
class App:
    settings: Settings
    db: Database
    models: ModelRegistry
    engine: WorkflowEngine
    clock: Clock

    @classmethod
    def create(cls, settings: Settings | None = None, clock: Clock | None = None, *, migrate: bool = True) -> App:
        from safeshare.migrate import upgrade_to_head
        from tasks.automated import HANDLERS

        settings = settings or Settings.from_env()
        db = Database(settings.database_url)
        if migrate:
            upgrade_to_head(db)
        models = ModelRegistry(settings.bpmn_dir)
        return cls(
            settings,
            db,
            models,
            WorkflowEngine(models, HANDLERS, model_code_seconds=settings.model_code_seconds),
            clock or SystemClock(),
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.db.transaction() as session:
            yield session

    def close(self) -> None:
        self.db.dispose()
