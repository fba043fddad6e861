"""Need-to-know, as a matrix: every role against every kind of record, in and out of their team,
through the API and through the pages. 200 = allowed, 403 = known but not for you, 404 = you may
not know it exists. Every refusal is audited and changes nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from safeshare.app import App
from safeshare.services import accounts, schemes
from tests.builders import Scenario
from tests.webkit import WebKit, make_webkit

# pat, max and sue are North; olu and mo are South; priya is police; alex administers.
USERS = ("pat", "max", "sue", "olu", "mo", "priya", "alex")
JUDGE = {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"}


@dataclass
class World:
    web: WebKit
    north_case: int
    north_instance: int
    north_task: str  # judge_competence, assigned to pat
    north_manager_task: str  # advise_on_competence, for any North manager
    south_case: int
    south_instance: int
    application: int  # a DVDS right-to-ask application (a police record)
    application_instance: int


@pytest.fixture
def world(app: App, scenario: Scenario) -> World:
    web = make_webkit(app, scenario)
    north_case, _ = scenario.open_case(12)
    first = scenario.start_episode(north_case)
    second = scenario.start_episode(north_case)
    scenario.complete(second, "judge_competence", "pat", JUDGE)
    south_case, _ = scenario.open_case(13, by="olu")
    south_instance = scenario.start_episode(south_case, by="olu")
    with app.transaction() as s:
        row, process = schemes.start_application(
            app, s, scenario.user(s, "priya"), route="right_to_ask",
            applicant={"name": "Sam Taylor", "safe_contact": "mobile"}, subject={"name": "Alex Reed"},
            person_at_risk={"name": "Sam Taylor"}, concern="Threatened violence",
        )
        application, application_instance = row.id, process.id
    return World(
        web,
        north_case,
        first,
        scenario.task(first, "judge_competence").task_id,
        scenario.task(second, "advise_on_competence").task_id,
        south_case,
        south_instance,
        application,
        application_instance,
    )


def _expected_case(user: str, team: str) -> int:
    members = {"north": {"pat", "max", "sue"}, "south": {"olu", "mo"}}
    return 200 if user in members[team] else 404


# record kind -> (API url, page url or None, expected status per user)
def matrix(w: World) -> dict[str, tuple[str, str | None, dict[str, int]]]:
    north = {u: _expected_case(u, "north") for u in USERS}
    south = {u: _expected_case(u, "south") for u in USERS}
    return {
        "north case": (f"/api/cases/{w.north_case}", f"/cases/{w.north_case}", north),
        "north people": (f"/api/cases/{w.north_case}/people", None, north),
        "north audit trail": (f"/api/cases/{w.north_case}/audit", None, north),
        "north disclosure register": (f"/api/cases/{w.north_case}/disclosures", None, north),
        "north information received": (f"/api/cases/{w.north_case}/received-information", None, north),
        "north diagram": (f"/api/processes/{w.north_instance}/diagram", f"/processes/{w.north_instance}/diagram",
                          north),
        "south case": (f"/api/cases/{w.south_case}", f"/cases/{w.south_case}", south),
        "south diagram": (f"/api/processes/{w.south_instance}/diagram", f"/processes/{w.south_instance}/diagram",
                          south),
        # Assigned to pat: North's managers know the case, so they are told it is someone else's.
        "north practitioner task": (
            f"/api/tasks/{w.north_task}", f"/tasks/{w.north_task}",
            {"pat": 200, "max": 403, "sue": 403, "olu": 404, "mo": 404, "priya": 404, "alex": 404},
        ),
        # For any North manager: practitioners of the team are told it needs another role.
        "north manager task": (
            f"/api/tasks/{w.north_manager_task}", f"/tasks/{w.north_manager_task}",
            {"pat": 403, "max": 200, "sue": 200, "olu": 404, "mo": 404, "priya": 404, "alex": 404},
        ),
        "police application": (f"/api/schemes/applications/{w.application}", f"/schemes/{w.application}",
                               {u: 200 if u == "priya" else 404 for u in USERS}),
        "police process diagram": (f"/api/processes/{w.application_instance}/diagram",
                                   f"/processes/{w.application_instance}/diagram",
                                   {u: 200 if u == "priya" else 404 for u in USERS}),
        "police queue": ("/api/queues/police", "/queues/police", {u: 200 if u == "priya" else 403 for u in USERS}),
        "manager queue": ("/api/queues/manager", "/queues/manager",
                          {u: 200 if u in {"max", "sue", "mo"} else 403 for u in USERS}),
        "users and roles": ("/api/admin/users", "/admin/users", {u: 200 if u == "alex" else 403 for u in USERS}),
        "failed notifications": ("/api/admin/notifications/failed", "/admin/notifications",
                                 {u: 200 if u == "alex" else 403 for u in USERS}),
        "deadline settings": ("/api/admin/deadlines", "/admin/deadlines",
                              {u: 200 if u == "alex" else 403 for u in USERS}),
    }


RECORDS = (
    "north case", "north people", "north audit trail", "north disclosure register", "north information received",
    "north diagram", "south case", "south diagram", "police application", "police process diagram", "police queue",
    "north practitioner task", "north manager task", "manager queue", "users and roles", "failed notifications",
    "deadline settings",
)


@pytest.mark.parametrize("record", RECORDS)
def test_api_access_matrix(world: World, record: str) -> None:
    api_url, _, expected = matrix(world)[record]
    for user in USERS:
        refused_before = len(world.web.events("access_refused"))
        response = world.web.get(user, api_url)
        assert response.status_code == expected[user], f"{user} on {record}: {response.text}"
        if expected[user] != 200:
            body = response.json()
            assert "Test case" not in body["error"] and "Child Test" not in body["error"]  # nothing leaks
            assert len(world.web.events("access_refused")) == refused_before + 1


def signed_in_client(web: WebKit, user: str) -> TestClient:
    with web.app.transaction() as s:
        accounts.set_password(web.app, s, None, web.scenario.user(s, user), "matrix password 1")
    client = TestClient(web.client.app)
    csrf = client.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/sign-in", data={"username": user, "password": "matrix password 1", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


@pytest.mark.parametrize("user", USERS)
def test_page_access_matrix(world: World, user: str) -> None:
    client = signed_in_client(world.web, user)
    for record, (_, page_url, expected) in matrix(world).items():
        if page_url is None:
            continue
        response = client.get(page_url)
        assert response.status_code == expected[user], f"{user} on {record} page"
        if expected[user] != 200:
            assert "Test case" not in response.text and "Child Test" not in response.text


def test_nobody_can_hand_a_task_to_another_team(world: World) -> None:
    """A practitioner (or their manager) of North cannot give North's task, and with it the case, to South."""
    web = world.web
    for who in ("pat", "max"):
        response = web.post(who, f"/api/tasks/{world.north_task}/reassign", {"username": "olu"})
        assert response.status_code == 403 and "not in the team" in response.json()["error"], response.text
    assert web.get("olu", f"/api/cases/{world.north_case}").status_code == 404
    assert web.get("olu", f"/api/tasks/{world.north_task}").status_code == 404
    assert web.post("pat", f"/api/tasks/{world.north_task}/reassign", {"username": "pip"}).status_code == 200


