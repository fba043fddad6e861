"""In real headless Chromium, on a training copy (issue 16, items 5 and 6): the administrator changes a
deadline with a reason and adds a team; a practitioner asks a manager for advice; the trainer moves the clock
forward from the Training page, and after the scheduler's next round the senior manager sees the escalation."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.records import AuditEvent, OpenTask
from safeshare.services.training import TrainingClock, clock_for, create_training_database
from tests.browser.conftest import Site, shoot
from tests.conftest import START
from workflows.timer_sweep import sweep_due_timers


@pytest.fixture
def app(app: App) -> App:
    """The test database created as a training copy while empty, then opened as every process opens it."""
    with app.transaction() as s:
        create_training_database(s, app.clock)
    return dataclasses.replace(app, clock=clock_for(app.db, app.clock))


def test_a_trainer_shows_an_escalation_in_minutes_on_a_training_copy(site: Site) -> None:
    assert isinstance(site.app.clock, TrainingClock)
    alex = site.page_as("alex")
    banner = alex.get_by_test_id("training-banner")
    assert "This is a training copy: nothing here is real." in banner.inner_text()
    shoot(alex, "60-training-banner")

    # The administrator changes the standard consultation deadline to 4 hours, with a reason.
    alex.get_by_role("link", name="Administration").click()
    alex.get_by_role("link", name="Deadline settings").click()
    alex.get_by_role("link", name="Change consultation, standard").click()
    alex.get_by_label("How long is the deadline?").fill("4")
    alex.get_by_label("Hours", exact=True).check()
    alex.get_by_role("button", name="Save the deadline").click()
    alex.get_by_role(
        "link", name="Enter why the deadline is changing, for example the policy that changed it"
    ).wait_for()
    shoot(alex, "61-deadline-reason-missing")
    alex.get_by_label("Why is it changing?").fill("Training: a short deadline to show an escalation")
    alex.get_by_role("button", name="Save the deadline").click()
    alex.get_by_text("Deadline changed.").wait_for()
    assert "4 hours" in alex.locator(".govuk-summary-list").inner_text()
    shoot(alex, "62-deadline-changed")

    alex.get_by_role("link", name="Teams").click()
    alex.get_by_label("What is the team called?").fill("Duty team")
    alex.get_by_label("Which agency is it part of?").fill("Northfield Council")
    alex.get_by_role("button", name="Add team").click()
    alex.get_by_text("Team added.").wait_for()
    assert "Duty team" in alex.get_by_test_id("teams").inner_text()
    shoot(alex, "63-teams")
    alex.get_by_role("link", name="Stopped work").click()
    alex.get_by_text("Nothing has stopped.").wait_for()

    # A practitioner asks for advice: the manager has 4 hours (the new setting).
    case_id, _ = site.scenario.open_case(12)
    pat = site.page_as("pat")
    pat.goto(f"{site.base_url}/cases/{case_id}")
    pat.get_by_label("Ask a manager for advice").fill("Should we tell the school about the bruising on his arm?")
    pat.get_by_label("Urgency").select_option("standard")
    pat.get_by_role("button", name="Ask for advice").click()
    pat.wait_for_url(f"{site.base_url}/cases/{case_id}")
    with site.app.db.read() as s:
        assert [t.task_spec for t in s.scalars(select(OpenTask))] == ["give_advice"]
    assert sweep_due_timers(site.app).fired == []  # the scheduler's round: nothing due yet

    # The trainer moves the clock forward 5 hours from the Training page.
    alex.get_by_role("link", name="Training").click()
    alex.get_by_label("How far forward should the clock move?").fill("5")
    alex.get_by_label("Hours", exact=True).check()
    alex.get_by_role("button", name="Move the clock forward").click()
    alex.get_by_text("Clock moved.").wait_for()
    assert "moved 5 hours forward: it is 23 Nov 2026, 14:00 here" in alex.get_by_test_id("training-banner").inner_text()
    shoot(alex, "64-training-clock-moved")
    assert site.app.clock.now() == START.replace(hour=14)

    fired = [t.event_name for t in sweep_due_timers(site.app).fired]  # the scheduler's next round
    assert fired == ["Reminder time", "Advice deadline passed"]
    sue = site.page_as("sue")
    sue.get_by_role("link", name="Manager queue").click()
    row = sue.locator("tr", has_text="Give escalated advice on sharing")
    assert "Escalation" in row.inner_text()
    assert "moved 5 hours forward" in sue.get_by_test_id("training-banner").inner_text()
    shoot(sue, "65-escalation-after-moving-the-clock")
    with site.app.db.read() as s:
        kinds = [e.event_type for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert {"deadline_changed", "team_created", "training_clock_moved", "timer_fired"} <= set(kinds)
