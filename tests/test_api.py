"""The JSON API, endpoint by endpoint: what it answers, and every bad input refused clearly with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.records import ApiToken, Case, CompletedTask, OpenTask, Person, SignInAttempt, User
from safeshare.services import accounts
from tests.builders import EXPLAINED, Scenario
from tests.webkit import WebKit, assert_error, make_webkit

JUDGE = {"child_competent": False, "competence_reasons": "Could not yet explain who would see it"}


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    return make_webkit(app, scenario)


@pytest.fixture
def episode(web: WebKit) -> dict[str, int]:
    """A 12-year-old's case in North with consent seeking started by pat (judge_competence waiting)."""
    case_id, ids = web.scenario.open_case(12)
    return {"case": case_id, "instance": web.scenario.start_episode(case_id), **ids}


def task_id(web: WebKit, instance: int, spec: str) -> str:
    return web.scenario.task(instance, spec).task_id


# -- sign-in and tokens -------------------------------------------------------------------------


def set_password(web: WebKit, name: str, password: str = "correct horse battery") -> None:
    with web.app.transaction() as s:
        accounts.set_password(web.app, s, None, web.scenario.user(s, name), password)


def test_token_from_password_then_me(web: WebKit) -> None:
    set_password(web, "pat")
    r = web.client.post("/api/auth/token", json={"username": "pat", "password": "correct horse battery"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    me = web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "pat" and me.json()["roles"] == ["practitioner"]
    with web.app.db.read() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "API client")).one()
        assert row.token_sha256 != token and token not in str(row.__dict__)  # only the hash is stored
    assert [e.summary for e in web.events("signed_in")] == ["Pat Practitioner signed in"]


def test_wrong_password_is_refused_recorded_and_audited(web: WebKit) -> None:
    set_password(web, "pat")
    r = web.client.post("/api/auth/token", json={"username": "pat", "password": "wrong password!"})
    assert_error(r, 401, "username or password")
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == len(web.scenario.users)  # no new one
        assert [a.succeeded for a in s.scalars(select(SignInAttempt))] == [False]
    assert len(web.events("sign_in_failed")) == 1


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(web: WebKit) -> None:
    r = web.client.post("/api/auth/token", json={"username": "nobody", "password": "whatever12"})
    assert_error(r, 401, "username or password")


def test_sign_in_attempts_are_limited(web: WebKit) -> None:
    set_password(web, "pat")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        guess = web.client.post("/api/auth/token", json={"username": "pat", "password": "guess-guess"})
        assert guess.status_code == 401
    locked = web.client.post("/api/auth/token", json={"username": "pat", "password": "correct horse battery"})
    assert_error(locked, 429, "too many")
    assert len(web.events("sign_in_refused")) == 1
    web.app.clock.advance(accounts.LOCKOUT_WINDOW)  # type: ignore[attr-defined]
    assert web.client.post(
        "/api/auth/token", json={"username": "pat", "password": "correct horse battery"}
    ).status_code == 201


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"username": "pat"}', 422),
        (b'["pat", "pw"]', 422),
    ],
)
def test_token_request_bad_bodies(web: WebKit, body: bytes, status: int) -> None:
    before = web.counts()
    r = web.client.post("/api/auth/token", content=body, headers={"Content-Type": "application/json"})
    assert_error(r, status)
    assert web.counts() == before


def test_no_token_and_bad_token_are_401(web: WebKit) -> None:
    assert_error(web.client.get("/api/tasks"), 401, "not signed in")
    bad = web.client.get("/api/tasks", headers={"Authorization": "Bearer ss_forged"})
    assert_error(bad, 401, "token")


def test_revoked_token_stops_working(web: WebKit) -> None:
    headers = web.headers("pat")
    with web.app.transaction() as s:
        s.scalars(select(ApiToken).where(ApiToken.user_id == web.scenario.users["pat"])).one().revoked_at = (
            web.app.clock.now()
        )
    assert_error(web.client.get("/api/me", headers=headers), 401, "token")


