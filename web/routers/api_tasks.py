"""My tasks, a task with its form schema, and the task lifecycle (complete, claim, unclaim, reassign)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from safeshare.services import queues
from safeshare.services.directory import user_by_username
from tasks import service
from web.auth import acting, safeshare_app
from web.serializers import case_summary, task_json

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.get("")
def my_tasks(request: Request) -> dict[str, Any]:
    """My inbox: overdue first, then by due time."""
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        now = app.clock.now()
        return {"tasks": [task_json(t, now) for t in service.my_tasks(session, user, now)]}


@router.get("/{task_id}")
def show_task(task_id: str, request: Request) -> dict[str, Any]:
    """One task with the JSON Schema of its form."""
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        view = service.show_task(app, session, user, task_id)
        return {
            **task_json(view.task, app.clock.now()),
            "case": case_summary(view.case) if view.case else None,
            "form_schema": view.form_schema,
            "restrictions_in_force": queues.active_restrictions(session, view.task.case_id),
        }


@router.post("/{task_id}/complete")
def complete_task(task_id: str, request: Request, data: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Complete a task with its form's fields (a JSON object); errors name each field."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        instance = service.complete_task(app, session, user, task_id, data)
        return {"instance_id": instance.id, "status": instance.status, "outcome": instance.outcome}


@router.post("/{task_id}/claim")
def claim_task(task_id: str, request: Request) -> dict[str, Any]:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return task_json(service.claim_task(app, session, user, task_id), app.clock.now())


@router.post("/{task_id}/unclaim")
def unclaim_task(task_id: str, request: Request) -> dict[str, Any]:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return task_json(service.unclaim_task(app, session, user, task_id), app.clock.now())


class Reassign(BaseModel):
    username: str = Field(min_length=1, max_length=80)


@router.post("/{task_id}/reassign")
def reassign_task(task_id: str, body: Reassign, request: Request) -> dict[str, Any]:
    """Give a task to someone else with its role (its holder or a manager of its team)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        to = user_by_username(session, body.username)
        return task_json(service.reassign_task(app, session, user, task_id, to), app.clock.now())
