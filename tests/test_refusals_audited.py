"""The low findings of issue 15 (item 7): refusals through a forged form, the API and the command line
are audited, on the refused case's own trail; every date parameter is bounded."""

from __future__ import annotations

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

PASSWORD = "correct horse battery"


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    with app.transaction() as s:
        accounts.set_password(app, s, None, scenario.user(s, "pat"), PASSWORD)
    return make_webkit(app, scenario)


def refusals(app: App) -> list[AuditEvent]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == "access_refused")))


def signed_in_browser(web: WebKit) -> TestClient:
    c = TestClient(web.client.app)
    csrf = c.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/sign-in", data={"username": "pat", "password": PASSWORD, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def test_a_forged_form_or_api_call_from_a_signed_in_browser_is_audited(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(10)
    browser = signed_in_browser(web)
    forged = browser.post("/sign-out", data={"csrf_token": "forged-by-another-site"}, follow_redirects=False)
    assert forged.status_code == 403
    person = {"full_name": "Planted Person", "relationship_to_child": "uncle"}
    no_header = browser.post(f"/api/cases/{case_id}/people", json=person)
    assert no_header.status_code == 403
    events = refusals(web.app)
    assert [(e.actor_id, e.detail["path"]) for e in events] == [
        (web.scenario.users["pat"], "/sign-out"),
        (web.scenario.users["pat"], f"/api/cases/{case_id}/people"),
    ]
    assert all("not sent from a page of this service" in e.detail["reason"] for e in events)
    assert events[1].case_id == case_id  # on the case's own trail


def test_a_refused_look_at_a_case_shows_on_its_trail_and_a_missing_case_is_not_invented(web: WebKit) -> None:
    case_id, _ = web.scenario.open_case(10)
    assert web.get("olu", f"/api/cases/{case_id}").status_code == 404
    assert web.get("olu", "/api/cases/424242").status_code == 404
    hidden, missing = refusals(web.app)
    assert (hidden.actor_id, hidden.case_id) == (web.scenario.users["olu"], case_id)
    assert missing.case_id is None
    trail = web.get("pat", f"/api/cases/{case_id}/audit").json()
    assert any(e["event"] == "access_refused" and "Olu" in e["summary"] for e in trail["events"]), trail


def test_a_refused_look_at_a_cases_process_shows_on_the_cases_trail(web: WebKit) -> None:
    """A process diagram is a record of its case: refused, the refusal is on the case's trail (issue 15, item 7)."""
    case_id, _ = web.scenario.open_case(10)
    instance_id = web.scenario.start_episode(case_id)
    assert web.get("olu", f"/api/processes/{instance_id}/diagram").status_code == 404
    assert web.get("olu", "/api/processes/424242/diagram").status_code == 404
    hidden, missing = refusals(web.app)
    assert (hidden.actor_id, hidden.case_id) == (web.scenario.users["olu"], case_id)
    assert missing.case_id is None


def test_a_refusal_through_the_command_line_is_audited_on_the_cases_trail(web: WebKit) -> None:
    _register()
    case_id, _ = web.scenario.open_case(10)
    url = web.app.settings.database_url
    result = CliRunner().invoke(cli, ["case", "show", str(case_id), "--as", "olu", "--database-url", url])
    assert result.exit_code == 1 and "that you can see" in result.output, result.output
    [event] = refusals(web.app)
    assert (event.actor_id, event.case_id) == (web.scenario.users["olu"], case_id)
    assert "safeshare case show" in event.detail["action"] and event.detail["case_id"] == case_id
    unknown = CliRunner().invoke(cli, ["case", "show", str(case_id), "--as", "nobody", "--database-url", url])
    assert unknown.exit_code == 1 and len(refusals(web.app)) == 1  # an unknown name is not tied to anyone


FAR_DATES = ["9999-12-31", "0001-01-01", "10000-01-01"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/exports/disclosures",
        "/api/exports/received",
        "/api/reports",
        "/api/reports/schemes.csv",
        "/reports",
        "/reports/schemes.csv",
        "/exports/download?kind=disclosures",
    ],
)
@pytest.mark.parametrize("name", ["from", "to"])
def test_every_date_parameter_is_bounded(web: WebKit, url: str, name: str) -> None:
    joiner = "&" if "?" in url else "?"
    for value in FAR_DATES:
        response: Any = web.get("sue", f"{url}{joiner}{name}={value}")
        if url == "/reports":  # the page keeps its form and names the problem in its error summary
            assert response.status_code == 200 and "There is a problem" in response.text, response.text[:300]
            assert "must be between" in response.text or "must be a real date" in response.text
            continue
        assert response.status_code in (400, 422), (url, name, value, response.status_code, response.text[:300])
