"""What an automated task handler is given: the unit of work it writes through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from safeshare.core.clock import Clock
from safeshare.core.config import Settings

if TYPE_CHECKING:
    from safeshare.core.records.people import User
    from safeshare.core.records.workflow_state import ProcessInstance
    from workflows.model_registry import ModelRegistry


@dataclass
class ServiceContext:
    """One engine step's session, clock and actor; handlers write records through ``session``.

    ``task_spec``, ``task_title`` and ``operation_params`` describe the service task being run
    (set by the engine before each call): the parameters its model gives, evaluated, by name.
    """

    session: Session
    clock: Clock
    actor: User | None
    instance: ProcessInstance
    models: ModelRegistry
    task_spec: str = ""
    task_title: str = ""
    operation_params: Mapping[str, Any] = field(default_factory=dict)
    # The app's settings, for handlers that print configured text (the force's address on a letter).
    settings: Settings = field(default_factory=Settings)

    @property
    def case_id(self) -> int | None:
        return self.instance.case_id
