"""Retention: list what is past its keeping period for the data protection officer, and remove what they approve.

1. :func:`list_due_for_review` (run by the Prefect flow ``safeshare-retention-review``) puts every record
   past its period (:mod:`safeshare.services.retention_schedule`) into one review, except records under
   a hold, already waiting in a review, or kept by the officer in the last year.
2. The data protection officer decides each item (:func:`decide_review`): remove, or keep with a reason.
   The approved removals are applied in that same transaction, so a removal that fails half-way
   removes nothing. A hold placed after the listing still stops an item (it is marked held).
3. Holds (:func:`place_hold`, :func:`lift_hold`) are placed on a case or a police application by the
   officer or an administrator, with a reason; a hold on a case covers its consent and disclosure records.

High-volume kinds (audit events, notifications, sign-in attempts) are listed one month at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import REDACTION_EVENT, record_event
from safeshare.core.errors import NotFoundError, SafeshareError
from safeshare.core.records import (
    AuditEvent,
    Case,
    ConsentRecord,
    Disclosure,
    Notification,
    Person,
    ProcessInstance,
    RetentionHold,
    RetentionItem,
    RetentionReview,
    Role,
    SchemeApplication,
    SignInAttempt,
    SubjectAccessRequest,
    User,
)
from safeshare.services import anonymise
from safeshare.services.retention_schedule import (
    AUDIT,
    CASE_RECORDS,
    CONSENT,
    DISCLOSURES,
    NOTIFICATIONS,
    POLICE_SCHEME_RECORDS,
    SIGN_IN_ATTEMPTS,
    SUBJECT_ACCESS,
    Rule,
    load_schedule,
)

if TYPE_CHECKING:
    from safeshare.core.runtime import App

#: A record the officer chose to keep is not listed again for this long.
KEEP_FOR = timedelta(days=365)
HOLDABLE = (CASE_RECORDS, POLICE_SCHEME_RECORDS)
MONTHLY = (AUDIT, NOTIFICATIONS, SIGN_IN_ATTEMPTS)


@dataclass(frozen=True)
class Due:
    """A record (or a month of rows) past its period: what the officer is shown."""

    kind: str
    record_key: str
    description: str
    due_at: datetime


def years_after(when: datetime | date, years: int) -> datetime:
    """The same day ``years`` later (28 February for 29 February in a year that has none)."""
    moment = when if isinstance(when, datetime) else datetime(when.year, when.month, when.day, tzinfo=UTC)
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _month_name(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").strftime("%B %Y")


def _held(session: Session, kind: str, record_key: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    RetentionHold.kind == kind,
                    RetentionHold.record_key == record_key,
                    RetentionHold.lifted_at.is_(None),
                )
            )
        )
    )


def _case_held(session: Session, case_id: int) -> bool:
    return _held(session, CASE_RECORDS, str(case_id))


def _removed_keys(session: Session, kind: str) -> set[str]:
    return set(
        session.scalars(
            select(RetentionItem.record_key).where(RetentionItem.kind == kind, RetentionItem.outcome == "removed")
        )
    )


def _due_cases(session: Session, rule: Rule, now: datetime) -> list[Due]:
    assert rule.years is not None
    removed = _removed_keys(session, CASE_RECORDS)
    running = set(
        session.scalars(
            select(ProcessInstance.case_id).where(
                ProcessInstance.case_id.is_not(None), ProcessInstance.status != "completed"
            )
        )
    )
    births: dict[int, date] = {}
    for case_id, born in session.execute(
        select(Person.case_id, Person.date_of_birth).where(
            Person.is_subject.is_(True), Person.date_of_birth.is_not(None)
        )
    ):
        if born is not None:
            births.setdefault(case_id, born)
    due: list[Due] = []
    for case in session.scalars(select(Case).order_by(Case.id)):
        if str(case.id) in removed or case.id in running:
            continue
        born = births.get(case.id)
        when = years_after(born, rule.years) if born else years_after(case.opened_at, rule.years)
        if when <= now:
            counted = (
                f"the child's {rule.years}th birthday was {when:%-d %B %Y}"
                if born
                else f"opened {case.opened_at:%-d %B %Y}, child's date of birth not known"
            )
            due.append(Due(CASE_RECORDS, str(case.id), f"Case {case.reference}: {counted}", when))
    return due


def _due_case_records(
    session: Session,
    rule: Rule,
    now: datetime,
    kind: str,
    model: type[ConsentRecord] | type[Disclosure],
    dated_by: str,
    describe: Callable[[Any, str], str],
) -> list[Due]:
    """Records kept on a case (consent, disclosures) that passed their years: one query shape for both kinds.

    ``dated_by`` names the record's date the years run from; ``describe`` words a record for the data
    protection officer, given the record and its case reference.
    """
    if rule.years is None:
        return []
    removed = _removed_keys(session, kind)
    dated = getattr(model, dated_by)
    cutoff = years_after(now, -rule.years)
    due = []
    for record, reference in session.execute(
        select(model, Case.reference)
        .join(Case, Case.id == model.case_id)
        .where(dated <= cutoff, Case.title != anonymise.REMOVED)
        .order_by(model.id)
    ):
        key = str(record.id)  # type: ignore[attr-defined]  # both models have an integer id
        if key not in removed:
            when = getattr(record, dated_by)
            due.append(Due(kind, key, describe(record, reference), years_after(when, rule.years)))
    return due


def _due_consent(session: Session, rule: Rule, now: datetime) -> list[Due]:
    return _due_case_records(
        session, rule, now, CONSENT, ConsentRecord, "recorded_at",
        lambda record, reference: (
            f"Consent record {record.id} on case {reference}, recorded {record.recorded_at:%-d %B %Y}"
        ),
    )


def _due_disclosures(session: Session, rule: Rule, now: datetime) -> list[Due]:
    return _due_case_records(
        session, rule, now, DISCLOSURES, Disclosure, "made_at",
        lambda record, reference: (
            f"Disclosure {record.id} on case {reference} to {record.recipient_agency}, "
            f"made {record.made_at:%-d %B %Y}"
        ),
    )


def _due_applications(session: Session, rule: Rule, now: datetime) -> list[Due]:
    assert rule.years is not None
    removed = _removed_keys(session, POLICE_SCHEME_RECORDS)
    cutoff = years_after(now, -rule.years)
    return [
        Due(
            POLICE_SCHEME_RECORDS,
            str(a.id),
            f"Application {a.reference}, completed {a.completed_at:%-d %B %Y}",
            years_after(a.completed_at, rule.years),
        )
        for a in session.scalars(
            select(SchemeApplication)
            .where(SchemeApplication.completed_at.is_not(None), SchemeApplication.completed_at <= cutoff)
            .order_by(SchemeApplication.id)
        )
        if str(a.id) not in removed and a.completed_at is not None
    ]


def _due_subject_access(session: Session, rule: Rule, now: datetime) -> list[Due]:
    """Subject access requests whose reply was sent more than the rule's years ago (h/ready, issue 16)."""
    assert rule.years is not None
    removed = _removed_keys(session, SUBJECT_ACCESS)
    cutoff = years_after(now, -rule.years).date()
    return [
        Due(
            SUBJECT_ACCESS,
            str(r.id),
            f"Subject access request {r.reference}, reply sent {r.sent_on:%-d %B %Y}",
            years_after(datetime(r.sent_on.year, r.sent_on.month, r.sent_on.day, tzinfo=UTC), rule.years),
        )
        for r in session.scalars(
            select(SubjectAccessRequest)
            .where(SubjectAccessRequest.sent_on.is_not(None), SubjectAccessRequest.sent_on <= cutoff)
            .order_by(SubjectAccessRequest.id)
        )
        if str(r.id) not in removed and r.sent_on is not None
    ]


