"""Fixtures of the scheduler tests (loaded with ``pytest_plugins``): a wiped database whose app knows only the
test-only timer model, so these tests do not depend on bpmn/, which other issues are editing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from notifications.channels.email import SmtpSettings
from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.config import Settings
from safeshare.core.db import Database
from tasks.automated import HANDLERS
from tests.builders import Scenario
from tests.scheduling_support import Mailbox, fixture_models, free_port
from workflows.engine import WorkflowEngine
from workflows.model_registry import ModelRegistry

_MODELS: dict[str, ModelRegistry] = {}


@pytest.fixture
def timer_app(
    migrated_database: Database, database_url: str, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """A wiped database; the app's only model is the timer fixture."""
    from tests.conftest import wipe

    wipe(migrated_database)
    if "fixture" not in _MODELS:
        _MODELS["fixture"] = fixture_models(tmp_path_factory.mktemp("timer-models"))
    models = _MODELS["fixture"]
    yield App(Settings(database_url=database_url), migrated_database, models, WorkflowEngine(models, HANDLERS), clock)


@pytest.fixture
def timer_scenario(timer_app: App) -> Scenario:
    return Scenario.create(timer_app)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, SmtpSettings(host="127.0.0.1", port=controller.port, security="none", sender="safeshare@test")
    finally:
        controller.stop()
