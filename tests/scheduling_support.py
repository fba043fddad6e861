"""Shared by the scheduler tests: an app whose models are the test-only timer fixture, and helpers to read
what the sweep did (timers, notifications, audit events)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import AuditEvent, Notification, OpenTask, ProcessInstance, WaitingTimer
from tasks.automated import HANDLERS
from tests.builders import Scenario
from workflows.engine import Handler, WorkflowEngine
from workflows.model_registry import ModelRegistry

FIXTURE_BPMN = Path(__file__).resolve().parent / "fixtures" / "timers" / "timer_fixture.bpmn"


def fixture_models(folder: Path) -> ModelRegistry:
    """A registry holding only the timer fixture (the real bpmn/ folder is not needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE_BPMN, folder / FIXTURE_BPMN.name)
    return ModelRegistry(folder)


def app_with(app: App, models: ModelRegistry, handlers: dict[str, Handler] | None = None) -> App:
    """The same database and clock as ``app``, other models and handlers."""
    return App(app.settings, app.db, models, WorkflowEngine(models, handlers or HANDLERS), app.clock)


def start_fixture(scenario: Scenario, case_id: int, urgency: str = "standard", **data: Any) -> int:
    app = scenario.app
    with app.transaction() as s:
        row = app.engine.start(
            s, app.clock, "timer_fixture", {"urgency": urgency, **data}, actor=scenario.user(s, "pat"), case_id=case_id
        )
        return row.id


def timers(app: App, instance_id: int | None = None) -> list[WaitingTimer]:
    with app.db.read() as s:
        query = select(WaitingTimer).order_by(WaitingTimer.id)
        if instance_id is not None:
            query = query.where(WaitingTimer.instance_id == instance_id)
        return list(s.scalars(query))


def notes(app: App, template: str | None = None, channel: str = "email") -> list[Notification]:
    with app.db.read() as s:
        query = select(Notification).where(Notification.channel == channel).order_by(Notification.id)
        if template is not None:
            query = query.where(Notification.template == template)
        return list(s.scalars(query))


def recipients(app: App, template: str, names: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in names.items()}
    return sorted(by_id[n.recipient_user_id] for n in notes(app, template) if n.recipient_user_id)


def events(app: App, event_type: str) -> list[AuditEvent]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)))


def open_specs(app: App, instance_id: int) -> list[str]:
    with app.db.read() as s:
        return sorted(s.scalars(select(OpenTask.task_spec).where(OpenTask.instance_id == instance_id)))


def instance(app: App, instance_id: int) -> ProcessInstance:
    with app.db.read() as s:
        row = s.get(ProcessInstance, instance_id)
        assert row is not None
        return row


@dataclass
class Mailbox:
    """An SMTP handler for aiosmtpd that keeps what it accepts, or answers ``reply`` to every message."""

    reply: str = "250 Message accepted for delivery"
    received: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.reply.startswith("250"):
            self.received.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return self.reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