def _audit_rows(cutoff: datetime):  # type: ignore[no-untyped-def]
    return select(AuditEvent.seq, AuditEvent.occurred_at).where(
        AuditEvent.occurred_at <= cutoff,
        AuditEvent.case_id.is_(None),
        AuditEvent.redacted_at.is_(None),
        AuditEvent.event_type != REDACTION_EVENT,
        AuditEvent.detail["application_id"].as_integer().is_(None),  # removed with their application
    )


def _notification_rows(cutoff: datetime):  # type: ignore[no-untyped-def]
    return select(Notification.id, Notification.created_at).where(
        Notification.created_at <= cutoff, Notification.status != "pending"
    )


def _attempt_rows(cutoff: datetime):  # type: ignore[no-untyped-def]
    return select(SignInAttempt.id, SignInAttempt.attempted_at).where(SignInAttempt.attempted_at <= cutoff)


_MONTHLY_ROWS = {AUDIT: _audit_rows, NOTIFICATIONS: _notification_rows, SIGN_IN_ATTEMPTS: _attempt_rows}
_MONTHLY_WORDS = {AUDIT: "Audit events", NOTIFICATIONS: "Emails and messages", SIGN_IN_ATTEMPTS: "Sign-in attempts"}


def _monthly_ids(session: Session, kind: str, cutoff: datetime) -> dict[str, list[int]]:
    by_month: dict[str, list[int]] = defaultdict(list)
    for row_id, when in session.execute(_MONTHLY_ROWS[kind](cutoff)):
        by_month[f"{when:%Y-%m}"].append(row_id)
    return by_month


