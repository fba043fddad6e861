"""Automated steps that set deadlines and send notifications from a model.

``compute_deadline`` turns a deadline *kind* and the case's urgency into an ISO
time in task data (timer events and task due dates name that variable).
``notify`` queues a message to a role's holders in the case's team (or the instance's own holder).
Their parameters are typed models checked against every model at start-up (``tasks.operator_registry``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator
from sqlalchemy import select

from notifications.outbox import enqueue, message_templates, task_message_context
from safeshare.core.clock import as_utc
from safeshare.core.deadlines import DEFAULTS, policy_for
from safeshare.core.records import Case, Role, User, UserRole
from tasks.operator_registry import Parameters, TaskData
from workflows.context import ServiceContext
from workflows.model_registry import ROLE_HOLDER_VARIABLES

_TEMPLATES = Path(__file__).resolve().parents[2] / "notifications" / "templates"


def _known_kind(kind: str) -> str:
    if kind not in DEFAULTS:
        raise ValueError(f"there is no deadline kind {kind!r} (known: {', '.join(sorted(DEFAULTS))})")
    return kind


def _iso_time(value: str) -> str:
    datetime.fromisoformat(value)  # raises ValueError, which the registry reports
    return value


def _known_template(template: str) -> str:
    missing = [name for name in message_templates(template) if not (_TEMPLATES / name).is_file()]
    if missing:
        raise ValueError(f"there is no message template {template!r}")
    return template


def _role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise ValueError(f"{role!r} is not a role (roles: {', '.join(r.value for r in Role)})")
    return role


RoleName = Annotated[str, AfterValidator(_role)]


class DeadlineParameters(Parameters):
    """``kind``: the deadline kind (``safeshare.core.deadlines``); ``which``: the deadline itself or the
    reminder before it; ``start``: an ISO time to count from (default: now)."""

    kind: Annotated[str, AfterValidator(_known_kind)]
    which: Literal["deadline", "reminder"] = "deadline"
    start: Annotated[str, AfterValidator(_iso_time)] | None = None


class DeadlineData(TaskData):
    urgency: str | None = None


def compute_deadline(ctx: ServiceContext, data: dict[str, Any], params: DeadlineParameters) -> str:
    """Deadline or reminder time as ISO text, from the case's urgency (deadlines are policy, not model)."""
    start = as_utc(datetime.fromisoformat(params.start)) if params.start else ctx.clock.now()
    policy = policy_for(ctx.session)
    urgency = DeadlineData.model_validate(data).urgency
    if params.which == "reminder":
        return policy.reminder(params.kind, urgency, start).isoformat()
    return policy.deadline(params.kind, urgency, start).isoformat()


class NotifyParameters(Parameters):
    """``template``: a message template; ``recipients``: a role or roles (the instance's own holder of
    a role if it has one, else everyone with it in the case's team); ``task_title``; ``due_var``: the data
    variable holding the due time; ``escalated_to``: who the work went to, in words."""

    template: Annotated[str, AfterValidator(_known_template)]
    recipients: RoleName | list[RoleName]
    task_title: str | None = None
    due_var: str | None = None
    escalated_to: str = ""


class NotifyData(TaskData):
    """The role holders an instance names (``ROLE_HOLDER_VARIABLES``); the due time is read by name."""

    practitioner_user_id: int | None = None


def _recipients(ctx: ServiceContext, data: dict[str, Any], roles: str | list[str]) -> list[User]:
    named = [roles] if isinstance(roles, str) else roles
    holders = [user for role in named for user in _holders(ctx, data, Role(role))]
    return list({user.id: user for user in holders}.values())  # someone holding two of the roles is told once


def _holders(ctx: ServiceContext, data: dict[str, Any], role: Role) -> list[User]:
    holder_variable = ROLE_HOLDER_VARIABLES.get(role.value)
    holder = data.get(holder_variable) if holder_variable else None
    if holder:
        user = ctx.session.get(User, int(holder))
        return [user] if user else []
    case = ctx.session.get(Case, ctx.case_id) if ctx.case_id else None
    query = select(User).join(UserRole).where(UserRole.role == role.value, User.is_active.is_(True))
    if case is not None and role != Role.POLICE_STAFF:
        query = query.where(User.team_id == case.team_id)
    return list(ctx.session.scalars(query))


def notify(ctx: ServiceContext, data: dict[str, Any], params: NotifyParameters) -> int:
    """Queue a message to a role's holders; a reminder whose deadline has passed is not sent."""
    case = ctx.session.get(Case, ctx.case_id) if ctx.case_id else None
    due_value = data.get(params.due_var) if params.due_var else None
    due_at = as_utc(datetime.fromisoformat(due_value)) if due_value else None
    context = task_message_context(
        case, params.task_title or ctx.task_title, due_at, ctx.instance.id, params.escalated_to
    )
    if params.template == "task_reminder" and due_at is not None and due_at <= ctx.clock.now():
        # A late wake-up (after downtime) fires a reminder and its deadline together: the reminder is stale.
        return 0
    queued = enqueue(
        ctx.session,
        ctx.clock,
        params.template,
        context,
        recipients=_recipients(ctx, data, params.recipients),
        case_id=ctx.case_id,
        dedupe_key=f"{ctx.instance.id}:{ctx.task_spec}:{params.template}:{due_value or ''}",
    )
    return len(queued)
