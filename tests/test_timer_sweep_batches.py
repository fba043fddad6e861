"""The timer sweep in batches and with parallel workers (issue #7): several instances per transaction, each in
its own savepoint, so one failure or one lost race stays with its instance; on PostgreSQL, helper processes share a
burst and still fire each timer exactly once; SQLite keeps one worker."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from safeshare.app import App
from safeshare.core.audit import verify_chain
from safeshare.core.clock import FixedClock
from safeshare.core.config import Settings
from safeshare.core.errors import ConfigurationError, ConflictError, SafeshareError
from safeshare.core.records import OpenTask, ProcessInstance, WaitingTimer
from tasks.automated import HANDLERS
from tests.builders import Scenario
from tests.scheduling_support import app_with, events, instance, start_fixture, timers
from workflows import timer_sweep
from workflows.context import ServiceContext
from workflows.sweep_helpers import Helper
from workflows.timer_sweep import _lost_race, effective_workers, sweep_due_timers

pytest_plugins = ["tests.scheduling_fixtures"]  # the timer_app and timer_scenario fixtures


def clock_of(app: App) -> FixedClock:
    assert isinstance(app.clock, FixedClock)
    return app.clock


def is_postgres(app: App) -> bool:
    return app.db.engine.dialect.name == "postgresql"


def chain_ok(app: App) -> bool:
    with app.db.read() as s:
        return verify_chain(s).ok


def _staggered(scenario: Scenario, n: int, **data: Any) -> list[int]:
    """``n`` fixture instances started ten minutes apart (immediate risk: reminder after 1 h, deadline after 2 h)."""
    case_id, _ = scenario.open_case(12)
    started = []
    for k in range(n):
        started.append(start_fixture(scenario, case_id, "immediate_risk", **data.get(f"i{k}", {})))
        clock_of(scenario.app).advance(timedelta(minutes=10))
    return started


@pytest.mark.parametrize("batch_size", [1, 2, 20])
def test_batches_fire_oldest_first_each_instance_once(timer_scenario: Scenario, batch_size: int) -> None:
    app = timer_scenario.app
    started = _staggered(timer_scenario, 5)
    clock_of(app).advance(timedelta(days=7))  # every reminder and deadline is due

    report = sweep_due_timers(app, batch_size=batch_size)

    assert report.transactions == -(-5 // batch_size)  # ceil(5 / batch): one transaction per batch
    assert list(dict.fromkeys(t.instance_id for t in report.fired)) == started  # oldest first across batches
    assert len(report.fired) == 10 and report.parked == [] and report.conflicts == []
    for iid in started:
        due_times = [t.due_at for t in report.fired if t.instance_id == iid]
        assert len(due_times) == 2 and due_times == sorted(due_times)
    # One audit event per instance, whatever the batch; each names that instance.
    assert sorted(e.detail["instance_id"] for e in events(app, "timer_fired")) == started
    assert all(t.committed_at is not None and t.committed_at >= t.fired_at for t in report.fired)
    assert sweep_due_timers(app, batch_size=batch_size).fired == []
    assert chain_ok(app)


def _switchable(switch: dict[str, Any], base: Any) -> Any:
    """The real ``notify``, except for instances flagged in their data while ``switch`` is on: ``explode``
    fails the step; ``race`` bumps the instance's version first, as a person's change committed in between."""

    def notify(ctx: ServiceContext, data: dict[str, Any]) -> Any:
        if switch.get("explode") and data.get("explode"):
            raise RuntimeError("the mail template store is unreachable")
        if switch.get("race") and data.get("race"):
            switch["race"] = False  # once: a person's change committed just before our step's write
            ctx.session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == ctx.instance.id)
                .values(version=ProcessInstance.version + 1)
                .execution_options(synchronize_session=False)
            )
        return base(ctx, data)

    return notify


def _due_reminders_with_one_flagged(timer_app: App, n: int, flagged: int, flag: str) -> tuple[App, list[int]]:
    """``n`` instances whose reminders are due (no deadline yet); the ``flagged``-th one's notify misbehaves."""
    switch = {flag: True}
    app = app_with(timer_app, timer_app.models, {**HANDLERS, "notify": _switchable(switch, HANDLERS["notify"])})
    started = _staggered(Scenario.create(app), n, **{f"i{flagged}": {flag: True}})
    clock_of(app).advance(timedelta(minutes=61))
    return app, started