def _due_monthly(session: Session, kind: str, rule: Rule, now: datetime) -> list[Due]:
    assert rule.years is not None
    cutoff = years_after(now, -rule.years)
    return [
        Due(
            kind,
            month,
            f"{_MONTHLY_WORDS[kind]} from {_month_name(month)} ({len(ids)})",
            years_after(datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=now.tzinfo), rule.years),
        )
        for month, ids in sorted(_monthly_ids(session, kind, cutoff).items())
    ]


def due_records(session: Session, schedule: dict[str, Rule], now: datetime) -> list[Due]:
    """Everything past its period now, holds not yet considered."""
    return [
        *_due_cases(session, schedule[CASE_RECORDS], now),
        *_due_consent(session, schedule[CONSENT], now),
        *_due_disclosures(session, schedule[DISCLOSURES], now),
        *_due_applications(session, schedule[POLICE_SCHEME_RECORDS], now),
        *_due_subject_access(session, schedule[SUBJECT_ACCESS], now),
        *(item for kind in MONTHLY for item in _due_monthly(session, kind, schedule[kind], now)),
    ]


def _is_held(session: Session, kind: str, record_key: str) -> bool:
    if kind in HOLDABLE:
        return _held(session, kind, record_key)
    if kind == CONSENT:
        case_id = session.scalar(select(ConsentRecord.case_id).where(ConsentRecord.id == int(record_key)))
        return case_id is not None and _case_held(session, case_id)
    if kind == DISCLOSURES:
        case_id = session.scalar(select(Disclosure.case_id).where(Disclosure.id == int(record_key)))
        return case_id is not None and _case_held(session, case_id)
    return False


@dataclass(frozen=True)
class ListedReview:
    """A review just created: its id and the ids of its items."""

    id: int
    item_ids: list[int]


def list_due_for_review(app: App, schedule: dict[str, Rule] | None = None) -> ListedReview | None:
    """Put what is due into a new review for the data protection officer (None when nothing new is due)."""
    schedule = schedule or load_schedule(app.settings.retention_file)
    now = app.clock.now()
    with app.transaction() as session:
        waiting = {
            (kind, key)
            for kind, key in session.execute(
                select(RetentionItem.kind, RetentionItem.record_key).where(
                    (RetentionItem.outcome == "pending")
                    | ((RetentionItem.outcome == "kept") & (RetentionItem.decided_at > now - KEEP_FOR))
                )
            )
        }
        due = [
            d
            for d in due_records(session, schedule, now)
            if (d.kind, d.record_key) not in waiting and not _is_held(session, d.kind, d.record_key)
        ]
        if not due:
            return None
        review = RetentionReview(created_at=now, status="open")
        session.add(review)
        session.flush()
        rows = [
            RetentionItem(
                review_id=review.id,
                kind=d.kind,
                record_key=d.record_key,
                description=d.description[:300],
                due_at=d.due_at,
                outcome="pending",
            )
            for d in due
        ]
        session.add_all(rows)
        record_event(
            session,
            app.clock,
            None,
            "retention_review_listed",
            f"{len(due)} record(s) past their keeping period listed for the data protection officer",
            detail={"review_id": review.id, "items": len(due)},
        )
        session.flush()
        return ListedReview(review.id, [row.id for row in rows])