# -- tasks --------------------------------------------------------------------------------------


def test_my_tasks_lists_only_what_i_may_do(web: WebKit, episode: dict[str, int]) -> None:
    mine = web.get("pat", "/api/tasks").json()["tasks"]
    assert [(t["step"], t["case_id"], t["overdue"]) for t in mine] == [("judge_competence", episode["case"], False)]
    assert web.get("olu", "/api/tasks").json() == {"tasks": []}
    assert web.get("max", "/api/tasks").json() == {"tasks": []}


def test_show_task_has_its_form_schema(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    body = web.get("pat", f"/api/tasks/{tid}").json()
    assert body["form_schema"]["required"] == ["child_competent", "competence_reasons"]
    assert body["case"]["id"] == episode["case"]


def test_show_task_unknown_other_team_and_wrong_person(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    assert_error(web.get("pat", "/api/tasks/00000000-0000-0000-0000-000000000000"), 404, "no open task")
    other = assert_error(web.get("olu", f"/api/tasks/{tid}"), 404, "no open task")
    assert "Test case" not in other["error"]  # nothing about the case leaks
    assert_error(web.get("pip", f"/api/tasks/{tid}"), 403, "assigned to someone else")


def test_complete_task_moves_the_process_on(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    r = web.post("pat", f"/api/tasks/{tid}/complete", JUDGE)
    assert r.status_code == 200, r.text
    assert r.json() == {"instance_id": episode["instance"], "status": "waiting", "outcome": None}
    assert [t.task_spec for t in web.scenario.open_tasks(episode["instance"])] == ["advise_on_competence"]
    assert len(web.events("task_completed")) == 1


def test_complete_task_invalid_form_names_each_field_and_changes_nothing(
    web: WebKit, episode: dict[str, int]
) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    before = web.counts()
    r = web.post("pat", f"/api/tasks/{tid}/complete", {"child_competent": "maybe", "surprise": 1})
    body = assert_error(r, 422, "child_competent")
    assert body["fields"] == {
        "child_competent": "Select yes or no for “Does the child understand enough to decide for themselves?”",
        "competence_reasons": "Enter reasons for your judgement",
        "surprise": "“Surprise” is not a question on this form",
    }
    assert web.counts() == before


@pytest.mark.parametrize(
    ("content", "status", "word"),
    [
        (b"{broken", 400, "not valid json"),
        (b'["a list"]', 422, "problem"),
        (b'"a string"', 422, "problem"),
    ],
)
def test_complete_task_malformed_bodies(
    web: WebKit, episode: dict[str, int], content: bytes, status: int, word: str
) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    before = web.counts()
    r = web.post("pat", f"/api/tasks/{tid}/complete", content=content, headers={"Content-Type": "application/json"})
    assert_error(r, status, word)
    assert web.counts() == before


def test_oversized_body_is_refused_before_anything_runs(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    before = web.counts()
    huge = {"child_competent": False, "competence_reasons": "x" * 1_100_000}
    assert_error(web.post("pat", f"/api/tasks/{tid}/complete", huge), 413, "larger than")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"child_competent": false, "competence_reasons": "'
        for _ in range(120):
            yield b"y" * 10_000
        yield b'"}'

    chunked = web.client.post(f"/api/tasks/{tid}/complete", content=chunks(),
                              headers=web.headers("pat") | {"Content-Type": "application/json"})
    assert_error(chunked, 413, "larger than")
    assert web.counts() == before


def test_complete_task_wrong_role_unknown_and_twice(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    before = web.counts()
    assert_error(web.post("max", f"/api/tasks/{tid}/complete", JUDGE), 403)
    assert_error(web.post("olu", f"/api/tasks/{tid}/complete", JUDGE), 404)
    assert_error(web.post("pat", "/api/tasks/nope/complete", JUDGE), 404)
    assert web.counts()[1:] == before[1:]
    assert web.post("pat", f"/api/tasks/{tid}/complete", JUDGE).status_code == 200
    assert_error(web.post("pat", f"/api/tasks/{tid}/complete", JUDGE), 409, "already completed")


def test_domain_rule_refusal_is_422_and_changes_nothing(web: WebKit) -> None:
    case_id, ids = web.scenario.open_case(16)
    instance = web.scenario.start_episode(case_id)
    tid = task_id(web, instance, "seek_consent")
    before = web.counts()
    data = {**EXPLAINED, "understanding_confirmed": True, "consent_outcome": "given",
            "consenting_person_id": ids["parent1"], "recipients": [{"agency": "CAMHS"}]}
    assert_error(web.post("pat", f"/api/tasks/{tid}/complete", data), 422, "R2")
    assert web.counts() == before


def test_claim_unclaim_and_reassign(web: WebKit, episode: dict[str, int]) -> None:
    web.scenario.complete(episode["instance"], "judge_competence", "pat", JUDGE)
    tid = task_id(web, episode["instance"], "advise_on_competence")
    max_id, sue_id = web.scenario.users["max"], web.scenario.users["sue"]
    assert web.post("max", f"/api/tasks/{tid}/claim").json()["assignee_id"] == max_id
    assert_error(web.post("sue", f"/api/tasks/{tid}/claim"), 403, "assigned to someone else")
    assert web.post("max", f"/api/tasks/{tid}/unclaim").json()["assignee_id"] is None
    assert web.post("max", f"/api/tasks/{tid}/reassign", {"username": "sue"}).json()["assignee_id"] == sue_id
    assert [e.event_type for e in web.events("task_claimed") + web.events("task_unclaimed")] == [
        "task_claimed", "task_unclaimed"]
    assert len(web.events("task_reassigned")) == 1


def test_reassign_refusals_change_nothing(web: WebKit, episode: dict[str, int]) -> None:
    tid = task_id(web, episode["instance"], "judge_competence")
    before = web.counts()
    assert_error(web.post("pat", f"/api/tasks/{tid}/reassign", {"username": "max"}), 403, "role")
    assert_error(web.post("pat", f"/api/tasks/{tid}/reassign", {"username": "ghost"}), 404, "ghost")
    assert_error(web.post("pip", f"/api/tasks/{tid}/reassign", {"username": "pip"}), 403, "holder or a manager")
    assert_error(web.post("olu", f"/api/tasks/{tid}/reassign", {"username": "olu"}), 404)
    assert_error(web.post("pat", f"/api/tasks/{tid}/reassign", {}), 422, "username")
    assert web.counts()[1:] == before[1:]
    assert web.scenario.task(episode["instance"], "judge_competence").assignee_id == web.scenario.users["pat"]


# -- cases ------------------------------------------------------------------------------------


def test_list_cases_by_need_to_know(web: WebKit, episode: dict[str, int]) -> None:
    assert [c["id"] for c in web.get("pat", "/api/cases").json()["cases"]] == [episode["case"]]
    assert [c["id"] for c in web.get("max", "/api/cases").json()["cases"]] == [episode["case"]]
    assert web.get("olu", "/api/cases").json() == {"cases": []}
    assert web.get("priya", "/api/cases").json() == {"cases": []}


def test_open_case(web: WebKit) -> None:
    body = {"reference": "N-1", "title": "Early help", "child_name": "Dee", "child_date_of_birth": "2015-04-01"}
    r = web.post("pat", "/api/cases", body)
    assert r.status_code == 201, r.text
    with web.app.db.read() as s:
        case = s.get(Case, r.json()["id"])
        assert case is not None and case.team_id == web.scenario.team_ids["north"]


@pytest.mark.parametrize(
    ("who", "body", "status", "word"),
    [
        ("pat", {"reference": "N-2", "title": "t", "child_name": "D", "child_date_of_birth": "soon"}, 422,
         "child_date_of_birth"),
        ("pat", {"reference": "N-2", "title": "t", "child_name": "D", "child_date_of_birth": "2099-01-01"}, 422,
         "future"),
        ("pat", {"reference": "", "title": "t", "child_name": "D", "child_date_of_birth": "2015-01-01"}, 422,
         "reference"),
        ("priya", {"reference": "N-2", "title": "t", "child_name": "D", "child_date_of_birth": "2015-01-01"}, 403,
         "role"),
    ],
)
def test_open_case_bad_input(web: WebKit, who: str, body: dict[str, str], status: int, word: str) -> None:
    before = web.counts()
    assert_error(web.post(who, "/api/cases", body), status, word)
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
    refusals = 1 if status == 403 else 0  # a refused access is itself audited, nothing else is written
    assert web.counts() == (before[0] + refusals, *before[1:])
    assert len(web.events("access_refused")) == refusals


def test_duplicate_case_reference_is_a_conflict(web: WebKit) -> None:
    body = {"reference": "N-9", "title": "t", "child_name": "D", "child_date_of_birth": "2015-01-01"}
    assert web.post("pat", "/api/cases", body).status_code == 201
    assert_error(web.post("pat", "/api/cases", body), 409)
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_show_case_is_audited(web: WebKit, episode: dict[str, int]) -> None:
    body = web.get("pat", f"/api/cases/{episode['case']}").json()
    assert [p["relationship_to_child"] for p in body["people"]] == ["self", "parent"]
    assert body["people"][1]["has_parental_responsibility"] is True
    assert [p["process"] for p in body["processes"]] == ["consent_seeking"]
    assert [t["step"] for t in body["open_tasks"]] == ["judge_competence"]
    viewed = web.events("case_viewed")
    assert [(e.case_id, e.actor_name) for e in viewed] == [(episode["case"], "Pat Practitioner")]


def test_show_case_refusals(web: WebKit, episode: dict[str, int]) -> None:
    hidden = assert_error(web.get("olu", f"/api/cases/{episode['case']}"), 404, "no case")
    missing = assert_error(web.get("olu", "/api/cases/99999"), 404, "no case")
    assert hidden["error"].replace(str(episode["case"]), "N") == missing["error"].replace("99999", "N")
    assert_error(web.get("pat", "/api/cases/not-a-number"), 422, "case_id")
    refused = web.events("access_refused")
    assert [(e.actor_name, e.detail["status"]) for e in refused] == [("Olu Other-team", 404)] * 2
    assert not web.events("case_viewed")


def test_case_people_and_adding_a_person(web: WebKit, episode: dict[str, int]) -> None:
    r = web.post("pat", f"/api/cases/{episode['case']}/people",
                 {"full_name": "Gran", "relationship_to_child": "grandmother"})
    assert r.status_code == 201 and r.json()["has_parental_responsibility"] is False
    people = web.get("max", f"/api/cases/{episode['case']}/people").json()["people"]
    assert [p["full_name"] for p in people][-1] == "Gran"
    before = web.counts()
    assert_error(web.post("olu", f"/api/cases/{episode['case']}/people",
                          {"full_name": "X", "relationship_to_child": "aunt"}), 404)
    assert_error(web.post("pat", f"/api/cases/{episode['case']}/people", {"full_name": "X"}), 422,
                 "relationship_to_child")
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 3
    assert web.counts()[1:] == before[1:]


def test_start_episode(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(16)
    r = web.post("pat", f"/api/cases/{case_id}/episodes", {"purpose": "Wellbeing support"})
    assert r.status_code == 201 and r.json()["process"] == "consent_seeking"
    assert [t.task_spec for t in web.scenario.open_tasks(r.json()["id"])] == ["seek_consent"]
    assert_error(web.post("max", f"/api/cases/{case_id}/episodes", {"purpose": "x" * 5}), 403, "practitioner")
    assert_error(web.post("olu", f"/api/cases/{case_id}/episodes", {"purpose": "x" * 5}), 404, "no case")
    assert_error(web.post("pip", f"/api/cases/{case_id}/episodes", {"purpose": ""}), 422, "purpose")


def test_case_audit_trail(web: WebKit, episode: dict[str, int]) -> None:
    events = web.get("max", f"/api/cases/{episode['case']}/audit").json()["events"]
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["case_opened", "person_added"] and "process_started" in kinds
    assert kinds[-1] == "case_viewed"
    assert_error(web.get("mo", f"/api/cases/{episode['case']}/audit"), 404)


# -- processes and queues ------------------------------------------------------------------------


def test_process_diagram_marks_done_and_current(web: WebKit, episode: dict[str, int]) -> None:
    web.scenario.complete(episode["instance"], "judge_competence", "pat", JUDGE)
    body = web.get("pat", f"/api/processes/{episode['instance']}/diagram").json()
    assert body["bpmn_xml"].lstrip().startswith("<?xml")
    assert "judge_competence" in body["done"]
    # the advice waits, and so do its reminder and deadline timers (R4)
    assert sorted(body["current"]) == ["advise_on_competence", "competence_deadline_timer", "competence_reminder_timer"]
    assert body["overdue"] == []
    assert body["names"]["judge_competence"] == "Judge the child's understanding"
    assert len(web.events("process_viewed")) == 1
    assert_error(web.get("olu", f"/api/processes/{episode['instance']}/diagram"), 404, "no process")
    assert_error(web.get("priya", f"/api/processes/{episode['instance']}/diagram"), 404, "no process")
    assert_error(web.get("pat", "/api/processes/424242/diagram"), 404, "no process")


def test_manager_queue(web: WebKit, episode: dict[str, int]) -> None:
    web.scenario.complete(episode["instance"], "judge_competence", "pat", JUDGE)
    queue = web.get("max", "/api/queues/manager").json()["tasks"]
    assert [(t["step"], t["escalation"]) for t in queue] == [("advise_on_competence", False)]
    assert web.get("mo", "/api/queues/manager").json() == {"tasks": []}
    assert_error(web.get("pat", "/api/queues/manager"), 403, "manager")


# -- administration ----------------------------------------------------------------------------


def test_admin_lists_and_adds_users(web: WebKit) -> None:
    names = [u["username"] for u in web.get("alex", "/api/admin/users").json()["users"]]
    assert names == sorted(web.scenario.users)
    body = {"username": "nia", "display_name": "Nia New", "roles": ["practitioner"],
            "team_id": web.scenario.team_ids["south"], "password": "a long enough password"}
    r = web.post("alex", "/api/admin/users", body)
    assert r.status_code == 201 and r.json()["roles"] == ["practitioner"]
    assert web.client.post("/api/auth/token", json={"username": "nia", "password": "a long enough password"}
                           ).status_code == 201
    assert len(web.events("user_created")) == 1


@pytest.mark.parametrize(
    ("who", "change", "status", "word"),
    [
        ("pat", {}, 403, "administrator"),
        ("alex", {"roles": ["wizard"]}, 422, "roles"),
        ("alex", {"roles": []}, 422, "roles"),
        ("alex", {"username": "pat"}, 400, "taken"),
        ("alex", {"password": "short"}, 400, "too short"),
        ("alex", {"team_id": 999}, 400, "no team"),
        ("alex", {"username": "Bad Name"}, 422, "username"),
    ],
)
def test_admin_add_user_bad_input(web: WebKit, who: str, change: dict[str, object], status: int, word: str) -> None:
    body = {"username": "nia", "display_name": "Nia New", "roles": ["practitioner"], "password": None} | change
    assert_error(web.post(who, "/api/admin/users", body), status, word)
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(User)) == len(web.scenario.users)


def test_admin_failed_notifications_and_deadlines(web: WebKit) -> None:
    assert web.get("alex", "/api/admin/notifications/failed").json() == {"notifications": []}
    deadlines = web.get("alex", "/api/admin/deadlines").json()["deadlines"]
    assert {"kind": "dvds_completion", "urgency": "any", "period": "28 days"} in deadlines
    for url in ("/api/admin/users", "/api/admin/notifications/failed", "/api/admin/deadlines"):
        assert_error(web.get("max", url), 403, "administrator")


# -- cross-cutting ----------------------------------------------------------------------------


def test_cookie_session_api_writes_need_the_csrf_header(web: WebKit, episode: dict[str, int]) -> None:
    set_password(web, "pat")
    page = web.client.get("/sign-in")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed_in = web.client.post("/sign-in", data={"username": "pat", "password": "correct horse battery",
                                                   "csrf_token": csrf, "next": "/tasks"}, follow_redirects=False)
    assert signed_in.status_code == 303
    csrf = web.client.get("/tasks").text.split('name="csrf_token" value="')[1].split('"')[0]  # fresh per session
    tid = task_id(web, episode["instance"], "judge_competence")
    assert web.client.get("/api/tasks").status_code == 200  # reads need no token
    assert_error(web.client.post(f"/api/tasks/{tid}/complete", json=JUDGE), 403, "form")
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(CompletedTask)) == 0
    ok = web.client.post(f"/api/tasks/{tid}/complete", json=JUDGE, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text


def test_unknown_endpoint_and_method(web: WebKit) -> None:
    assert_error(web.get("pat", "/api/nothing-here"), 404, "not found")
    assert_error(web.client.delete("/api/tasks", headers=web.headers("pat")), 405, "method")


def test_openapi_document_lists_the_endpoints(web: WebKit) -> None:
    paths = web.client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/tasks", "/api/tasks/{task_id}/complete", "/api/cases/{case_id}", "/api/auth/token",
                 "/api/processes/{instance_id}/diagram", "/api/queues/manager", "/api/admin/users"):
        assert path in paths
    assert not any(p.startswith("/tasks") for p in paths)  # pages are not API


# -- sharing on a case (P2 to P5) -----------------------------------------------------------------


def test_start_a_manager_consultation(web: WebKit, episode: dict[str, int]) -> None:
    url = f"/api/cases/{episode['case']}/consultations"
    r = web.post("pat", url, {"urgency": "urgent", "question": "Should we tell the school about the bruising?"})
    assert r.status_code == 201, r.text
    assert r.json()["process"] == "manager_consultation"
    tasks = web.get("max", "/api/queues/manager").json()["tasks"]
    assert [(t["step"], t["due_at"] is not None) for t in tasks] == [("give_advice", True)]
    before = web.counts()
    assert_error(web.post("pat", url, {"urgency": "whenever", "question": "A long enough question"}), 422, "urgency")
    assert_error(web.post("pat", url, {"urgency": "urgent", "question": "short"}), 422, "question")
    assert_error(web.post("max", url, {"urgency": "urgent", "question": "A long enough question"}), 403,
                 "practitioner")
    assert_error(web.post("olu", url, {"urgency": "urgent", "question": "A long enough question"}), 404, "no case")
    assert web.counts()[1:] == before[1:]


def test_start_share_without_consent_and_disclosure_register(web: WebKit, episode: dict[str, int]) -> None:
    case = episode["case"]
    # Consent was never sought on this case: the decision starts only with the reason it is not sought.
    assert_error(web.post("pat", f"/api/cases/{case}/shares-without-consent", {}), 422, "Seek consent first")
    reason = {"not_sought_ground": "crime_investigation", "not_sought_reason": "Police advise it would alert him"}
    r = web.post("pat", f"/api/cases/{case}/shares-without-consent", reason)
    assert r.status_code == 201 and r.json()["process"] == "share_without_consent"
    assert_error(web.post("pat", f"/api/cases/{case}/shares-without-consent", {"episode_id": 999}), 404, "episode")
    assert web.get("max", f"/api/cases/{case}/disclosures").json() == {"disclosures": []}
    assert_error(web.get("olu", f"/api/cases/{case}/disclosures"), 404)
    # No consent and no decision yet: a disclosure has no lawful basis, so it cannot even start.
    assert_error(web.post("pat", f"/api/cases/{case}/disclosures", {}), 422)


def test_information_received_with_a_restriction_is_shown_with_it(web: WebKit, episode: dict[str, int]) -> None:
    case = episode["case"]
    r = web.post("pat", f"/api/cases/{case}/received-information")
    assert r.status_code == 201, r.text
    tid = task_id(web, r.json()["id"], "record_received")
    data = {"received_details": "Father's bail conditions", "provided_by_agency": "County Police",
            "received_without_consent": True, "reasons_given": "Risk to the child",
            "received_restrictions": [{"code": "not_to_service_user"}]}
    assert web.post("pat", f"/api/tasks/{tid}/complete", data).status_code == 200
    expected = ["Not to be disclosed to service user (information from County Police)"]
    assert web.get("max", f"/api/cases/{case}").json()["restrictions_in_force"] == expected
    received = web.get("pat", f"/api/cases/{case}/received-information").json()["received"]
    assert [(x["details"], x["restrictions"][0]["code"]) for x in received] == [
        ("Father's bail conditions", "not_to_service_user")]
    assert_error(web.get("mo", f"/api/cases/{case}/received-information"), 404)


# -- police schemes (P6 to P8) --------------------------------------------------------------------

DVDS = {
    "route": "right_to_ask",
    "applicant": {"name": "Sam Taylor", "safe_contact": "mobile, texts only"},
    "subject": {"name": "Alex Reed", "date_of_birth": "1990-04-01"},
    "person_at_risk": {"name": "Sam Taylor"},
    "concern": "Partner has become controlling and threatened violence",
}


def test_police_staff_start_and_read_a_dvds_application(web: WebKit) -> None:
    r = web.post("priya", "/api/schemes/applications", DVDS)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert r.json()["reference"].startswith("DVDS-") and r.json()["process"]["process"] == "dvds_right_to_ask"
    assert [a["id"] for a in web.get("priya", "/api/schemes/applications").json()["applications"]] == [app_id]
    assert web.get("priya", f"/api/schemes/applications/{app_id}").json()["concern"] == DVDS["concern"]
    queue = web.get("priya", "/api/queues/police").json()["applications"]
    assert [(q["id"], q["stage"], q["timescale"]) for q in queue] == [
        (app_id, "Initial checks and risk assessment", "due_soon")]
    web.app.clock.advance(timedelta(hours=25))  # type: ignore[attr-defined]
    assert web.get("priya", "/api/queues/police").json()["applications"][0]["timescale"] == "overdue"


def test_scheme_records_are_for_police_staff_only(web: WebKit) -> None:
    app_id = web.post("priya", "/api/schemes/applications", DVDS).json()["id"]
    before = web.counts()
    for user in ("pat", "max", "alex"):
        assert_error(web.post(user, "/api/schemes/applications", DVDS), 403, "police staff")
        assert_error(web.get(user, f"/api/schemes/applications/{app_id}"), 404, "no scheme application")
        assert_error(web.get(user, "/api/schemes/applications"), 403, "police staff")
        assert_error(web.get(user, "/api/queues/police"), 403, "police staff")
    assert web.counts()[1:] == before[1:]


@pytest.mark.parametrize(
    ("change", "status", "word"),
    [
        ({"route": "right_to_guess"}, 422, "route"),
        ({"concern": ""}, 422, "concern"),
        ({"subject": "Alex"}, 422, "subject"),
        ({"linked_case_id": 4242}, 422, "linked_case_id"),  # R31: no link by internal number
    ],
)
def test_scheme_application_bad_input(web: WebKit, change: dict[str, object], status: int, word: str) -> None:
    assert_error(web.post("priya", "/api/schemes/applications", DVDS | change), status, word)
    assert web.get("priya", "/api/schemes/applications").json() == {"applications": []}


@pytest.mark.parametrize(
    ("change", "process"),
    [
        ({"route": "csor", "person_at_risk": None, "children": [{"name": "Lily Taylor", "age": 7}],
          "concern": "New partner has unsupervised access to my daughter"}, "csor_application"),
        ({"route": "right_to_know", "applicant": {"agency": "Northfield Children's Social Care"}},
         "dvds_right_to_know"),
    ],
)
def test_every_scheme_route_starts_its_process(web: WebKit, change: dict[str, object], process: str) -> None:
    r = web.post("priya", "/api/schemes/applications", DVDS | change)
    assert r.status_code == 201, r.text
    assert r.json()["process"]["process"] == process
    tasks = web.get("priya", "/api/tasks").json()["tasks"]
    assert [(t["process"], t["step"]) for t in tasks] == [(process, "initial_checks")]


def test_admin_changes_roles_team_and_sign_in(web: WebKit) -> None:
    pat = web.scenario.users["pat"]
    assert_error(web.get("pat", "/api/queues/manager"), 403)
    body = {"roles": ["practitioner", "manager"], "team_id": web.scenario.team_ids["north"], "active": True}
    r = web.client.put(f"/api/admin/users/{pat}", json=body, headers=web.headers("alex"))
    assert r.status_code == 200 and r.json()["roles"] == ["manager", "practitioner"]
    assert web.get("pat", "/api/queues/manager").status_code == 200
    [event] = web.events("user_updated")
    assert event.detail["before"]["roles"] == ["practitioner"] and event.detail["after"]["roles"] == [
        "manager", "practitioner"]
    off = web.client.put(f"/api/admin/users/{pat}", json=body | {"active": False}, headers=web.headers("alex"))
    assert off.status_code == 200
    assert_error(web.get("pat", "/api/me"), 401, "token")  # a deactivated user's token stops working


@pytest.mark.parametrize(
    ("who", "target", "change", "status", "word"),
    [
        ("max", "pat", {}, 403, "administrator"),
        ("alex", None, {}, 404, "no user"),
        ("alex", "pat", {"roles": []}, 422, "roles"),
        ("alex", "pat", {"team_id": 9999}, 400, "no team"),
        ("alex", "alex", {"roles": ["practitioner"]}, 400, "your own"),
        ("alex", "alex", {"roles": ["administrator"], "active": False}, 400, "your own"),
    ],
)
def test_admin_change_user_refusals(
    web: WebKit, who: str, target: str | None, change: dict[str, object], status: int, word: str
) -> None:
    user_id = web.scenario.users[target] if target else 424242
    body = {"roles": ["practitioner"], "team_id": None, "active": True} | change
    before = web.counts()
    assert_error(web.client.put(f"/api/admin/users/{user_id}", json=body, headers=web.headers(who)), status, word)
    assert not web.events("user_updated")
    assert web.counts()[1:] == before[1:]
    with web.app.db.read() as s:
        assert {r.value for r in s.get(User, web.scenario.users["pat"]).roles} == {"practitioner"}  # type: ignore[union-attr]


def test_process_diagram_marks_an_overdue_step(web: WebKit, episode: dict[str, int]) -> None:
    with web.app.transaction() as s:
        task = s.get(OpenTask, task_id(web, episode["instance"], "judge_competence"))
        assert task is not None
        task.due_at = web.app.clock.now()
    web.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    body = web.get("pat", f"/api/processes/{episode['instance']}/diagram").json()
    assert body["overdue"] == ["judge_competence"] and body["current"] == ["judge_competence"]
    assert web.get("pat", "/api/tasks").json()["tasks"][0]["overdue"] is True
