"""Deadlines (issue #4, R16, R32, R33): working days skip weekends and the bank holidays of England and Wales,
defaults by kind and urgency, and an administrator's audited overrides that the models then use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.deadlines import (
    DEFAULTS,
    SOURCES,
    DeadlinePolicy,
    Period,
    add_working_days,
    is_working_day,
    policy_for,
    reset_deadline,
    set_deadline,
)
from safeshare.core.errors import DomainRuleError, NotFoundError, PermissionDeniedError, SafeshareError
from safeshare.core.records import AuditEvent, DeadlineSetting
from tests.builders import Scenario
from tests.scheduling_support import start_fixture, timers

pytest_plugins = ["tests.scheduling_fixtures"]  # the timer_app and timer_scenario fixtures


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(at("2026-11-27"), 1) == at("2026-11-30")  # Friday -> Monday
    assert add_working_days(at("2026-11-26"), 2) == at("2026-11-30")  # Thursday -> Monday


def test_working_days_skip_a_bank_holiday_after_a_weekend() -> None:
    # Monday 31 August 2026 is the late summer bank holiday in England and Wales.
    assert not is_working_day(at("2026-08-31").date())
    assert add_working_days(at("2026-08-28"), 1) == at("2026-09-01")  # Friday -> Tuesday
    # Christmas 2026: Friday 25th, Boxing Day on Saturday so Monday 28th is the substitute day.
    assert add_working_days(at("2026-12-24"), 2) == at("2026-12-30")
    assert add_working_days(at("2026-04-02"), 1) == at("2026-04-07")  # Easter: Good Friday and Easter Monday


def test_scottish_only_bank_holidays_are_working_days_here() -> None:
    # Monday 3 August 2026 is a bank holiday in Scotland, not in England and Wales.
    assert is_working_day(at("2026-08-03").date())
    assert add_working_days(at("2026-07-31"), 1) == at("2026-08-03")


def test_a_weekend_start_counts_from_monday_morning() -> None:
    assert add_working_days(at("2026-11-28", 22), 1) == at("2026-12-01", 9)  # Saturday night -> Tuesday 09:00


def test_default_periods_by_kind_and_urgency() -> None:
    policy = DeadlinePolicy()
    monday = at("2026-11-23", 9)
    assert policy.deadline("consultation", "immediate_risk", monday) == monday + timedelta(hours=2)
    assert policy.deadline("consultation", "urgent", monday) == at("2026-11-24", 9)
    assert policy.deadline("consultation", "standard", monday) == at("2026-11-25", 9)
    assert policy.reminder("consultation", "standard", monday) == at("2026-11-24", 9)  # a working day before
    assert policy.reminder("consultation", "immediate_risk", monday) == monday + timedelta(hours=1)  # halfway
    assert policy.deadline("dvds_face_to_face", None, at("2026-12-21")) == at("2027-01-07")  # 10 working days
    assert policy.deadline("csor_completion", None, monday) == monday + timedelta(days=45)
    assert set(SOURCES) == set(DEFAULTS)  # every default says where it comes from
    with pytest.raises(DomainRuleError, match="R16"):
        policy.deadline("consultation", "whenever", monday)


def _settings_and_events(app: App) -> tuple[int, int]:
    with app.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(DeadlineSetting)) or 0,
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def test_an_administrator_overrides_a_deadline_and_new_timers_use_it(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    with app.transaction() as s:
        set_deadline(s, app.clock, timer_scenario.user(s, "alex"), "consultation", "standard", 4, "hours", "Pilot")
    with app.db.read() as s:
        policy = policy_for(s)
        assert policy.period("consultation", "standard") == Period(4, "hours")
        assert policy.period("consultation", "urgent") == Period(1, "working_days")  # others keep their default
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "deadline_changed"))
        assert event.detail == {
            "kind": "consultation",
            "urgency": "standard",
            "before": "2 working days",
            "after": "4 hours",
            "reason": "Pilot",
        }
    case_id, _ = timer_scenario.open_case(12)
    iid = start_fixture(timer_scenario, case_id, "standard")
    now = app.clock.now()
    assert [t.due_at for t in timers(app, iid)] == [now + timedelta(hours=2), now + timedelta(hours=4)]

    with app.transaction() as s:
        reset_deadline(s, app.clock, timer_scenario.user(s, "alex"), "consultation", "standard")
    with app.db.read() as s:
        assert policy_for(s).period("consultation", "standard") == Period(2, "working_days")


@pytest.mark.parametrize(
    ("who", "kind", "urgency", "amount", "unit", "reason", "error"),
    [
        ("max", "consultation", "standard", 4, "hours", "x", PermissionDeniedError),
        ("alex", "coffee_break", "standard", 4, "hours", "x", SafeshareError),
        ("alex", "consultation", "whenever", 4, "hours", "x", SafeshareError),
        ("alex", "consultation", "standard", 4, "fortnights", "x", SafeshareError),
        ("alex", "consultation", "standard", 0, "hours", "x", SafeshareError),
        ("alex", "consultation", "standard", 400, "working_days", "x", SafeshareError),
        ("alex", "consultation", "standard", 4, "hours", "  ", SafeshareError),
    ],
)
def test_bad_overrides_are_refused_and_change_nothing(
    timer_scenario: Scenario, who: str, kind: str, urgency: str, amount: int, unit: str, reason: str, error: type
) -> None:
    app = timer_scenario.app
    before = _settings_and_events(app)
    with pytest.raises(error), app.transaction() as s:
        set_deadline(s, app.clock, timer_scenario.user(s, who), kind, urgency, amount, unit, reason)
    assert _settings_and_events(app) == before
    with app.db.read() as s:
        assert policy_for(s).table == DeadlinePolicy().table


def test_resetting_a_deadline_that_was_never_changed(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    with pytest.raises(NotFoundError), app.transaction() as s:
        reset_deadline(s, app.clock, timer_scenario.user(s, "alex"), "consultation", "urgent")
