"""Pages: my tasks, and a task's form (rendered from its schema, errors beside each field)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import DomainRuleError, FormValidationError
from safeshare.services import listing, queues, scheme_access, scheme_view, schemes, subject_access
from safeshare.services.task_context import case_choices, task_context
from tasks import service
from web.auth import acting, safeshare_app
from web.forms import build_fields, error_summary
from web.forms import parse_post as parse_task_post
from web.lists import filter_errors, pagination
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/tasks", status_code=303)


@router.get("/tasks")
def my_tasks(request: Request, status: str = "", overdue: str = "", process: str = "", page: str = "") -> Response:
    """My tasks, overdue first, filtered by who they are for, the kind of work and overdue, a page at a time."""
    app = safeshare_app(request)
    context: dict[str, Any] = {
        "title": "My tasks", "section": "tasks", "status_choices": listing.TASK_STATUSES,
        "process_choices": listing.PROCESS_NAMES, "errors": {}, "filters": listing.TaskFilters(),
    }
    with acting(request, write=False) as (session, user):
        now = app.clock.now()
        try:
            filters = listing.task_filters(status, overdue, process)
            found = listing.task_list(session, user, now, filters, page)
        except FormValidationError as exc:
            context |= {"page": None, "errors": exc.field_errors, "error_list": filter_errors(exc)}
            return render(request, "tasks.html", context, status_code=400)
        rows = []
        for task in found.items:
            case = queues.visible_case(session, user, task.case_id)
            rows.append({"task": task, "case": case, "overdue": bool(task.due_at and task.due_at < now),
                         "mine": task.assignee_id == user.id})
        return render(request, "tasks.html", context | {
            "tasks": rows, "page": found, "pager": pagination(request, found), "filters": filters,
            "filtered": filters.any,
        })


def _task_page(
    request: Request, task_id: str, values: dict[str, Any], errors: dict[str, str], status_code: int = 200,
    summary: list[dict[str, str]] | None = None,
) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):  # a police task shows its application: that view is audited
        view = service.show_task(app, session, user, task_id)
        fields = build_fields(view.form_schema, values, errors, choices=case_choices(session, view.task.case_id))
        error_list = summary or error_summary(fields)
        application = scheme_access.application_of_instance(session, user, view.instance.id)
        facts: dict[str, Any] = {}
        if application is not None:  # application_of_instance has checked the user may see it
            schemes.record_application_view(app, session, user, application)
            facts = scheme_view.summary_facts(session, application, app.clock.now())
        return render(
            request,
            "task.html",
            {
                "title": view.task.title,
                "section": "tasks",
                "task": view.task,
                "case": view.case,
                "schema": view.form_schema,
                "fields": fields,
                "context": task_context(app, session, view),
                "error_list": error_list,
                "overdue": bool(view.task.due_at and view.task.due_at < app.clock.now()),
                "restrictions": queues.active_restrictions(session, view.task.case_id),
                "user_id": user.id,
                "subject_access": subject_access.request_of_instance(session, view.instance.id),
                "application": application,
                **facts,
            },
            status_code=status_code,
        )


@router.get("/tasks/{task_id}")
def task_page(task_id: str, request: Request) -> Response:
    return _task_page(request, task_id, {}, {})


@router.post("/tasks/{task_id}")
def complete_task(task_id: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    app = safeshare_app(request)
    data: dict[str, Any] = {}
    try:
        with acting(request) as (session, user):
            view = service.show_task(app, session, user, task_id)
            data = parse_task_post(view.form_schema, form)
            instance = service.complete_task(app, session, user, task_id, data)
            title, case_id, finished = view.task.title, instance.case_id, instance.status == "completed"
    except FormValidationError as exc:
        return _task_page(request, task_id, data, exc.field_errors, 422)
    except DomainRuleError as exc:
        text = exc.for_people()
        return _task_page(request, task_id, data, {}, 422, [{"text": text, "href": "#main-content"}])
    message = "The process has finished." if finished else "The next step is with whoever it belongs to."
    return render(request, "done.html", {"title": f"{title}: done", "message": message, "case_id": case_id})


def _lifecycle(request: Request, task_id: str, action: str) -> Response:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        if action == "claim":
            service.claim_task(app, session, user, task_id)
        else:
            service.unclaim_task(app, session, user, task_id)
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/claim")
def claim(task_id: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    return _lifecycle(request, task_id, "claim")


@router.post("/tasks/{task_id}/unclaim")
def unclaim(task_id: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    return _lifecycle(request, task_id, "unclaim")


