"""Cases: the ones I may see, one case (audited view), its people, episodes and audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.services import cases, queues
from safeshare.services.case_view import view_case
from web.auth import acting, safeshare_app
from web.params import PathId
from web.serializers import audit_json, case_json, case_summary, instance_json, person_json

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.get("")
def list_cases(request: Request) -> dict[str, Any]:
    """Cases I may see (through my team, or a task on them)."""
    with acting(request, write=False) as (session, user):
        return {"cases": [case_summary(c) for c in queues.visible_cases(session, user)]}


class NewCase(BaseModel):
    reference: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    child_name: str = Field(min_length=1, max_length=200)
    child_date_of_birth: date


@router.post("", status_code=201)
def open_case(body: NewCase, request: Request) -> dict[str, Any]:
    """Open a case for a child in my team."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        case = cases.open_case(app, session, user, **body.model_dump())
        return case_summary(case)


@router.get("/{case_id}")
def show_case(case_id: PathId, request: Request) -> dict[str, Any]:
    """Everything on a case I may see; the view is written to its audit trail."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        body = case_json(view_case(app, session, user, case_id), app.clock.now())
        return body | {"restrictions_in_force": queues.active_restrictions(session, case_id)}


@router.get("/{case_id}/people")
def case_people(case_id: PathId, request: Request) -> dict[str, Any]:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        view = view_case(app, session, user, case_id)
        return {"people": [person_json(p, view.pr_holder_ids) for p in view.people]}


class NewPerson(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    relationship_to_child: str = Field(min_length=1, max_length=60)
    date_of_birth: date | None = None
    has_parental_responsibility: bool = False


@router.post("/{case_id}/people", status_code=201)
def add_person(case_id: PathId, body: NewPerson, request: Request) -> dict[str, Any]:
    app = safeshare_app(request)
    with acting(request) as (session, user):
        person = cases.add_person(app, session, user, case_id, **body.model_dump())
        holders = {person.id} if body.has_parental_responsibility else set()
        return person_json(person, holders)


class NewEpisode(BaseModel):
    purpose: str = Field(min_length=3, max_length=500)


@router.post("/{case_id}/episodes", status_code=201)
def start_episode(case_id: PathId, body: NewEpisode, request: Request) -> dict[str, Any]:
    """Start an episode of work: consent seeking begins (R1, R9)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return instance_json(cases.start_episode(app, session, user, case_id, body.purpose))


@router.get("/{case_id}/audit")
def case_audit(case_id: PathId, request: Request) -> dict[str, Any]:
    """The case's audit trail (this view is itself recorded in it)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        view = view_case(app, session, user, case_id)
        return {"events": [audit_json(e) for e in view.audit]}
