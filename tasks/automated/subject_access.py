"""Automated steps of a subject access request (UK GDPR Art. 12(3), Art. 15): its due times, the
extension, the officer's sign-off of the collated reply and the record of what was sent.

Each runs in the step's transaction: a refusal rolls the whole step back and the task stays open.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from safeshare.core.audit import record_event
from safeshare.core.deadlines import subject_access_due, subject_access_times
from safeshare.core.errors import DomainRuleError, ModelError
from safeshare.core.records import SubjectAccessRequest
from safeshare.services.subject_access import SENT_METHODS, collate, collation_digest
from tasks.operator_registry import Parameters
from workflows.context import ServiceContext

LAW = "UK GDPR Art. 12(3)"


def request_of(ctx: ServiceContext, data: dict[str, Any]) -> SubjectAccessRequest:
    request = ctx.session.get(SubjectAccessRequest, data["sar_id"])
    if request is None:
        raise ModelError(f"Subject access request {data['sar_id']} is missing", "Check the start data")
    return request


def _audit(ctx: ServiceContext, request: SubjectAccessRequest, event: str, summary: str, **detail: Any) -> None:
    record_event(
        ctx.session,
        ctx.clock,
        ctx.actor,
        event,
        f"{request.reference}: {summary}",
        detail={"sar_id": request.id, **detail},
    )


class TimesParameters(Parameters):
    """``which``: the escalation time (the day after the reply is due) or the reminder before it."""

    which: Literal["deadline", "reminder"] = "deadline"


def subject_access_time(ctx: ServiceContext, data: dict[str, Any], params: TimesParameters) -> str:
    """The request's escalation or reminder time as ISO text, from its due date as it stands now."""
    request = request_of(ctx, data)
    deadline, reminder = subject_access_times(ctx.session, request.due_on, ctx.clock.now())
    return (deadline if params.which == "deadline" else reminder).isoformat()


def extend_subject_access(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """Extend the time limit by two further months, once, with the reason (complex or numerous requests)."""
    request = request_of(ctx, data)
    reason = str(data.get("extension_reason") or "").strip()
    if request.extended_on is not None:
        raise DomainRuleError(
            LAW,
            f"The time limit was already extended on {request.extended_on:%d %B %Y}; it can be extended only once",
            "Sign off the reply",
        )
    if len(reason) < 10:
        raise DomainRuleError(LAW, "Enter why the request is complex or numerous", "Give the reason in a sentence")
    start = max(request.received_on, request.identity_checked_on)
    request.due_on = subject_access_due(start, extended=True)
    request.extended_on = ctx.clock.now().date()
    request.extension_reason = reason
    _audit(
        ctx,
        request,
        "subject_access_extended",
        f"time limit extended to {request.due_on:%d %B %Y}",
        reason=reason,
        due_on=request.due_on.isoformat(),
    )
    return request.due_on.isoformat()


def keep_subject_access_reply(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """Keep the reply as collated now, with its SHA-256, signed off by the officer; returns the digest."""
    request = request_of(ctx, data)
    if data.get("withheld_checked") is not True:
        raise DomainRuleError(
            LAW,
            "Check each item withheld before signing off",
            "Read what is withheld on the request's page, then answer yes",
        )
    collation = collate(ctx.session, request)
    request.reply = collation
    request.reply_sha256 = collation_digest(collation)
    request.status = "signed_off"
    request.signed_off_by_id = ctx.actor.id if ctx.actor else None
    request.signed_off_at = ctx.clock.now()
    _audit(
        ctx,
        request,
        "subject_access_signed_off",
        "reply signed off",
        sha256=request.reply_sha256,
        withheld=len(collation["withheld"]),
    )
    return request.reply_sha256


def record_subject_access_reply_sent(ctx: ServiceContext, data: dict[str, Any]) -> str:
    """What was sent, when and how: the day may not be in the future nor before the sign-off."""
    request = request_of(ctx, data)
    try:
        sent_on = date.fromisoformat(str(data.get("sent_on")))
    except ValueError:
        raise DomainRuleError(LAW, "Enter a real date, for example 27 3 2026", "Enter the date it was sent") from None
    if sent_on > ctx.clock.now().date():
        raise DomainRuleError(LAW, "The date the reply was sent must be today or in the past", "Check the date")
    if request.signed_off_at is not None and sent_on < request.signed_off_at.date():
        raise DomainRuleError(
            LAW,
            f"The reply was signed off on {request.signed_off_at:%d %B %Y}; it cannot have been sent before",
            "Check the date",
        )
    method = str(data.get("sent_method"))
    if method not in SENT_METHODS:
        raise DomainRuleError(LAW, "Select how the reply was sent", f"Choose one of: {', '.join(SENT_METHODS)}")
    request.sent_on = sent_on
    request.sent_method = method
    request.sent_to = str(data.get("sent_to") or "").strip()
    request.sent_recorded_by_id = ctx.actor.id if ctx.actor else None
    request.sent_recorded_at = ctx.clock.now()
    request.status = "sent"
    late = sent_on > request.due_on
    _audit(
        ctx,
        request,
        "subject_access_sent",
        f"reply sent on {sent_on:%d %B %Y}" + (" after the time limit" if late else ""),
        sent_on=sent_on.isoformat(),
        method=method,
        late=late,
        sha256=request.reply_sha256,
    )
    return "late" if late else "in_time"
