"""The composition root: builds the application and wires the handlers into the engine.

The CLI, the API and the Prefect flows all build one of these and call the
same service functions with it, so behaviour cannot drift between interfaces.
It sits above every layer (it is the one module that knows them all); what it
builds is a :class:`safeshare.core.runtime.App`, the type the services take.
"""

from __future__ import annotations

from safeshare.core import audit_witness
from safeshare.core.clock import Clock, SystemClock
from safeshare.core.config import Settings
from safeshare.core.db import Database
from safeshare.core.migrate import upgrade_to_head
from safeshare.core.runtime import App as _Runtime
from safeshare.services.training import clock_for
from tasks.automated import HANDLERS
from tasks.automated.operators import OPERATORS
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry


class App(_Runtime):
    """The running application, with the one way to build it from settings."""

    @classmethod
    def create(cls, settings: Settings | None = None, clock: Clock | None = None, *, migrate: bool = True) -> App:
        settings = settings or Settings.from_env()
        db = Database(settings.database_url)
        audit_witness.attach(db.engine, audit_witness.witness_from_settings(settings))
        if migrate:
            upgrade_to_head(db)
        models = ModelRegistry(settings.bpmn_dir)
        OPERATORS.check(models)  # every service task against its operator's declaration, before anything runs
        engine = WorkflowEngine(
            models,
            HANDLERS,
            model_code_seconds=settings.model_code_seconds,
            model_checker=OPERATORS.problems,
            settings=settings,
        )
        # A training copy's clock runs ahead by what its trainer moved it (issue 16); any other is as given.
        return cls(settings, db, models, engine, clock_for(db, clock or SystemClock()))
