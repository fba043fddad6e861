"""Requests between agencies (P10, R46) in the API: record one (another agency asks us, or we ask them),
list a case's requests, and record another agency's answer to a request we sent, by its reference: the
answer is delivered to the waiting process by BPMN message correlation (``referrals.record_agency_answer``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeshare.core.records import AgencyRequest
from safeshare.services import referrals
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.params import BodyText, PathId
from web.serializers import iso

router = APIRouter(prefix="/api", tags=["requests between agencies"], responses=out.SIGNED_IN_ERRORS)


class NewRequest(BaseModel):
    direction: Literal["inbound", "outbound"] = Field(
        description="inbound: another agency asks us; outbound: we ask another agency"
    )
    agency: BodyText = Field(max_length=200)
    contact: BodyText = Field(default="", max_length=200)
    purpose: BodyText = Field(max_length=4000)
    lawful_basis: BodyText = Field(max_length=4000)
    asked: BodyText = Field(default="", max_length=4000)
    due: BodyText = Field(max_length=40, description="A date (due at 17:00 UTC that day) or a date and time")


class RequestOut(BaseModel):
    id: int
    instance_id: int
    direction: str
    reference: str | None
    agency: str
    purpose: str
    due_at: datetime | None
    outcome: str | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


class RequestList(BaseModel):
    requests: list[RequestOut]


def _json(r: AgencyRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "instance_id": r.instance_id,
        "direction": r.direction,
        "reference": r.reference,
        "agency": r.agency,
        "purpose": r.purpose,
        "due_at": iso(r.due_at),
        "outcome": r.outcome,
        "answer": r.answer_text,
        "answered_by": r.answered_by,
        "answered_at": iso(r.answered_at),
    }


@router.post("/cases/{case_id}/agency-requests", status_code=201, response_model=RequestOut)
def start_request(case_id: PathId, body: NewRequest, unit: WriteUnit) -> dict[str, Any]:
    """Record a request between agencies about the case's child, with its purpose, lawful basis and deadline.
    A request we send gets a reference for the other agency to quote with their answer."""
    instance = referrals.start_agency_request(unit.app, unit.session, unit.user, case_id, **body.model_dump())
    unit.session.flush()
    requests = referrals.agency_requests(unit.session, unit.user, case_id)
    (request,) = [r for r in requests if r.instance_id == instance.id]
    return _json(request)


@router.get("/cases/{case_id}/agency-requests", response_model=RequestList)
def list_requests(case_id: PathId, unit: ReadUnit) -> dict[str, Any]:
    """The case's requests between agencies, both ways, oldest first."""
    return {"requests": [_json(r) for r in referrals.agency_requests(unit.session, unit.user, case_id)]}


class Answer(BaseModel):
    reference: BodyText = Field(max_length=40, description="The reference of the request we sent, e.g. REQ-1A2B3C4D")
    outcome: Literal["answered", "declined"]
    text: BodyText = Field(max_length=4000, description="What they said, or the reason they declined")
    answered_by: BodyText = Field(max_length=200, description="Who at the other agency answered")
    answered_at: BodyText = Field(default="", max_length=40, description="When they answered (default: now)")


@router.post("/agency-requests/answers", response_model=RequestOut)
def record_answer(body: Answer, unit: WriteUnit) -> dict[str, Any]:
    """Record another agency's answer to a request we sent: delivered to the one process waiting under its
    reference. An unknown reference is not found; a request already answered or closed is a conflict."""
    data = body.model_dump()
    request = referrals.record_agency_answer(unit.app, unit.session, unit.user, data.pop("reference"), **data)
    unit.session.flush()
    unit.session.refresh(request)
    return _json(request)
