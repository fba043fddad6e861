"""Automated steps of the police disclosure schemes (CSOR, DVDS): each stage's record, and the
rules a decision and a disclosure must pass (R25 to R37).

Every check runs here, in the step's transaction, so a refusal rolls the whole step
back: the task stays open and nothing is written.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select

from notifications.documents import store_document
from notifications.outbox import enqueue
from safeshare.audit import record_event
from safeshare.errors import DomainRuleError, ModelError
from safeshare.records import Role, SchemeApplication, User, UserRole
from tasks.operator_registry import Parameters
from workflows.context import ServiceContext

SCHEME_NAMES = {"csor": "Child Sex Offender Disclosure Scheme", "dvds": "Domestic Violence Disclosure Scheme"}
ROUTE_NAMES = {"csor": "CSOR", "right_to_ask": "DVDS right to ask", "right_to_know": "DVDS right to know"}


def _application(ctx: ServiceContext, data: dict[str, Any]) -> SchemeApplication:
    application = ctx.session.get(SchemeApplication, data["application_id"])
    if application is None:
        raise ModelError(f"Scheme application {data['application_id']} is missing", "Check the start data")
    return application


def _actor(ctx: ServiceContext) -> dict[str, Any]:
    return {
        "by": ctx.actor.display_name if ctx.actor else "system",
        "by_id": ctx.actor.id if ctx.actor else None,
        "at": ctx.clock.now().isoformat(),
    }


def _audit(ctx: ServiceContext, application: SchemeApplication, event: str, summary: str, **detail: Any) -> None:
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        event,
        f"{application.reference}: {summary}",
        detail={"application_id": application.id, **detail},
    )


def _text(data: dict[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


STAGE_FIELDS = {
    "initial_checks": ("crime_reported", "immediate_risk", "initial_risk_level", "initial_checks_summary"),
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
    application = _application(ctx, data)
    setattr(application, stage, {k: data.get(k) for k in STAGE_FIELDS[stage]} | _actor(ctx))
    _audit(ctx, application, f"scheme_{stage}_recorded", f"{stage.replace('_', ' ')} recorded")
    return True


def record_identity_check(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R34: identity is verified with two documents, one with a photo; the finding is kept."""
    application = _application(ctx, data)
    documents = list(data.get("identity_documents") or [])
    verified = bool(data.get("identity_verified"))
    if verified and (len(documents) < 2 or not any(d.get("has_photo") for d in documents)):
        raise DomainRuleError(
            "R34",
            "Identity is verified with two documents, at least one with a photo",
            "Record both documents seen, or record that identity is not yet verified",
        )
    application.identity_check = {
        "verified": verified,
        "documents": documents,
        "notes": data.get("meeting_notes"),
    } | _actor(ctx)
    _audit(ctx, application, "scheme_identity_checked", "identity verified" if verified else "identity NOT verified")
    return verified


def _check_dvds_decision(application: SchemeApplication, data: dict[str, Any]) -> None:
    risk = application.risk_assessment or {}
    test_met = bool(risk.get("relevant_convictions") or risk.get("information_indicates_risk"))
    if data.get("forum") == "immediate_risk_police_decision" and not (application.initial_checks or {}).get(
        "immediate_risk"
    ):
        raise DomainRuleError(
            "R32",
            "Only immediate risk lets police decide without the forum",
            "Take the decision to the DVDS panel or MARAC",
        )
    if application.children and not _text(data, "impact_on_children"):
        raise DomainRuleError(
            "R31",
            "The decision must consider the impact on the children in the family",
            "Record the impact on the children",
        )
    if not data.get("disclose"):
        if test_met and len(_text(data, "decision_reasons")) < 20:
            raise DomainRuleError(
                "R30",
                "The convictions-or-information test is met, so a disclosure is expected",
                "Record in full why no disclosure is made",
            )
        return
    if not test_met:
        raise DomainRuleError(
            "R30",
            "A disclosure needs convictions for violent offences or information reasonably indicating a risk of harm",
            "Record the risk assessment's findings, or decide not to disclose",
        )
    if data.get("recipient_is") not in ("person_at_risk", "able_to_safeguard") or not _text(data, "recipient_name"):
        raise DomainRuleError(
            "R28",
            "A DVDS disclosure may go only to the person at risk or someone in a position to safeguard them",
            "Name the person at risk, or someone able to safeguard them, as the recipient",
        )
    missing = [k for k in ("lawful", "necessary", "proportionate") if data.get(k) is not True]
    missing += [k for k in ("pressing_need", "safety_plan") if not _text(data, k)]
    if missing:
        raise DomainRuleError(
            "R35",
            f"A disclosure must be lawful, necessary and proportionate, with a pressing need and a safety plan "
            f"(missing: {', '.join(missing)})",
            "Record each of them, or decide not to disclose",
        )


def _check_csor_decision(application: SchemeApplication, data: dict[str, Any]) -> None:
    risk = application.risk_assessment or {}
    presumption = bool(
        risk.get("relevant_convictions")
        and risk.get("information_indicates_risk")
        and data.get("necessary")
        and data.get("proportionate")
    )
    if not data.get("disclose"):
        if presumption and len(_text(data, "decision_reasons")) < 20:
            raise DomainRuleError(
                "R37",
                "The presumption to disclose applies (convictions, risk, necessary and proportionate)",
                "Record in full why no disclosure is made",
            )
        return
    if not (data.get("necessary") and data.get("proportionate")):
        raise DomainRuleError("R37", "A CSOR disclosure must be necessary and proportionate", "Decide not to disclose")
    if not data.get("in_childs_interests"):
        raise DomainRuleError(
            "R25", "A CSOR disclosure is made only if it is in the child's interests", "Decide not to disclose"
        )
    if not data.get("recipient_best_placed") or not _text(data, "recipient_name"):
        raise DomainRuleError(
            "R37",
            "A CSOR disclosure goes only to the person best placed to protect the child (who may not be the applicant)",
            "Name the person best placed to protect the child",
        )


