"""Cancelling a process that is no longer needed, with a reason (issue 12).

A process can outlive its purpose: a share the recipient refused leaves its "Record the disclosure"
task open for good, an episode of work ends before consent is sought. Its owner (the practitioner who
started it, or the practitioner who opened the case) or a manager of the case's team cancels it with a
reason. In one transaction its open tasks close, its timers stop (and those of any process it started),
and the cancellation is written to the case's audit trail, where the case page reads who cancelled it,
when and why.

:func:`cancel_refusal` is the one home of the rule; the page, the API and the command line all call
:func:`cancel_process`, and the page asks :func:`may_cancel` whether to offer the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_case, works_on_case
from safeshare.core.audit import record_event
from safeshare.core.errors import ConflictError, FormValidationError, NotFoundError, PermissionDeniedError
from safeshare.core.records import AuditEvent, Case, ProcessInstance, Role, User
from safeshare.core.records.vocabulary import InstanceStatus
from safeshare.services.event_log import PROCESS_NAMES

if TYPE_CHECKING:
    from safeshare.core.runtime import App

#: The outcome a cancelled process ends with (its status is "completed": it will never step again).
CANCELLED = "cancelled"
REASON_MIN = 10
REASON_MAX = 1000
MANAGER_ROLES = {Role.MANAGER, Role.SENIOR_MANAGER}


def process_name(process_id: str) -> str:
    """A process as people name it."""
    return PROCESS_NAMES.get(process_id, process_id.replace("_", " ").capitalize())


def cancel_refusal(user: User, case: Case | None, instance: ProcessInstance) -> str | None:
    """Why ``user`` may not cancel ``instance`` (in words), or None if they may.

    The owner is the practitioner who started the process or the one who opened the case; a manager
    or senior manager of the case's team may cancel any of its processes. Everyone must still work on
    the case (a practitioner who moved team loses it). A police scheme application is closed, not
    cancelled (it owes the applicant a letter), and a finished process has nothing left to cancel.
    """
    if case is None:
        return "A police scheme application is closed from its own page, with a letter to the applicant"
    if not works_on_case(user, case):
        return "Only the case's team can cancel its processes"
    if instance.status == InstanceStatus.COMPLETED:
        return f"{process_name(instance.process_id)} has already finished"
    is_owner = Role.PRACTITIONER in user.roles and user.id in (instance.started_by_id, case.opened_by_id)
    if not is_owner and not user.roles & MANAGER_ROLES:
        return "Only the practitioner who started it or a manager of the team can cancel it"
    return None


def may_cancel(user: User, case: Case | None, instance: ProcessInstance) -> bool:
    return cancel_refusal(user, case, instance) is None


def _require_instance(session: Session, user: User, instance_id: int) -> tuple[ProcessInstance, Case | None]:
    instance = session.get(ProcessInstance, instance_id)
    hidden = NotFoundError(f"No process {instance_id} that you can see", "Check the number, or open it from a case")
    if instance is None:
        raise hidden
    if instance.case_id is None:
        if Role.POLICE_STAFF not in user.roles:
            raise hidden
        return instance, None
    try:
        case = require_case(session, user, instance.case_id)
    except NotFoundError:
        raise hidden from None
    return instance, case


def cancellable(session: Session, user: User, instance_id: int) -> tuple[ProcessInstance, Case]:
    """The process and its case, if ``user`` may cancel it now; otherwise the refusal."""
    instance, case = _require_instance(session, user, instance_id)
    refusal = cancel_refusal(user, case, instance)
    if refusal is not None:
        if instance.status == InstanceStatus.COMPLETED:
            raise ConflictError(refusal, "Reload the case to see how it ended")
        raise PermissionDeniedError(refusal, "Ask the practitioner who started it, or a manager of the team")
    assert case is not None
    return instance, case


def _reason_refused(message: str, hint: str) -> FormValidationError:
    return FormValidationError(message, {"reason": message}, hint)


def check_reason(reason: str | None) -> str:
    """The reason, trimmed; refused when it is missing or too short to tell anyone why."""
    text = (reason or "").strip()
    if not text:
        raise _reason_refused("Enter the reason for cancelling", "Say why this work is no longer needed")
    if len(text) < REASON_MIN:
        raise _reason_refused(
            f"The reason must be at least {REASON_MIN} characters",
            "Say why this work is no longer needed, so the team can read it later",
        )
    if len(text) > REASON_MAX:
        raise _reason_refused(f"The reason must be {REASON_MAX} characters or fewer", "Shorten it")
    return text


def cancel_process(app: App, session: Session, user: User, instance_id: int, reason: str | None) -> ProcessInstance:
    """Cancel a running process with its reason; its open tasks close and its timers stop, in the
    caller's transaction (a refusal writes nothing)."""
    instance, case = cancellable(session, user, instance_id)
    text = check_reason(reason)
    ended = [instance]
    ended.extend(
        session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.parent_instance_id == instance.id,
                ProcessInstance.status != InstanceStatus.COMPLETED,
            )
        )
    )
    for row in ended:
        app.engine.cancel(session, app.clock, row, CANCELLED)
    name = process_name(instance.process_id)
    record_event(
        session,
        app.clock,
        user,
        "process_cancelled",
        f"{name} cancelled by {user.display_name}: {text}",
        case_id=case.id,
        detail={
            "instance_id": instance.id,
            "process": instance.process_id,
            "reason": text,
            "also_ended": [r.id for r in ended[1:]],
        },
    )
    return instance


@dataclass(frozen=True)
class Cancellation:
    """Who cancelled a process, when, and why: read back from the case's audit trail."""

    by: str
    at: datetime
    reason: str


def cancellations(events: list[AuditEvent]) -> dict[int, Cancellation]:
    """The cancellations in a case's trail, by process instance id."""
    found: dict[int, Cancellation] = {}
    for event in events:
        if event.event_type == "process_cancelled" and isinstance(event.detail, dict):
            instance_id = event.detail.get("instance_id")
            if isinstance(instance_id, int):
                found[instance_id] = Cancellation(
                    event.actor_name or "someone", event.occurred_at, str(event.detail.get("reason", ""))
                )
    return found
