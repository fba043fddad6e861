"""Automated steps of sharing: manager advice (P3), the decision to share without
consent (P2), the disclosure register (P4) and information received (P5).

Every handler checks the rule it stands for again, even where the form already
did, because the model can be reached by other routes (a call activity, a
service function): a refusal raises ``DomainRuleError`` and the step rolls back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from safeshare.audit import record_event
from safeshare.clock import as_utc
from safeshare.errors import DomainRuleError
from safeshare.records import ManagerAdvice, ReceivedInformation, Role, ShareDecision
from safeshare.services.sharing import (
    GROUND_LABELS,
    RESTRICTION_LABELS,
    check_disclosure,
    write_disclosure,
)
from workflows.context import ServiceContext


def _due(data: dict[str, Any], name: str) -> datetime:
    return as_utc(datetime.fromisoformat(str(data[name])))


def record_manager_advice(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R18: the advice and decision with reasons, on the case; who gave it, escalated or not, in time or not."""
    if ctx.actor is None:
        raise DomainRuleError("R18", "Advice can only be recorded from a manager's completed task", "Give the advice")
    reasons = str(data.get("advice_reasons") or "").strip()
    if data.get("advice_decision") not in ("share", "do_not_share", "seek_consent_first") or len(reasons) < 10:
        raise DomainRuleError(
            "R18", "The manager's decision and reasons must both be recorded", "Choose a decision and give reasons"
        )
    escalated = bool(data.get("escalation_due_at"))
    due_at = _due(data, "escalation_due_at" if escalated else "consultation_due_at")
    now = ctx.clock.now()
    advice = ManagerAdvice(
        case_id=ctx.case_id,
        instance_id=ctx.instance.id,
        question=str(data.get("question") or ""),
        urgency=str(data.get("urgency") or ""),
        requested_by_id=data.get("practitioner_user_id"),
        decision=data["advice_decision"],
        reasons=reasons,
        advised_by_id=ctx.actor.id,
        advised_role=(Role.SENIOR_MANAGER if escalated else Role.MANAGER).value,
        escalated=escalated,
        due_at=due_at,
        within_deadline=now <= due_at,
        advised_at=now,
    )
    ctx.session.add(advice)
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "manager_advice_recorded",
        f"{'Escalated advice' if escalated else 'Manager advice'}: {advice.decision.replace('_', ' ')} "
        f"({'within' if advice.within_deadline else 'after'} the deadline)",
        case_id=ctx.case_id,
        detail={"advice_id": advice.id, "decision": advice.decision, "escalated": escalated},
    )
    return advice.id


def _share_outcome(data: dict[str, Any]) -> str:
    route = data.get("share_route")
    if route in ("share", "must_share", "blocked", "not_shared_on_advice", "seek_consent_first"):
        return str(route)
    if route == "consult":
        advice = data.get("advice_decision")
        if advice == "do_not_share":
            return "not_shared_on_advice"
        if advice == "seek_consent_first":
            return "seek_consent_first"
    raise DomainRuleError(
        "R10",
        "The decision to share without consent could not be worked out from the grounds and advice",
        "Record the grounds (R10) or the public-interest judgement (R11) again",
    )


def _public_interest(data: dict[str, Any]) -> dict[str, Any] | None:
    judgement = data.get("public_interest")
    return dict(judgement) if isinstance(judgement, dict) and judgement else None