def test_a_failing_instance_in_a_batch_is_parked_and_the_rest_of_the_batch_commits(timer_app: App) -> None:
    app, started = _due_reminders_with_one_flagged(timer_app, 5, 2, "explode")
    bad = started[2]

    report = sweep_due_timers(app, batch_size=20)

    assert report.transactions == 1  # the broken instance shared its transaction with the others
    assert report.parked == [bad] and report.conflicts == []
    good = [iid for iid in started if iid != bad]
    assert [t.instance_id for t in report.fired] == good
    assert instance(app, bad).status == "error"
    assert [t.fired_at for t in timers(app, bad)] == [None, None]  # nothing of its step was kept
    for iid in good:
        assert instance(app, iid).status == "waiting"
        assert [t.fired_at is not None for t in timers(app, iid)] == [True, False]  # reminder fired, deadline waits
    assert sorted(e.detail["instance_id"] for e in events(app, "timer_fired")) == good
    assert [e.detail["instance_id"] for e in events(app, "instance_parked")] == [bad]
    assert chain_ok(app)


def test_a_lost_race_in_a_batch_skips_only_that_instance_until_the_next_sweep(timer_app: App) -> None:
    app, started = _due_reminders_with_one_flagged(timer_app, 4, 1, "race")
    racer = started[1]

    report = sweep_due_timers(app)

    assert report.conflicts == [racer] and report.parked == []  # a lost race is not the instance's fault
    assert [t.instance_id for t in report.fired] == [iid for iid in started if iid != racer]
    assert instance(app, racer).status == "waiting"
    assert [t.fired_at for t in timers(app, racer)] == [None, None]
    assert instance(app, racer).version == instance(app, started[0]).version - 1  # its rolled-back bump is gone

    retry = sweep_due_timers(app)  # the next sweep takes it
    assert [(t.instance_id, t.event_name) for t in retry.fired] == [(racer, "Reminder time")]
    assert len(events(app, "timer_fired")) == 4
    assert chain_ok(app)


def test_limit_caps_the_instances_one_sweep_takes(timer_scenario: Scenario) -> None:
    app = timer_scenario.app
    started = _staggered(timer_scenario, 5)
    clock_of(app).advance(timedelta(minutes=61))

    first = sweep_due_timers(app, limit=2, batch_size=20)
    assert [t.instance_id for t in first.fired] == started[:2]  # the two oldest
    rest = sweep_due_timers(app, batch_size=2)
    assert [t.instance_id for t in rest.fired] == started[2:]


def _consultations(scenario: Scenario, n: int) -> list[int]:
    from safeshare.services.sharing import start_manager_consultation

    case_id, _ = scenario.open_case(12)
    with scenario.app.transaction() as s:
        pat = scenario.user(s, "pat")
        rows = [
            start_manager_consultation(
                scenario.app, s, pat, case_id, urgency="standard", question=f"Share the school's notes ({k})?"
            )
            for k in range(n)
        ]
        return [row.id for row in rows]


