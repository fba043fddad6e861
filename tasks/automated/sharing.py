"""Automated steps of sharing: manager advice (P3), the decision to share without
consent (P2), the disclosure register (P4) and information received (P5).

Every handler checks the rule it stands for again, even where the form already
did, because the model can be reached by other routes (a call activity, a
service function): a refusal raises ``DomainRuleError`` and the step rolls back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules import enforce
from rules.scope import scope_is_named, scope_record
from rules.sharing import (
    STATUTORY,
    decided_by_the_practitioner,
    ground_label,
    in_doubt_consults,
    lawful_basis_for_sharing_without_consent,
    person_told_before_share,
    statutory_duty_or_order_named,
)
from safeshare.core.audit import record_event
from safeshare.core.clock import as_utc
from safeshare.core.errors import DomainRuleError
from safeshare.core.records import ManagerAdvice, ReceivedInformation, Role, ShareDecision
from safeshare.services.sharing import (
    RESTRICTION_LABELS,
    SHARING_OUTCOMES,
    check_disclosure,
    write_disclosure,
)
from safeshare.services.task_context import senior_manager_due
from workflows.context import ServiceContext


def _due(data: dict[str, Any], name: str) -> datetime:
    return as_utc(datetime.fromisoformat(str(data[name])))


def record_manager_advice(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R18: the advice and decision with reasons, on the case; who gave it, escalated or not, in time or not."""
    if ctx.actor is None:
        raise DomainRuleError("R18", "Advice can only be recorded from a manager's completed task", "Give the advice")
    if data.get("practitioner_user_id") == ctx.actor.id:  # separation of duties: not one's own consultation
        raise DomainRuleError(
            "R18", "You asked for this advice, so someone else must give it", "Ask another manager of your team"
        )
    reasons = str(data.get("advice_reasons") or "").strip()
    if data.get("advice_decision") not in ("share", "do_not_share", "seek_consent_first") or len(reasons) < 10:
        raise DomainRuleError(
            "R18", "The manager's decision and reasons must both be recorded", "Choose a decision and give reasons"
        )
    escalated = bool(data.get("escalation_due_at"))
    due_at = _due(data, "consultation_due_at")
    if escalated:  # R13, R16, R17: the senior manager's time frame runs from the escalation (the manager's deadline);
        # a task reissued after it passed keeps chasing, but does not move the time frame the child needs
        due_at = senior_manager_due(ctx.session, {**data, "case_id": ctx.case_id}, due_at)
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
    if route in ("share", "must_share", "not_shared", "seek_consent_first"):
        return str(route)
    raise DomainRuleError(
        "R11",
        "The decision to share without consent could not be worked out from your answers",
        "Answer the decision again",
    )


def _object(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = data.get(name)
    return dict(value) if isinstance(value, dict) and value else None


def record_share_decision(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """The practitioner's decision (R22), written with its grounds or public-interest judgement, its
    weighing (R11), the statute or order (R14), recipients (R19) and reasons; a share with no basis, no
    proportionality, or while the practitioner is in doubt (R13) is refused."""
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R22", "A decision to share is made by a practitioner on a case", "Open it from a case")
    enforce(in_doubt_consults(bool(data.get("in_doubt"))))
    advice = ctx.session.get(ManagerAdvice, data["manager_advice_id"]) if data.get("manager_advice_id") else None
    enforce(
        decided_by_the_practitioner(
            {r.value for r in ctx.actor.roles}, ctx.actor.id, advice.advised_by_id if advice else None
        )
    )
    outcome = _share_outcome(data)
    grounds = sorted(set(data.get("grounds") or []))
    judgement = _object(data, "public_interest")
    weighing = _object(data, "weighing")
    legal_basis = _object(data, "legal_basis")
    recipients = list(data.get("share_recipients") or [])
    if outcome in SHARING_OUTCOMES:
        enforce(lawful_basis_for_sharing_without_consent(grounds, judgement, weighing))
        enforce(statutory_duty_or_order_named(grounds, legal_basis, ctx.clock.now().date()))
        if not recipients:
            raise DomainRuleError(
                "R19", "A share without consent must name who receives it", "List each recipient who needs it"
            )
        enforce(scope_is_named(data.get("share_information"), data.get("share_purposes"),
                               ("share_information", "share_purposes")))
    if outcome == "must_share" and STATUTORY not in grounds:
        raise DomainRuleError("R14", "Only a statutory duty or court order makes sharing required", "Choose it")
    reasons = str(data.get("decision_reasons") or "").strip()
    decision = ShareDecision(
        case_id=ctx.case_id,
        episode_id=data.get("episode_id"),
        instance_id=ctx.instance.id,
        consent_record_id=data.get("consent_record_id"),
        consent_status=str(data.get("consent_outcome") or ("not_sought" if data.get("not_sought_reason") else "none")),
        outcome=outcome,
        grounds=grounds,
        public_interest=judgement,
        weighing=weighing if outcome in SHARING_OUTCOMES else None,
        legal_basis=legal_basis if STATUTORY in grounds else None,
        not_sought_ground=data.get("not_sought_ground"),
        not_sought_reason=data.get("not_sought_reason"),
        recipients=recipients if outcome in SHARING_OUTCOMES else [],
        what_to_share=str(data.get("what_to_share") or ""),
        scope=scope_record(data.get("share_information"), data.get("share_purposes"))
        if outcome in SHARING_OUTCOMES
        else None,
        reasons=reasons,
        manager_advice_id=advice.id if advice else None,
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
        f"{ctx.actor.display_name} decided on sharing without consent: {outcome.replace('_', ' ')}"
        + (f" ({'; '.join(ground_label(g) for g in grounds)})" if grounds else "")
        + (" (public-interest judgement)" if judgement and not grounds and outcome in SHARING_OUTCOMES else "")
        + (" after a manager's advice" if advice else ""),
        case_id=ctx.case_id,
        detail={"share_decision_id": decision.id, "outcome": outcome, "grounds": grounds},
    )
    return decision.id


def record_informing(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R14, R15: before a share the law requires, the person is told what will be shared, why and with
    whom, unless that would prejudice a crime investigation or put someone at risk: recorded either way."""
    decision = ctx.session.get(ShareDecision, data["share_decision_id"])
    assert decision is not None
    outcome = str(data.get("inform_outcome") or "")
    note = str(data.get("inform_note") or "").strip()
    enforce(person_told_before_share(outcome, note))
    decision.informed_outcome = outcome
    decision.informed_note = note or None
    decision.informed_recorded_at = ctx.clock.now()
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "individual_informed" if outcome == "told" else "individual_not_informed",
        {
            "told": "The person was told, before the share, what will be shared, why and with whom",
            "not_told_crime_investigation": "The person was not told: it would prejudice a crime investigation",
            "not_told_risk_of_harm": "The person was not told: it would put someone at risk of harm",
            "not_possible": "The person could not be told before the share",
        }[outcome],
        case_id=decision.case_id,
        detail={"share_decision_id": decision.id, "outcome": outcome},
    )
    return outcome


def record_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R6, R7, R19 to R22: check the share against consent or the decision, then write the register entry."""
    if ctx.actor is None or ctx.case_id is None:
        raise DomainRuleError("R21", "A disclosure is recorded by the person who made it, on a case", "Use a case")
    checked = check_disclosure(ctx.session, ctx.case_id, data, ctx.actor, ctx.clock.now())
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
