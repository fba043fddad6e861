"""Administrator pages of issue 16 (h/admin): deadline settings changed with a reason, teams, failed
notifications and stopped work retried, and a training copy's clock moved forward.

Each page calls the same service function as its command (``safeshare deadlines set``, ``team add``,
``outbox retry``, ``incidents retry``, ``training move``), so every rule has one home.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from notifications.delivery import requeue
from safeshare.core.deadlines import DEFAULTS, MAX_AMOUNT, URGENCIES, policy_for, reset_deadline, set_deadline
from safeshare.core.errors import FormValidationError, NotFoundError, SafeshareError
from safeshare.core.records import DeadlineSetting, ProcessInstance, User
from safeshare.services import directory, queues, safeguarding_leads
from safeshare.services.training import NOT_TRAINING, UNIT_MINUTES, move_amount, move_clock, training_status
from web.auth import acting, safeshare_app
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render
from workflows.timer_sweep import open_incidents, retry_instance

router = APIRouter(include_in_schema=False)

UNIT_WORDS = {"hours": "Hours", "days": "Calendar days", "working_days": "Working days"}


def _errors(field_errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{field}"} for field, message in field_errors.items()]


def _page(request: Request, title: str, page: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(
        request, "admin_settings.html", {"title": title, "section": "admin", "page": page} | context, status_code=status
    )


# -- deadline settings ----------------------------------------------------------------------------------


def _urgency(value: str) -> str:
    """The urgency in an address: ``any`` stands for every urgency (``*``)."""
    urgency = "*" if value == "any" else value
    if urgency != "*" and urgency not in URGENCIES:
        raise NotFoundError(f"There is no urgency {value!r}", "Choose a deadline from the list")
    return urgency


def _deadline_page(
    request: Request, kind: str, urgency: str, form: dict[str, str], field_errors: dict[str, str], status: int = 200
) -> Response:
    if kind not in DEFAULTS:
        raise NotFoundError(f"There is no deadline {kind!r}", "Choose a deadline from the list")
    with acting(request, write=False) as (session, user):
        queues.deadline_settings(session, user)  # the administrator's page: refused to anyone else
        period = policy_for(session).period(kind, None if urgency == "*" else urgency)
        saved = session.scalar(
            select(DeadlineSetting).where(DeadlineSetting.kind == kind, DeadlineSetting.urgency == urgency)
        )
        default = DEFAULTS[kind].get(urgency) or DEFAULTS[kind].get("*")
        changed_by = session.get(User, saved.updated_by_id) if saved and saved.updated_by_id else None
        return _page(
            request,
            "Change a deadline",
            "deadline",
            {
                "kind": kind,
                "urgency": urgency,
                "urgency_slug": "any" if urgency == "*" else urgency,
                "period": period.describe(),
                "default": default.describe() if default else None,
                "saved": {
                    "reason": saved.reason,
                    "at": saved.updated_at,
                    "by": changed_by.display_name if changed_by else None,
                }
                if saved
                else None,
                "form": form or {"amount": str(period.amount), "unit": period.unit},
                "units": [{"value": u, "text": UNIT_WORDS[u], "hint": f"Up to {n}"} for u, n in MAX_AMOUNT.items()],
                "field_errors": field_errors,
                "error_list": _errors(field_errors),
                "done": request.query_params.get("done"),
            },
            status,
        )


@router.get("/admin/deadlines/{kind}/{urgency}")
def deadline_page(kind: str, urgency: str, request: Request) -> Response:
    return _deadline_page(request, kind, _urgency(urgency), {}, {})


@router.post("/admin/deadlines/{kind}/{urgency}")
def change_deadline(kind: str, urgency: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    wanted = _urgency(urgency)
    values = {k: str(form.get(k, "")).strip() for k in ("amount", "unit", "reason")}
    errors: dict[str, str] = {}
    if not values["amount"]:
        errors["amount"] = "Enter how long the deadline is, as a whole number"
    elif not values["amount"].isdigit():
        errors["amount"] = "Enter how long the deadline is as a whole number, like 4"
    if not values["unit"]:
        errors["unit"] = "Choose hours, calendar days or working days"
    if not values["reason"]:
        errors["reason"] = "Enter why the deadline is changing, for example the policy that changed it"
    if not errors:
        try:
            with acting(request) as (session, actor):
                set_deadline(
                    session,
                    safeshare_app(request).clock,
                    actor,
                    kind,
                    wanted,
                    int(values["amount"]),
                    values["unit"],
                    values["reason"],
                )
        except FormValidationError as exc:
            errors = {("amount" if f == "kind" or f == "urgency" else f): m for f, m in exc.field_errors.items()}
    if errors:
        return _deadline_page(request, kind, wanted, values, errors, 422)
    return RedirectResponse(f"/admin/deadlines/{kind}/{urgency}?done=changed", status_code=303)


@router.post("/admin/deadlines/{kind}/{urgency}/reset")
def reset_deadline_page(kind: str, urgency: str, request: Request, form: FormData = Depends(posted_form)) -> Response:
    wanted = _urgency(urgency)
    with acting(request) as (session, actor):
        reset_deadline(session, safeshare_app(request).clock, actor, kind, wanted)
    return RedirectResponse(f"/admin/deadlines/{kind}/{urgency}?done=reset", status_code=303)


# -- teams ----------------------------------------------------------------------------------------------


def _teams_page(request: Request, form: dict[str, str], field_errors: dict[str, str], status: int = 200) -> Response:
    with acting(request, write=False) as (session, user):
        teams = queues.list_teams(session, user)
        counted = select(User.team_id, func.count()).where(User.is_active.is_(True)).group_by(User.team_id)
        members: dict[int | None, int] = {team_id: n for team_id, n in session.execute(counted)}
        named = safeguarding_leads.leads(session)
        return _page(
            request,
            "Teams",
            "teams",
            {
                "teams": [
                    {
                        "id": t.id,
                        "name": t.name,
                        "agency": t.agency,
                        "members": members.get(t.id, 0),
                        "lead": named[t.id].name if t.id in named else None,
                    }
                    for t in teams
                ],
                "form": form,
                "field_errors": field_errors,
                "error_list": _errors(field_errors),
                "done": request.query_params.get("done"),
            },
            status,
        )


@router.get("/admin/teams")
def teams_page(request: Request) -> Response:
    return _teams_page(request, {}, {})


@router.post("/admin/teams")
def add_team(request: Request, form: FormData = Depends(posted_form)) -> Response:
    values = {k: str(form.get(k, "")) for k in ("name", "agency")}
    errors: dict[str, str] = {}
    if not values["name"].strip():
        errors["name"] = "Enter the team's name"
    if not values["agency"].strip():
        errors["agency"] = "Enter the agency the team belongs to"
    if not errors:
        try:
            with acting(request) as (session, actor):
                directory.add_team(session, safeshare_app(request).clock, actor, values["name"], values["agency"])
        except SafeshareError as exc:
            if exc.status_code in (401, 403, 404):
                raise
            errors["agency" if "agency" in exc.message else "name"] = exc.message
    if errors:
        return _teams_page(request, values, errors, 422)
    return RedirectResponse("/admin/teams?done=added", status_code=303)


# -- failed notifications and stopped work --------------------------------------------------------------


@router.post("/admin/notifications/{notification_id}/retry")
def retry_notification(notification_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, actor):
        requeue(safeshare_app(request), session, actor, notification_id)
    return RedirectResponse("/admin/notifications", status_code=303)


@router.get("/admin/incidents")
def incidents_page(request: Request) -> Response:
    with acting(request, write=False) as (session, user):
        queues.list_users(session, user)  # the administrator's page: refused to anyone else
        rows = []
        for incident in open_incidents(session):
            instance = session.get(ProcessInstance, incident.instance_id)
            rows.append(
                {
                    "instance_id": incident.instance_id,
                    "process": instance.process_id if instance else "",
                    "case_id": instance.case_id if instance else None,
                    "occurred_at": incident.occurred_at,
                    "timers": incident.timers,
                    "message": incident.message,
                }
            )
        return _page(
            request, "Stopped work", "incidents", {"incidents": rows, "done": request.query_params.get("done")}
        )


@router.post("/admin/incidents/{instance_id}/retry")
def retry_incident(instance_id: PathId, request: Request, form: FormData = Depends(posted_form)) -> Response:
    with acting(request) as (session, actor):
        retry_instance(safeshare_app(request), session, actor, instance_id)
    return RedirectResponse("/admin/incidents?done=retried", status_code=303)


# -- training mode --------------------------------------------------------------------------------------


def _training_page(request: Request, form: dict[str, str], field_errors: dict[str, str], status: int = 200) -> Response:
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        queues.list_users(session, user)  # the administrator's page: refused to anyone else
        state = training_status(session, app.clock)
        return _page(
            request,
            "Training",
            "training",
            {
                "state": state,
                "ahead": state.ahead() if state else None,
                "not_training": NOT_TRAINING.message,
                "units": list(UNIT_MINUTES),
                "form": form or {"unit": "hours"},
                "field_errors": field_errors,
                "error_list": _errors(field_errors),
                "done": request.query_params.get("done"),
            },
            status,
        )


@router.get("/admin/training")
def training_page(request: Request) -> Response:
    return _training_page(request, {}, {})


@router.post("/admin/training")
def move_training_clock(request: Request, form: FormData = Depends(posted_form)) -> Response:
    values = {k: str(form.get(k, "")) for k in ("amount", "unit")}
    try:
        span = move_amount(values["amount"], values["unit"])
        with acting(request) as (session, actor):
            move_clock(safeshare_app(request), session, actor, span)
    except FormValidationError as exc:
        return _training_page(request, values, exc.field_errors, 422)
    return RedirectResponse("/admin/training?done=moved", status_code=303)
