"""Administration in the browser (issue 16, item 5): deadline settings changed with a reason, teams added,
failed notifications and stopped work retried, each through the service its command uses, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.deadlines import set_deadline
from safeshare.core.errors import FormValidationError
from safeshare.core.records import (
    AuditEvent,
    DeadlineSetting,
    Notification,
    ProcessInstance,
    Team,
    TimerIncident,
    WaitingTimer,
)
from tests.builders import Scenario
from tests.conftest import START
from tests.test_training_mode import consult, csrf_of, passwords, signed_in


def events(app: App, event_type: str) -> list[AuditEvent]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)))


def deadline_of(app: App, instance_id: int) -> str:
    with app.db.read() as s:
        timer = s.scalars(
            select(WaitingTimer).where(
                WaitingTimer.instance_id == instance_id, WaitingTimer.event_name == "Advice deadline passed"
            )
        ).one()
        return timer.due_at.isoformat()


def test_a_deadline_is_changed_on_the_page_with_a_reason_and_applies_to_new_deadlines(
    app: App, scenario: Scenario
) -> None:
    passwords(app, scenario, "alex", "max")
    before = consult(scenario)  # standard: two working days, Wednesday 09:00
    assert deadline_of(app, before) == "2026-11-25T09:00:00+00:00"
    alex = signed_in(app, "alex")
    listing = alex.get("/admin/deadlines").text
    assert 'href="/admin/deadlines/consultation/standard"' in listing
    page = alex.get("/admin/deadlines/consultation/standard")
    assert page.status_code == 200 and "How long is the deadline?" in page.text and "2 working days" in page.text
    csrf = csrf_of(page.text)
    url = "/admin/deadlines/consultation/standard"

    for data, words in [
        ({"amount": "", "unit": "working_days", "reason": "Policy"}, "Enter how long the deadline is"),
        ({"amount": "three", "unit": "working_days", "reason": "Policy"}, "as a whole number, like 4"),
        ({"amount": "3", "unit": "", "reason": "Policy"}, "Choose hours, calendar days or working days"),
        ({"amount": "3", "unit": "working_days", "reason": "  "}, "Enter why the deadline is changing"),
        ({"amount": "91", "unit": "days", "reason": "Policy"}, "Give between 1 and 90 days"),
        ({"amount": "0", "unit": "hours", "reason": "Policy"}, "Give between 1 and 2160 hours"),
        ({"amount": "3", "unit": "fortnights", "reason": "Policy"}, "Choose hours, days or working_days"),
    ]:
        refused = alex.post(url, data={"csrf_token": csrf, **data})
        assert refused.status_code == 422 and words in refused.text, (data, refused.text[-3000:])
        assert "There is a problem" in refused.text
    with app.db.read() as s:
        assert s.scalars(select(DeadlineSetting)).all() == []  # nothing half-written
    assert events(app, "deadline_changed") == []

    saved = alex.post(
        url,
        data={"csrf_token": csrf, "amount": "3", "unit": "working_days", "reason": "Board decision 2026/14"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = alex.get(saved.headers["location"]).text
    assert "Deadline changed." in shown and "3 working days" in shown and "Board decision 2026/14" in shown
    (changed,) = events(app, "deadline_changed")
    assert changed.actor_name == "Alex Admin"
    assert changed.detail == {
        "kind": "consultation",
        "urgency": "standard",
        "before": "2 working days",
        "after": "3 working days",
        "reason": "Board decision 2026/14",
    }
    after = consult(scenario)
    assert deadline_of(app, after) == "2026-11-26T09:00:00+00:00"  # the new period: Thursday
    assert deadline_of(app, before) == "2026-11-25T09:00:00+00:00"  # waiting work keeps its deadline

    reset = alex.post(f"{url}/reset", data={"csrf_token": csrf}, follow_redirects=False)
    assert reset.status_code == 303 and "back to its default" in alex.get(reset.headers["location"]).text
    assert len(events(app, "deadline_reset")) == 1
    assert deadline_of(app, consult(scenario)) == "2026-11-25T09:00:00+00:00"

    manager = signed_in(app, "max")
    assert manager.get(url).status_code == 403
    assert (
        manager.post(
            url, data={"csrf_token": csrf_of(manager.get("/tasks").text), "amount": "1", "unit": "hours", "reason": "x"}
        ).status_code
        == 403
    )
    with app.db.read() as s:
        assert s.scalars(select(DeadlineSetting)).all() == []


def test_the_service_names_the_question_each_refusal_is_about(app: App, scenario: Scenario) -> None:
    with app.transaction() as s, pytest.raises(FormValidationError) as refused:
        set_deadline(s, app.clock, scenario.user(s, "alex"), "consultation", "sometime", 1, "hours", "x")
    assert list(refused.value.field_errors) == ["urgency"]


def test_teams_are_added_on_the_page_and_offered_for_users(app: App, scenario: Scenario) -> None:
    passwords(app, scenario, "alex")
    alex = signed_in(app, "alex")
    page = alex.get("/admin/teams")
    assert page.status_code == 200 and "North" in page.text and "Police PPU" in page.text
    csrf = csrf_of(page.text)
    empty = alex.post("/admin/teams", data={"csrf_token": csrf, "name": " ", "agency": ""})
    assert empty.status_code == 422
    assert "Enter the team&#39;s name" in empty.text and "Enter the agency the team belongs to" in empty.text
    same = alex.post("/admin/teams", data={"csrf_token": csrf, "name": "north", "agency": "Council"})
    assert same.status_code == 422 and "There is already a team called &#39;North&#39;" in same.text
    added = alex.post(
        "/admin/teams",
        data={"csrf_token": csrf, "name": "Duty team", "agency": "Northfield Council"},
        follow_redirects=False,
    )
    assert added.status_code == 303 and "Team added." in alex.get(added.headers["location"]).text
    with app.db.read() as s:
        team = s.scalars(select(Team).where(Team.name == "Duty team")).one()
    assert events(app, "team_created")[-1].detail == {"team_id": team.id}
    assert events(app, "team_created")[-1].actor_name == "Alex Admin"
    users = alex.get("/admin/users").text
    assert f'value="{team.id}"' in users  # a new user can be put in it (the users page of ui_admin)
    made = alex.post(
        "/admin/users",
        data={
            "csrf_token": csrf_of(users),
            "username": "dee",
            "display_name": "Dee Duty",
            "roles": "practitioner",
            "team_id": str(team.id),
            "password": "a long password 1",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert '<td class="govuk-table__cell">1</td>' in alex.get("/admin/teams").text


def test_failed_notifications_and_stopped_work_are_retried_from_the_pages(app: App, scenario: Scenario) -> None:
    passwords(app, scenario, "alex")
    instance_id = consult(scenario)
    with app.transaction() as s:
        note = Notification(
            created_at=START,
            channel="email",
            template="task_reminder",
            recipient_email="max@example.org",
            subject="A task is waiting for you",
            body_text="...",
            status="failed",
            attempts=5,
            next_attempt_at=START,
            last_error="550 mailbox unavailable",
        )
        s.add(note)
        instance = s.get(ProcessInstance, instance_id)
        assert instance is not None
        instance.status = "error"
        s.add(
            TimerIncident(
                instance_id=instance_id,
                occurred_at=START,
                worker="test",
                timers="Reminder time",
                message="The mail template store is unreachable",
            )
        )
        s.flush()
        note_id = note.id
    alex = signed_in(app, "alex")
    page = alex.get("/admin/notifications")
    assert "550 mailbox unavailable" in page.text and f"/admin/notifications/{note_id}/retry" in page.text
    app.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    sent = alex.post(
        f"/admin/notifications/{note_id}/retry", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert "No notification has failed." in alex.get("/admin/notifications").text
    with app.db.read() as s:
        stored = s.get(Notification, note_id)
        assert stored is not None and (stored.status, stored.attempts) == ("pending", 0)
    assert events(app, "notification_requeued")[0].actor_name == "Alex Admin"
    again = alex.post(f"/admin/notifications/{note_id}/retry", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 404  # not failed any more: nothing to send again

    stopped = alex.get("/admin/incidents")
    assert stopped.status_code == 200 and "The mail template store is unreachable" in stopped.text
    retried = alex.post(
        f"/admin/incidents/{instance_id}/retry", data={"csrf_token": csrf_of(stopped.text)}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert "Nothing has stopped." in alex.get(retried.headers["location"]).text
    with app.db.read() as s:
        instance = s.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "waiting"
    (event,) = events(app, "instance_retried")
    assert event.actor_name == "Alex Admin" and event.detail["instance_id"] == instance_id
