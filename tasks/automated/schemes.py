"""Automated steps of the police disclosure schemes (CSOR, DVDS) up to the decision: each stage's record,
the identity check at the applicant's meeting, and the rules a decision must pass (R25 to R37).

Every check runs here, in the step's transaction, so a refusal rolls the whole step
back: the task stays open and nothing is written. The meeting, the police decision after a
refusal to sign, the letters and the time limit are in :mod:`tasks.automated.scheme_outcomes`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from notifications.outbox import enqueue
from rules import enforce
from rules.schemes import forum_met_on, meeting_day
from safeshare.core.audit import record_event
from safeshare.core.errors import DomainRuleError, ModelError
from safeshare.core.records import Role, SchemeApplication, User, UserRole
from safeshare.services.scheme_letters import letter_recipient, produce_document
from safeshare.services.scheme_links import tell_case_team
from tasks.operator_registry import Parameters
from workflows.context import ServiceContext

ROUTE_NAMES = {"csor": "CSOR", "right_to_ask": "DVDS right to ask", "right_to_know": "DVDS right to know"}
FORUM_NAMES = {
    "dvds_panel": "the DVDS panel",
    "marac": "MARAC",
    "police_alone_on_immediate_risk": "police alone, because of immediate risk",
}


def application_of(ctx: ServiceContext, data: dict[str, Any]) -> SchemeApplication:
    application = ctx.session.get(SchemeApplication, data["application_id"])
    if application is None:
        raise ModelError(f"Scheme application {data['application_id']} is missing", "Check the start data")
    return application


def actor_stamp(ctx: ServiceContext) -> dict[str, Any]:
    """Who recorded a stage and when: kept with every stage's record."""
    return {
        "by": ctx.actor.display_name if ctx.actor else "system",
        "by_id": ctx.actor.id if ctx.actor else None,
        "at": ctx.clock.now().isoformat(),
    }


def audit(ctx: ServiceContext, application: SchemeApplication, event: str, summary: str, **detail: Any) -> None:
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        event,
        f"{application.reference}: {summary}",
        detail={"application_id": application.id, **detail},
    )


