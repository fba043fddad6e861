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


@dataclass(frozen=True)
class FollowUp:
    """A process a step asked to start once it is saved (:meth:`ServiceContext.start_after`)."""

    process_id: str
    data: dict[str, Any]
    case_id: int | None


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
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def case_id(self) -> int | None:
        return self.instance.case_id

    def start_after(self, process_id: str, data: Mapping[str, Any], case_id: int | None) -> None:
        """Start another process once this step is saved, in the same transaction (a step that creates work
        elsewhere: an application's outcome that gives a child's team a task on their case)."""
        self.follow_ups.append(FollowUp(process_id, dict(data), case_id))
