"""What the engine persists: definitions once, instances small, and projections for queries.

Inboxes, deadline sweeps and reports read ``open_task`` and ``waiting_timer``;
they never deserialize a workflow.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeshare.core.records.base import Base, JsonDoc
from safeshare.core.records.vocabulary import InstanceStatus, one_of

if TYPE_CHECKING:
    from safeshare.core.records.people import Case


class ProcessDefinition(Base):
    """A parsed process (with its called subprocesses) stored once, keyed by content hash."""

    __tablename__ = "process_definition"
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    spec_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ModelVersion(Base):
    """A set of models (BPMN, DMN and forms) deployed together; new instances start on the latest one.

    Before any is deployed, new instances start on the model folder the system was installed with.
    """

    __tablename__ = "model_version"
    id: Mapped[int] = mapped_column(primary_key=True)  # the version number people see
    deployed_at: Mapped[datetime]
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    source: Mapped[str] = mapped_column(String(200))  # where the set came from: a folder, or uploaded files


class ModelVersionProcess(Base):
    """Which stored definition each process of a model version is."""

    __tablename__ = "model_version_process"
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    content_hash: Mapped[str] = mapped_column(ForeignKey("process_definition.content_hash"))


class ProcessInstance(Base):
    """One running (or finished) process. ``version`` gives optimistic locking."""

    __tablename__ = "process_instance"
    __table_args__ = (one_of("status", InstanceStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    definition_hash: Mapped[str] = mapped_column(ForeignKey("process_definition.content_hash"))
    # The model version it started on or was migrated to; none: the model folder installed with the system.
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_version.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"))
    parent_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(80))
    state_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # Read-only: the engine finds the team that owns an instance's tasks through it, without
    # importing the domain's records (the identity map answers it as ``session.get`` did).
    case: Mapped[Case | None] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class OpenTask(Base):
    """Projection of a ready human task: who may do it, who holds it, when it is due."""

    __tablename__ = "open_task"
    __table_args__ = (
        Index("ix_open_task_role_due", "role", "due_at"),
        Index("ix_open_task_assignee_due", "assignee_id", "due_at"),
        # the inbox's "unassigned, my role, my team" branch (migration 0007_inbox; see bench/)
        Index("ix_open_task_team_role_assignee", "team_id", "role", "assignee_id"),
    )
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    process_id: Mapped[str] = mapped_column(String(80))
    task_spec: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    form_schema: Mapped[str | None] = mapped_column(String(120))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class WaitingTimer(Base):
    """A timer an instance waits on. The sweep claims due rows, so each fires once."""

    __tablename__ = "waiting_timer"
    __table_args__ = (Index("ix_waiting_timer_pending_due", "fired_at", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    event_name: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]


class CompletedTask(Base):
    """What a person did: kept for the case history and the diagram's "done" marks."""

    __tablename__ = "completed_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    task_spec: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    completed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
