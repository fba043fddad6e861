"""Automated steps of a referral to children's social care (P9, R41) and of a request between
agencies (P10, R46).

Every handler checks its rule again (``rules/referrals.py``), because a model can be reached by
other routes than the page: a refusal raises ``DomainRuleError`` and the whole step rolls back.
What is shared with children's social care, and an answer given to another agency, is written to
the disclosure register by the one writer (``safeshare.services.sharing.write_disclosure``).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select

from rules import enforce
from rules.referrals import (
    REFERRAL_CONSENT,
    REFERRAL_DECISIONS,
    acted_at_once,
    moment,
    referral_basis,
    request_complete,
    response_in_order,
)
from rules.scope import share_within_scope
from rules.sharing import disclosure_entry_complete
from safeshare.core.audit import record_event
from safeshare.core.deadlines import policy_for
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import AgencyRequest, Referral, ShareDecision, User
from safeshare.services.sharing import (
    SHARING_OUTCOMES,
    CheckedDisclosure,
    active_consent,
    check_disclosure,
    check_recipient,
    write_disclosure,
)
from tasks.operator_registry import Parameters, TaskData
from workflows.context import ServiceContext

#: The ground a referral without consent rests on: a concern about significant harm to the child (R10 a, R41).
REFERRAL_GROUND = "harm_to_child"
#: What a referral is for and what it shares (R19): a concern about harm, to protect the child.
REFERRAL_PURPOSE = "protect_from_harm"


class ImmediateActionData(TaskData):
    police_called: bool | None = None
    duty_team_told: bool | None = None
    actions_taken: str | None = None


class ReferralData(TaskData):
    immediate_risk: bool | None = None
    referral_concern: str | None = None
    receiving_team: str | None = None
    receiving_contact: str | None = None
    referral_method: str | None = None
    referral_made_at: str | None = None
    referral_consent: str | None = None
    referral_consent_note: str | None = None
    team_told_consent_status: bool | None = None


class ReferralRef(TaskData):
    referral_id: int


class DeadlineWhich(Parameters):
    """``which``: the response deadline itself, or the reminder before it."""

    which: Literal["deadline", "reminder"] = "deadline"


class ResponseStage(Parameters):
    """``stage``: the team's acknowledgement, or its decision."""

    stage: Literal["acknowledgement", "decision"]


def _actor(ctx: ServiceContext) -> User:
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R41", "A referral is made by a practitioner on a case", "Start it from the case")
    return ctx.actor