@dataclass(frozen=True)
class Decision:
    """The officer's answer for one item: remove it, or keep it (a reason is then needed)."""

    remove: bool
    reason: str = ""


def _apply(
    app: App, session: Session, actor: User, item: RetentionItem, schedule: dict[str, Rule], reason: str
) -> None:
    """Remove one approved item. Runs inside the review's transaction."""
    kind, key = item.kind, item.record_key
    if kind == CASE_RECORDS:
        case = session.get(Case, int(key))
        if case is None:
            raise NotFoundError(f"Case {key} is no longer there", "Refresh the review")
        if session.scalar(
            select(exists().where(ProcessInstance.case_id == case.id, ProcessInstance.status != "completed"))
        ):
            raise SafeshareError(
                f"Case {case.reference} has work in progress again",
                "Choose to keep it for now; it will be listed again when the work is finished",
            )
        anonymise.anonymise_case(session, app.clock, actor, case, reason)
    elif kind == CONSENT:
        record = session.get(ConsentRecord, int(key))
        if record is not None:
            anonymise.scrub_consent(session, record)
    elif kind == DISCLOSURES:
        disclosure = session.get(Disclosure, int(key))
        if disclosure is not None:
            anonymise.scrub_disclosure(session, disclosure)
    elif kind == POLICE_SCHEME_RECORDS:
        application = session.get(SchemeApplication, int(key))
        if application is not None:
            anonymise.anonymise_application(session, app.clock, actor, application, reason)
    elif kind == SUBJECT_ACCESS:
        request = session.get(SubjectAccessRequest, int(key))
        if request is not None:
            anonymise.scrub_subject_access(request)
    else:
        rule = schedule[kind]
        assert rule.years is not None
        ids = _monthly_ids(session, kind, years_after(app.clock.now(), -rule.years)).get(key, [])
        if kind == AUDIT:
            from safeshare.core.audit import redact_events

            redact_events(session, app.clock, actor, ids, reason)
        elif kind == NOTIFICATIONS:
            anonymise.delete_notifications(session, ids)
        else:
            anonymise.delete_sign_in_attempts(session, ids)


def decide_review(
    app: App,
    session: Session,
    actor: User,
    review_id: int,
    decisions: dict[int, Decision],
    schedule: dict[str, Rule] | None = None,
) -> RetentionReview:
    """The data protection officer's sign-off: every item decided, approved removals applied, all in the
    caller's one transaction (an error anywhere leaves every record as it was)."""
    require_role(actor, Role.DATA_PROTECTION_OFFICER)
    schedule = schedule or load_schedule(app.settings.retention_file)
    review = session.get(RetentionReview, review_id, with_for_update=True)
    if review is None:
        raise NotFoundError(f"There is no retention review {review_id}", "Choose a review from the list")
    if review.status != "open":
        raise SafeshareError(f"Retention review {review_id} has already been decided", "Open the latest review")
    pending = [i for i in review.items if i.outcome == "pending"]
    undecided = [i.description for i in pending if i.id not in decisions]
    if undecided:
        raise SafeshareError(
            f"Decide every record before signing off: {len(undecided)} still "
            + ("needs a decision" if len(undecided) == 1 else "need a decision"),
            f"Start with: {undecided[0]}",
        )
    unexplained = [i.description for i in pending if not decisions[i.id].remove and not decisions[i.id].reason.strip()]
    if unexplained:
        raise SafeshareError(
            f"Say why each record you keep is kept: {unexplained[0]} has no reason", "Give the reason in a few words"
        )
    now = app.clock.now()
    for item in pending:
        decision = decisions[item.id]
        rule = schedule[item.kind]
        reason = decision.reason.strip() or f"keeping period ended ({rule.name.lower()}, {rule.years} years)"
        item.decided_at = now
        item.reason = reason
        if not decision.remove:
            item.outcome = "kept"
            event, summary = "retention_kept", f"Kept past its keeping period: {item.description}. Reason: {reason}"
        elif _is_held(session, item.kind, item.record_key):
            item.outcome = "held"
            event, summary = "retention_held", f"Not removed, a hold was placed: {item.description}"
        else:
            _apply(app, session, actor, item, schedule, reason)
            item.outcome = "removed"
            event, summary = "retention_removed", f"Removed under the retention schedule: {item.description}"
        record_event(
            session,
            app.clock,
            actor,
            event,
            summary,
            detail={"review_id": review.id, "kind": item.kind, "record": item.record_key, "reason": reason},
        )
    review.status = "decided"
    review.decided_by_id = actor.id
    review.decided_at = now
    session.flush()
    return review