def record_share_decision(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R10 to R14: write the decision, its grounds or public-interest judgement, and why; refuse a share
    with neither (R10, R11) and a share with no named recipient (R19)."""
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R10", "A decision to share is made by a practitioner on a case", "Open it from a case")
    outcome = _share_outcome(data)
    grounds = sorted(set(data.get("grounds") or []))
    unknown = [g for g in grounds if g not in GROUND_LABELS]
    if unknown:
        raise DomainRuleError("R10", f"Unknown grounds {unknown}", f"Choose from {', '.join(GROUND_LABELS)}")
    judgement = _public_interest(data)
    proportionate = bool(judgement and judgement.get("proportionate"))
    recipients = list(data.get("share_recipients") or [])
    if outcome in ("share", "must_share"):
        if not grounds and not proportionate:
            raise DomainRuleError(
                "R10",
                "Information cannot be shared without consent unless a ground applies or sharing is a "
                "proportionate response in the public interest",
                "Select a ground (R10 a to g) or record the public-interest judgement (R11)",
            )
        if not recipients:
            raise DomainRuleError(
                "R19", "A share without consent must name who receives it", "List each recipient who needs it"
            )
    if outcome == "must_share" and "g" not in grounds:
        raise DomainRuleError("R14", "Only a statutory duty or court order makes sharing mandatory", "Select ground g")
    reasons = str(data.get("decision_reasons") or "").strip()
    if outcome == "blocked":
        reasons = (reasons + " " if reasons else "") + (
            "Blocked: no ground from R10 applies and no proportionate public-interest case (R11) was made."
        )
    elif outcome in ("not_shared_on_advice", "seek_consent_first"):
        reasons = (reasons + " " if reasons else "") + f"Manager's advice: {data.get('advice_reasons', '')}"
    decision = ShareDecision(
        case_id=ctx.case_id,
        episode_id=data.get("episode_id"),
        instance_id=ctx.instance.id,
        consent_record_id=data.get("consent_record_id"),
        consent_status=str(data.get("consent_outcome") or "none"),
        outcome=outcome,
        grounds=grounds,
        public_interest=judgement,
        recipients=recipients if outcome in ("share", "must_share") else [],
        what_to_share=str(data.get("what_to_share") or ""),
        reasons=reasons,
        manager_advice_id=data.get("manager_advice_id"),
        decided_by_id=ctx.actor.id,
        decided_at=ctx.clock.now(),
    )
    ctx.session.add(decision)
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "share_decision_recorded",
        f"Decision on sharing without consent: {outcome.replace('_', ' ')}"
        + (f" on grounds {', '.join(grounds)}" if grounds else "")
        + (" (public-interest judgement)" if proportionate and not grounds else ""),
        case_id=ctx.case_id,
        detail={"share_decision_id": decision.id, "outcome": outcome, "grounds": grounds},
    )
    return decision.id


def record_informing(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R14, R15: after a share under duty, the individual is told what, why and to whom, unless
    telling them would prejudice a crime investigation or is impossible: either way it is recorded."""
    decision = ctx.session.get(ShareDecision, data["share_decision_id"])
    assert decision is not None
    outcome = data["inform_outcome"]
    note = str(data.get("inform_note") or "").strip()
    if outcome != "informed" and len(note) < 10:
        raise DomainRuleError(
            "R15" if outcome == "not_informed_crime_prejudice" else "R14",
            "Say why the individual was not told about the share",
            "Record the reason, e.g. what the police advised",
        )
    decision.informed_outcome = outcome
    decision.informed_note = note or None
    decision.informed_recorded_at = ctx.clock.now()
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "individual_informed" if outcome == "informed" else "individual_not_informed",
        {
            "informed": "The individual was told what was shared, why and to whom",
            "not_informed_crime_prejudice": "The individual was not told: it would prejudice a crime investigation",
            "not_possible": "The individual could not be told",
        }[outcome],
        case_id=decision.case_id,
        detail={"share_decision_id": decision.id, "outcome": outcome},
    )
    return str(outcome)


def record_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R6, R7, R19 to R22: check the share against consent or the decision, then write the register entry."""
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R21", "A disclosure is recorded by the person who made it, on a case", "Use a case")
    checked = check_disclosure(ctx.session, ctx.case_id, data)
    disclosure = write_disclosure(ctx.session, ctx.clock, ctx.actor, ctx.instance.id, checked)
    return disclosure.id


def record_received_information(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R23: what was received, from whom, whether without consent and why, and its restrictions."""
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R23", "Information received is recorded on a case", "Open it from a case")
    restrictions = []
    for item in data.get("received_restrictions") or []:
        code = item["code"]
        if code == "not_to_named_person" and not str(item.get("person") or "").strip():
            raise DomainRuleError(
                "R23", "A 'not to be disclosed to a named person' restriction needs the person's name", "Name them"
            )
        restrictions.append(
            {
                "code": code,
                "text": RESTRICTION_LABELS[code],
                **({"person": item["person"]} if item.get("person") else {}),
            }
        )
    without_consent = bool(data.get("received_without_consent"))
    record = ReceivedInformation(
        case_id=ctx.case_id,
        instance_id=ctx.instance.id,
        details=str(data["received_details"]),
        provided_by_agency=str(data["provided_by_agency"]),
        provided_by_person=data.get("provided_by_person"),
        received_at=ctx.clock.now(),
        without_consent=without_consent,
        reasons_given=data.get("reasons_given") if without_consent else None,
        restrictions=restrictions,
        recorded_by_id=ctx.actor.id,
        recorded_at=ctx.clock.now(),
    )
    ctx.session.add(record)
    ctx.session.flush()
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "information_received_recorded",
        f"Information received from {record.provided_by_agency}"
        + (" without consent" if without_consent else "")
        + (f"; restrictions: {', '.join(r['text'] for r in restrictions)}" if restrictions else ""),
        case_id=ctx.case_id,
        detail={"received_information_id": record.id, "restrictions": [r["code"] for r in restrictions]},
    )
    return record.id
