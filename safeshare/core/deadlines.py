"""Deadlines by kind and urgency, in hours, calendar days or working days (R16, R32, R33).

Models never hold numbers: a service task asks for ``deadline(kind, urgency, start)``
and stores the ISO time in task data, which timer events then name. Working days
skip weekends and the bank holidays of England and Wales (from the maintained
``holidays`` package). Defaults below are documented in the README; a force or
partnership overrides them in configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal, cast

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeshare.core.access import require_role
from safeshare.core.audit import record_event
from safeshare.core.clock import Clock
from safeshare.core.errors import ConfigurationError, DomainRuleError, FormValidationError, NotFoundError
from safeshare.core.records import DeadlineSetting, Role, User

Unit = Literal["hours", "days", "working_days"]
URGENCIES = ("immediate_risk", "urgent", "standard")
UNITS: tuple[Unit, ...] = ("hours", "days", "working_days")
# Upper bounds for a saved override: about a quarter of a year, so a typo cannot park a deadline for ever.
MAX_AMOUNT: dict[Unit, int] = {"hours": 24 * 90, "days": 90, "working_days": 65}


@dataclass(frozen=True)
class Period:
    amount: int
    unit: Unit

    def describe(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"


# kind -> urgency -> period. "*" applies to every urgency.
DEFAULTS: dict[str, dict[str, Period]] = {
    # P3: a manager's advice, by the urgency of the concern (R13, R16).
    "consultation": {
        "immediate_risk": Period(2, "hours"),
        "urgent": Period(1, "working_days"),
        "standard": Period(2, "working_days"),
    },
    # The senior or duty manager's own deadline once a consultation escalates (R17).
    "escalation": {
        "immediate_risk": Period(1, "hours"),
        "urgent": Period(4, "hours"),
        "standard": Period(1, "working_days"),
    },
    # R14: the person is told before a share the law requires (or why not is recorded) by this deadline.
    "inform_before_share": {"immediate_risk": Period(4, "hours"), "*": Period(1, "working_days")},
    # Police schemes (R32, R33), from the Home Office guidance.
    "dvds_initial_checks": {"*": Period(24, "hours")},
    "dvds_face_to_face": {"*": Period(10, "working_days")},
    "dvds_face_to_face_immediate_risk": {"*": Period(24, "hours")},
    "dvds_completion": {"*": Period(28, "days")},
    "dvds_completion_reminder": {"*": Period(7, "days")},
    "csor_initial_checks": {"*": Period(24, "hours")},
    "csor_face_to_face": {"*": Period(10, "working_days")},
    "csor_face_to_face_immediate_risk": {"*": Period(24, "hours")},
    "csor_completion": {"*": Period(45, "days")},
    "csor_completion_reminder": {"*": Period(7, "days")},
    # R4: advice on a practitioner's judgement of a child's understanding, before consent is sought.
    "competence_advice": {"*": Period(2, "working_days")},
    # P9: children's social care acknowledges a referral and decides what happens next (R41).
    "referral_response": {"*": Period(1, "working_days")},
    # Subject access (UK GDPR Art. 12(3)): the month itself is law (``subject_access_due``); only the
    # reminder before it is a setting.
    "subject_access_reminder": {"*": Period(7, "days")},
}


# Where each default comes from (shown by ``safeshare deadlines`` and in the README).
SOURCES: dict[str, str] = {
    "consultation": "Procedure 2.10: advice within a time frame that does not harm the child (R13, R16); "
    "the numbers are this project's choice: immediate risk is acted on the same morning, otherwise "
    "a manager answers within one or two working days",
    "escalation": "R17: the senior or duty manager gets a shorter deadline than the manager had (project choice)",
    "inform_before_share": "Procedure 2.10: under a statutory duty or court order 'wherever possible, the individual "
    "concerned should be informed' of what will be shared, why and to whom (R14); the numbers are this project's "
    "choice: within a working day of the decision (4 hours where a child is at immediate risk), so the share the "
    "law requires is not held up",
    "dvds_initial_checks": "DVDS statutory guidance 2023 (Domestic Abuse Act 2021 s.77): initial checks in 24 hours",
    "dvds_face_to_face": "DVDS statutory guidance 2023: face-to-face meeting within 10 working days",
    "dvds_completion": "DVDS statutory guidance 2023: both routes complete within 28 days (R32)",
    "csor_initial_checks": "CSOR police guidance 2023: checks within 24 hours",
    "csor_face_to_face": "CSOR police guidance 2023: face-to-face interview within 10 days (counted as working days)",
    "csor_completion": "CSOR police guidance 2023: whole process within 45 days",
    "dvds_face_to_face_immediate_risk": "DVDS statutory guidance 2023: immediate risk at any stage means acting "
    "at once (R32); the meeting is brought forward to this (project choice)",
    "csor_face_to_face_immediate_risk": "CSOR police guidance 2023: immediate risk is acted on at once; the interview "
    "is brought forward to this (project choice)",
    "dvds_completion_reminder": "How long before the 28 days police staff are reminded (project choice; the "
    "supervisor gets a task when the 28 days pass)",
    "csor_completion_reminder": "How long before the 45 days police staff are reminded (project choice; the "
    "supervisor gets a task when the 45 days pass)",
    "competence_advice": "Procedure 2.10: the practitioner 'should also seek advice from his or her line manager or "
    "other relevant person' on a child's understanding (R4), and advice must be given 'within a time frame which is "
    "not detrimental to the child's interests' (R13); two working days, reminded a working day before, is this "
    "project's choice (as a standard consultation: consent is not yet sought, so nothing is shared meanwhile)",
    "referral_response": "Working Together to Safeguard Children 2023: children's social care acknowledges a "
    "referral and decides on the next steps within one working day (R41)",
    "subject_access_reminder": "How long before a subject access reply is due the data protection officer is "
    "reminded (project choice; the due date itself is UK GDPR Art. 12(3): one month, or three when extended)",
}


@lru_cache(maxsize=16)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """``days`` working days after ``start``, at the same time of day.

    A start on a non-working day counts from the next working day's start of
    business, so a Saturday referral is not "due" on Monday morning at 00:00.
    """
    current = start
    if not is_working_day(current.date()):
        while not is_working_day(current.date()):
            current = current + timedelta(days=1)
        current = current.replace(hour=9, minute=0, second=0, microsecond=0)
    remaining = days
    while remaining > 0:
        current = current + timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def subtract_working_days(end: datetime, days: int) -> datetime:
    current = end
    remaining = days
    while remaining > 0:
        current = current - timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


class DeadlinePolicy:
    """Looks up periods (defaults, overridable per kind and urgency) and computes due times."""

    def __init__(self, overrides: dict[str, dict[str, Period]] | None = None) -> None:
        self.table = {kind: dict(periods) for kind, periods in DEFAULTS.items()}
        for kind, periods in (overrides or {}).items():
            self.table.setdefault(kind, {}).update(periods)

    def period(self, kind: str, urgency: str | None) -> Period:
        periods = self.table.get(kind)
        if periods is None:
            raise DomainRuleError("R16", f"No deadline is configured for {kind!r}",
                                  f"Configure one of: {', '.join(sorted(self.table))}")
        if urgency is not None and urgency in periods:
            return periods[urgency]
        if "*" in periods:
            return periods["*"]
        raise DomainRuleError("R16", f"The urgency {urgency!r} has no {kind} deadline",
                              f"Choose one of: {', '.join(URGENCIES)}")

    def deadline(self, kind: str, urgency: str | None, start: datetime) -> datetime:
        period = self.period(kind, urgency)
        if period.unit == "hours":
            return start + timedelta(hours=period.amount)
        if period.unit == "days":
            return start + timedelta(days=period.amount)
        return add_working_days(start, period.amount)

    def reminder(self, kind: str, urgency: str | None, start: datetime) -> datetime:
        """When to remind before the deadline: halfway for short periods, a working day before for longer ones."""
        due = self.deadline(kind, urgency, start)
        period = self.period(kind, urgency)
        if period.unit == "working_days" and period.amount >= 2:
            return max(start, subtract_working_days(due, 1))
        return start + (due - start) / 2


DEFAULT_POLICY = DeadlinePolicy()


def policy_for(session: Session) -> DeadlinePolicy:
    """The deadline policy in force: the defaults, plus any overrides an administrator saved.

    Read in the step's own transaction, so a deadline computed by a model always
    uses the settings that were committed when the step ran.
    """
    rows = session.scalars(select(DeadlineSetting)).all()
    if not rows:
        return DEFAULT_POLICY
    overrides: dict[str, dict[str, Period]] = {}
    for row in rows:
        overrides.setdefault(row.kind, {})[row.urgency] = Period(row.amount, _unit(row.unit))
    return DeadlinePolicy(overrides)


def _unit(value: str) -> Unit:
    if value not in UNITS:
        raise ConfigurationError(
            f"The deadline unit {value!r} is not one of {', '.join(UNITS)}", "Choose hours, days or working_days"
        )
    return cast(Unit, value)


def set_deadline(
    session: Session,
    clock: Clock,
    actor: User,
    kind: str,
    urgency: str,
    amount: int,
    unit: str,
    reason: str,
) -> DeadlineSetting:
    """Save an override of one default period (an administrator's act, audited). Instances already
    waiting keep the due times they computed; new deadlines use the new period."""
    require_role(actor, Role.ADMINISTRATOR)
    # Each refusal names its question (``field_errors``), so the settings page can put it by that field.
    if kind not in DEFAULTS:
        raise _invalid("kind", f"There is no deadline kind {kind!r}", f"Choose one of: {', '.join(sorted(DEFAULTS))}")
    if urgency != "*" and urgency not in URGENCIES:
        raise _invalid(
            "urgency",
            f"There is no urgency {urgency!r}",
            f"Choose one of: {', '.join(URGENCIES)}, or * for every urgency",
        )
    if unit not in UNITS:
        raise _invalid("unit", f"The deadline unit {unit!r} is not one of {', '.join(UNITS)}",
                       "Choose hours, days or working_days")
    checked_unit = _unit(unit)
    if not 1 <= amount <= MAX_AMOUNT[checked_unit]:
        raise _invalid(
            "amount",
            f"A deadline of {amount} {unit.replace('_', ' ')} is out of range",
            f"Give between 1 and {MAX_AMOUNT[checked_unit]} {unit.replace('_', ' ')}",
        )
    if not reason.strip():
        raise _invalid("reason", "A changed deadline needs a reason", "Say why, e.g. 'Force policy 2026/14'")
    row = session.scalar(
        select(DeadlineSetting).where(DeadlineSetting.kind == kind, DeadlineSetting.urgency == urgency)
    )
    before = policy_for(session).table.get(kind, {}).get(urgency)
    if row is None:
        row = DeadlineSetting(kind=kind, urgency=urgency)
        session.add(row)
    row.amount, row.unit, row.reason = amount, checked_unit, reason.strip()
    row.updated_at = clock.now()
    row.updated_by_id = actor.id
    session.flush()
    after = Period(amount, checked_unit)
    record_event(
        session,
        clock,
        actor,
        "deadline_changed",
        f"Deadline for {kind} ({urgency}) set to {after.describe()}",
        detail={
            "kind": kind,
            "urgency": urgency,
            "before": before.describe() if before else None,
            "after": after.describe(),
            "reason": row.reason,
        },
    )
    return row


def _invalid(field: str, message: str, hint: str) -> FormValidationError:
    return FormValidationError(message, {field: f"{message}. {hint}"}, hint)


def reset_deadline(session: Session, clock: Clock, actor: User, kind: str, urgency: str) -> None:
    """Remove an override, so the documented default applies again (audited)."""
    require_role(actor, Role.ADMINISTRATOR)
    row = session.scalar(
        select(DeadlineSetting).where(DeadlineSetting.kind == kind, DeadlineSetting.urgency == urgency)
    )
    if row is None:
        raise NotFoundError(f"No saved deadline for {kind} ({urgency})", "List them with 'safeshare deadlines'")
    session.delete(row)
    session.flush()
    record_event(
        session,
        clock,
        actor,
        "deadline_reset",
        f"Deadline for {kind} ({urgency}) back to its default",
        detail={"kind": kind, "urgency": urgency, "was": Period(row.amount, _unit(row.unit)).describe()},
    )


# -- Subject access requests (UK GDPR Art. 12(3)) -------------------------------------------------

#: Months allowed for a reply, and with the extension for complex or numerous requests (Art. 12(3):
#: "extended by two further months where necessary").
SUBJECT_ACCESS_MONTHS = 1
SUBJECT_ACCESS_EXTENDED_MONTHS = 3


def subject_access_due(clock_start: date, *, extended: bool = False) -> date:
    """The day a subject access reply is due: the same date one month (three, extended) after the clock
    started; the last day of that month when it has no such date; then the next working day when it
    falls on a weekend or bank holiday (the ICO's guidance on calculating the time limit)."""
    months = SUBJECT_ACCESS_EXTENDED_MONTHS if extended else SUBJECT_ACCESS_MONTHS
    month_index = clock_start.month - 1 + months
    year, month = clock_start.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    due = date(year, month, min(clock_start.day, last_day))
    while not is_working_day(due):
        due += timedelta(days=1)
    return due


def subject_access_times(session: Session, due_on: date, now: datetime) -> tuple[datetime, datetime]:
    """When a reply due on ``due_on`` is escalated (the last minute of that day, UTC: the whole due day is
    allowed, and the task shows it as due that day) and when the officer is reminded before it (a setting;
    never before ``now``)."""
    deadline = datetime(due_on.year, due_on.month, due_on.day, 23, 59, tzinfo=now.tzinfo)
    before = policy_for(session).period("subject_access_reminder", None)
    span = timedelta(hours=before.amount) if before.unit == "hours" else timedelta(days=before.amount)
    reminder = (deadline - span).replace(hour=9)
    return deadline, max(now, min(reminder, deadline))
