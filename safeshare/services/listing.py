"""Search, filters and pages for the lists people work from (issue 12): cases, my tasks, the police queue
and a case's audit trail.

Each list reads its filters from the text a query string carries and checks them here, once, for the
page, the API and the command line alike: a value that is not offered is a ``FormValidationError`` naming
the filter and saying what to do (never a 500, never silently ignored). Every list keeps the need-to-know
rules of :mod:`safeshare.core.access`: a search only ever looks inside the cases the user works on, so a case
of another team is never a result, whatever is typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import case as sql_case
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from safeshare.core.access import TEAM_ROLES, require_case
from safeshare.core.audit import record_event, write_pending
from safeshare.core.errors import FormValidationError
from safeshare.core.records import AuditEvent, Case, OpenTask, Person, User
from safeshare.services.event_log import PROCESS_NAMES

if TYPE_CHECKING:
    from safeshare.core.runtime import App
    from safeshare.services.queues import SchemeRow

#: Rows on one page of any list: enough to scan on one screen, few enough to read.
PAGE_SIZE = 20
#: The longest page number anyone could mean (a bigger one is a typing slip).
MAX_PAGE = 100_000
MAX_SEARCH = 100
YES = "yes"

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, which page it is, and how many rows the whole list has."""

    items: list[T]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)


def _refuse(name: str, message: str, hint: str) -> FormValidationError:
    """A filter value not offered: what is wrong (named by the filter) and what to do."""
    return FormValidationError(message, {name: message}, hint)


def page_number(raw: str | int | None) -> int:
    """The page asked for: 1 when none is given; a clear error for anything but a whole number from 1."""
    if raw is None or raw == "":
        return 1
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise _refuse("page", "Enter a page number, such as 2", "Use the page links under the list")
    return int(text)