def _require_holder(actor: User) -> None:
    require_role(actor, Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR)


def _check_target(session: Session, kind: str, record_key: str) -> str:
    if kind == CASE_RECORDS:
        case = session.get(Case, int(record_key)) if record_key.isdigit() else None
        if case is None:
            raise NotFoundError(f"There is no case {record_key}", "Give the case's number")
        return f"case {case.reference}"
    if kind == POLICE_SCHEME_RECORDS:
        application = session.get(SchemeApplication, int(record_key)) if record_key.isdigit() else None
        if application is None:
            raise NotFoundError(f"There is no application {record_key}", "Give the application's number")
        return f"application {application.reference}"
    raise SafeshareError(
        "Holds are placed on a case or on a police disclosure scheme application", "Choose one of them"
    )


def place_hold(app: App, session: Session, actor: User, kind: str, record_key: str, reason: str) -> RetentionHold:
    """Stop removal of a case (with its consent and disclosure records) or an application until lifted."""
    _require_holder(actor)
    if not reason.strip():
        raise SafeshareError("Say why the record is held", "For example: legal proceedings, an inquiry, a complaint")
    what = _check_target(session, kind, record_key)
    if _held(session, kind, record_key):
        raise SafeshareError(f"There is already a hold on {what}", "Lift it first if its reason has changed")
    hold = RetentionHold(
        kind=kind, record_key=record_key, reason=reason.strip(), placed_by_id=actor.id, placed_at=app.clock.now()
    )
    session.add(hold)
    session.flush()
    record_event(
        session,
        app.clock,
        actor,
        "retention_hold_placed",
        f"Hold placed on {what}: {reason.strip()}",
        detail={"hold_id": hold.id, "kind": kind, "record": record_key},
    )
    return hold


def lift_hold(app: App, session: Session, actor: User, hold_id: int, reason: str) -> RetentionHold:
    _require_holder(actor)
    hold = session.get(RetentionHold, hold_id)
    if hold is None or hold.lifted_at is not None:
        raise NotFoundError(f"There is no hold {hold_id} in place", "Choose a hold from the list")
    if not reason.strip():
        raise SafeshareError("Say why the hold is lifted", "For example: the proceedings have ended")
    hold.lifted_at = app.clock.now()
    hold.lifted_by_id = actor.id
    hold.lift_reason = reason.strip()
    record_event(
        session,
        app.clock,
        actor,
        "retention_hold_lifted",
        f"Hold {hold.id} lifted: {reason.strip()}",
        detail={"hold_id": hold.id, "kind": hold.kind, "record": hold.record_key},
    )
    return hold


def open_review(session: Session) -> RetentionReview | None:
    return session.scalar(select(RetentionReview).where(RetentionReview.status == "open").order_by(RetentionReview.id))


def holds_in_place(session: Session) -> list[RetentionHold]:
    return list(
        session.scalars(select(RetentionHold).where(RetentionHold.lifted_at.is_(None)).order_by(RetentionHold.id))
    )


def counts_by_outcome(session: Session, review_id: int) -> dict[str, int]:
    rows = session.execute(
        select(RetentionItem.outcome, func.count())
        .where(RetentionItem.review_id == review_id)
        .group_by(RetentionItem.outcome)
    )
    return {outcome: int(n) for outcome, n in rows}
