"""What the application page shows beyond the initial contact: its documents, its stage history and its
timescale in words (issue 14, item 10), read for police staff only, never from police intelligence detail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.records import Case, CompletedTask, Document, SchemeApplication, User
from safeshare.services.scheme_links import link_in_words

SCHEME_DOCUMENTS = (
    "confidentiality_undertaking",
    "csor_disclosure_record",
    "dvds_disclosure_record",
    "non_disclosure_letter",
    "scheme_closure_letter",
)
OUTCOMES = {
    "disclosed": "disclosure made in person",
    "not_disclosed": "no disclosure; letter sent and support offered",
    "closed": "closed with a letter",
    "withdrawn": "withdrawn by the applicant",
}


@dataclass(frozen=True)
class HistoryEntry:
    what: str
    who: str
    when: datetime


def _day(value: datetime) -> str:
    return value.strftime("%-d %B %Y")


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def timescale_in_words(application: SchemeApplication, now: datetime) -> str:
    """Where the application stands against its time limit (R32: 28 days, R33: 45 days), as a sentence."""
    due = application.completion_due_at
    if application.completed_at is not None:
        finished = f"Finished on {_day(application.completed_at)}: {OUTCOMES.get(application.outcome or '', 'closed')}"
        if application.completed_at > due:
            return f"{finished}, after the time limit ({application.exceptional_delay_reason})"
        return f"{finished}."
    left = (due - now).days
    if now > due:
        overdue = f"Overdue: the time limit passed on {_day(due)}, {_days(max((now - due).days, 0))} ago."
        if application.exceptional_delay_reason:
            return f"{overdue} Reason for the delay: {application.exceptional_delay_reason}"
        return overdue
    if due - now <= timedelta(days=1):
        return f"Due within a day: finish by {_day(due)}."
    return f"On track: {_days(left)} left to finish, by {_day(due)}."


def _not_verified(data: dict[str, Any], whose: str) -> str:
    if data.get("next_step") == "rearrange":
        when = str(data.get("rearranged_for") or "").strip()
        return f"{whose} identity not verified; meeting re-arranged" + (f" ({when})" if when else "")
    return f"{whose} identity not verified; application closed with a letter"


def _face_to_face(data: dict[str, Any]) -> str:
    return "applicant's identity verified" if data.get("identity_verified") else _not_verified(data, "applicant's")


def _disclosure_meeting(data: dict[str, Any]) -> str:
    if not data.get("recipient_identity_verified"):
        return _not_verified(data, "recipient's")
    if data.get("undertaking_signed") is not True:
        return "recipient's identity verified; they would not sign the undertaking, so nothing was disclosed yet"
    return "recipient's identity verified; undertaking signed; disclosed in person"


def _unsigned(data: dict[str, Any]) -> str:
    if data.get("decision") == "disclose_anyway":
        return "police decided to disclose without a signed undertaking"
    return "police decided not to disclose"


#: What each stage's answers mean, in words (R27, R34: the history says exactly what happened).
_OUTCOME_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "face_to_face": _face_to_face,
    "disclosure_meeting": _disclosure_meeting,
    "decide_unsigned": _unsigned,
    "decide_disclosure": lambda d: "decided to disclose" if d.get("disclose") else "decided not to disclose",
    "initial_checks": lambda d: "someone is at immediate risk" if d.get("immediate_risk") else "",
    "review_time_limit": lambda d: "reason for the exceptional delay recorded",
}


def _stage_in_words(task: CompletedTask) -> str:
    words = _OUTCOME_WORDS.get(task.task_spec, lambda d: "")(dict(task.data or {}))
    return f"{task.title}: {words}" if words else task.title


def stage_history(session: Session, application: SchemeApplication) -> list[HistoryEntry]:
    """Each stage as it was done, by whom and when, from the application's receipt to now."""
    received_by = session.get(User, application.received_by_id)
    entries = [
        HistoryEntry("Application received", received_by.display_name if received_by else "", application.received_at)
    ]
    if application.instance_id is not None:
        done = session.execute(
            select(CompletedTask, User.display_name)
            .join(User, User.id == CompletedTask.completed_by_id)
            .where(CompletedTask.instance_id == application.instance_id)
            .order_by(CompletedTask.completed_at, CompletedTask.id)
        )
        entries += [HistoryEntry(_stage_in_words(task), name, task.completed_at) for task, name in done]
    closure = (application.outcome_detail or {}).get("closure") or {}
    if application.outcome in ("withdrawn", "closed") and closure.get("who"):
        what = "Withdrawn by the applicant" if closure["who"] == "applicant_withdrew" else "Closed by police"
        entries.append(
            HistoryEntry(
                f"{what}: {closure.get('reason', '')}",
                closure.get("by", ""),
                application.completed_at or application.received_at,
            )
        )
    return entries


def scheme_documents(session: Session, application: SchemeApplication) -> list[Document]:
    """The application's documents (undertaking, record, letters), oldest first."""
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.source_record_id == application.id,
                Document.case_id.is_(None),
                Document.kind.in_(SCHEME_DOCUMENTS),
            )
            .order_by(Document.id)
        )
    )


def summary_facts(session: Session, application: SchemeApplication, now: datetime) -> dict[str, Any]:
    """What the application's summary shows beyond its own record: the linked case's reference, the link in
    words, and the timescale in words. The application page and a police task's page show the same summary."""
    linked = session.get(Case, application.linked_case_id) if application.linked_case_id else None
    return {
        "linked_case_reference": linked.reference if linked else None,
        "case_link": link_in_words(session, application),
        "timescale": timescale_in_words(application, now),
    }
