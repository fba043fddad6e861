"""Sign-in that cannot be turned on a colleague, and sessions and tokens that end (issue 15, items 3 and 4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safeshare.app import App
from safeshare.cli import _register
from safeshare.cli import app as cli
from safeshare.core.records import AuditEvent
from safeshare.services import accounts
from tests.builders import Scenario
from tests.webkit import WebKit, make_webkit
from web.app import SESSION_COOKIE

_register()  # the CLI's commands, as `safeshare` has them
PASSWORD = "correct horse battery"
GUESSER = ("203.0.113.9", 40000)
PAT_DESK = ("198.51.100.7", 40000)


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    with app.transaction() as s:  # before the kit issues tokens: setting a password ends them
        accounts.set_password(app, s, None, scenario.user(s, "pat"), PASSWORD)
        accounts.set_password(app, s, None, scenario.user(s, "alex"), PASSWORD)
    kit = make_webkit(app, scenario)
    tick(app)
    return kit


def tick(app: App) -> None:
    """Let a second pass between steps (the test clock stands still)."""
    app.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]


def client(web: WebKit, address: tuple[str, int]) -> TestClient:
    return TestClient(web.client.app, client=address)


def token_for(c: TestClient, username: str = "pat", password: str = PASSWORD) -> Any:
    return c.post("/api/auth/token", json={"username": username, "password": password})


def browser(web: WebKit, address: tuple[str, int] = PAT_DESK, username: str = "pat") -> TestClient:
    c = client(web, address)
    csrf = c.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": csrf},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def csrf_of(c: TestClient, page: str = "/tasks") -> str:
    return c.get(page).text.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_guesser_cannot_keep_a_colleague_out(web: WebKit) -> None:
    guesser = client(web, GUESSER)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        assert token_for(guesser, password="wrong-guess").status_code == 401
    for _ in range(20):  # the guesser keeps trying: refused, and it does not make the wait any longer
        assert token_for(guesser, password="wrong-guess").status_code == 429
    assert token_for(guesser).status_code == 429  # from the guesser's computer even the right password waits
    assert token_for(client(web, PAT_DESK)).status_code == 201  # pat, at their own desk, gets in at once
    web.app.clock.advance(accounts.FIRST_WAIT)  # type: ignore[attr-defined]
    assert token_for(guesser, password="wrong-guess").status_code == 401  # one more try, then a longer wait
    assert token_for(guesser, password="wrong-guess").status_code == 429
    web.app.clock.advance(accounts.FIRST_WAIT)  # type: ignore[attr-defined]
    assert token_for(guesser, password="wrong-guess").status_code == 429  # twice as long this time
    web.app.clock.advance(accounts.FIRST_WAIT)  # type: ignore[attr-defined]
    assert token_for(guesser).status_code == 201


def test_the_audit_records_the_attempted_username_as_data_never_as_the_actor(web: WebKit) -> None:
    guesser = client(web, GUESSER)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS + 1):
        token_for(guesser, password="wrong-guess")
    with web.app.db.read() as s:
        events = list(s.scalars(select(AuditEvent).where(
            AuditEvent.event_type.in_(["sign_in_failed", "sign_in_refused"]))))
    assert {e.event_type for e in events} == {"sign_in_failed", "sign_in_refused"}
    for event in events:
        assert event.actor_id is None and event.actor_name == "system"
        assert event.detail["attempted_username"] == "pat" and event.detail["remote_address"] == GUESSER[0]


def test_an_administrator_clears_failed_sign_ins_and_so_does_a_password_reset(web: WebKit) -> None:
    guesser = client(web, GUESSER)

    def slow_down() -> None:
        tick(web.app)
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            token_for(guesser, password="wrong-guess")
        assert token_for(guesser).status_code == 429

    slow_down()
    pat_id = web.scenario.users["pat"]
    assert web.post("pat", f"/api/admin/users/{pat_id}/clear-sign-in-failures").status_code == 403
    assert web.post("alex", f"/api/admin/users/{pat_id}/clear-sign-in-failures").status_code == 200
    assert token_for(guesser).status_code == 201
    slow_down()
    with web.app.transaction() as s:
        accounts.set_password(web.app, s, web.scenario.user(s, "alex"), web.scenario.user(s, "pat"), PASSWORD + "!")
    assert token_for(guesser, password=PASSWORD + "!").status_code == 201
    slow_down()
    result = CliRunner().invoke(cli, ["user", "clear-failures", "pat", "--database-url", web.app.settings.database_url])
    assert result.exit_code == 0, result.output
    assert token_for(guesser, password=PASSWORD + "!").status_code == 201


def test_sign_out_ends_every_session_and_token(web: WebKit) -> None:
    desk, laptop = browser(web), browser(web, ("198.51.100.8", 1))
    saved = desk.cookies.get(SESSION_COOKIE)
    token = token_for(client(web, PAT_DESK)).json()["token"]
    assert desk.post("/sign-out", data={"csrf_token": csrf_of(desk)}, follow_redirects=False).status_code == 303
    replay = client(web, PAT_DESK)
    replay.cookies.set(SESSION_COOKIE, saved)  # a saved copy of the cookie no longer works
    assert replay.get("/tasks", follow_redirects=False).status_code == 303
    assert laptop.get("/tasks", follow_redirects=False).status_code == 303  # nor does the other browser
    assert web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser(web).get("/tasks").status_code == 200  # signing in again works


@pytest.mark.parametrize("how", ["password change", "password reset", "deactivation", "admin API", "admin page", "CLI"])
def test_everything_that_ends_a_users_access_ends_every_session_and_token(web: WebKit, how: str) -> None:
    desk = browser(web)
    token = token_for(client(web, PAT_DESK)).json()["token"]
    pat_id = web.scenario.users["pat"]
    if how == "password change":
        with web.app.transaction() as s:
            pat = web.scenario.user(s, "pat")
            accounts.set_password(web.app, s, pat, pat, "another long password")
    elif how == "password reset":
        with web.app.transaction() as s:
            accounts.set_password(web.app, s, web.scenario.user(s, "alex"), web.scenario.user(s, "pat"), "reset pw 12")
    elif how == "deactivation":
        r = web.client.put(f"/api/admin/users/{pat_id}", headers=web.headers("alex"),
                           json={"roles": ["practitioner"], "team_id": web.scenario.team_ids["north"], "active": False})
        assert r.status_code == 200, r.text
    elif how == "admin API":
        assert web.post("pat", f"/api/admin/users/{pat_id}/sign-out").status_code == 403
        assert web.post("alex", f"/api/admin/users/{pat_id}/sign-out").status_code == 200
    elif how == "admin page":
        admin = browser(web, username="alex")
        page = admin.get(f"/admin/users/{pat_id}")
        assert "Sign out everywhere" in page.text and "Clear failed sign-ins" in page.text
        r = admin.post(f"/admin/users/{pat_id}/sign-out", data={"csrf_token": csrf_of(admin, f"/admin/users/{pat_id}")},
                       follow_redirects=False)
        assert r.status_code == 303
    else:
        result = CliRunner().invoke(cli, ["user", "sign-out", "pat", "--database-url", web.app.settings.database_url])
        assert result.exit_code == 0 and "has ended" in result.output, result.output
    assert desk.get("/tasks", follow_redirects=False).status_code == 303
    assert web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with web.app.db.read() as s:
        ended = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "sessions_ended")).all()
    assert ended and ended[-1].detail["user_id"] == pat_id


def test_tokens_expire_and_can_be_listed_and_revoked(web: WebKit) -> None:
    c = client(web, PAT_DESK)
    first, second = token_for(c).json()["token"], token_for(c).json()["token"]
    mine = c.get("/api/auth/tokens", headers={"Authorization": f"Bearer {first}"}).json()["tokens"]
    assert [t["state"] for t in mine] == ["active", "active", "active"]  # the kit's own, and these two
    assert all(first not in str(t) for t in mine)  # never the token itself
    assert web.get("alex", "/api/auth/tokens").json()["tokens"][0]["username"] == "alex"  # one's own only
    assert len(web.get("alex", "/api/admin/tokens").json()["tokens"]) == len(web.scenario.users) + 2
    assert web.get("pat", "/api/admin/tokens").status_code == 403
    second_id = mine[-1]["id"]
    assert web.post("olu", f"/api/auth/tokens/{second_id}/revoke").status_code == 404  # someone else's: not there
    r = c.post(f"/api/auth/tokens/{second_id}/revoke", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert c.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert c.get("/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    web.app.clock.advance(timedelta(days=web.app.settings.token_days, seconds=1))  # type: ignore[attr-defined]
    expired = c.get("/api/me", headers={"Authorization": f"Bearer {first}"})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    listed = CliRunner().invoke(cli, ["user", "tokens", "pat", "--database-url", web.app.settings.database_url])
    assert listed.exit_code == 0 and "revoked" in listed.output, listed.output
    first_id = mine[-2]["id"]
    revoked = CliRunner().invoke(cli, ["user", "revoke-token", str(first_id), "--database-url",
                                       web.app.settings.database_url])
    assert revoked.exit_code == 0 and "is revoked" in revoked.output, revoked.output


def test_the_admin_page_lists_and_revokes_a_users_tokens(web: WebKit) -> None:
    token = token_for(client(web, PAT_DESK)).json()["token"]
    admin = browser(web, username="alex")
    pat_id = web.scenario.users["pat"]
    page = admin.get(f"/admin/users/{pat_id}")
    assert 'data-testid="tokens"' in page.text and "Revoke" in page.text
    with web.app.db.read() as s:
        newest = accounts.list_tokens(web.app, s, None, web.scenario.user(s, "pat"))[-1]
    r = admin.post(f"/admin/tokens/{newest.id}/revoke", data={"csrf_token": csrf_of(admin, f"/admin/users/{pat_id}")},
                   follow_redirects=False)
    assert r.status_code == 303
    assert web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_safeshare_token_revoke_ends_a_token_and_is_audited(web: WebKit) -> None:
    token = token_for(client(web, PAT_DESK)).json()["token"]
    url = web.app.settings.database_url
    listed = CliRunner().invoke(cli, ["token", "list", "pat", "--database-url", url])
    assert listed.exit_code == 0 and "active" in listed.output, listed.output
    with web.app.db.read() as s:
        newest = accounts.list_tokens(web.app, s, None, web.scenario.user(s, "pat"))[-1]
    revoked = CliRunner().invoke(cli, ["token", "revoke", str(newest.id), "--database-url", url])
    assert revoked.exit_code == 0 and "is revoked" in revoked.output, revoked.output
    assert web.client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with web.app.db.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "api_token_revoked")).all()
    assert event.detail["token_id"] == newest.id and event.actor_id is None  # the command line acts as the system
