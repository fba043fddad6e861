"""Automated steps of the police disclosure schemes from the decision on: the undertaking printed before the
meeting, the disclosure meeting, the police decision after a refusal to sign, the letters, and the time limit.

Each step records exactly what happened: a withheld disclosure is never recorded as one, a closure keeps
its reason, and every letter goes to the right person in the safe way they gave (R26, R27, R29, R32 to R36).
"""

from __future__ import annotations

from typing import Any

from safeshare.core.errors import DomainRuleError
from safeshare.core.records import SchemeApplication
from safeshare.services.scheme_letters import letter_recipient, produce_document
from tasks.automated.schemes import (
    actor_stamp,
    application_of,
    audit,
    check_identity_documents,
    close_application,
    not_verified_next_step,
    text,
)
from workflows.context import ServiceContext


def _document(ctx: ServiceContext, application: SchemeApplication, kind: str, title: str, **extra: Any) -> int:
    return produce_document(
        ctx.session,
        ctx.clock,
        ctx.actor,
        application,
        kind,
        title,
        force_address=ctx.settings.force_postal_address,
        **extra,
    )


def _check_time_limit(ctx: ServiceContext, application: SchemeApplication, data: dict[str, Any]) -> None:
    """R32 (DVDS 28 days) and R33 (CSOR 45 days): late only with a recorded reason for exceptional delay,
    given at the outcome or already recorded by the police supervisor when the time limit passed."""
    given = text(data, "exceptional_delay_reason")
    if given:
        application.exceptional_delay_reason = given
    late = ctx.clock.now() > application.completion_due_at
    if late and not application.exceptional_delay_reason:
        raise DomainRuleError(
            "R32" if application.scheme == "dvds" else "R33",
            f"The application passed its time limit ({application.completion_due_at:%d %B %Y})",
            "Record the reason for the exceptional delay",
        )


def prepare_undertaking(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R26, R27: the undertaking is printed before the meeting, for the named recipient to sign there."""
    application = application_of(ctx, data)
    document_id = _document(
        ctx, application, "confidentiality_undertaking", "Undertaking of confidentiality, to sign at the meeting"
    )
    application.outcome_detail = (application.outcome_detail or {}) | {"undertaking_document_id": document_id}
    return document_id


def _disclosed(ctx: ServiceContext, application: SchemeApplication, meeting: dict[str, Any]) -> str:
    kind = f"{application.scheme}_disclosure_record"
    detail = dict(application.outcome_detail or {}) | {"meeting": meeting}
    application.outcome_detail = detail
    detail = detail | {"disclosure_record_document_id": _document(ctx, application, kind, "Disclosure record")}
    application.outcome_detail = detail
    close_application(ctx, application, "disclosed")
    audit(ctx, application, "scheme_disclosure_made", "disclosure made in person", signed=meeting["undertaking_signed"])
    return "disclosed"


def record_scheme_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R34, R26, R27: the disclosure meeting as it happened.

    The recipient's identity first (not verified: re-arranged or closed); then the warning; then the
    undertaking signed (disclosed) or refused (a police decision follows, nothing is disclosed yet).
    """
    application = application_of(ctx, data)
    recipient = (application.decision or {}).get("recipient") or {}
    if not data.get("recipient_identity_verified"):
        return not_verified_next_step(ctx, application, data, "disclosure_meeting")
    documents = check_identity_documents(data, "recipient", "recipient_identity_documents")
    if data.get("warning_given") is not True:
        raise DomainRuleError(
            "R26",
            "The warning is given before anything is disclosed: the information is confidential, only for "
            "safeguarding, and legal proceedings may follow a breach",
            "Give the warning, then record the meeting",
        )
    meeting = {
        "recipient": recipient,
        "recipient_identity": {"verified": True, "documents": documents},
        "in_person": True,
        "warning_given": True,
        "undertaking_signed": data.get("undertaking_signed") is True,
    } | actor_stamp(ctx)
    if not meeting["undertaking_signed"]:
        application.outcome_detail = (application.outcome_detail or {}) | {"meeting": meeting}
        audit(ctx, application, "scheme_undertaking_refused", "the recipient would not sign; police to decide")
        return "refused_to_sign"
    _check_time_limit(ctx, application, data)
    meeting |= {
        "information_disclosed": text(data, "information_disclosed"),
        "support_offered": text(data, "support_offered"),
    }
    return _disclosed(ctx, application, meeting)


def record_unsigned_decision(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """R27: police decide whether to disclose without a signed undertaking; the record says which, and why."""
    application = application_of(ctx, data)
    detail = dict(application.outcome_detail or {})
    meeting = dict(detail.get("meeting") or {})
    meeting["police_decision"] = {"decision": data.get("decision"), "reasons": text(data, "reasons")} | actor_stamp(ctx)
    if data.get("decision") == "disclose_anyway":
        _check_time_limit(ctx, application, data)
        meeting |= {
            "information_disclosed": text(data, "information_disclosed"),
            "support_offered": text(data, "support_offered"),
        }
        return _disclosed(ctx, application, meeting)
    application.outcome_detail = detail | {"meeting": meeting}
    audit(ctx, application, "scheme_disclosure_withheld", "undertaking not signed; police decided not to disclose")
    return "withheld"


def record_scheme_no_disclosure(ctx: ServiceContext, data: dict[str, Any]) -> int:
    """R36 (R29 for right to know): no disclosure, told by letter in a safe way, with support offered."""
    application = application_of(ctx, data)
    if not text(data, "support_offered"):
        raise DomainRuleError("R36", "Support must be offered even when nothing is disclosed", "Record the support")
    to = letter_recipient(application, data)
    _check_time_limit(ctx, application, data)
    letter = {
        "to": to,
        "support_offered": text(data, "support_offered"),
        "outcome_explanation": text(data, "outcome_explanation") or None,
        "agency_told": text(data, "agency_told") or None,
    }
    document_id = _document(ctx, application, "non_disclosure_letter", "Non-disclosure letter", letter=letter)
    application.outcome_detail = (application.outcome_detail or {}) | {
        "letter": letter | actor_stamp(ctx),
        "letter_document_id": document_id,
    }
    close_application(ctx, application, "not_disclosed")
    audit(ctx, application, "scheme_no_disclosure", "non-disclosure letter sent in a safe way; support offered")
    return document_id


def record_time_limit_review(ctx: ServiceContext, data: dict[str, Any]) -> bool:
    """R32, R33: at the time limit the police supervisor records the exceptional delay and whether the
    applicant was told; the outcome may then be recorded late without asking again."""
    application = application_of(ctx, data)
    application.exceptional_delay_reason = text(data, "delay_reason")
    review = {
        "delay_reason": text(data, "delay_reason"),
        "applicant_told": bool(data.get("applicant_told")),
        "how_told": text(data, "how_told") or None,
        "not_told_reason": text(data, "not_told_reason") or None,
        "next_steps": text(data, "next_steps"),
    } | actor_stamp(ctx)
    application.outcome_detail = (application.outcome_detail or {}) | {"time_limit_review": review}
    audit(ctx, application, "scheme_exceptional_delay_recorded", "time limit passed; exceptional delay recorded")
    return True
