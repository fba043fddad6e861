"""A manager who answers a request for advice after it was escalated is told so, in words, and to whom
(page and API); task answers that name nothing never tell an API client to run a command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from safeshare.app import App
from safeshare.core.records import ProcessInstance
from safeshare.services import accounts, sharing
from tests.builders import Scenario
from tests.webkit import WebKit, assert_error, make_webkit

PASSWORD = "escalation password 1"
ADVICE = {"advice_decision": "share", "advice_reasons": "Risk of significant harm outweighs the refusal"}


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    with app.transaction() as s:  # before the tokens: setting a password ends the user's other sessions
        accounts.set_password(app, s, None, scenario.user(s, "max"), PASSWORD)
    return make_webkit(app, scenario)


def escalated_consultation(scenario: Scenario) -> tuple[int, str]:
    """A consultation left unanswered past its two-hour deadline: (instance, the manager's old task id)."""
    case_id, _ = scenario.open_case(14)
    with scenario.app.transaction() as s:
        instance = sharing.start_manager_consultation(
            scenario.app,
            s,
            scenario.user(s, "pat"),
            case_id,
            urgency="immediate_risk",
            question="May I tell the school nurse about the bruises?",
        ).id
    old_task = scenario.task(instance, "give_advice").task_id
    scenario.app.clock.advance(timedelta(hours=2, minutes=1))  # type: ignore[attr-defined]
    with scenario.app.transaction() as s:
        row = s.get(ProcessInstance, instance)
        assert row is not None
        scenario.app.engine.fire_due_timers(s, scenario.app.clock, row)
    assert [t.task_spec for t in scenario.open_tasks(instance)] == ["give_escalated_advice"]
    return instance, old_task


def test_a_manager_answering_after_escalation_is_told_it_went_to_the_senior_managers(web: WebKit) -> None:
    _, old_task = escalated_consultation(web.scenario)
    before = web.counts()
    r = web.post("max", f"/api/tasks/{old_task}/complete", json=ADVICE)
    body = assert_error(r, 409, "escalated to a senior manager", "deadline passed", "senior managers of North")
    assert "No open task" not in body["error"] and "safeshare" not in body["hint"]
    assert web.counts() == before  # nothing written
    shown = web.get("max", f"/api/tasks/{old_task}")
    assert_error(shown, 409, "escalated")


def test_the_page_says_the_same_and_names_the_senior_manager_holding_it(web: WebKit) -> None:
    instance, old_task = escalated_consultation(web.scenario)
    escalated = web.scenario.task(instance, "give_escalated_advice").task_id
    web.post("sue", f"/api/tasks/{escalated}/claim")
    client = TestClient(web.client.app)
    page = client.get("/sign-in")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/sign-in", data={"username": "max", "password": PASSWORD, "csrf_token": token})
    r = client.get(f"/tasks/{old_task}")
    assert r.status_code == 409
    assert "escalated to a senior manager" in r.text and "It is now with Sue Senior" in r.text
    assert "No open task" not in r.text


def test_after_the_senior_manager_answered_the_manager_is_told_who_did(web: WebKit) -> None:
    instance, old_task = escalated_consultation(web.scenario)
    web.scenario.complete(instance, "give_escalated_advice", "sue", ADVICE)
    assert_error(web.post("max", f"/api/tasks/{old_task}/complete", json=ADVICE), 409, "Sue Senior answered it")


def test_a_task_id_naming_nothing_is_not_found_without_a_command_to_run(web: WebKit) -> None:
    for task_id in ("00000000-0000-0000-0000-000000000000", "not-a-task"):
        body = assert_error(web.get("pat", f"/api/tasks/{task_id}"), 404, "no open task")
        assert "safeshare" not in body["hint"] and "'" not in body["hint"]


def test_someone_who_may_not_see_the_case_learns_nothing_of_the_escalation(web: WebKit) -> None:
    _, old_task = escalated_consultation(web.scenario)
    body = assert_error(web.post("mo", f"/api/tasks/{old_task}/complete", json=ADVICE), 404, "no open task")
    assert "escalated" not in body["error"]


def test_reading_a_message_that_is_not_yours_names_no_command(web: WebKit) -> None:
    body = assert_error(web.post("pat", "/api/messages/999999/read"), 404, "no message")
    assert "safeshare" not in body["hint"]
