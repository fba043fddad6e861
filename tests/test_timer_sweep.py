"""The timer sweep (issue #4): reminders then escalation, nothing after completion, exactly once with two
schedulers, catch-up oldest first after downtime, and a failing instance parked where an administrator sees it."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.clock import FixedClock
from safeshare.core.errors import NotFoundError, PermissionDeniedError
from safeshare.core.records import TimerIncident
from tasks.automated import HANDLERS
from tests.builders import Scenario
from tests.scheduling_support import (
    app_with,
    events,
    instance,
    notes,
    open_specs,
    recipients,
    start_fixture,
    timers,
)
from workflows.context import ServiceContext
from workflows.timer_sweep import due_timer_count, open_incidents, retry_instance, sweep_due_timers

pytest_plugins = ["tests.scheduling_fixtures"]  # the timer_app and timer_scenario fixtures

def clock_of(app: App) -> FixedClock:
    assert isinstance(app.clock, FixedClock)
    return app.clock


def test_reminder_then_escalation_for_a_task_left_alone(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    case_id, _ = timer_scenario.open_case(12)
    iid = start_fixture(timer_scenario, case_id, "standard")  # Monday 09:00: due Wednesday 09:00 (2 working days)
    assert [(t.event_name, t.due_at.isoformat()) for t in timers(app, iid)] == [
        ("Reminder time", "2026-11-24T09:00:00+00:00"),
        ("Deadline passed", "2026-11-25T09:00:00+00:00"),
    ]
    clock = clock_of(app)

    clock.advance(timedelta(hours=23, minutes=59))
    assert sweep_due_timers(app).fired == [] and notes(app) == []  # not due yet: nothing early

    clock.advance(timedelta(minutes=1))  # Tuesday 09:00 exactly: due, but a timer fires once its time has passed
    assert sweep_due_timers(app).fired == []
    clock.advance(timedelta(seconds=1))
    report = sweep_due_timers(app, worker="test")
    assert [t.event_name for t in report.fired] == ["Reminder time"]
    assert recipients(app, "task_reminder", timer_scenario.users) == ["max", "sue"]  # the team's managers
    assert "due 25 November 2026 09:00 UTC" in notes(app, "task_reminder")[0].subject
    assert open_specs(app, iid) == ["advise"]  # non-interrupting: the task stays open
    assert sweep_due_timers(app).fired == []  # a second sweep at the same moment fires nothing

    clock.advance(timedelta(days=1))  # Wednesday just after 09:00: the deadline
    report = sweep_due_timers(app)
    assert [t.event_name for t in report.fired] == ["Deadline passed"]
    assert open_specs(app, iid) == ["advise_escalated"]  # interrupting: the manager's task is taken away
    assert recipients(app, "consultation_escalated", timer_scenario.users) == ["pat", "pip", "sue"]
    assert len(notes(app, "task_reminder")) == 2  # no second reminder
    assert [t.fired_at is not None for t in timers(app, iid)] == [True, True]
    fired_events = events(app, "timer_fired")
    assert [e.detail["timers"][0]["name"] for e in fired_events] == ["Reminder time", "Deadline passed"]
    assert all(e.case_id == case_id for e in fired_events)


def test_no_reminder_after_the_task_is_completed(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    case_id, _ = timer_scenario.open_case(12)
    iid = start_fixture(timer_scenario, case_id, "standard")
    clock_of(app).advance(timedelta(hours=3))
    timer_scenario.complete(iid, "advise", "max", {"advice": "Share with the school nurse"})
    assert instance(app, iid).status == "completed"
    assert timers(app, iid) == []  # the cancelled boundary timers are gone from the table

    clock_of(app).advance(timedelta(days=10))
    report = sweep_due_timers(app)
    assert report.fired == [] and notes(app) == [] and events(app, "timer_fired") == []


def test_after_downtime_every_missed_timer_fires_once_oldest_first(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    clock = clock_of(app)
    started = []
    case_id, _ = timer_scenario.open_case(12)
    for urgency in ("standard", "urgent", "immediate_risk"):
        started.append(start_fixture(timer_scenario, case_id, urgency))
        clock.advance(timedelta(minutes=10))
    with app.db.read() as s:
        assert due_timer_count(s, clock.now() + timedelta(days=30)) == 6

    clock.advance(timedelta(days=7))  # the scheduler was down for a week
    report = sweep_due_timers(app)
    assert len(report.fired) == 6  # every missed timer
    # Oldest first: instances in the order of their oldest due timer (immediate risk, urgent, standard) ...
    assert list(dict.fromkeys(t.instance_id for t in report.fired)) == [started[2], started[1], started[0]]
    # ... and within each instance, its timers in due order.
    for iid in started:
        due_times = [t.due_at for t in report.fired if t.instance_id == iid]
        assert due_times == sorted(due_times)
    assert report.max_lateness is not None and report.max_lateness > timedelta(days=4)
    # The deadline passed too, so the reminders are stale and suppressed; each escalation is sent once.
    assert notes(app, "task_reminder") == []
    assert len(notes(app, "consultation_escalated")) == 3 * 3
    assert all(open_specs(app, iid) == ["advise_escalated"] for iid in started)
    assert sweep_due_timers(app).fired == []


def _start_many(scenario: Scenario, n: int) -> list[int]:
    case_id, _ = scenario.open_case(12)
    return [start_fixture(scenario, case_id, "immediate_risk") for _ in range(n)]


def test_two_concurrent_sweeps_fire_each_timer_once(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    started = _start_many(timer_scenario, 12)
    clock_of(app).advance(timedelta(hours=3))  # every reminder and deadline is due
    barrier = threading.Barrier(2)
    reports: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait()
            reports[name] = sweep_due_timers(app, worker=name)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"sweeper-{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    fired = [(t.instance_id, t.event_name) for r in reports.values() for t in r.fired]
    assert sorted(fired) == sorted((iid, name) for iid in started for name in ("Reminder time", "Deadline passed"))
    assert len(events(app, "timer_fired")) == len(started)  # one firing per instance, whoever did it
    assert len(notes(app, "consultation_escalated")) == 3 * len(started)  # pat, pip and sue, once each
    claimed = {t.claimed_by for t in timers(app)}
    assert claimed <= {"sweeper-1", "sweeper-2"} and None not in claimed


def _breakable_notify(switch: dict[str, bool]) -> Any:
    def notify(ctx: ServiceContext, data: dict[str, Any]) -> Any:
        if switch["broken"] and data.get("explode"):
            raise RuntimeError("the mail template store is unreachable")
        return HANDLERS["notify"](ctx, data)

    return notify


def test_a_failing_instance_is_parked_visibly_and_does_not_block_the_others(timer_app: App) -> None:
    switch = {"broken": True}
    app = app_with(timer_app, timer_app.models, {**HANDLERS, "notify": _breakable_notify(switch)})
    scenario = Scenario.create(app)
    case_id, _ = scenario.open_case(12)
    bad = start_fixture(scenario, case_id, "immediate_risk", explode=True)
    good = start_fixture(scenario, case_id, "immediate_risk")
    clock_of(app).advance(timedelta(minutes=61))

    report = sweep_due_timers(app)
    assert report.parked == [bad] and [t.instance_id for t in report.fired] == [good]
    assert instance(app, bad).status == "error"
    assert [t.fired_at for t in timers(app, bad)] == [None, None]  # nothing half-written for the broken one
    with app.db.read() as s:
        (incident,) = open_incidents(s)
        assert incident.instance_id == bad and "mail template store is unreachable" in incident.message
    assert events(app, "instance_parked")[0].detail["instance_id"] == bad
    assert sweep_due_timers(app).parked == []  # parked: not retried in a hot loop

    with app.transaction() as s, pytest.raises(PermissionDeniedError):
        retry_instance(app, s, scenario.user(s, "max"), bad)
    assert instance(app, bad).status == "error"
    switch["broken"] = False
    with app.transaction() as s:
        retry_instance(app, s, scenario.user(s, "alex"), bad)
    with app.transaction() as s, pytest.raises(NotFoundError):
        retry_instance(app, s, scenario.user(s, "alex"), bad)  # not stopped any more
    assert [t.instance_id for t in sweep_due_timers(app).fired] == [bad]
    with app.db.read() as s:
        resolved = s.get(TimerIncident, incident.id)
        assert open_incidents(s) == [] and resolved is not None and resolved.resolved_by_id == scenario.users["alex"]


def test_sweep_uses_the_index_on_due_timers(timer_app: App) -> None:
    from sqlalchemy import text

    with timer_app.db.read() as s:
        if timer_app.db.engine.dialect.name == "sqlite":
            plan = " ".join(
                str(r[-1])
                for r in s.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM waiting_timer WHERE fired_at IS NULL AND due_at < :now"
                    ),
                    {"now": "2026-11-23 09:00:00"},
                )
            )
            assert "ix_waiting_timer_pending_due" in plan
        else:
            s.execute(text("SET enable_seqscan = off"))
            plan = " ".join(
                r[0]
                for r in s.execute(
                    text("EXPLAIN SELECT id FROM waiting_timer WHERE fired_at IS NULL AND due_at < now()")
                )
            )
            assert "ix_waiting_timer_pending_due" in plan



# -- the real manager consultation model (bpmn/manager_consultation.bpmn, issue #3) ----------------------------


def _consult(scenario: Scenario, urgency: str) -> tuple[int, int]:
    from safeshare.services.sharing import start_manager_consultation

    case_id, _ = scenario.open_case(12)
    with scenario.app.transaction() as s:
        row = start_manager_consultation(
            scenario.app, s, scenario.user(s, "pat"), case_id, urgency=urgency, question="Share with the school today?"
        )
        return row.id, case_id


def test_real_consultation_left_alone_is_reminded_then_escalated(scenario: Scenario) -> None:
    app = scenario.app
    iid, case_id = _consult(scenario, "standard")  # Monday 09:00: due Wednesday 09:00, reminder Tuesday 09:00
    assert [(t.event_name, t.due_at.isoformat()) for t in timers(app, iid)] == [
        ("Reminder time", "2026-11-24T09:00:00+00:00"),
        ("Advice deadline passed", "2026-11-25T09:00:00+00:00"),
    ]
    clock = clock_of(app)
    clock.advance(timedelta(days=1, seconds=30))
    assert [t.event_name for t in sweep_due_timers(app).fired] == ["Reminder time"]
    assert recipients(app, "task_reminder", scenario.users) == ["max", "sue"]
    assert open_specs(app, iid) == ["give_advice"]

    clock.advance(timedelta(days=1))
    assert [t.event_name for t in sweep_due_timers(app).fired] == ["Advice deadline passed"]
    assert open_specs(app, iid) == ["give_escalated_advice"]
    escalated = recipients(app, "consultation_escalated", scenario.users)
    assert "pat" in escalated and "sue" in escalated and "max" not in escalated  # the practitioner is told (R17)
    assert len(notes(app, "task_reminder")) == 2  # the manager's reminder was not sent again
    with app.db.read() as s:
        from safeshare.core.records import OpenTask

        task = s.scalars(select(OpenTask).where(OpenTask.instance_id == iid)).one()
        # The senior manager's own deadline: one working day from the escalation (Wednesday -> Thursday).
        assert (task.role, task.due_at) == ("senior_manager", clock.now() + timedelta(days=1))
    assert events(app, "timer_fired")[-1].case_id == case_id


def test_real_consultation_answered_in_time_sends_no_reminder(scenario: Scenario) -> None:
    app = scenario.app
    iid, _ = _consult(scenario, "urgent")
    clock_of(app).advance(timedelta(hours=2))
    scenario.complete(iid, "give_advice", "max", {"advice_decision": "share", "advice_reasons": "Risk of harm (a)"})
    assert timers(app, iid) == [] and instance(app, iid).status == "completed"
    clock_of(app).advance(timedelta(days=10))
    assert sweep_due_timers(app).fired == []
    assert notes(app, "task_reminder") == [] and notes(app, "consultation_escalated") == []
