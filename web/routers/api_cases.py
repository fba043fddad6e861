"""Cases: the ones I may see, one case (audited view), its people, episodes and audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictBool

from safeshare.services import cases, listing, queues
from safeshare.services.case_view import view_case
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.lists import link_headers
from web.params import BodyDate, BodyText, PathId
from web.serializers import audit_json, case_json, case_summary, instance_json, person_json

router = APIRouter(prefix="/api/cases", tags=["cases"], responses=out.SIGNED_IN_ERRORS)


@router.get("", response_model=out.CaseList)
def list_cases(
    request: Request, response: Response, unit: ReadUnit, q: str | None = None, page: str | None = None
) -> dict[str, Any]:
    """Cases I work on (my team's), newest first, a page at a time (``page``; the total and the links to other
    pages are in the ``X-Total-Count`` and ``Link`` headers). ``q`` searches the reference and the names of
    the people on each case."""
    found = listing.search_cases(unit.session, unit.user, q, page)
    response.headers.update(link_headers(request, found))
    return {"cases": [case_summary(row.case) for row in found.items]}


class NewCase(BaseModel):
    reference: BodyText = Field(min_length=1, max_length=40)
    title: BodyText = Field(min_length=1, max_length=200)
    child_name: BodyText = Field(min_length=1, max_length=200)
    child_date_of_birth: BodyDate


@router.post("", status_code=201, response_model=out.CaseSummary)
def open_case(body: NewCase, unit: WriteUnit) -> dict[str, Any]:
    """Open a case for a child in my team."""
    return case_summary(cases.open_case(unit.app, unit.session, unit.user, **body.model_dump()))


@router.get("/{case_id}", response_model=out.CaseDetail)
def show_case(case_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Everything on a case I may see; the view is written to its audit trail."""
    body = case_json(view_case(unit.app, unit.session, unit.user, case_id), unit.app.clock.now())
    return body | {"restrictions_in_force": queues.active_restrictions(unit.session, case_id)}


@router.get("/{case_id}/people", response_model=out.PeopleList)
def case_people(case_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """The people on a case, with who holds parental responsibility (the view is audited)."""
    view = view_case(unit.app, unit.session, unit.user, case_id)
    return {"people": [person_json(p, view.pr_holder_ids) for p in view.people]}


class NewPerson(BaseModel):
    full_name: BodyText = Field(min_length=1, max_length=200)
    relationship_to_child: BodyText = Field(min_length=1, max_length=60)
    date_of_birth: BodyDate | None = None
    has_parental_responsibility: StrictBool = False


@router.post("/{case_id}/people", status_code=201, response_model=out.PersonOnCase)
def add_person(case_id: PathId, body: NewPerson, unit: WriteUnit) -> dict[str, Any]:
    """Add a person to a case, optionally holding parental responsibility for the child."""
    person = cases.add_person(unit.app, unit.session, unit.user, case_id, **body.model_dump())
    holders = {person.id} if body.has_parental_responsibility else set()
    return person_json(person, holders)


class NewEpisode(BaseModel):
    purpose: BodyText = Field(min_length=3, max_length=500)


@router.post("/{case_id}/episodes", status_code=201, response_model=out.Instance)
def start_episode(case_id: PathId, body: NewEpisode, unit: WriteUnit) -> dict[str, Any]:
    """Start an episode of work: consent seeking begins."""
    return instance_json(cases.start_episode(unit.app, unit.session, unit.user, case_id, body.purpose))


@router.get("/{case_id}/audit", response_model=out.AuditTrail)
def case_audit(
    case_id: PathId,
    request: Request,
    response: Response,
    unit: WriteUnit,
    kind: str = "all",
    page: str | None = None,
) -> dict[str, Any]:
    """The case's audit trail, oldest first, a page at a time (paging in the ``X-Total-Count`` and ``Link``
    headers). ``kind`` keeps one kind of event (``case``, ``work``, ``consent``, ``sharing``, ``documents``,
    ``refused``, ``views``), or ``all`` (the default); empty leaves views out. Reading it is recorded in it."""
    found = listing.case_audit(unit.app, unit.session, unit.user, case_id, kind, page, newest_first=False)
    response.headers.update(link_headers(request, found.events))
    return {"events": [audit_json(e) for e in found.events.items]}


# -- h/pages: parental responsibility for someone already on the case, and a significant change ---------


@router.post(
    "/{case_id}/people/{person_id}/parental-responsibility", status_code=201, response_model=out.PersonOnCase
)
def record_parental_responsibility(case_id: PathId, person_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Record that a person on the case holds parental responsibility for its child (audited)."""
    person = cases.add_parental_responsibility(unit.app, unit.session, unit.user, case_id, person_id)
    return person_json(person, {person.id})


class SignificantChange(BaseModel):
    reason: BodyText = Field(min_length=10, max_length=2000)


@router.post("/{case_id}/episodes/{episode_id}/significant-change", status_code=201, response_model=out.Instance)
def record_significant_change(
    case_id: PathId, episode_id: PathId, body: SignificantChange, unit: WriteUnit
) -> dict[str, Any]:
    """A significant change in the episode's circumstances: its consent lapses and fresh consent is sought."""
    instance = cases.record_significant_change(
        unit.app, unit.session, unit.user, episode_id, body.reason, case_id=case_id
    )
    return instance_json(instance)