def test_parallel_workers_share_a_burst_and_fire_each_timer_once(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real consultations and handlers, so helper processes (which run the registered handlers) may start."""
    app = scenario.app
    started = _consultations(scenario, 9)
    clock_of(app).advance(timedelta(days=2, minutes=1))  # each reminder and each deadline is due
    monkeypatch.setattr(timer_sweep, "MIN_DUE_PER_HELPER", 1)  # a helper for any backlog: this burst is small

    # limit = the burst: each of the 3 workers may take only its third, so the helpers must fire theirs.
    report = sweep_due_timers(app, worker="sweep", limit=9, workers=3, batch_size=2)

    fired = [(t.instance_id, t.event_name) for t in report.fired]
    names = ("Reminder time", "Advice deadline passed")
    assert sorted(fired) == sorted((iid, name) for iid in started for name in names)
    with app.db.read() as s:
        rows = s.execute(select(WaitingTimer.instance_id, WaitingTimer.claimed_by).where(
            WaitingTimer.instance_id.in_(started), WaitingTimer.fired_at.is_not(None))).all()
        escalated = s.scalars(select(OpenTask.instance_id).where(OpenTask.task_spec == "give_escalated_advice")).all()
    by_instance = {iid: {who for i, who in rows if i == iid} for iid in started}
    assert all(len(who) == 1 for who in by_instance.values())  # both timers of an instance: one worker
    per_worker = Counter(next(iter(who)) for who in by_instance.values())
    if is_postgres(app):
        assert report.workers == 3
        assert per_worker == {"sweep": 3, "sweep/2": 3, "sweep/3": 3}
    else:  # one writer at a time: SQLite never starts helpers
        assert report.workers == 1 and per_worker == {"sweep": 9}
    assert sorted(escalated) == sorted(started)  # each escalated exactly once
    assert sorted(e.detail["instance_id"] for e in events(app, "timer_fired")) == sorted(started)
    assert sweep_due_timers(app, workers=3).fired == []
    assert chain_ok(app)


def test_sqlite_runs_one_worker_and_postgresql_the_configured_number(app: App) -> None:
    configured = App(Settings(database_url=app.settings.database_url, sweep_workers=4), app.db, app.models,
                     app.engine, app.clock)
    if is_postgres(app):
        assert effective_workers(app, None) == timer_sweep.DEFAULT_POSTGRES_WORKERS
        assert effective_workers(configured, None) == 4 and effective_workers(configured, 3) == 3
    else:
        assert effective_workers(app, 8) == 1 and effective_workers(configured, None) == 1


def test_sweep_workers_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFESHARE_SWEEP_WORKERS", "3")
    assert Settings.from_env().sweep_workers == 3
    monkeypatch.delenv("SAFESHARE_SWEEP_WORKERS")
    assert Settings.from_env().sweep_workers is None
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("SAFESHARE_SWEEP_WORKERS", bad)
        with pytest.raises(ConfigurationError, match="SAFESHARE_SWEEP_WORKERS"):
            Settings.from_env()


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_races_are_told_apart_from_a_database_that_went_away() -> None:
    assert _lost_race(ConflictError("changed at the same moment"))
    assert _lost_race(OperationalError("UPDATE", {}, _PgError("40P01")))  # deadlock detected
    assert _lost_race(OperationalError("UPDATE", {}, _PgError("40001")))  # serialization failure
    assert not _lost_race(OperationalError("SELECT 1", {}, _PgError("57P01")))  # the server shut down
    assert not _lost_race(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert not _lost_race(RuntimeError("a handler failed"))


def test_a_helper_process_that_fails_fails_the_sweep(tmp_path: Any) -> None:
    with open(tmp_path / "out", "w+b") as out, open(tmp_path / "err", "w+b") as err:
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit('database is gone')"], stdout=out, stderr=err)
        with pytest.raises(SafeshareError, match="exit 1.*database is gone"):
            Helper(proc, out, err).report()


def test_helpers_start_only_for_a_backlog_of_instances_that_may_be_swept(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scenario.app
    (iid,) = _consultations(scenario, 1)
    monkeypatch.setattr(timer_sweep, "MIN_DUE_PER_HELPER", 1)
    assert timer_sweep._helpers_wanted(app, 3, 1000) == 0  # nothing due yet
    clock_of(app).advance(timedelta(days=2, minutes=1))  # its reminder and its deadline: two due timers
    assert timer_sweep._helpers_wanted(app, 3, 1000) == 2
    assert timer_sweep._helpers_wanted(app, 3, 1) == 0  # a sweep allowed one instance shares nothing
    assert timer_sweep._helpers_wanted(app, 1, 1000) == 0
    with app.transaction() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == iid).values(status="error"))
    assert timer_sweep._helpers_wanted(app, 3, 1000) == 0  # a parked instance's timers wait for an administrator
    other = App(app.settings, app.db, app.models, type(app.engine)(app.models, {**HANDLERS}), app.clock)
    other.engine.handlers["notify"] = lambda ctx, data: 0
    with app.transaction() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == iid).values(status="waiting"))
    assert timer_sweep._helpers_wanted(app, 3, 1000) == 2
    assert timer_sweep._helpers_wanted(other, 3, 1000) == 0  # helpers could not run these handlers
