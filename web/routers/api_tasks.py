"""My tasks, a task with its form schema, and the task lifecycle (complete, claim, unclaim, reassign)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from safeshare.services import listing, queues
from safeshare.services.directory import user_by_username
from tasks import service
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.lists import link_headers
from web.params import BodyText
from web.serializers import case_summary, task_json

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=out.SIGNED_IN_ERRORS)


@router.get("", response_model=out.TaskList)
def my_tasks(
    request: Request,
    response: Response,
    unit: ReadUnit,
    status: str | None = None,
    overdue: str | None = None,
    process: str | None = None,
    page: str | None = None,
) -> dict[str, Any]:
    """My inbox: overdue first, then by due time, a page at a time (the total and the links to other pages
    are in the ``X-Total-Count`` and ``Link`` headers). Filters: ``status`` (``mine``: assigned to me,
    ``open``: waiting for anyone in my role), ``overdue=yes``, ``process`` (a process id)."""
    now = unit.app.clock.now()
    filters = listing.task_filters(status, overdue, process)
    found = listing.task_list(unit.session, unit.user, now, filters, page)
    response.headers.update(link_headers(request, found))
    return {"tasks": [task_json(t, now) for t in found.items]}


@router.get("/{task_id}", response_model=out.TaskWithForm)
def show_task(task_id: str, unit: ReadUnit) -> dict[str, Any]:
    """One task with the JSON Schema of its form."""
    view = service.show_task(unit.app, unit.session, unit.user, task_id)
    return {
        **task_json(view.task, unit.app.clock.now()),
        "case": case_summary(view.case) if view.case else None,
        "form_schema": view.form_schema,
        "restrictions_in_force": queues.active_restrictions(unit.session, view.task.case_id),
    }


@router.post("/{task_id}/complete", response_model=out.InstanceStep)
def complete_task(task_id: str, unit: WriteUnit, data: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Complete a task with its form's fields (a JSON object); errors name each field."""
    instance = service.complete_task(unit.app, unit.session, unit.user, task_id, data)
    return {"instance_id": instance.id, "status": instance.status, "outcome": instance.outcome}


@router.post("/{task_id}/claim", response_model=out.Task)
def claim_task(task_id: str, unit: WriteUnit) -> dict[str, Any]:
    """Take a task of my role from my team's shared queue."""
    return task_json(service.claim_task(unit.app, unit.session, unit.user, task_id), unit.app.clock.now())


@router.post("/{task_id}/unclaim", response_model=out.Task)
def unclaim_task(task_id: str, unit: WriteUnit) -> dict[str, Any]:
    """Give a task I hold back to my team's shared queue."""
    return task_json(service.unclaim_task(unit.app, unit.session, unit.user, task_id), unit.app.clock.now())


class Reassign(BaseModel):
    username: BodyText = Field(min_length=1, max_length=80)


@router.post("/{task_id}/reassign", response_model=out.Task)
def reassign_task(task_id: str, body: Reassign, unit: WriteUnit) -> dict[str, Any]:
    """Give a task to someone else with its role (its holder or a manager of its team)."""
    to = user_by_username(unit.session, body.username)
    return task_json(service.reassign_task(unit.app, unit.session, unit.user, task_id, to), unit.app.clock.now())
