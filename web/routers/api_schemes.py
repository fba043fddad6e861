"""Police disclosure schemes (P6 to P8): start a CSOR or DVDS application, read one, and the police queue.
Police staff only; anyone else is told the records do not exist or need the police staff role."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from safeshare.services import listing, queues, schemes
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.lists import link_headers
from web.params import BodyText, PathId
from web.serializers import instance_json, iso, scheme_json

router = APIRouter(tags=["police schemes"], responses=out.SIGNED_IN_ERRORS)


class NewApplication(BaseModel):
    model_config = {"extra": "forbid"}  # R31: a case is never linked by its internal number

    route: Literal["csor", "right_to_ask", "right_to_know"]
    applicant: dict[str, Any]
    subject: dict[str, Any]
    concern: BodyText = Field(min_length=1, max_length=4000)
    person_at_risk: dict[str, Any] | None = None
    children: list[dict[str, Any]] = Field(default_factory=list)
    case_reference: str | None = Field(
        default=None,
        max_length=80,
        description="A child's safeguarding case reference: the case's team is asked to confirm the link (R31). "
        "The answer is the same whether or not a case has that reference.",
    )


@router.post("/api/schemes/applications", status_code=201, response_model=out.StartedApplication)
def start_application(body: NewApplication, unit: WriteUnit) -> dict[str, Any]:
    """Record the initial contact and start the scheme's process with its completion deadline."""
    application, instance = schemes.start_application(unit.app, unit.session, unit.user, **body.model_dump())
    return {**scheme_json(application), "process": instance_json(instance)}


@router.get("/api/schemes/applications", response_model=out.ApplicationList)
def list_applications(unit: ReadUnit, scheme: Literal["csor", "dvds"] | None = None) -> dict[str, Any]:
    """CSOR and DVDS applications, newest first (police staff only)."""
    found = schemes.list_applications(unit.session, unit.user, scheme=scheme)
    return {"applications": [scheme_json(a) for a in found]}


@router.get("/api/schemes/applications/{application_id}", response_model=out.SchemeApplication)
def show_application(application_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """One application with every stage recorded so far (the view is written to the audit trail)."""
    return scheme_json(schemes.view_application(unit.app, unit.session, unit.user, application_id), full=True)


@router.get("/api/queues/police", response_model=out.PoliceQueue)
def police_queue(
    request: Request,
    response: Response,
    unit: ReadUnit,
    scheme: str | None = None,
    stage: str | None = None,
    overdue: str | None = None,
    page: str | None = None,
) -> dict[str, Any]:
    """CSOR and DVDS applications by stage with their timescale status, most pressing first, a page at a time
    (paging in the ``X-Total-Count`` and ``Link`` headers). Filters: ``scheme`` (``csor``, ``right_to_ask``,
    ``right_to_know``), ``stage`` (the stage's name as the queue shows it), ``overdue=yes``."""
    rows = queues.police_queue(unit.session, unit.user, unit.app.clock.now())  # police staff only, first
    filters = listing.queue_filters(scheme, stage, overdue)
    found = listing.paginate(listing.filter_queue(rows, filters), listing.page_number(page))
    response.headers.update(link_headers(request, found))
    return {
        "applications": [
            {**scheme_json(r.application), "stage": r.stage, "stage_due_at": iso(r.stage_due_at), "timescale": r.status}
            for r in found.items
        ]
    }