def test_a_task_held_outside_the_team_shows_the_task_only_and_ends_with_it(world: World) -> None:
    """pat holds North's task, then moves to South: pat still sees that task, but not the case record,
    cannot start a process or add a person there, and sees nothing once the task is done."""
    web = world.web
    with web.app.transaction() as s:
        pat = web.scenario.user(s, "pat")
        pat.team_id = web.scenario.team_ids["south"]
    case = f"/api/cases/{world.north_case}"
    assert web.get("pat", f"/api/tasks/{world.north_task}").status_code == 200
    assert web.get("pat", case).status_code == 404
    assert web.get("pat", f"{case}/people").status_code == 404
    assert world.north_case not in {c["id"] for c in web.get("pat", "/api/cases").json()["cases"]}
    assert web.post("pat", f"{case}/episodes", {"purpose": "A new piece of work"}).status_code == 404
    person = {"full_name": "Another Person", "relationship_to_child": "uncle"}
    assert web.post("pat", f"{case}/people", person).status_code == 404
    consultation = {"case_id": world.north_case, "question": "May I share this with the school?"}
    assert web.post("pat", "/api/consultations", consultation).status_code in (404, 422)
    assert web.post("pat", f"/api/tasks/{world.north_task}/complete", JUDGE).status_code == 200
    assert web.get("pat", f"/api/tasks/{world.north_task}").status_code == 404  # access ends with the task


def test_reassigning_a_task_you_cannot_see_is_not_found(world: World) -> None:
    """Reassign answers like opening the task: 404 for a task the user may not know of."""
    police_task = world.web.scenario.open_tasks(world.application_instance)[0].task_id
    for who, task in [("olu", world.north_task), ("mo", world.north_task), ("priya", world.north_task),
                      ("pat", police_task), ("max", police_task)]:
        assert world.web.get(who, f"/api/tasks/{task}").status_code == 404
        response = world.web.post(who, f"/api/tasks/{task}/reassign", {"username": "pip"})
        assert response.status_code == 404, (who, response.text)


def test_anonymous_gets_401_from_the_api_and_the_sign_in_page_from_pages(world: World) -> None:
    client = TestClient(world.web.client.app)
    for api_url, page_url, _ in matrix(world).values():
        assert client.get(api_url).status_code == 401
        if page_url:
            r = client.get(page_url, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?next=")