def text(data: dict[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


STAGE_FIELDS = {
    "initial_checks": (
        "checks",
        "crime_reported",
        "immediate_risk",
        "risk_tool",
        "initial_risk_level",
        "initial_checks_summary",
    ),
    "risk_assessment": (
        "relevant_convictions",
        "information_indicates_risk",
        "agencies_consulted",
        "risk_level",
        "risk_summary",
    ),
}


class StageParameters(Parameters):
    """``stage``: which stage's findings to keep (a key of ``STAGE_FIELDS``)."""

    stage: Literal["initial_checks", "risk_assessment"]


def record_scheme_stage(ctx: ServiceContext, data: dict[str, Any], params: StageParameters) -> bool:
    """Keeps what the stage found on the application, with who and when."""
    stage = params.stage
    application = application_of(ctx, data)
    setattr(application, stage, {k: data.get(k) for k in STAGE_FIELDS[stage] if k in data} | actor_stamp(ctx))
    audit(ctx, application, f"scheme_{stage}_recorded", f"{stage.replace('_', ' ')} recorded")
    return True


def check_identity_documents(data: dict[str, Any], who: str, field: str = "identity_documents") -> list[dict[str, Any]]:
    """R34: identity is verified with two documents, at least one with a photo."""
    documents = list(data.get(field) or [])
    if len(documents) < 2 or not any(d.get("has_photo") for d in documents):
        raise DomainRuleError(
            "R34",
            f"The {who}'s identity is verified with two documents, at least one with a photo",
            "Record both documents seen, or record that their identity is not verified",
        )
    return documents


def not_verified_next_step(
    ctx: ServiceContext, application: SchemeApplication, data: dict[str, Any], stage: str
) -> str:
    """Identity not verified: the meeting is re-arranged, or the application closed with a letter."""
    step = data.get("next_step")
    attempt = {
        "stage": stage,
        "next_step": step,
        "rearranged_for": text(data, "rearranged_for") or None,
        "closure_reason": text(data, "closure_reason") or None,
    } | actor_stamp(ctx)
    detail = dict(application.outcome_detail or {})
    detail["unverified_meetings"] = [*detail.get("unverified_meetings", []), attempt]
    application.outcome_detail = detail
    if step == "rearrange":
        audit(ctx, application, "scheme_meeting_rearranged", f"identity not verified; meeting re-arranged ({stage})")
        return "rearrange"
    if step == "close":
        close_with_letter(ctx, application, text(data, "closure_reason"), data)
        return "close"
    raise ModelError(f"{ctx.task_spec}: next step {step!r} after an unverified identity", "Check the form")


def record_identity_check(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """Stage 3, R34: the applicant's identity at the face-to-face meeting; never a dead end."""
    application = application_of(ctx, data)
    if not data.get("identity_verified"):
        application.identity_check = {"verified": False, "notes": data.get("meeting_notes")} | actor_stamp(ctx)
        return not_verified_next_step(ctx, application, data, "face_to_face")
    documents = check_identity_documents(data, "applicant")
    application.identity_check = {
        "verified": True,
        "documents": documents,
        "notes": data.get("meeting_notes"),
    } | actor_stamp(ctx)
    audit(ctx, application, "scheme_identity_checked", "applicant's identity verified")
    return "verified"


def _recipient_dvds(application: SchemeApplication, data: dict[str, Any]) -> dict[str, Any]:
    """R28: the person at risk, or someone able to safeguard them, chosen among the application's parties."""
    choice = data.get("recipient")
    at_risk = (application.person_at_risk or {}).get("name") or ""
    if choice == "person_at_risk":
        return {"party": "person_at_risk", "name": at_risk, "relationship": "the person at risk"}
    if choice == "applicant":
        if application.route == "right_to_know":
            raise DomainRuleError(
                "R28",
                "The agency that asked cannot receive a disclosure",
                "Choose the person at risk, or someone in a position to safeguard them",
            )
        name = application.applicant.get("name") or ""
        if name.strip().casefold() == at_risk.strip().casefold():
            return {"party": "person_at_risk", "name": at_risk, "relationship": "the person at risk"}
        return {
            "party": "applicant",
            "name": name,
            "relationship": application.applicant.get("relationship") or "the applicant",
            "able_to_safeguard": text(data, "able_to_safeguard"),
        }
    return {
        "party": "someone_else",
        "name": text(data, "recipient_name"),
        "relationship": text(data, "recipient_relationship"),
        "able_to_safeguard": text(data, "able_to_safeguard"),
    }


def _check_dvds_decision(application: SchemeApplication, data: dict[str, Any], today: date) -> dict[str, Any] | None:
    enforce(forum_met_on(data.get("forum"), data.get("meeting_date"), today))
    risk = application.risk_assessment or {}
    test_met = bool(risk.get("relevant_convictions") or risk.get("information_indicates_risk"))
    if data.get("forum") == "police_alone_on_immediate_risk" and not (application.initial_checks or {}).get(
        "immediate_risk"
    ):
        raise DomainRuleError(
            "R32",
            "Police decide without the forum only when the initial checks found someone at immediate risk",
            "Take the decision to the DVDS panel or MARAC",
        )
    if application.children and not text(data, "impact_on_children"):
        raise DomainRuleError(
            "R31",
            "The decision must consider the impact on the children in the family",
            "Record the impact on the children",
        )
    if not data.get("disclose"):
        if test_met and len(text(data, "decision_reasons")) < 20:
            raise DomainRuleError(
                "R30",
                "The convictions-or-information test is met, so a disclosure is expected",
                "Record in full why no disclosure is made",
            )
        return None
    if not test_met:
        raise DomainRuleError(
            "R30",
            "A disclosure needs convictions for violent offences or information reasonably indicating a risk of harm",
            "Record the risk assessment's findings, or decide not to disclose",
        )
    recipient = _recipient_dvds(application, data)
    if not recipient["name"]:
        raise DomainRuleError(
            "R28",
            "The application names no person at risk to receive the disclosure",
            "Choose someone in a position to safeguard them and give their name",
        )
    not_met = [
        question
        for key, question in (
            ("lawful", "lawful"),
            ("necessary", "necessary"),
            ("proportionate", "proportionate"),
        )
        if data.get(key) is not True
    ]
    if not_met:
        raise DomainRuleError(
            "R35",
            "A disclosure must be lawful, necessary and proportionate: "
            f"the forum did not find it {' or '.join(not_met)}",
            "Decide not to disclose, or record the forum's finding again",
        )
    return recipient


def _check_csor_decision(application: SchemeApplication, data: dict[str, Any]) -> dict[str, Any] | None:
    risk = application.risk_assessment or {}
    presumption = bool(
        risk.get("relevant_convictions")
        and risk.get("information_indicates_risk")
        and data.get("necessary")
        and data.get("proportionate")
    )
    if not data.get("disclose"):
        if presumption and len(text(data, "decision_reasons")) < 20:
            raise DomainRuleError(
                "R37",
                "The presumption to disclose applies (convictions, risk, necessary and proportionate)",
                "Record in full why no disclosure is made",
            )
        return None
    if not (data.get("necessary") and data.get("proportionate")):
        raise DomainRuleError("R37", "A CSOR disclosure must be necessary and proportionate", "Decide not to disclose")
    if not data.get("in_childs_interests"):
        raise DomainRuleError(
            "R25", "A CSOR disclosure is made only if it is in the child's interests", "Decide not to disclose"
        )
    if not data.get("recipient_best_placed"):
        raise DomainRuleError(
            "R37",
            "A CSOR disclosure goes only to the person best placed to protect the child (who may not be the applicant)",
            "Choose the person best placed to protect the child",
        )
    if data.get("recipient") == "applicant":
        return {
            "party": "applicant",
            "name": application.applicant.get("name") or "",
            "relationship": data.get("recipient_relationship"),
        }
    return {
        "party": "someone_else",
        "name": text(data, "recipient_name"),
        "relationship": data.get("recipient_relationship"),
    }


DECISION_FIELDS = (
    "forum",
    "meeting_date",
    "attendees",
    "immediate_risk_justification",
    "disclose",
    "lawful",
    "necessary",
    "proportionate",
    "pressing_need",
    "safety_plan",
    "impact_on_children",
    "in_childs_interests",
    "recipient_best_placed",
    "tell_subject",
    "decision_reasons",
)


def decided_by(application: SchemeApplication, data: dict[str, Any], ctx: ServiceContext) -> str:
    """R35: a forum's decision is credited to the forum, never to the officer who typed it in."""
    if application.scheme == "csor":
        return f"Police ({ctx.actor.display_name if ctx.actor else 'police staff'})"
    forum = FORUM_NAMES.get(str(data.get("forum")), "the forum")
    if data.get("forum") == "police_alone_on_immediate_risk":
        return f"Police alone, because of immediate risk ({ctx.actor.display_name if ctx.actor else 'police staff'})"
    day = meeting_day(data.get("meeting_date"))
    met = f"{day:%-d %B %Y}" if day else text(data, "meeting_date")
    return f"{forum[0].upper()}{forum[1:]}, meeting of {met}"


def record_scheme_decision(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R25, R28, R30, R31, R35, R37: the decision, refused if the rules do not allow it."""
    application = application_of(ctx, data)
    if application.scheme == "dvds":
        recipient = _check_dvds_decision(application, data, ctx.clock.now().date())
    else:
        recipient = _check_csor_decision(application, data)
    application.decision = (
        {k: data.get(k) for k in DECISION_FIELDS if k in data}
        | {"recipient": recipient, "decided_by": decided_by(application, data, ctx)}
        | actor_stamp(ctx)
    )
    disclose = bool(data.get("disclose"))
    audit(
        ctx,
        application,
        "scheme_decision_recorded",
        "decided to disclose" if disclose else "decided not to disclose",
        disclose=disclose,
    )
    _tell_police_team(ctx, application, disclose)
    return disclose


def _tell_police_team(ctx: ServiceContext, application: SchemeApplication, disclose: bool) -> None:
    """The police scheme team hears of every decision (the message names the application, never the detail)."""
    police = ctx.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.POLICE_STAFF.value, User.is_active.is_(True))
    )
    enqueue(
        ctx.session,
        ctx.clock,
        "scheme_outcome_disclosure" if disclose else "scheme_outcome_no_disclosure",
        {
            "scheme": ROUTE_NAMES[application.route],
            "application_reference": application.reference,
            "decided_on": ctx.clock.now().strftime("%d %B %Y"),
            "protects": "the child" if application.scheme == "csor" else "the person at risk",
            "next_step": "Arrange the disclosure meeting, in person, with the warning and the undertaking"
            if disclose
            else "Send the non-disclosure letter and offer support",
        },
        recipients=list(police),
        dedupe_key=f"scheme_decision:{application.id}:{ctx.instance.id}",
    )


def close_application(ctx: ServiceContext, application: SchemeApplication, outcome: str) -> None:
    application.outcome = outcome
    application.status = "closed"
    application.completed_at = ctx.clock.now()
    # R31: the child's team hears the outcome and gets a task on the case to review it
    tell_case_team(ctx.session, ctx.clock, ctx.actor, application, ctx.start_after)


def close_with_letter(ctx: ServiceContext, application: SchemeApplication, reason: str, data: dict[str, Any]) -> None:
    """An application closed because identity could not be verified: its reason, and a letter saying so."""
    to = letter_recipient(application, data)
    letter = {"to": to, "reason": reason}
    document_id = produce_document(
        ctx.session,
        ctx.clock,
        ctx.actor,
        application,
        "scheme_closure_letter",
        "Closure letter",
        force_address=ctx.settings.force_postal_address,
        letter=letter,
    )
    application.outcome_detail = (application.outcome_detail or {}) | {
        "closure": letter | {"document_id": document_id} | actor_stamp(ctx)
    }
    close_application(ctx, application, "closed")
    audit(ctx, application, "scheme_application_closed", "application closed with a letter", reason=reason)
