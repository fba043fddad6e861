"""The running application's parts, as services, tasks and the scheduler see them.

Services and handlers take one :class:`App`: the settings, the database, the models,
the engine and the clock. It lives below them and knows nothing of how it is built;
:mod:`safeshare.app` (the composition root, above every layer) builds one and wires
the handlers into the engine. So a service can name the type it is given without
importing the module that imports the handlers that import services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from safeshare.core.clock import Clock
    from safeshare.core.config import Settings
    from safeshare.core.db import Database
    from workflows.engine import WorkflowEngine
    from workflows.model_registry import ModelRegistry


@dataclass
class App:
    settings: Settings
    db: Database
    models: ModelRegistry
    engine: WorkflowEngine
    clock: Clock

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.db.transaction() as session:
            yield session

    def close(self) -> None:
        self.db.dispose()