DECISION_FIELDS = (
    "forum",
    "disclose",
    "lawful",
    "necessary",
    "proportionate",
    "pressing_need",
    "recipient_name",
    "recipient_is",
    "safety_plan",
    "impact_on_children",
    "in_childs_interests",
    "recipient_relationship",
    "recipient_best_placed",
    "tell_subject",
    "decision_reasons",
)


def record_scheme_decision(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R25, R28, R30, R31, R35, R37: the decision, refused if the rules do not allow it."""
    application = _application(ctx, data)
    if application.scheme == "dvds":
        _check_dvds_decision(application, data)
    else:
        _check_csor_decision(application, data)
    application.decision = {k: data.get(k) for k in DECISION_FIELDS if k in data} | _actor(ctx)
    disclose = bool(data.get("disclose"))
    _audit(
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


def _check_time_limit(ctx: ServiceContext, application: SchemeApplication, data: dict[str, Any]) -> None:
    """R32 (DVDS 28 days) and R33 (CSOR 45 days): late only with a recorded reason for exceptional delay."""
    if ctx.clock.now() > application.completion_due_at and not _text(data, "exceptional_delay_reason"):
        raise DomainRuleError(
            "R32" if application.scheme == "dvds" else "R33",
            f"The application passed its time limit ({application.completion_due_at:%d %B %Y})",
            "Record the reason for the exceptional delay",
        )
    application.exceptional_delay_reason = _text(data, "exceptional_delay_reason") or None


def _document(ctx: ServiceContext, application: SchemeApplication, kind: str, title: str, **extra: Any) -> int:
    officer = ctx.session.get(User, ctx.actor.id) if ctx.actor else None
    document = store_document(
        ctx.session,
        ctx.clock,
        case_id=None,  # police records stay off the child's case file
        kind=kind,
        title=f"{title}, {application.reference}",
        context={
            "application": application,
            "scheme_name": SCHEME_NAMES[application.scheme],
            "officer": officer,
            "today": ctx.clock.now(),
            **extra,
        },
        actor=ctx.actor,
        source_record_id=application.id,
    )
    _audit(
        ctx,
        application,
        "document_produced",
        f"{title} produced (document {document.id})",
        document_id=document.id,
        sha256=document.sha256,
    )
    return document.id


def record_scheme_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R26, R27, R32, R34: the in-person disclosure with the warning and the undertaking (or police decision)."""
    application = _application(ctx, data)
    if not (application.identity_check or {}).get("verified"):
        raise DomainRuleError(
            "R34",
            "Nothing is disclosed before identity is verified at the face-to-face meeting",
            "Verify identity first",
        )
    if data.get("disclosed_in_person") is not True or data.get("warning_given") is not True:
        raise DomainRuleError(
            "R26",
            "A disclosure is made in person, with the warning that it is confidential, only for safeguarding, and "
            "that a breach may lead to legal proceedings",
            "Meet in person and give the warning",
        )
    signed = data.get("undertaking_signed") is True
    police_decision = data.get("unsigned_police_decision")
    if not signed and (
        police_decision not in ("disclose_anyway", "do_not_disclose")
        or len(_text(data, "unsigned_police_reasons")) < 10
    ):
        raise DomainRuleError(
            "R27",
            "The undertaking was not signed and no police decision on disclosing anyway is recorded",
            "Record whether police disclose anyway, and why",
        )
    disclosed = signed or police_decision == "disclose_anyway"
    if disclosed:
        _check_time_limit(ctx, application, data)
    meeting = {
        k: data.get(k)
        for k in (
            "disclosed_in_person",
            "warning_given",
            "undertaking_signed",
            "unsigned_police_decision",
            "unsigned_police_reasons",
            "information_disclosed",
            "support_offered",
        )
    } | _actor(ctx)
    application.outcome_detail = {"meeting": meeting}
    if not disclosed:
        _audit(ctx, application, "scheme_disclosure_withheld", "undertaking not signed; police decided not to disclose")
        return "withheld"
    documents = []
    if signed:
        documents.append(
            _document(
                ctx, application, "confidentiality_undertaking", "Undertaking of confidentiality", meeting=meeting
            )
        )
    documents.append(_document(ctx, application, "scheme_disclosure_record", "Disclosure record", meeting=meeting))
    application.outcome_detail = {"meeting": meeting, "documents": documents}
    application.outcome = "disclosed"
    application.status = "closed"
    application.completed_at = ctx.clock.now()
    _audit(ctx, application, "scheme_disclosure_made", "disclosure made in person", signed=signed)
    return "disclosed"


def record_scheme_no_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R36: no disclosure: the outcome is communicated by letter and support is offered; both recorded."""
    application = _application(ctx, data)
    if not _text(data, "support_offered"):
        raise DomainRuleError("R36", "Support must be offered even when nothing is disclosed", "Record the support")
    _check_time_limit(ctx, application, data)
    letter = {k: data.get(k) for k in ("letter_to", "outcome_explanation", "support_offered")}
    document_id = _document(ctx, application, "non_disclosure_letter", "Non-disclosure letter", letter=letter)
    application.outcome_detail = (application.outcome_detail or {}) | {
        "letter": letter,
        "letter_document_id": document_id,
    }
    application.outcome = "not_disclosed"
    application.status = "closed"
    application.completed_at = ctx.clock.now()
    _audit(ctx, application, "scheme_no_disclosure", f"non-disclosure letter to {letter['letter_to']}; support offered")
    return document_id
