"""A chronology per case (R40, issue 13 item 7): every record's significant events in date order with
their source agency, as a page linked from the case and as a CSV file through the one CSV writer;
only the case's team sees it, and reading or exporting it is audited. Also the referral's start from the
case page (R41)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.errors import NotFoundError
from safeshare.core.records import AuditEvent
from safeshare.services import accounts, chronology, sharing
from tests.builders import Scenario
from tests.test_referral import refer, start
from tests.webkit import WebKit, make_webkit

PASSWORD = "chronology password 1"


def _history(scenario: Scenario) -> int:
    """A case with information received (restricted), then a referral acknowledged and decided."""
    app = scenario.app
    case_id, _ = scenario.open_case(9)
    with app.transaction() as s:
        received = sharing.start_information_received(app, s, scenario.user(s, "pat"), case_id).id
    scenario.complete(
        received,
        "record_received",
        "pat",
        {
            "received_details": '=HYPERLINK("http://x") Father seen shouting at the school gate',
            "provided_by_agency": "Northfield Primary School",
            "received_without_consent": False,
            "received_restrictions": [{"code": "not_to_service_user"}],
        },
    )
    app.clock.advance(timedelta(hours=1))
    instance = start(scenario, case_id)
    refer(scenario, instance)
    app.clock.advance(timedelta(hours=1))
    now = app.clock.now().isoformat()
    scenario.complete(instance, "record_acknowledgement", "pat", {"acknowledged_at": now, "acknowledged_by": "Sam Lee"})
    scenario.complete(
        instance,
        "record_referral_decision",
        "pat",
        {
            "referral_decision": "child_and_family_assessment",
            "decided_at": now,
            "decided_by": "Sam Lee",
            "decision_note": "Assessment to start this week",
        },
    )
    return case_id


def test_r40_every_record_in_date_order_with_its_source_agency(scenario: Scenario) -> None:
    case_id = _history(scenario)
    with scenario.app.db.read() as s:
        _, found = chronology.entries(s, scenario.user(s, "pat"), case_id)
    assert [(e.kind, e.agency) for e in found] == [
        ("Information received", "Northfield Primary School"),
        ("Referral to children's social care", "Council"),
        ("Information shared without consent", "Council"),
        ("Referral acknowledged", "Northfield Children's Services front door"),
        ("Children's social care decided: A child and family assessment", "Northfield Children's Services front door"),
    ]
    assert [e.when for e in found] == sorted(e.when for e in found)
    assert found[0].restrictions == "Not to be disclosed to service user"  # the restriction travels with it


def test_r40_the_csv_goes_through_the_one_writer_and_is_audited(scenario: Scenario) -> None:
    case_id = _history(scenario)
    with scenario.app.transaction() as s:
        name, content = chronology.export_csv(s, scenario.app.clock, scenario.user(s, "pat"), case_id)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    assert rows[0] == list(chronology.COLUMNS) and len(rows) == 6
    assert rows[1][2].startswith("'=HYPERLINK")  # a formula typed by someone is neutralised
    assert rows[1][5] == "Not to be disclosed to service user"
    assert name.startswith("chronology-C-9-") and name.endswith(".csv")
    with scenario.app.db.read() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "chronology_exported"))
    assert event.case_id == case_id and event.detail == {"entries": 5}


def test_r40_only_the_case_team_sees_the_chronology(scenario: Scenario) -> None:
    case_id = _history(scenario)
    with scenario.app.db.read() as s, pytest.raises(NotFoundError):
        chronology.entries(s, scenario.user(s, "olu"), case_id)
    with scenario.app.db.read() as s, pytest.raises(NotFoundError):
        chronology.entries(s, scenario.user(s, "priya"), case_id)


@pytest.fixture
def web(app: App, scenario: Scenario) -> WebKit:
    kit = make_webkit(app, scenario)
    with app.transaction() as s:
        for name in ("pat", "olu"):
            accounts.set_password(app, s, None, scenario.user(s, name), PASSWORD)
    return kit


def _signed_in(web: WebKit, user: str) -> tuple[object, str]:
    from fastapi.testclient import TestClient

    client = TestClient(web.client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token
    r = client.post(
        "/sign-in", data={"username": user, "password": PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303
    return client, token.group(1)


def test_r40_r41_the_case_page_links_the_chronology_and_starts_a_referral(web: WebKit, scenario: Scenario) -> None:
    case_id = _history(scenario)
    client, _ = _signed_in(web, "pat")
    page = client.get(f"/cases/{case_id}")  # type: ignore[attr-defined]
    assert f'href="/cases/{case_id}/chronology"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    listing = client.get(f"/cases/{case_id}/chronology")  # type: ignore[attr-defined]
    assert listing.status_code == 200 and "Northfield Primary School" in listing.text
    assert "Not to be disclosed to service user" in listing.text
    download = client.get(f"/cases/{case_id}/chronology.csv")  # type: ignore[attr-defined]
    assert download.headers["content-type"].startswith("text/csv") and b"Referral acknowledged" in download.content
    refused = client.post(f"/cases/{case_id}/referrals", data={"csrf_token": csrf.group(1)})  # type: ignore[attr-defined]
    assert refused.status_code == 422 and "Say whether a child is at immediate risk of harm now" in refused.text
    started = client.post(
        f"/cases/{case_id}/referrals",  # type: ignore[attr-defined]
        data={"csrf_token": csrf.group(1), "immediate_risk": "yes"},
        follow_redirects=True,
    )
    assert "Act now: the child is at immediate risk" in started.text and "999" in started.text
    other, _ = _signed_in(web, "olu")
    assert other.get(f"/cases/{case_id}/chronology").status_code == 404  # type: ignore[attr-defined]
    assert other.get(f"/cases/{case_id}/chronology.csv").status_code == 404  # type: ignore[attr-defined]
