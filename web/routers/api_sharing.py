"""Sharing on a case (P2 to P5): start a consultation, a decision to share without consent, a disclosure
record or a record of information received; read the disclosure register and information received."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from safeshare.services import sharing
from web.auth import acting, safeshare_app
from web.params import BodyId, PathId
from web.serializers import disclosure_json, instance_json, received_json

router = APIRouter(prefix="/api/cases/{case_id}", tags=["sharing"])


class Consultation(BaseModel):
    urgency: Literal["immediate_risk", "urgent", "standard"]
    question: str = Field(min_length=10, max_length=4000)


@router.post("/consultations", status_code=201)
def start_consultation(case_id: PathId, body: Consultation, request: Request) -> dict[str, Any]:
    """Ask a manager for advice (P3), due by the urgency's deadline (R13, R16)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return instance_json(sharing.start_manager_consultation(app, session, user, case_id, **body.model_dump()))


class ShareWithoutConsent(BaseModel):
    episode_id: BodyId = None


@router.post("/shares-without-consent", status_code=201)
def start_share_without_consent(case_id: PathId, body: ShareWithoutConsent, request: Request) -> dict[str, Any]:
    """Decide whether to share without consent (P2: grounds R10 or the public-interest test R11)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return instance_json(sharing.start_share_without_consent(app, session, user, case_id, **body.model_dump()))


class NewDisclosure(BaseModel):
    share_decision_id: BodyId = None
    episode_id: BodyId = None


@router.post("/disclosures", status_code=201)
def start_disclosure(case_id: PathId, body: NewDisclosure, request: Request) -> dict[str, Any]:
    """Record a disclosure (P4) on the active consent or a recorded decision to share without it."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return instance_json(sharing.start_disclosure(app, session, user, case_id, **body.model_dump()))


@router.get("/disclosures")
def disclosure_register(case_id: PathId, request: Request) -> dict[str, Any]:
    """The case's disclosure register (R21, R22)."""
    with acting(request, write=False) as (session, user):
        return {"disclosures": [disclosure_json(d) for d in sharing.disclosures(session, user, case_id)]}


@router.post("/received-information", status_code=201)
def start_information_received(case_id: PathId, request: Request) -> dict[str, Any]:
    """Start recording information another agency disclosed to us (P5)."""
    app = safeshare_app(request)
    with acting(request) as (session, user):
        return instance_json(sharing.start_information_received(app, session, user, case_id))


@router.get("/received-information")
def received_information(case_id: PathId, request: Request) -> dict[str, Any]:
    """Information received on the case, with its restrictions (R23)."""
    with acting(request, write=False) as (session, user):
        return {"received": [received_json(r) for r in sharing.received_information_for(session, user, case_id)]}
