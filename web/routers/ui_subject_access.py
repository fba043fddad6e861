"""Pages for the data protection officer: subject access requests listed by due date, the form that records
a new one (dates typed as day, month and year), and one request with its collated reply, what is withheld
and why, its time limit and what was sent. The sign-off and the record of sending are the request's tasks
(``bpmn/subject_access_request.bpmn``), done from the task page like any other.

The new-request form is a JSON Schema drawn and read back by :mod:`web.forms`; which answers are missing or
wrong is decided once, by :func:`safeshare.services.subject_access.record_request`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeshare.core.errors import FormValidationError
from safeshare.core.records import OpenTask, User
from safeshare.services import subject_access
from web.auth import acting, safeshare_app
from web.forms import build_fields, error_summary, parse_post
from web.params import PathId
from web.routers.ui_auth import posted_form
from web.templating import render

router = APIRouter(include_in_schema=False)

REAL_DATE = "Enter a real date, for example 27 3 2026"
DATES = ("subject_date_of_birth", "received_on", "identity_checked_on")
REQUEST_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "requester_name": {"type": "string", "title": "Who is making the request?"},
        "requester_relationship": {
            "type": "string",
            "title": "Is the requester the person the records are about?",
            "enum": list(subject_access.RELATIONSHIPS),
        },
        "authority": {
            "type": "string",
            "title": "How does the requester show they may act for the person?",
            "description": "For example, a letter signed by the person, or a lasting power of attorney.",
        },
        "subject_name": {
            "type": "string",
            "title": "What is the full name of the person the records are about?",
            "description": "As it would be written on a case record.",
        },
        "subject_date_of_birth": {
            "type": "string",
            "format": "date",
            "title": "What is their date of birth?",
            "description": "For example, 27 3 2008. Leave blank if it is not known.",
        },
        "received_on": {
            "type": "string",
            "format": "date",
            "title": "When was the request received?",
            "description": "For example, 20 11 2026.",
        },
        "identity_checked_on": {
            "type": "string",
            "format": "date",
            "title": "When was the requester's identity confirmed?",
            "description": "The month allowed for the reply starts on the later of the two dates.",
        },
        "identity_evidence": {
            "type": "string",
            "title": "How was their identity checked?",
            "description": "For example, passport and a recent utility bill seen.",
        },
        "request_details": {
            "type": "string",
            "title": "What did they ask for? (optional)",
            "maxLength": 4000,
        },
    },
    "x-uischema": {
        "requester_relationship": {
            "ui:enumNames": list(subject_access.RELATIONSHIPS.values()),
            "ui:options": {"reveal": {"representative": ["authority"]}},
        },
        "identity_evidence": {"ui:widget": "textarea", "ui:options": {"rows": 2}},
        "request_details": {"ui:widget": "textarea", "ui:options": {"rows": 3}},
    },
}


def _date(value: Any, name: str, errors: dict[str, str]) -> date | None:
    """A posted date as a date; a date that does not exist is the form's error, not a server error."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = REAL_DATE
        return None


def _new_page(request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200) -> Response:
    with acting(request, write=False) as (_session, user):
        subject_access.require_officer(user)
        fields = build_fields(REQUEST_FORM, values, errors)
        return render(
            request,
            "subject_access_new.html",
            {
                "title": "Record a subject access request",
                "section": "subject_access",
                "fields": fields,
                "error_list": error_summary(fields),
            },
            status_code=status_code,
        )


@router.get("/subject-access")
def list_page(request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        rows = subject_access.list_requests(session, user)
        return render(
            request,
            "subject_access_list.html",
            {
                "title": "Subject access requests",
                "section": "subject_access",
                "rows": rows,
                "today": app.clock.now().date(),
                "status_words": subject_access.STATUS_WORDS,
            },
        )


@router.get("/subject-access/new")
def new_page(request: Request) -> Response:
    """The form (declared before ``/subject-access/{id}``, which would otherwise take "new")."""
    return _new_page(request, {}, {})


@router.post("/subject-access/new")
def record(request: Request, form: FormData = Depends(posted_form)) -> Response:
    """Record the request and start its process in one transaction; a refused form writes nothing."""
    app = safeshare_app(request)
    data = parse_post(REQUEST_FORM, form)
    typed: dict[str, str] = {}
    dates = {name: _date(data.get(name), name, typed) for name in DATES}
    try:
        with acting(request) as (session, user):
            try:
                sar, _instance = subject_access.record_request(
                    app,
                    session,
                    user,
                    requester_name=str(data.get("requester_name") or ""),
                    requester_relationship=str(data.get("requester_relationship") or ""),
                    authority=str(data.get("authority") or ""),
                    subject_name=str(data.get("subject_name") or ""),
                    request_details=str(data.get("request_details") or ""),
                    identity_evidence=str(data.get("identity_evidence") or ""),
                    subject_date_of_birth=dates["subject_date_of_birth"],
                    received_on=dates["received_on"],
                    identity_checked_on=dates["identity_checked_on"],
                )
            except FormValidationError as exc:
                raise FormValidationError(exc.message, exc.field_errors | typed, exc.hint) from exc
            if typed:
                raise FormValidationError("The request cannot be recorded yet", typed)
            target = f"/subject-access/{sar.id}"
    except FormValidationError as exc:
        return _new_page(request, data, exc.field_errors, 422)
    return RedirectResponse(target, status_code=303)


@router.get("/subject-access/{sar_id}")
def request_page(sar_id: PathId, request: Request) -> Response:
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        sar = subject_access.get_request(session, user, sar_id)
        collation = sar.reply if sar.reply is not None else subject_access.collate(session, sar)
        tasks = list(session.scalars(select(OpenTask).where(OpenTask.instance_id == sar.instance_id)))
        names = {u.id: u.display_name for u in session.scalars(select(User))}
        return render(
            request,
            "subject_access.html",
            {
                "title": f"Subject access request {sar.reference}",
                "section": "subject_access",
                "sar": sar,
                "collation": collation,
                "tasks": tasks,
                "names": names,
                "overdue": sar.status != "sent" and app.clock.now().date() > sar.due_on,
                "relationships": subject_access.RELATIONSHIPS,
                "status_words": subject_access.STATUS_WORDS,
                "sent_methods": subject_access.SENT_METHODS,
            },
        )
