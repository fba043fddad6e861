"""Separation of duties (issue 15, item 5): nobody gives themselves access to case data, and whoever
asked for advice cannot give it (nor answer its escalation)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeshare.app import App
from safeshare.core.records import Role, User
from safeshare.services import accounts
from tests.builders import Scenario
from tests.test_reports import consult, fire_timers
from tests.webkit import WebKit, assert_error, make_webkit


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


def test_an_administrator_cannot_give_themselves_a_manager_role_and_read_a_teams_cases(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(10)
    alex = web.scenario.users["alex"]
    north = web.scenario.team_ids["north"]
    for roles in (["administrator", "manager"], ["administrator", "senior_manager"]):
        body = {"roles": roles, "team_id": north, "active": True}
        assert_error(web.client.put(f"/api/admin/users/{alex}", json=body, headers=web.headers("alex")), 400)
    # nor widen their own access by moving team, nor hand an administrator a case role on another account
    assert_error(
        web.client.put(
            f"/api/admin/users/{alex}",
            json={"roles": ["administrator"], "team_id": north, "active": True},
            headers=web.headers("alex"),
        ),
        400,
        "your own",
    )
    pat = web.scenario.users["pat"]
    both = {"roles": ["administrator", "practitioner"], "team_id": north, "active": True}
    assert_error(
        web.client.put(f"/api/admin/users/{pat}", json=both, headers=web.headers("alex")),
        400,
        "administrator cannot also",
    )
    new = {
        "username": "alex2",
        "display_name": "Alex Again",
        "roles": ["administrator", "manager"],
        "team_id": north,
        "password": "a long enough password",
    }
    assert_error(
        web.client.post("/api/admin/users", json=new, headers=web.headers("alex")), 400, "administrator cannot also"
    )
    assert_error(web.get("alex", f"/api/cases/{case_id}"), 404)
    assert not web.events("user_updated") and not web.events("user_created")


def test_whoever_asked_for_advice_cannot_give_it_or_answer_its_escalation(scenario: Scenario) -> None:
    with scenario.app.transaction() as s:
        dual = accounts.create_account(
            scenario.app,
            s,
            None,
            username="dana",
            display_name="Dana Both",
            roles=[Role.PRACTITIONER, Role.MANAGER, Role.SENIOR_MANAGER],
            team_id=scenario.team_ids["north"],
            password=None,
        )
        scenario.users["dana"] = dual.id
    case_id, _ = scenario.open_case(10, by="dana")
    instance = consult(scenario, case_id, "dana")
    web = make_webkit(scenario.app, scenario)
    task = scenario.task(instance, "give_advice")
    body = {"advice_decision": "share", "advice_reasons": "I am sure I was right to ask"}
    refused = web.post("dana", f"/api/tasks/{task.task_id}/complete", json=body)
    assert refused.status_code in (400, 403, 422) and "someone else" in refused.json()["error"], refused.text
    assert scenario.task(instance, "give_advice").task_id == task.task_id  # still open, nothing written
    scenario.app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    fire_timers(scenario, instance)  # escalates to a senior manager: Dana is one, but it is her question
    escalated = scenario.task(instance, "give_escalated_advice")
    refused = web.post("dana", f"/api/tasks/{escalated.task_id}/complete", json=body)
    assert refused.status_code in (400, 403, 422) and "someone else" in refused.json()["error"], refused.text
    answered = web.post(
        "sue", f"/api/tasks/{escalated.task_id}/complete", json=body | {"advice_reasons": "Share it with the school"}
    )
    assert answered.status_code == 200, answered.text
    with scenario.app.db.read() as s:
        assert s.get(User, scenario.users["dana"]) is not None


def test_whoever_judged_a_childs_understanding_cannot_advise_on_their_own_judgement(scenario: Scenario) -> None:
    """R4 asks a manager's advice on the practitioner's competence judgement: someone holding both roles
    cannot give it on their own judgement; another manager of the team can (issue 15, item 5)."""
    with scenario.app.transaction() as s:
        dual = accounts.create_account(
            scenario.app, s, None, username="dana", display_name="Dana Both",
            roles=[Role.PRACTITIONER, Role.MANAGER], team_id=scenario.team_ids["north"], password=None,
        )  # fmt: skip
        scenario.users["dana"] = dual.id
    case_id, _ = scenario.open_case(12, by="dana")
    instance = scenario.start_episode(case_id, by="dana")
    judgement = {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"}
    scenario.complete(instance, "judge_competence", "dana", judgement)
    web = make_webkit(scenario.app, scenario)
    task = scenario.task(instance, "advise_on_competence")
    advice = {"manager_agrees_competence": True, "competence_advice": "I agree with my own judgement"}
    refused = web.post("dana", f"/api/tasks/{task.task_id}/complete", json=advice)
    assert refused.status_code == 422 and "someone else must advise" in refused.json()["error"], refused.text
    assert scenario.task(instance, "advise_on_competence").task_id == task.task_id  # still open
    answered = web.post("max", f"/api/tasks/{task.task_id}/complete", json=advice)
    assert answered.status_code == 200, answered.text
