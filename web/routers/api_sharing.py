"""Sharing on a case (P2 to P5): start a consultation, a decision to share without consent, a disclosure
record or a record of information received; read the disclosure register and information received."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from safeshare.services import consent, sharing
from web import api_models as out
from web.dependencies import ReadUnit, WriteUnit
from web.params import BodyId, BodyText, PathId
from web.serializers import disclosure_json, instance_json, received_json

router = APIRouter(prefix="/api/cases/{case_id}", tags=["sharing"], responses=out.SIGNED_IN_ERRORS)


class Consultation(BaseModel):
    urgency: Literal["immediate_risk", "urgent", "standard"]
    question: BodyText = Field(min_length=10, max_length=4000)


@router.post("/consultations", status_code=201, response_model=out.Instance)
def start_consultation(case_id: PathId, body: Consultation, unit: WriteUnit) -> dict[str, Any]:
    """Ask a manager for advice, due by the urgency's deadline."""
    return instance_json(
        sharing.start_manager_consultation(unit.app, unit.session, unit.user, case_id, **body.model_dump())
    )


class ShareWithoutConsent(BaseModel):
    """Consent is the first option: on a case where consent was never sought, say why it is not being sought."""

    episode_id: BodyId = None
    not_sought_ground: Literal["crime_investigation", "immediate_risk_to_child", "statutory_duty"] | None = None
    not_sought_reason: BodyText | None = Field(default=None, max_length=4000)


@router.post("/shares-without-consent", status_code=201, response_model=out.Instance)
def start_share_without_consent(case_id: PathId, body: ShareWithoutConsent, unit: WriteUnit) -> dict[str, Any]:
    """Decide whether to share without consent (a lawful ground, or the public-interest test)."""
    return instance_json(
        sharing.start_share_without_consent(unit.app, unit.session, unit.user, case_id, **body.model_dump())
    )


class NewDisclosure(BaseModel):
    share_decision_id: BodyId = None
    episode_id: BodyId = None


@router.post("/disclosures", status_code=201, response_model=out.Instance)
def start_disclosure(case_id: PathId, body: NewDisclosure, unit: WriteUnit) -> dict[str, Any]:
    """Record a disclosure on the active consent or a recorded decision to share without it."""
    return instance_json(sharing.start_disclosure(unit.app, unit.session, unit.user, case_id, **body.model_dump()))


@router.get("/disclosures", response_model=out.DisclosureRegister)
def disclosure_register(case_id: PathId, unit: ReadUnit) -> dict[str, Any]:
    """The case's disclosure register."""
    return {"disclosures": [disclosure_json(d) for d in sharing.disclosures(unit.session, unit.user, case_id)]}


@router.post("/received-information", status_code=201, response_model=out.Instance)
def start_information_received(case_id: PathId, unit: WriteUnit) -> dict[str, Any]:
    """Start recording information another agency disclosed to us."""
    return instance_json(sharing.start_information_received(unit.app, unit.session, unit.user, case_id))


@router.get("/received-information", response_model=out.ReceivedList)
def received_information(case_id: PathId, unit: ReadUnit) -> dict[str, Any]:
    """Information received on the case, with its restrictions."""
    found = sharing.received_information_for(unit.session, unit.user, case_id)
    return {"received": [received_json(r) for r in found]}


class ConsentWithdrawal(BaseModel):
    """The person withdraws their consent: how they told us, and anything they said."""

    how: Literal["in_person", "phone", "in_writing", "email"]
    note: BodyText = Field(default="", max_length=4000)


class ShareAlreadyMade(BaseModel):
    id: int
    recipient_agency: str
    made_at: datetime


class WithdrawnConsent(BaseModel):
    consent_id: int
    status: str
    withdrawn_at: datetime
    shares_already_made: list[ShareAlreadyMade]


@router.post("/consents/{consent_id}/withdrawal", status_code=201, response_model=WithdrawnConsent)
def withdraw_consent(case_id: PathId, consent_id: PathId, body: ConsentWithdrawal, unit: WriteUnit) -> dict[str, Any]:
    """Withdraw consent at any time: no later share may rest on it; the shares already made are listed."""
    done = consent.withdraw_consent(
        unit.session, unit.app.clock, unit.user, case_id, consent_id, how=body.how, note=body.note
    )
    return {
        "consent_id": done.consent.id,
        "status": done.consent.status,
        "withdrawn_at": done.consent.withdrawn_at,
        "shares_already_made": [
            {"id": d.id, "recipient_agency": d.recipient_agency, "made_at": d.made_at} for d in done.shares_made
        ],
    }