def record_immediate_action(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R41: on immediate risk the police or the duty team were contacted at once; the audit trail says so."""
    actor = _actor(ctx)
    facts = ImmediateActionData.model_validate(data)
    enforce(acted_at_once(bool(facts.police_called), bool(facts.duty_team_told), facts.actions_taken))
    done = [
        words
        for flag, words in ((facts.police_called, "police called on 999"), (facts.duty_team_told, "duty team told"))
        if flag
    ]
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "referral_immediate_action",
        f"Immediate risk: {' and '.join(done)}",
        case_id=ctx.case_id,
        detail={"police_called": bool(facts.police_called), "duty_team_told": bool(facts.duty_team_told)},
    )
    return True


def record_referral(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R41, R21, R22: the referral and its entry on the disclosure register, without consent where consent
    was refused or not sought (the ground, the reason, and that the team was told)."""
    actor = _actor(ctx)
    assert ctx.case_id is not None
    facts = ReferralData.model_validate(data)
    now = ctx.clock.now()
    team = (facts.receiving_team or "").strip()
    contact = (facts.receiving_contact or "").strip()
    enforce(disclosure_entry_complete(facts.referral_made_at, now, None, True, team, contact))
    consent = active_consent(ctx.session, ctx.case_id) if facts.referral_consent == "given" else None
    enforce(
        referral_basis(
            facts.referral_consent, consent is not None, facts.referral_consent_note, facts.team_told_consent_status
        )
    )
    if consent is not None:
        check_recipient(consent, None, team, contact, acknowledged=False)  # R6, R7: consent names the team
    concern = (facts.referral_concern or "").strip()
    if len(concern) < 10:
        raise DomainRuleError("R41", "Say what your concern is", "Describe what you have seen or been told")
    items = [{"content": concern, "kind": "opinion", "information_kind": "concerns_about_harm"}]
    if consent is not None:  # R19: a referral on consent stays inside what the consent covers
        enforce(share_within_scope("the consent", consent.scope, REFERRAL_PURPOSE, items))
    made_at = moment(facts.referral_made_at)
    assert made_at is not None
    without_consent = consent is None
    disclosure = write_disclosure(
        ctx.session,
        ctx.clock,
        actor,
        ctx.instance.id,
        CheckedDisclosure(
            case_id=ctx.case_id,
            basis="without_consent" if without_consent else "consent",
            consent=consent,
            decision=None,
            recipient_agency=team,
            recipient_contact=contact,
            method=str(facts.referral_method),
            purpose="Referral to children's social care",
            items=items,
            told_consent_status=True if without_consent else None,
            made_at=made_at,
            made_by=actor,
            purpose_kind=REFERRAL_PURPOSE,
        ),
    )
    if without_consent:
        disclosure.grounds = [REFERRAL_GROUND]
        disclosure.decision_summary = (
            f"Referral to children's social care ({REFERRAL_CONSENT[str(facts.referral_consent)].lower()}): "
            f"{(facts.referral_consent_note or '').strip()}"
        )
    referral = Referral(
        case_id=ctx.case_id,
        instance_id=ctx.instance.id,
        immediate_risk=bool(facts.immediate_risk),
        immediate_actions=(
            {
                "police_called": bool(data.get("police_called")),
                "duty_team_told": bool(data.get("duty_team_told")),
                "actions_taken": str(data.get("actions_taken") or ""),
            }
            if facts.immediate_risk
            else None
        ),
        concern=concern,
        receiving_team=team,
        receiving_contact=contact,
        method=str(facts.referral_method),
        consent_status=str(facts.referral_consent),
        consent_record_id=consent.id if consent else None,
        consent_note=(facts.referral_consent_note or "").strip() or None,
        disclosure_id=disclosure.id,
        made_at=made_at,
        made_by_id=actor.id,
        response_due_at=policy_for(ctx.session).deadline("referral_response", None, made_at),
    )
    ctx.session.add(referral)
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "referral_made",
        f"Referral to {team} ({'without consent' if without_consent else 'with consent'}"
        f"{', immediate risk' if facts.immediate_risk else ''})",
        case_id=ctx.case_id,
        detail={"referral_id": referral.id, "disclosure_id": disclosure.id, "consent": facts.referral_consent},
    )
    return referral.id


def _referral(ctx: ServiceContext, data: dict[str, Any]) -> Referral:
    referral = ctx.session.get(Referral, ReferralRef.model_validate(data).referral_id)
    if referral is None or referral.case_id != ctx.case_id:
        raise DomainRuleError("R41", "The referral is not on this case", "Open it from its case")
    return referral


def referral_deadline(ctx: ServiceContext, data: dict[str, Any], params: DeadlineWhich) -> str:
    """When the team's acknowledgement and decision are due (one working day from the referral), or the
    reminder before it, as ISO text for the timers."""
    referral = _referral(ctx, data)
    if params.which == "deadline":
        return referral.response_due_at.isoformat()
    return policy_for(ctx.session).reminder("referral_response", None, referral.made_at).isoformat()


def record_referral_response(ctx: ServiceContext, data: dict[str, Any], params: ResponseStage) -> bool:
    """R41: the receiving team's acknowledgement, then its decision, each as reported, with when and who;
    whether it came within the working day is kept with it."""
    actor = _actor(ctx)
    referral = _referral(ctx, data)
    now = ctx.clock.now()
    if params.stage == "acknowledgement":
        enforce(response_in_order(data.get("acknowledged_at"), referral.made_at, now, "acknowledged_at"))
        referral.acknowledged_at = moment(data["acknowledged_at"])
        referral.acknowledged_by = str(data.get("acknowledged_by") or "").strip()
        late = referral.acknowledged_at is not None and referral.acknowledged_at > referral.response_due_at
        summary = f"Referral acknowledged by {referral.acknowledged_by}{' (late)' if late else ''}"
        event = "referral_acknowledged"
    else:
        decision = str(data.get("referral_decision") or "")
        if decision not in REFERRAL_DECISIONS:
            raise DomainRuleError("R41", "Choose what children's social care decided", "Choose one of the answers")
        enforce(response_in_order(data.get("decided_at"), referral.made_at, now, "decided_at"))
        referral.decision = decision
        referral.decision_at = moment(data["decided_at"])
        referral.decision_by = str(data.get("decided_by") or "").strip()
        referral.decision_note = str(data.get("decision_note") or "").strip()
        late = referral.decision_at is not None and referral.decision_at > referral.response_due_at
        summary = f"Children's social care decided: {REFERRAL_DECISIONS[decision]}{' (late)' if late else ''}"
        event = "referral_decided"
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        event,
        summary,
        case_id=ctx.case_id,
        detail={"referral_id": referral.id, "late": late},
    )
    return True