def _check_page(number: int, total: int, size: int = PAGE_SIZE) -> None:
    pages = max(1, -(-total // size))
    if number > pages:
        message = f"There is no page {number}: the list has {pages} page{'s' if pages != 1 else ''}"
        raise _refuse("page", message, "Go back to page 1, or use the page links under the list")


def paginate(rows: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """A page of a list already in memory (the police queue, whose order is worked out row by row)."""
    _check_page(number, len(rows), size)
    return Page(list(rows[(number - 1) * size : number * size]), number, len(rows), size)


def _yes(name: str, raw: str | None, label: str) -> bool:
    if raw in (None, ""):
        return False
    if raw == YES:
        return True
    raise _refuse(name, f"{label}: tick it or leave it empty", f"Send {name}={YES}, or leave it out")


def _choice(name: str, raw: str | None, choices: dict[str, str], label: str) -> str:
    value = (raw or "").strip()
    if value and value not in choices:
        raise _refuse(
            name, f"Choose {label} from the list", f"Leave {name} empty for all, or use one of the list's values"
        )
    return value


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, with the wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- cases -------------------------------------------------------------------------------


def search_text(raw: str | None) -> str:
    text = " ".join((raw or "").split())
    if len(text) > MAX_SEARCH:
        raise _refuse("q", f"Search for {MAX_SEARCH} characters or fewer", "Type part of the reference or the name")
    if "\x00" in text:
        raise _refuse("q", "Search for letters and numbers", "Type part of the reference or the name")
    return text


def _visible_cases_clause(user: User) -> Any:
    """The cases a user works on (:func:`safeshare.core.access.works_on_case`), as a query condition."""
    if not user.is_active or not user.roles & TEAM_ROLES or user.team_id is None:
        return False
    return Case.team_id == user.team_id


@dataclass(frozen=True)
class CaseRow:
    case: Case
    child: str
    matched: list[str] = field(default_factory=list)


def search_cases(
    session: Session, user: User, query: str | None = None, page: str | int | None = None
) -> Page[CaseRow]:
    """The cases the user may see, newest first, matching ``query`` in the reference or a person's name.

    The visibility condition is part of the query itself, so a case the user may not see is never a
    result, nor counted."""
    text = search_text(query)
    number = page_number(page)
    where = [_visible_cases_clause(user)]
    if text:
        pattern = _like(text)
        named = exists().where(Person.case_id == Case.id, Person.full_name.ilike(pattern, escape="\\"))
        where.append(or_(Case.reference.ilike(pattern, escape="\\"), named))
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    _check_page(number, total)
    found = list(
        session.scalars(
            select(Case)
            .where(*where)
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    people: dict[int, list[Person]] = {}
    if found:
        for person in session.scalars(
            select(Person).where(Person.case_id.in_([c.id for c in found])).order_by(Person.id)
        ):
            people.setdefault(person.case_id, []).append(person)
    rows = []
    for c in found:
        on_case = people.get(c.id, [])
        child = next((p.full_name for p in on_case if p.is_subject), "")
        matched = [p.full_name for p in on_case if text and text.lower() in p.full_name.lower()]
        rows.append(CaseRow(c, child, matched))
    return Page(rows, number, total)


# -- my tasks ----------------------------------------------------------------------------

TASK_STATUSES = {"mine": "Assigned to you", "open": "Waiting for anyone in your role"}


@dataclass(frozen=True)
class TaskFilters:
    status: str = ""
    overdue: bool = False
    process: str = ""

    @property
    def any(self) -> bool:
        return bool(self.status or self.overdue or self.process)


def _all_or_refused(checks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every filter's check, so one answer names every value not offered, not only the first."""
    values: dict[str, Any] = {}
    refused: list[FormValidationError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except FormValidationError as exc:
            refused.append(exc)
    if refused:
        fields = {k: v for exc in refused for k, v in exc.field_errors.items()}
        raise FormValidationError("; ".join(fields.values()), fields, refused[0].hint)
    return values


def task_filters(status: str | None = None, overdue: str | None = None, process: str | None = None) -> TaskFilters:
    return TaskFilters(
        **_all_or_refused(
            {
                "status": lambda: _choice("status", status, TASK_STATUSES, "who the task is for"),
                "overdue": lambda: _yes("overdue", overdue, "Only overdue tasks"),
                "process": lambda: _choice("process", process, PROCESS_NAMES, "a kind of work"),
            }
        )
    )


def task_list(
    session: Session, user: User, now: datetime, filters: TaskFilters, page: str | int | None = None
) -> Page[OpenTask]:
    """The user's inbox (overdue first, then soonest due, undated last), filtered and one page of it."""
    from tasks.service import inbox_filter

    number = page_number(page)
    where = [inbox_filter(user)]
    if filters.status == "mine":
        where.append(OpenTask.assignee_id == user.id)
    elif filters.status == "open":
        where.append(OpenTask.assignee_id.is_(None))
    if filters.overdue:
        where.append(OpenTask.due_at < now)
    if filters.process:
        where.append(OpenTask.process_id == filters.process)
    total = session.scalar(select(func.count()).select_from(OpenTask).where(*where)) or 0
    _check_page(number, total)
    overdue_first = sql_case((OpenTask.due_at < now, 0), else_=1)
    undated_last = sql_case((OpenTask.due_at.is_(None), 1), else_=0)
    query = (
        select(OpenTask)
        .where(*where)
        .order_by(overdue_first, undated_last, OpenTask.due_at, OpenTask.created_at, OpenTask.task_id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return Page(list(session.scalars(query)), number, total)


# -- the police queue --------------------------------------------------------------------

SCHEMES = {"csor": "CSOR", "right_to_ask": "DVDS right to ask", "right_to_know": "DVDS right to know"}
MAX_STAGE = 200


@dataclass(frozen=True)
class QueueFilters:
    scheme: str = ""
    stage: str = ""
    overdue: bool = False

    @property
    def any(self) -> bool:
        return bool(self.scheme or self.stage or self.overdue)


def _stage(raw: str | None) -> str:
    text = (raw or "").strip()
    if len(text) > MAX_STAGE or "\x00" in text:
        raise _refuse("stage", "Choose a stage from the list", "Leave stage empty for all stages")
    return text


def queue_filters(scheme: str | None = None, stage: str | None = None, overdue: str | None = None) -> QueueFilters:
    return QueueFilters(
        **_all_or_refused(
            {
                "scheme": lambda: _choice("scheme", scheme, SCHEMES, "a scheme"),
                "stage": lambda: _stage(stage),
                "overdue": lambda: _yes("overdue", overdue, "Only overdue applications"),
            }
        )
    )


def filter_queue(rows: list[SchemeRow], filters: QueueFilters) -> list[SchemeRow]:
    """The queue's rows that match: by scheme (CSOR, or the DVDS route), the stage it waits at, overdue."""
    return [
        r
        for r in rows
        if (not filters.scheme or r.application.route == filters.scheme)
        and (not filters.stage or r.stage == filters.stage)
        and (not filters.overdue or r.status == "overdue")
    ]


# -- a case's audit trail ----------------------------------------------------------------

#: Kinds of event, in words, and the event types each holds. Views are kept apart so the trail reads
#: as what was done; they are folded away unless asked for.
AUDIT_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "case": ("The case and its people", frozenset({"case_opened", "person_added", "episode_started"})),
    "work": (
        "Processes, tasks and deadlines",
        frozenset(
            {
                "process_started",
                "process_completed",
                "process_cancelled",
                "task_claimed",
                "task_unclaimed",
                "task_completed",
                "task_reassigned",
                "timer_fired",
                "deadline_changed",
                "deadline_reset",
                "instance_parked",
                "instance_retried",
            }
        ),
    ),
    "consent": (
        "Consent",
        frozenset({"consent_recorded", "consent_superseded", "consent_withdrawn"}),
    ),
    "sharing": (
        "Decisions, advice and disclosures",
        frozenset(
            {
                "share_decision_recorded",
                "manager_advice_recorded",
                "disclosure_recorded",
                "information_received_recorded",
                "individual_informed",
                "individual_not_informed",
            }
        ),
    ),
    "documents": (
        "Documents and messages",
        frozenset(
            {
                "document_produced",
                "document_integrity_failed",
                "notification_sent",
                "notification_failed",
                "notification_requeued",
                "export_made",
            }
        ),
    ),
    "refused": ("Refused access", frozenset({"access_refused"})),
    "views": (
        "Views of the case, its diagrams and documents",
        frozenset(
            {
                "case_viewed",
                "process_viewed",
                "document_downloaded",
            }
        ),
    ),
}
#: The filter's choices: every kind, and everything including views.
AUDIT_CHOICES = {key: label for key, (label, _) in AUDIT_KINDS.items()} | {"all": "Everything, including views"}


@dataclass(frozen=True)
class AuditPage:
    case: Case
    kind: str
    events: Page[AuditEvent]
    folded_views: int  # views left out of this list (0 when they are shown)


def audit_kind(raw: str | None) -> str:
    return _choice("kind", raw, AUDIT_CHOICES, "a kind of event")


def case_audit(
    app: App,
    session: Session,
    user: User,
    case_id: int,
    kind: str | None = None,
    page: str | int | None = None,
    *,
    newest_first: bool = True,
) -> AuditPage:
    """A case's trail, one page of it (newest first for people; the API keeps its oldest-first order). With
    no ``kind`` it is everything but views (those are counted instead, so the trail reads as what was
    done); ``views`` or ``all`` bring them back.

    Reading the trail is a view of the case, and is written to it (need-to-know checked first)."""
    chosen = audit_kind(kind)
    number = page_number(page)
    case = require_case(session, user, case_id)
    views = AUDIT_KINDS["views"][1]
    where = [AuditEvent.case_id == case.id]
    if chosen == "":
        where.append(AuditEvent.event_type.not_in(views))
    elif chosen != "all":
        where.append(AuditEvent.event_type.in_(AUDIT_KINDS[chosen][1]))
    record_event(
        session,
        app.clock,
        user,
        "case_viewed",
        f"{user.display_name} viewed the audit trail of case {case.reference}",
        case_id=case.id,
    )
    write_pending(session)  # the trail shows this very view (refused below, it rolls back with the page)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    _check_page(number, total)
    folded = 0
    if chosen == "":
        folded = (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.case_id == case.id, AuditEvent.event_type.in_(views))
            )
            or 0
        )
    rows = list(
        session.scalars(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.seq.desc() if newest_first else AuditEvent.seq)
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return AuditPage(case, chosen, Page(rows, number, total), folded)
