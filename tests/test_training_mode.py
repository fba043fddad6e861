"""Training mode (issue 16, item 6): a database created as a training copy, whose clock an administrator moves
forward so reminders and escalations fire in minutes; refused on any database not created for training."""

from __future__ import annotations

import dataclasses
import pickle
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli
from safeshare.core.clock import FixedClock
from safeshare.core.errors import ConflictError, FormValidationError, PermissionDeniedError
from safeshare.core.records import AuditEvent, OpenTask, TrainingSetting
from safeshare.services import accounts
from safeshare.services.sharing import start_manager_consultation
from safeshare.services.training import (
    TrainingClock,
    clock_for,
    create_training_database,
    move_amount,
    move_clock,
    training_status,
)
from tests.builders import Scenario
from tests.conftest import START
from tests.webkit import TEST_KEY
from web.app import create_app
from workflows.timer_sweep import sweep_due_timers

PASSWORD = "training password 1"


@pytest.fixture
def training_app(app: App) -> Iterator[App]:
    """The test database created as a training copy (while still empty), opened as ``App.create`` opens it."""
    with app.transaction() as s:
        create_training_database(s, app.clock)
    yield dataclasses.replace(app, clock=clock_for(app.db, app.clock))


def events(app: App, event_type: str) -> list[AuditEvent]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)))


def open_specs(app: App) -> list[str]:
    with app.db.read() as s:
        return sorted(t.task_spec for t in s.scalars(select(OpenTask)))


def consult(scenario: Scenario) -> int:
    case_id, _ = scenario.open_case(12)
    with scenario.app.transaction() as s:
        row = start_manager_consultation(
            scenario.app, s, scenario.user(s, "pat"), case_id, urgency="standard", question="Tell the school?"
        )
        return row.id


def test_a_moved_clock_fires_the_escalation_and_every_process_sees_the_same_time(training_app: App) -> None:
    app = training_app
    assert isinstance(app.clock, TrainingClock) and app.clock.now() == START
    scenario = Scenario.create(app)
    consult(scenario)  # Monday 09:00, standard: the manager's deadline is Wednesday 09:00
    assert sweep_due_timers(app).fired == []

    with app.transaction() as s:
        state = move_clock(app, s, scenario.user(s, "alex"), move_amount("2", "days") + timedelta(minutes=1))
    assert state.ahead() == "2 days and 1 minute"
    assert app.clock.now() == START + timedelta(days=2, minutes=1)  # this process sees its own move at once
    fired = [t.event_name for t in sweep_due_timers(app).fired]
    assert fired == ["Reminder time", "Advice deadline passed"]
    assert open_specs(app) == ["give_escalated_advice"]

    # Another process (server, scheduler, command line) opening the database reads the same moved time.
    other = clock_for(app.db, FixedClock(START))
    assert isinstance(other, TrainingClock) and other.now() == START + timedelta(days=2, minutes=1)
    with app.db.read() as s:
        stored = s.scalars(select(TrainingSetting)).one()
        assert stored.offset_seconds == 2 * 86400 + 60 and stored.moved_by_id == scenario.users["alex"]
    # A sweep worker process is handed the base clock; its own App.create wraps it again from the database.
    unpickled = pickle.loads(pickle.dumps(app.clock))
    assert isinstance(unpickled, FixedClock) and clock_for(app.db, unpickled).now() == app.clock.now()
    (moved,) = events(app, "training_clock_moved")
    assert moved.actor_name == "Alex Admin" and moved.detail["ahead_minutes"] == 2 * 24 * 60 + 1


def test_only_an_administrator_moves_the_clock_and_only_forward_by_a_sane_amount(training_app: App) -> None:
    scenario = Scenario.create(training_app)
    with training_app.transaction() as s, pytest.raises(PermissionDeniedError, match="administrator"):
        move_clock(training_app, s, scenario.user(s, "max"), timedelta(hours=1))
    for amount, unit, field, words in [
        ("", "hours", "amount", "Enter how far to move the clock forward"),
        ("two", "hours", "amount", "as a whole number, like 2"),
        ("-3", "hours", "amount", "as a whole number"),
        ("0", "minutes", "amount", "at least 1"),
        ("61", "days", "amount", "60 days or less at a time"),
        ("2", "weeks", "unit", "Choose minutes, hours or days"),
    ]:
        with pytest.raises(FormValidationError) as refused:
            move_amount(amount, unit)
        assert words in refused.value.field_errors[field], (amount, unit, refused.value.field_errors)
    assert training_app.clock.now() == START and events(training_app, "training_clock_moved") == []


