"""The server-rendered pages, through HTTP: sign-in, CSRF, task forms from their schemas with errors beside
each field, the case page (restrictions honoured, view audited), the diagram page and the admin pages."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeshare.app import App
from safeshare.core.records import CompletedTask, ConsentRecord, User
from safeshare.services import accounts
from tasks import service
from tests.builders import EXPLAINED, Scenario
from tests.webkit import WebKit, make_webkit

PASSWORD = "pages password 1"


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        for name in ("pat", "max", "alex", "olu"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    return kit


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(web: WebKit, user: str, next_url: str = "/tasks") -> TestClient:
    client = TestClient(web.client.app)
    csrf = csrf_of(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"username": user, "password": PASSWORD, "csrf_token": csrf, "next": next_url},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def test_sign_in_sets_a_signed_httponly_samesite_cookie_and_lands_on_tasks(web: WebKit) -> None:
    client = TestClient(web.client.app)
    page = client.get("/sign-in")
    assert page.status_code == 200 and "<h1 class=\"govuk-heading-l\">Sign in</h1>" in page.text
    r = client.post("/sign-in", data={"username": "pat", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "safeshare_session=" in cookie
    assert r.headers["location"] == "/tasks"
    tasks = client.get("/tasks")
    assert "Signed in as <strong>Pat Practitioner</strong>" in tasks.text
    assert "content-security-policy" in tasks.headers and tasks.headers["x-frame-options"] == "DENY"


def test_wrong_password_shows_an_error_summary_and_keeps_the_username(web: WebKit) -> None:
    client = TestClient(web.client.app)
    csrf = csrf_of(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"username": "pat", "password": "nope nope nope", "csrf_token": csrf})
    assert r.status_code == 401
    assert "govuk-error-summary" in r.text and "The username or password is not right" in r.text
    assert 'value="pat"' in r.text and "Error: Sign in" in r.text
    assert len(web.events("sign_in_failed")) == 1


def test_a_form_without_the_csrf_token_is_refused(web: WebKit) -> None:
    client = TestClient(web.client.app)
    client.get("/sign-in")
    r = client.post("/sign-in", data={"username": "pat", "password": PASSWORD})
    assert r.status_code == 403 and "was not sent from a page of this service" in r.text
    assert not web.events("signed_in")


def test_next_cannot_send_people_to_another_site(web: WebKit) -> None:
    client = TestClient(web.client.app)
    csrf = csrf_of(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"username": "pat", "password": PASSWORD, "csrf_token": csrf,
                                      "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/tasks"


def test_sign_out_ends_the_session(web: WebKit) -> None:
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get("/tasks").text)
    client.post("/sign-out", data={"csrf_token": csrf})
    assert client.get("/tasks", follow_redirects=False).status_code == 303


def test_task_list_marks_overdue_and_orders_it_first(web: WebKit) -> None:
    first, _ = web.scenario.open_case(12)
    web.scenario.start_episode(first)
    second, _ = web.scenario.open_case(13)
    web.scenario.start_episode(second)
    client = sign_in(web, "pat")
    page = client.get("/tasks").text
    assert page.count("Judge the child") == 2 and "govuk-tag--red" not in page
    with web.app.transaction() as s:  # the second case's task becomes due now, then time passes
        task = next(t for t in service.my_tasks(s, web.scenario.user(s, "pat"), web.app.clock.now())
                    if t.case_id == second)
        task.due_at = web.app.clock.now()
    web.app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    rows = client.get("/tasks").text.split('<tr class="govuk-table__row">')[2:]
    assert "govuk-tag--red" in rows[0] and f"/cases/{second}" in rows[0]
    assert "govuk-tag--red" not in rows[1]


def test_task_form_is_rendered_from_its_schema(web: WebKit) -> None:
    case_id, ids = web.scenario.open_case(16)
    instance = web.scenario.start_episode(case_id)
    tid = web.scenario.task(instance, "seek_consent").task_id
    page = sign_in(web, "pat").get(f"/tasks/{tid}").text
    assert "Explain and seek consent" in page
    for name in ("explained_what", "understanding_confirmed", "consent_outcome", "recipients-0-agency", "restrictions"):
        assert f'name="{name}"' in page
    assert f'value="{ids["parent1"]}"' in page and "Parent 1 (parent)" in page  # people offered by name
    assert "Child Test (the child)" in page


def test_posting_an_incomplete_form_shows_errors_beside_each_field_and_changes_nothing(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(16)
    instance = web.scenario.start_episode(case_id)
    tid = web.scenario.task(instance, "seek_consent").task_id
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get(f"/tasks/{tid}").text)
    before = web.counts()
    r = client.post(f"/tasks/{tid}", data={"csrf_token": csrf, "consent_outcome": "given",
                                           "explained_what": "Health notes"})
    assert r.status_code == 422
    assert "There is a problem" in r.text and 'href="#explained_how"' in r.text
    assert 'id="explained_how-error"' in r.text and "Enter how it will be shared" in r.text  # names the question
    assert "This field is required" not in r.text
    assert 'value="Health notes"' in r.text  # what was typed is kept
    assert web.counts() == before


def test_a_rule_refusal_is_shown_in_the_summary(web: WebKit) -> None:
    case_id, ids = web.scenario.open_case(16)
    instance = web.scenario.start_episode(case_id)
    tid = web.scenario.task(instance, "seek_consent").task_id
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get(f"/tasks/{tid}").text)
    data = {**EXPLAINED, "csrf_token": csrf, "understanding_confirmed": "yes", "consent_outcome": "given",
            "consenting_person_id": str(ids["parent1"]), "recipients-0-agency": "CAMHS"}
    r = client.post(f"/tasks/{tid}", data=data)
    assert r.status_code == 422 and "Only the young person may give or withhold consent here" in r.text
    assert "(R2)" not in r.text  # rule ids stay in the code and the traceability table, never on a page
    with web.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_completing_a_consent_task_through_the_page(web: WebKit) -> None:
    case_id, ids = web.scenario.open_case(17)
    instance = web.scenario.start_episode(case_id)
    tid = web.scenario.task(instance, "seek_consent").task_id
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get(f"/tasks/{tid}").text)
    data = {**EXPLAINED, "csrf_token": csrf, "understanding_confirmed": "yes",
            "consent_outcome": "given_with_restrictions", "consenting_person_id": str(ids["child"]),
            "recipients-0-agency": "CAMHS", "recipients-0-contact": "", "recipients-1-agency": "School nurse",
            "restrictions": "Not to be disclosed to <the father>\n\n"}
    r = client.post(f"/tasks/{tid}", data=data)
    assert r.status_code == 200 and "The process has finished." in r.text
    with web.app.db.read() as s:
        record = s.scalars(select(ConsentRecord)).one()
        assert record.recipients == [{"agency": "CAMHS"}, {"agency": "School nurse"}]
        assert record.restrictions == ["Not to be disclosed to <the father>"]
        assert s.scalar(select(func.count()).select_from(CompletedTask)) == 1
    case_page = client.get(f"/cases/{case_id}").text
    assert "Restriction: Not to be disclosed to &lt;the father&gt;" in case_page  # shown, and escaped
    assert "<the father>" not in case_page
    # the view itself is on the audit trail, folded away from the case page (issue 12) and listed under views
    assert "viewed case" not in case_page and "See the whole audit trail" in case_page
    assert "viewed case" in client.get(f"/cases/{case_id}/audit?kind=views").text


def test_case_page_of_another_team_is_not_found(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    r = sign_in(web, "olu").get(f"/cases/{case_id}")
    assert r.status_code == 404 and "No case" in r.text and "Test case" not in r.text
    assert [e.detail["path"] for e in web.events("access_refused")] == [f"/cases/{case_id}"]


def test_diagram_page_embeds_the_state_for_bpmn_js(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    instance = web.scenario.start_episode(case_id)
    page = sign_in(web, "pat").get(f"/processes/{instance}/diagram").text
    assert '/static/bpmn-js/bpmn-viewer.production.min.js' in page
    state = page.split('id="diagram-state"')[1]
    assert '"current": ["judge_competence"]' in state and "</bpmn" not in state  # XML cannot close the script


def test_admin_adds_a_user_and_sees_errors(web: WebKit) -> None:
    client = sign_in(web, "alex")
    csrf = csrf_of(client.get("/admin/users").text)
    bad = client.post("/admin/users", data={"csrf_token": csrf, "username": "", "display_name": "Nia"})
    assert bad.status_code == 422 and "Enter a username" in bad.text and "Choose at least one role" in bad.text
    ok = client.post("/admin/users", data={"csrf_token": csrf, "username": "nia", "display_name": "Nia New",
                                           "roles": ["practitioner", "manager"], "team_id": "",
                                           "password": "nia's long password"}, follow_redirects=False)
    assert ok.status_code == 303
    with web.app.db.read() as s:
        nia = s.scalars(select(User).where(User.username == "nia")).one()
        assert {r.value for r in nia.roles} == {"practitioner", "manager"} and nia.password_hash
    assert "Deadline settings" in client.get("/admin/deadlines").text
    assert "No notification has failed" in client.get("/admin/notifications").text


def test_static_assets_are_served_from_node_modules(web: WebKit) -> None:
    client = TestClient(web.client.app)
    assert client.get("/static/govuk/govuk-frontend.min.css").status_code == 200
    assert client.get("/static/bpmn-js/bpmn-viewer.production.min.js").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200


def test_cli_user_commands(web: WebKit) -> None:
    from typer.testing import CliRunner

    from safeshare.cli import _register
    from safeshare.cli import app as cli

    _register()
    url = ["--database-url", web.app.settings.database_url]
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "nia", "--name", "Nia New", "--role", "manager", *url],
                          input="a long password\na long password\n")
    assert added.exit_code == 0, added.output
    assert "Added nia (manager)" in added.output
    short = runner.invoke(cli, ["user", "set-password", "nia", *url], input="short\nshort\n")
    assert short.exit_code == 1 and "too short" in short.output
    reset = runner.invoke(cli, ["user", "set-password", "nia", *url], input="another long one\nanother long one\n")
    assert reset.exit_code == 0, reset.output
    token = runner.invoke(cli, ["user", "token", "nia", *url]).output.strip()
    assert web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["username"] == "nia"
    assert web.client.post("/api/auth/token", json={"username": "nia", "password": "another long one"}
                           ).status_code == 201
    assert runner.invoke(cli, ["user", "token", "ghost", *url]).exit_code == 1


def test_demo_users_can_sign_in_with_the_documented_password(app: App) -> None:
    from safeshare.core.clock import FixedClock
    from safeshare.demo.story import run_demo

    assert isinstance(app.clock, FixedClock)
    run_demo(app, app.clock, echo=lambda _: None)
    client = TestClient(make_webkit_app(app))
    for username in ("pat", "sam", "maria", "simon", "priya", "alex", "olu"):
        r = client.post("/api/auth/token", json={"username": username, "password": accounts.DEMO_PASSWORD})
        assert r.status_code == 201, (username, r.text)
    assert accounts.DEMO_PASSWORD in (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_r1_r15_deciding_to_share_without_consent_from_the_case_page(web: WebKit) -> None:
    """R1: no decision starts where consent was never sought unless the page says why it is not (R15)."""
    case_id, _ = web.scenario.open_case(12)
    client = sign_in(web, "pat")
    page = client.get(f"/cases/{case_id}").text
    assert "Why is consent not being sought?" in page
    csrf = csrf_of(page)
    url = f"/cases/{case_id}/start/shares-without-consent"
    refused = client.post(url, data={"csrf_token": csrf})
    assert refused.status_code == 422 and "Seek consent first, or say why consent is not being sought" in refused.text
    reason = {"csrf_token": csrf, "not_sought_ground": "crime_investigation",
              "not_sought_reason": "Police advise that asking would alert the father"}
    started = client.post(url, data=reason, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/tasks/")
    assert "Decide whether to share without consent" in client.get(started.headers["location"]).text


def make_webkit_app(app: App) -> object:
    from web.app import create_app

    return create_app(app, key="demo-test-" + "k" * 40)


def test_starting_work_from_the_case_page(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(12)
    client = sign_in(web, "pat")
    csrf = csrf_of(client.get(f"/cases/{case_id}").text)
    r = client.post(f"/cases/{case_id}/start/received-information", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/tasks/")
    assert "Record information received" in client.get(r.headers["location"]).text
    refused = client.post(f"/cases/{case_id}/start/disclosures", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "govuk-error-summary" in refused.text
    assert 'href="#start-disclosures"' in refused.text
    short = client.post(f"/cases/{case_id}/start/consultations",
                        data={"csrf_token": csrf, "urgency": "urgent", "question": "help"})
    assert short.status_code == 422 and "Say what you need advice on" in short.text and "(R13)" not in short.text
    assert client.post(f"/cases/{case_id}/start/anything", data={"csrf_token": csrf}).status_code == 404
    before = web.counts()
    manager = sign_in(web, "max")
    m_csrf = csrf_of(manager.get(f"/cases/{case_id}").text)
    assert 'action="/cases/' not in manager.get(f"/cases/{case_id}").text.split("Audit trail")[0].split(
        "Information received")[1]  # no start buttons for a manager
    assert manager.post(f"/cases/{case_id}/start/episodes", data={"csrf_token": m_csrf, "purpose": "Assessment"}
                        ).status_code == 403
    other = sign_in(web, "olu")
    o_csrf = csrf_of(other.get("/tasks").text)
    assert other.post(f"/cases/{case_id}/start/episodes", data={"csrf_token": o_csrf, "purpose": "Assessment"}
                      ).status_code == 404
    assert web.counts()[1:] == before[1:]


def test_session_key_from_the_environment_or_generated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeshare.core.config import Settings
    from safeshare.core.errors import ConfigurationError
    from web.secret import secret_key

    monkeypatch.delenv("SAFESHARE_SECRET_KEY", raising=False)
    first = secret_key(Settings.from_env().secret_key, tmp_path)
    assert len(first) >= 32 and secret_key(None, tmp_path) == first  # generated at first start, then reused
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SAFESHARE_SECRET_KEY", "k" * 40)
    assert secret_key(Settings.from_env().secret_key, tmp_path) == "k" * 40
    monkeypatch.setenv("SAFESHARE_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        Settings.from_env()


def test_admin_changes_a_users_roles_on_the_page(web: WebKit) -> None:
    client = sign_in(web, "alex")
    pat = web.scenario.users["pat"]
    page = client.get(f"/admin/users/{pat}").text
    assert 'value="practitioner" checked' in page
    csrf = csrf_of(page)
    bad = client.post(f"/admin/users/{pat}", data={"csrf_token": csrf, "active": "yes"})
    assert bad.status_code == 422 and "Choose at least one role" in bad.text
    ok = client.post(f"/admin/users/{pat}", data={"csrf_token": csrf, "roles": ["manager"], "team_id": "",
                                                  "active": "yes"}, follow_redirects=False)
    assert ok.status_code == 303
    with web.app.db.read() as s:
        user = s.get(User, pat)
        assert user is not None and {r.value for r in user.roles} == {"manager"} and user.team_id is None
    assert sign_in(web, "max").get(f"/admin/users/{pat}").status_code == 403
