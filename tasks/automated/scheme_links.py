"""Automated steps of the case-link confirmation (R31) and of a suspected breach of an undertaking (R45)."""

from __future__ import annotations

from typing import Any

from safeshare.core.audit import record_event
from safeshare.core.errors import ModelError
from safeshare.core.records import SchemeApplication, SchemeCaseLink, UndertakingBreach
from safeshare.services.scheme_links import REVIEW_ACTIONS, tell_case_team
from tasks.automated.schemes import text
from tasks.operator_registry import TaskData
from workflows.context import ServiceContext

BREACH_ACTIONS = ("no_further_action", "speak_to_recipient", "written_warning", "seek_legal_advice")


class LinkAnswerData(TaskData):
    link_id: int
    link_confirmed: bool
    link_note: str | None = None


class OutcomeReviewData(TaskData):
    link_id: int
    team_action: str
    team_note: str


class BreachDecisionData(TaskData):
    breach_id: int
    breach_action: str
    breach_reasons: str


def record_case_link_answer(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R31: the case's team confirms (the application is linked, and told the outcome if it has ended)
    or does not (nothing changes for police staff, who see "not confirmed" either way)."""
    link = ctx.session.get(SchemeCaseLink, data["link_id"])
    if link is None or link.case_id is None or link.case_id != ctx.case_id:
        raise ModelError(f"Link request {data['link_id']} is not for this case", "Check the start data")
    application = ctx.session.get(SchemeApplication, link.application_id)
    if application is None:
        raise ModelError(f"Scheme application {link.application_id} is missing", "Check the start data")
    confirmed = data.get("link_confirmed") is True
    link.status = "confirmed" if confirmed else "declined"
    link.answered_at = ctx.clock.now()
    link.answered_by_id = ctx.actor.id if ctx.actor else None
    link.answer_note = text(data, "link_note") or None
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "scheme_case_link_answered",
        "The team confirmed a police scheme application is about a child on this case"
        if confirmed
        else "The team did not confirm a police scheme application is about a child on this case",
        case_id=link.case_id,
        detail={"link_id": link.id, "confirmed": confirmed},
    )
    if confirmed and application.linked_case_id is None:
        application.linked_case_id = link.case_id
        # an application that already ended: the team is told, and gets the review task, now
        tell_case_team(ctx.session, ctx.clock, ctx.actor, application, ctx.start_after)
    return link.status


def record_outcome_review(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R31: what the child's team will do after reviewing the outcome, on the link record and the case's trail."""
    link = ctx.session.get(SchemeCaseLink, data["link_id"])
    if link is None or link.case_id is None or link.case_id != ctx.case_id or link.status != "confirmed":
        raise ModelError(f"Link {data['link_id']} is not a confirmed link to this case", "Check the start data")
    action = str(data.get("team_action") or "")
    if action not in REVIEW_ACTIONS:
        raise ModelError(f"Unknown action {action!r}", "Choose one of the actions the form offers")
    link.review_action = action
    link.review_note = text(data, "team_note")
    link.reviewed_at = ctx.clock.now()
    link.reviewed_by_id = ctx.actor.id if ctx.actor else None
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "scheme_outcome_reviewed",
        f"The team reviewed a police disclosure outcome: {REVIEW_ACTIONS[action].lower()}",
        case_id=link.case_id,
        detail={"link_id": link.id, "action": action},
    )
    return True


def record_breach_decision(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R45: the police decision on a suspected breach, with its reasons, on the breach record."""
    breach = ctx.session.get(UndertakingBreach, data["breach_id"])
    if breach is None:
        raise ModelError(f"Breach record {data['breach_id']} is missing", "Check the start data")
    action = str(data.get("breach_action") or "")
    if action not in BREACH_ACTIONS:
        raise ModelError(f"Unknown action {action!r}", "Choose one of the actions the form offers")
    breach.action = action
    breach.reasons = text(data, "breach_reasons")
    breach.decided_at = ctx.clock.now()
    breach.decided_by_id = ctx.actor.id if ctx.actor else None
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        "scheme_breach_decided",
        f"Suspected breach of an undertaking: police decided ({action.replace('_', ' ')})",
        detail={"application_id": breach.application_id, "breach_id": breach.id, "action": action},
    )
    return True
