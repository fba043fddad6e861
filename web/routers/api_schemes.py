"""Police disclosure schemes (P6 to P8): start a CSOR or DVDS application, read one, and the police queue.
Police staff only; anyone else is told the records do not exist or need the police staff role."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.services import queues, schemes
from web.auth import acting, safeshare_app
from web.params import BodyId, PathId
from web.serializers import instance_json, iso, scheme_json

router = APIRouter(tags=["police schemes"])


class NewApplication(BaseModel):
    route: Literal["csor", "right_to_ask", "right_to_know"]
    applicant: dict[str, Any]
    subject: dict[str, Any]
    concern: str = Field(min_length=1, max_length=4000)
    person_at_risk: dict[str, Any] | None = None
    children: list[dict[str, Any]] = Field(default_factory=list)
    linked_case_id: BodyId = None


@router.post("/api/schemes/applications", status_code=201)
def start_application(body: NewApplication, request: Request) -> dict[str, Any]:
    """Record the initial contact and start the scheme's process with its completion deadline (R32, R33)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        application, instance = schemes.start_application(app, session, user, **body.model_dump())
        return {**scheme_json(application), "process": instance_json(instance)}


@router.get("/api/schemes/applications")
def list_applications(request: Request, scheme: Literal["csor", "dvds"] | None = None) -> dict[str, Any]:
    with acting(request, write=False) as (session, user):
        return {"applications": [scheme_json(a) for a in schemes.list_applications(session, user, scheme=scheme)]}


@router.get("/api/schemes/applications/{application_id}")
def show_application(application_id: PathId, request: Request) -> dict[str, Any]:
    with acting(request, write=False) as (session, user):
        return scheme_json(schemes.get_application(session, user, application_id), full=True)


@router.get("/api/queues/police")
def police_queue(request: Request) -> dict[str, Any]:
    """CSOR and DVDS applications by stage with their timescale status, most pressing first."""
    app = safeshare_app(request)
    with acting(request, write=False) as (session, user):
        return {
            "applications": [
                {**scheme_json(r.application), "stage": r.stage, "stage_due_at": iso(r.stage_due_at),
                 "timescale": r.status}
                for r in queues.police_queue(session, user, app.clock.now())
            ]
        }