def test_the_clock_cannot_be_moved_on_a_database_not_created_for_training(app: App, scenario: Scenario) -> None:
    assert clock_for(app.db, app.clock) is app.clock  # not a training copy: the clock is left as it is
    with app.transaction() as s, pytest.raises(PermissionDeniedError) as refused:
        move_clock(app, s, scenario.user(s, "alex"), timedelta(hours=1))
    assert refused.value.message == "This database was not created for training, so its clock cannot be moved"
    with app.db.read() as s:
        assert training_status(s, app.clock) is None
        assert s.scalar(select(func.count()).select_from(TrainingSetting)) == 0
    assert events(app, "training_clock_moved") == []

    # ... nor can a database that holds records become a training copy.
    with app.transaction() as s, pytest.raises(ConflictError, match="already holds records"):
        create_training_database(s, app.clock)
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(TrainingSetting)) == 0


def test_the_command_line_creates_a_training_copy_and_moves_its_clock(app: App, database_url: str) -> None:
    _register()
    runner = CliRunner()
    created = runner.invoke(cli, ["training", "create", "--with-demo-people", "--database-url", database_url])
    assert created.exit_code == 0, created.output
    assert "Created a training copy" in created.output
    again = runner.invoke(cli, ["training", "create", "--database-url", database_url])
    assert again.exit_code == 1 and "already a training copy" in again.output

    bad = runner.invoke(cli, ["training", "move", "lots", "--as", "alex", "--database-url", database_url])
    assert bad.exit_code == 1 and "whole number" in bad.output
    moved = runner.invoke(
        cli, ["training", "move", "3", "--unit", "hours", "--as", "alex", "--database-url", database_url]
    )
    assert moved.exit_code == 0, moved.output
    assert "3 hours ahead of the real time" in moved.output
    status = runner.invoke(cli, ["training", "status", "--database-url", database_url])
    assert status.exit_code == 0 and "Clock moved forward: 3 hours." in status.output
    # The server opened on the same database runs 3 hours ahead of its base clock.
    opened = App.create(app.settings.replace(), FixedClock(START), migrate=False)
    try:
        assert opened.clock.now() == START + timedelta(hours=3)
    finally:
        opened.close()


def test_the_command_line_refuses_to_move_a_live_clock_and_audits_the_refusal(
    app: App, scenario: Scenario, database_url: str
) -> None:
    _register()
    refused = CliRunner().invoke(cli, ["training", "move", "2", "--as", "alex", "--database-url", database_url])
    assert refused.exit_code == 1
    assert "This database was not created for training, so its clock cannot be moved" in refused.output
    (event,) = events(app, "access_refused")
    assert event.detail["action"] == "safeshare training move (command line)"


def signed_in(app: App, username: str) -> TestClient:
    client = TestClient(create_app(app, key=TEST_KEY))
    csrf = csrf_of(client.get("/sign-in").text)
    answer = client.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": csrf}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def passwords(app: App, scenario: Scenario, *names: str) -> None:
    with app.transaction() as s:
        for name in names:
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)


def test_every_page_of_a_training_copy_says_so_and_the_trainer_moves_its_clock(training_app: App) -> None:
    scenario = Scenario.create(training_app)
    passwords(training_app, scenario, "alex", "pat")
    pat = signed_in(training_app, "pat")
    for url in ("/tasks", "/cases", "/messages"):
        assert 'data-testid="training-banner"' in pat.get(url).text, url
    assert "This is a training copy: nothing here is real." in pat.get("/tasks").text
    assert pat.get("/admin/training").status_code == 403

    alex = signed_in(training_app, "alex")
    page = alex.get("/admin/training")
    assert page.status_code == 200 and "How far forward should the clock move?" in page.text
    wrong = alex.post("/admin/training", data={"csrf_token": csrf_of(page.text), "amount": "soon", "unit": "hours"})
    assert wrong.status_code == 422 and "Enter how far to move the clock as a whole number, like 2" in wrong.text
    assert training_app.clock.now() == START
    done = alex.post(
        "/admin/training",
        data={"csrf_token": csrf_of(page.text), "amount": "90", "unit": "minutes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = alex.get(done.headers["location"]).text
    assert "Clock moved." in shown and "1 hour and 30 minutes" in shown
    assert "Its clock has been moved 1 hour and 30 minutes forward: it is 23 Nov 2026, 10:30 here." in shown
    assert training_app.clock.now() == START + timedelta(minutes=90)


def test_a_live_database_has_no_banner_and_refuses_the_move_from_the_page(app: App, scenario: Scenario) -> None:
    passwords(app, scenario, "alex")
    alex = signed_in(app, "alex")
    page = alex.get("/admin/training")
    assert 'data-testid="training-banner"' not in page.text
    assert "This database was not created for training, so its clock cannot be moved." in page.text
    assert "How far forward should the clock move?" not in page.text
    forged = alex.post("/admin/training", data={"csrf_token": csrf_of(page.text), "amount": "2", "unit": "hours"})
    assert forged.status_code == 403 and "not created for training" in forged.text
    assert app.clock.now() == START
    assert [e.detail.get("reason") for e in events(app, "access_refused")] == [
        "This database was not created for training, so its clock cannot be moved"
    ]