def record_referral_follow_up(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R41: a manager's follow-up of a response later than one working day, kept on the referral."""
    actor = _actor(ctx)
    referral = _referral(ctx, data)
    action = str(data.get("follow_up_action") or "").strip()
    if len(action) < 10:
        raise DomainRuleError("R41", "Say what you did to follow up the referral", "Describe who you contacted")
    now = ctx.clock.now()
    referral.follow_ups = [
        *(referral.follow_ups or []),
        {"at": now.isoformat(), "by_id": actor.id, "by": actor.display_name, "action": action},
    ]
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "referral_followed_up",
        f"Late response from children's social care followed up by {actor.display_name}",
        case_id=ctx.case_id,
        detail={"referral_id": referral.id},
    )
    return True


# -- P10: a request from another agency (R46) ----------------------------------------------------------


class RequestData(TaskData):
    request: dict[str, Any]
    request_direction: Literal["inbound", "outbound"] = "inbound"
    request_reference: str | None = None


class RequestRef(TaskData):
    request_id: int


class AnswerData(TaskData):
    request_id: int
    answer_decision: str | None = None
    answer_basis: str | None = None
    answer_text: str | None = None
    answer_kind: str | None = None
    answer_information_kind: str | None = None
    answer_purpose_kind: str | None = None
    answer_method: str | None = None
    answered_at: str | None = None
    recipient_told_consent_status: bool | None = None
    decline_reason: str | None = None


