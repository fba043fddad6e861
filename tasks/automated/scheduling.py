"""Automated steps that set deadlines and send notifications from a model.

``compute_deadline`` turns a deadline *kind* and the case's urgency into an ISO
time in task data (timer events and task due dates name that variable).
``notify`` queues a message to people by user id or by role in the case's team.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from notifications.outbox import enqueue, task_message_context
from safeshare.clock import as_utc
from safeshare.deadlines import policy_for
from safeshare.errors import ModelError
from safeshare.records import Case, Role, User, UserRole
from workflows.context import ServiceContext


def _params(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data.get("_params", {}))


def compute_deadline(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """Params: ``kind`` (e.g. 'consultation'), optional ``which`` ('deadline' or 'reminder') and ``start``
    (an ISO time; default now). Uses ``urgency`` from task data where the kind depends on it."""
    params = _params(data)
    kind = params.get("kind")
    if not kind:
        raise ModelError(f"compute_deadline in {ctx.task_spec!r} has no 'kind' parameter", "Add one to the model")
    start = as_utc(datetime.fromisoformat(params["start"])) if params.get("start") else ctx.clock.now()
    policy = policy_for(ctx.session)
    urgency = data.get("urgency")
    when = policy.reminder(kind, urgency, start) if params.get("which") == "reminder" else policy.deadline(
        kind, urgency, start
    )
    return when.isoformat()


def _recipients(ctx: ServiceContext, data: dict[str, Any], target: Any) -> list[User]:
    if isinstance(target, int):
        user = ctx.session.get(User, target)
        return [user] if user else []
    if isinstance(target, list):  # several roles: someone holding two of them is told once
        return list({u.id: u for t in target for u in _recipients(ctx, data, t)}.values())
    if isinstance(target, str):
        if f"{target}_user_id" in data and data[f"{target}_user_id"]:
            return _recipients(ctx, data, int(data[f"{target}_user_id"]))
        role = Role(target)
        case = ctx.session.get(Case, ctx.case_id) if ctx.case_id else None
        query = select(User).join(UserRole).where(UserRole.role == role.value, User.is_active.is_(True))
        if case is not None and role != Role.POLICE_STAFF:
            query = query.where(User.team_id == case.team_id)
        return list(ctx.session.scalars(query))
    raise ModelError(f"notify in {ctx.task_spec!r} names recipients {target!r}", "Give a user id, a list, or a role")


def notify(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """Params: ``template``, ``recipients`` (user id, list, or role name), optional ``task_title``,
    ``due_var`` (name of the data variable with the due time) and ``escalated_to``."""
    params = _params(data)
    template = params.get("template")
    if not template:
        raise ModelError(f"notify in {ctx.task_spec!r} has no 'template' parameter", "Add one to the model")
    case = ctx.session.get(Case, ctx.case_id) if ctx.case_id else None
    due_value = data.get(params["due_var"]) if params.get("due_var") else None
    due_at = as_utc(datetime.fromisoformat(due_value)) if due_value else None
    context = task_message_context(
        case, params.get("task_title") or ctx.task_title, due_at, ctx.instance.id, params.get("escalated_to", "")
    )
    if template == "task_reminder" and due_at is not None and due_at <= ctx.clock.now():
        # A late wake-up (after downtime) fires a reminder and its deadline together: the reminder is stale.
        return 0
    queued = enqueue(
        ctx.session,
        ctx.clock,
        template,
        context,
        recipients=_recipients(ctx, data, params.get("recipients")),
        case_id=ctx.case_id,
        dedupe_key=f"{ctx.instance.id}:{ctx.task_spec}:{template}:{due_value or ''}",
    )
    return len(queued)