def record_agency_request(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R46: who asks, for what purpose, on what lawful basis, and by when the answer is due."""
    actor = _actor(ctx)
    assert ctx.case_id is not None
    started = RequestData.model_validate(data)
    asked = started.request
    outbound = started.request_direction == "outbound"
    if outbound and not (started.request_reference or "").strip():
        raise DomainRuleError("R46", "A request we send needs its reference", "Start it from the case page")
    now = ctx.clock.now()
    enforce(
        request_complete(
            asked.get("agency"), asked.get("purpose"), asked.get("lawful_basis"), asked.get("due_at"), now.date()
        )
    )
    due_at = moment(asked["due_at"])
    assert due_at is not None
    request = AgencyRequest(
        case_id=ctx.case_id,
        instance_id=ctx.instance.id,
        direction=started.request_direction,
        reference=started.request_reference.strip() if outbound and started.request_reference else None,
        agency=str(asked["agency"]).strip(),
        contact=str(asked.get("contact") or "").strip(),
        purpose=str(asked["purpose"]).strip(),
        lawful_basis=str(asked["lawful_basis"]).strip(),
        asked=str(asked.get("asked") or "").strip(),
        received_at=now,
        due_at=due_at,
        recorded_by_id=actor.id,
    )
    ctx.session.add(request)
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "agency_request_sent" if outbound else "agency_request_recorded",
        (f"Request for information sent to {request.agency} (reference {request.reference})" if outbound
         else f"Request for information from {request.agency}")
        + f", answer due {due_at:%d %B %Y %H:%M} UTC",
        case_id=ctx.case_id,
        detail={"request_id": request.id, "direction": request.direction, "reference": request.reference},
    )
    return request.id


def _request(ctx: ServiceContext, data: dict[str, Any]) -> AgencyRequest:
    request = ctx.session.get(AgencyRequest, RequestRef.model_validate(data).request_id)
    if request is None or request.case_id != ctx.case_id:
        raise DomainRuleError("R46", "The request is not on this case", "Open it from its case")
    return request


def request_deadline(ctx: ServiceContext, data: dict[str, Any], params: DeadlineWhich) -> str:
    """The answer's deadline as the agency set it, or the reminder halfway to it, as ISO text for the timers."""
    request = _request(ctx, data)
    if params.which == "deadline":
        return request.due_at.isoformat()
    return (request.received_at + (request.due_at - request.received_at) / 2).isoformat()


def _answer_basis(ctx: ServiceContext, case_id: int, basis: str | None) -> dict[str, Any]:
    """The consent in force, or the latest decision to share without consent, an answer rests on (R10)."""
    if basis == "consent":
        consent = active_consent(ctx.session, case_id)
        return {"consent_record_id": consent.id if consent else None}
    if basis == "decision":
        decision = ctx.session.scalar(
            select(ShareDecision)
            .where(ShareDecision.case_id == case_id, ShareDecision.outcome.in_(SHARING_OUTCOMES))
            .order_by(ShareDecision.id.desc())
            .limit(1)
        )
        if decision is None:
            raise DomainRuleError(
                "R10",
                "There is no recorded decision to share without consent on this case",
                "Decide whether to share without consent from the case page first, or answer on consent",
            )
        return {"share_decision_id": decision.id}
    raise DomainRuleError("R46", "Say on what basis you are answering", "Choose consent or a recorded decision")


def record_request_answer(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R46, R21, R22: an answer is a disclosure on the register after every check a share makes; a request
    declined keeps the reason."""
    actor = _actor(ctx)
    assert ctx.case_id is not None
    request = _request(ctx, data)
    answer = AnswerData.model_validate(data)
    now = ctx.clock.now()
    enforce(response_in_order(answer.answered_at, request.received_at, now, "answered_at"))
    answered_at = moment(answer.answered_at)
    if answer.answer_decision == "decline":
        reason = (answer.decline_reason or "").strip()
        if len(reason) < 10:
            raise DomainRuleError("R46", "Say why you are declining the request", "Give the reason")
        request.outcome, request.outcome_note, request.answered_at = "declined", reason, answered_at
        summary = f"Request from {request.agency} declined: {reason}"
    elif answer.answer_decision == "answer":
        checked = check_disclosure(
            ctx.session,
            ctx.case_id,
            {
                **_answer_basis(ctx, ctx.case_id, answer.answer_basis),
                "made_at": answer.answered_at,
                "recipient_agency": request.agency,
                "recipient_contact": request.contact,
                "disclosure_method": answer.answer_method,
                "disclosure_purpose": f"Answer to a request: {request.purpose}",
                "disclosure_purpose_kind": answer.answer_purpose_kind,
                "disclosed_items": [
                    {
                        "content": (answer.answer_text or "").strip(),
                        "kind": answer.answer_kind,
                        "information_kind": answer.answer_information_kind,
                    }
                ],
                "recipient_told_consent_status": answer.recipient_told_consent_status,
            },
            actor,
            now,
        )
        disclosure = write_disclosure(ctx.session, ctx.clock, actor, ctx.instance.id, checked)
        request.outcome, request.answered_at, request.disclosure_id = "answered", answered_at, disclosure.id
        request.outcome_note = f"Answered by {checked.method.replace('_', ' ')}"
        summary = f"Request from {request.agency} answered (disclosure recorded)"
    else:
        raise DomainRuleError("R46", "Say whether you will answer the request", "Choose answer or decline")
    late = answered_at is not None and answered_at > request.due_at
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "agency_request_answered",
        summary + (" after the deadline" if late else ""),
        case_id=ctx.case_id,
        detail={"request_id": request.id, "outcome": request.outcome, "late": late},
    )
    return True


# -- P10: the answer to a request we sent to another agency (R46) ------------------------------------------


class ReceivedAnswerData(TaskData):
    request_id: int
    agency_answer: dict[str, Any]


def record_agency_answer(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R46, R40: the other agency's answer, delivered to this instance by its reference (the message's
    correlation), is kept on the request: what they said or that they declined, who gave it, when, and
    who recorded it; the chronology shows it."""
    actor = _actor(ctx)
    assert ctx.case_id is not None
    received = ReceivedAnswerData.model_validate(data)
    request = _request(ctx, data)
    if request.direction != "outbound" or request.outcome is not None:
        raise DomainRuleError("R46", "This request is not waiting for an answer", "Open the case to see its answer")
    answer = received.agency_answer
    outcome = str(answer.get("outcome") or "")
    text, given_by = str(answer.get("text") or "").strip(), str(answer.get("answered_by") or "").strip()
    if outcome not in ("answered", "declined") or not text or not given_by:
        raise DomainRuleError(
            "R46", "An answer says whether they answered, what they said and who gave it", "Record the answer again"
        )
    answered_at = moment(str(answer.get("answered_at") or "")) or ctx.clock.now()
    request.outcome, request.answer_text, request.answered_by = outcome, text, given_by
    request.answered_at, request.answer_recorded_by_id = answered_at, actor.id
    late = answered_at > request.due_at
    record_event(
        ctx.session,
        ctx.clock,
        actor,
        "agency_request_answer_received",
        f"{request.agency} {'answered' if outcome == 'answered' else 'declined'} our request "
        f"(reference {request.reference}){' after the deadline' if late else ''}",
        case_id=ctx.case_id,
        detail={"request_id": request.id, "reference": request.reference, "outcome": outcome, "late": late},
    )
    return True
